import Foundation
import SessionCtlCLI
import XCTest

/// The committed completion scripts and man page stay in step with the option table.
final class SurfaceDriftTests: XCTestCase {
    private var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    func testCommittedCompletionScriptsAreTheGeneratedOnes() throws {
        XCTAssertEqual(try read("completions/bash/sessionctl"), CompletionScripts.bash(), "run: make completions")
        XCTAssertEqual(try read("completions/zsh/_sessionctl"), CompletionScripts.zsh(), "run: make completions")
        XCTAssertEqual(try read("completions/fish/sessionctl.fish"), CompletionScripts.fish(), "run: make completions")
    }

    func testManPageNamesEveryOptionAndCommand() throws {
        let man = try read("man/sessionctl.1")
        for o in OptionTable.all {
            XCTAssertTrue(man.contains("\\-\\-\(o.name.replacingOccurrences(of: "-", with: "\\-"))"), "man page lacks --\(o.name)")
        }
        for c in CommandName.allCases {
            XCTAssertTrue(man.contains(".B \(c.rawValue.replacingOccurrences(of: "-", with: "\\-"))"), "man page lacks \(c.rawValue)")
        }
    }
}
