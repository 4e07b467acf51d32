@testable import SessionCtlCLI
import RedisClient
import XCTest

/// The progress line: keys scanned out of DBSIZE, matches, rate and time left.
final class ProgressTests: XCTestCase {
    func testProgressLine() {
        XCTAssertEqual(Progress.line(ScanProgress(examined: 500_000, matched: 12), total: 2_000_000, seconds: 2),
                       "scanned 500,000 of 2,000,000 keys (25%), 12 matched, 250,000/s, ~7s left")
        XCTAssertEqual(Progress.line(ScanProgress(examined: 1000, matched: 0), total: nil, seconds: 1),
                       "scanned 1,000 keys, 0 matched, 1,000/s")
        XCTAssertEqual(Progress.line(ScanProgress(examined: 3000, matched: 1), total: 2000, seconds: 1),
                       "scanned 3,000 of 2,000 keys (100%), 1 matched, 3,000/s")
    }

    func testProgressOnlyOnATerminal() {
        let err = BufferSink()
        let off = Progress(console: Console(out: BufferSink(), err: err, stderrIsTerminal: false), quiet: false)
        XCTAssertFalse(off.enabled)
        let quiet = Progress(console: Console(out: BufferSink(), err: err, stderrIsTerminal: true), quiet: true)
        XCTAssertFalse(quiet.enabled)
        XCTAssertTrue(Progress(console: Console(out: BufferSink(), err: err, stderrIsTerminal: true), quiet: false).enabled)
    }
}
