import Foundation
import TestSupport
import XCTest

/// Every seed input and every input a fuzzer once crashed on (fuzz/regressions), replayed
/// through each fuzz target in the normal build: none may trap, on every change.
final class FuzzCorpusTests: XCTestCase {
    func testEverySeedAndRegressionInputIsHandled() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let replayer = URL(fileURLWithPath: Sessionctl.binary).deletingLastPathComponent().appendingPathComponent("sessionctl-fuzz").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: replayer), replayer)
        for target in ["resp", "url", "argv", "template", "glob", "payload", "cookie", "config", "snapshot"] {
            var folders = [root.appendingPathComponent("fuzz/corpus/\(target)").path]
            let regressions = root.appendingPathComponent("fuzz/regressions/\(target)").path
            if FileManager.default.fileExists(atPath: regressions) { folders.append(regressions) }
            let r = try Sessionctl.exec(
                replayer, folders.map { Data($0.utf8) }, environment: ["SESSIONCTL_FUZZ_TARGET": target],
                stdin: nil, timeout: 120)
            XCTAssertEqual(r.status, 0, "\(target): \(r)")
            XCTAssertTrue(r.stdout.hasPrefix("replayed "), r.stdout)
            XCTAssertFalse(r.stdout.hasPrefix("replayed 0 "), "\(target) has seed inputs")
        }
    }
}
