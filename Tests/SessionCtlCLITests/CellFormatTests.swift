import XCTest

@testable import SessionCtlCLI

/// How tables write times: durations in their two largest units ("29d 4h"), times relative to now ("3h ago").
final class CellFormatTests: XCTestCase {
    func testDurationsShowTheTwoLargestUnits() {
        XCTAssertEqual(Cell.ttl(nil), "never")
        XCTAssertEqual(Cell.ttl(0), "0s")
        XCTAssertEqual(Cell.ttl(12), "12s")
        XCTAssertEqual(Cell.ttl(3599), "59m 59s")
        XCTAssertEqual(Cell.ttl(3600), "1h")
        XCTAssertEqual(Cell.ttl(3660), "1h 1m")
        XCTAssertEqual(Cell.ttl(29 * 86_400 + 4 * 3600 + 59), "29d 4h")
        XCTAssertEqual(Cell.ttl(86_400 + 59), "1d", "a smaller unit past the second is left out")
        XCTAssertEqual(Cell.duration(5400), "1h 30m")
        XCTAssertEqual(Cell.duration(0), "0s")
    }

    func testTimesAreRelativeToNow() {
        let now = 1_800_000_000.0
        XCTAssertEqual(Cell.ago(now - 3 * 3600, now: now), "3h ago")
        XCTAssertEqual(Cell.ago(now - (29 * 86_400 + 4 * 3600), now: now), "29d 4h ago")
        XCTAssertEqual(Cell.ago(now + 300, now: now), "in 5m")
        XCTAssertEqual(Cell.time(now - 60, now: now), "2027-01-15T07:59:00Z (1m ago)")
    }
}
