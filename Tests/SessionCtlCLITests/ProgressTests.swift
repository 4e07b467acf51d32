import RedisClient
import SessionBasics
import XCTest

@testable import SessionCtlCLI

/// The progress line: keys scanned out of DBSIZE, matches, rate and time left.
final class ProgressTests: XCTestCase {
    func testProgressLine() {
        XCTAssertEqual(
            Progress.line(ScanProgress(examined: 500_000, matched: 12), total: 2_000_000, seconds: 2),
            "scanned 500,000 of 2,000,000 keys (25%), 12 matched, 250,000/s, ~7s left")
        XCTAssertEqual(
            Progress.line(ScanProgress(examined: 1000, matched: 0), total: nil, seconds: 1),
            "scanned 1,000 keys, 0 matched, 1,000/s")
        XCTAssertEqual(
            Progress.line(ScanProgress(examined: 3000, matched: 1), total: 2000, seconds: 1),
            "scanned 3,000 of 2,000 keys (100%), 1 matched, 3,000/s")
    }

    func testTheLineFitsTheTerminal() {
        let p = ScanProgress(examined: 1_500_000, matched: 120_000)
        let full = Progress.fitted(p, total: 8_000_000, seconds: 3, pass: "users 1–50000", done: "1,202 revoked", width: nil)
        XCTAssertEqual(full, "users 1–50000: scanned 1,500,000 of 8,000,000 keys (18%), 120,000 matched, 500,000/s, ~14s left; 1,202 revoked")
        for width in [20, 30, 40, 50, 60, 75, 100, 140] {
            let line = Progress.fitted(p, total: 8_000_000, seconds: 3, pass: "users 1–50000", done: "1,202 revoked", width: width)
            XCTAssertLessThan(DisplayWidth.of(line), width, "\(width): \(line)")
        }
        XCTAssertEqual(
            Progress.fitted(p, total: 8_000_000, seconds: 3, pass: nil, done: nil, width: 50),
            "scanned 1,500,000 of 8,000,000 keys (18%), 120,000 matched".count < 50
                ? "scanned 1,500,000 of 8,000,000 keys (18%), 120,000 matched" : "18%, 120,000 matched")
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
