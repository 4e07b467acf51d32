import Foundation
import SessionBasics
import XCTest

@testable import SessionCore

/// The watch after deleting, with checks that stall or fail as while a node fails over: the time
/// the keys went unwatched never counts towards the quiet window, and the result says so.
final class SettleWatchTests: XCTestCase {
    private func watch(window: Double, present: @escaping (Int) -> (stall: Double, fail: Bool)) throws -> SettleReport {
        var call = 0
        return try SettleWatch(window: window, count: 2, cancellation: Cancellation()).run(
            each: { body in try body([Array("a".utf8), Array("b".utf8)]) },
            present: { _, completeness in
                call += 1
                let (stall, fail) = present(call)
                if stall > 0 { usleep(useconds_t(stall * 1e6)) }
                if fail { completeness.record(PartialFailure(.nodeUnreachable, node: "10.0.0.3:6379", cause: "connection refused")) }
                return []
            },
            delete: { keys, _ in keys })
    }

    func testAQuietWatchIsItsWindowAndSaysNothingMore() throws {
        let r = try watch(window: 0.5) { _ in (0, false) }
        XCTAssertGreaterThanOrEqual(r.seconds, 0.5)
        XCTAssertLessThan(r.seconds, 1.2)
        XCTAssertEqual(r.completeness.recoveries, [])
        XCTAssertTrue(r.completeness.isComplete)
    }

    func testAStalledCheckExtendsTheWindowByTheTimeItWasBlind() throws {
        // The third check waits 1.5 s (replies held while a replica takes over): a 1 s window was
        // 7 checks and "nothing came back"; now a whole second of checks still follows.
        let r = try watch(window: 1) { call in (call == 3 ? 1.5 : 0, false) }
        XCTAssertGreaterThanOrEqual(r.seconds, 2.5, "the window plus the blind time")
        XCTAssertGreaterThanOrEqual(r.checks, 10, "checks go on after the stall")
        XCTAssertTrue(r.completeness.isComplete, "a stall that ended is not a failure")
        XCTAssertEqual(r.completeness.recoveries.count, 1)
        XCTAssertTrue(r.completeness.recoveries[0].contains("could not check for 1.5s"), "\(r.completeness.recoveries)")
    }

    func testAFailedCheckStartsTheWindowOverAndIsAFailure() throws {
        let r = try watch(window: 0.6) { call in (0, call == 4) }
        XCTAssertGreaterThanOrEqual(r.seconds, 0.6 + 0.3, "a whole window of checks after the failed one")
        XCTAssertFalse(r.completeness.isComplete, "the failed check is reported")
        XCTAssertEqual(r.completeness.recoveries.count, 1)
    }
}
