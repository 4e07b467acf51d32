import SessionBasics
import XCTest

/// What every result's completeness promises: failures are kept once per kind, node and cause
/// with a count, merging keeps both sides, and an interruption is never lost.
final class CompletenessTests: XCTestCase {
    func testFailuresAreCountedOncePerKindNodeAndCause() {
        var c = Completeness()
        XCTAssertTrue(c.isComplete)
        let lost = PartialFailure(.nodeUnreachable, node: "10.0.0.1:7000", cause: "connection refused")
        c.record(lost)
        c.record(lost, times: 9_999)
        c.record(PartialFailure(.nodeUnreachable, node: "10.0.0.2:7000", cause: "connection refused"))
        XCTAssertFalse(c.isComplete)
        XCTAssertEqual(c.failures.count, 2)
        XCTAssertEqual(c.counts, [10_000, 1])
        XCTAssertFalse(c.deniedPermission)
    }

    func testMergingKeepsBothSidesAndTheInterruption() {
        var a = Completeness()
        a.record(PartialFailure(.commandFailed, node: nil, cause: "TTL: NOPERM this user has no permissions"))
        var b = Completeness()
        b.record(PartialFailure(.commandFailed, node: nil, cause: "TTL: NOPERM this user has no permissions"), times: 2)
        b.recordInterruption()
        a.merge(b)
        XCTAssertEqual(a.counts, [3])
        XCTAssertTrue(a.interrupted)
        XCTAssertTrue(a.deniedPermission)
        XCTAssertFalse(a.isComplete)
        var interruptedOnly = Completeness()
        interruptedOnly.recordInterruption()
        XCTAssertFalse(interruptedOnly.isComplete, "Ctrl-C alone makes a result partial")
    }

    func testACancelledWaitEndsEarly() {
        let c = Cancellation()
        XCTAssertTrue(c.wait(seconds: 0.01))
        c.cancel()
        let start = Deadline.now()
        XCTAssertFalse(c.wait(seconds: 30))
        XCTAssertLessThan(Deadline.now() - start, 1_000_000_000, "a stop wakes the wait at once")
    }
}
