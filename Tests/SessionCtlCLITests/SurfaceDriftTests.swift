import Foundation
import RedisStore
import SessionBasics
import SessionCore
import XCTest

@testable import SessionCtlCLI

/// One source of truth: every option and command of the tables appears in `--help`, the man
/// page and each completion script, and nothing appears there that the tables lack.
final class SurfaceDriftTests: XCTestCase {
    private var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    private var tableOptions: Set<String> { Set(OptionTable.all.map { "--\($0.name)" }) }
    private var tableCommands: Set<String> { Set(CommandName.allCases.map(\.rawValue)) }

    /// Every `--long-option` spelled in `text`.
    private func longOptions(_ text: String) -> Set<String> {
        var found = Set<String>()
        var rest = Substring(text)
        while let start = rest.firstRange(of: "--") {
            let before = rest[..<start.lowerBound].last
            let name = rest[start.upperBound...].prefix { $0.isLowercase || $0.isNumber || $0 == "-" }
            if before.map({ !($0.isLetter || $0.isNumber || $0 == "-") }) ?? true, name.first?.isLowercase == true {
                found.insert("--" + name.trimmingSuffix("-"))
            }
            rest = rest[start.upperBound...]
        }
        return found
    }

    private var help: String {
        let out = BufferSink()
        _ = SessionCtl.run(arguments: [Array("--help".utf8)], console: Console(out: out, err: BufferSink()))
        return out.text
    }

    private var manText: String {
        (try? read("man/sessionctl.1"))?.replacingOccurrences(of: "\\-", with: "-") ?? ""
    }

    func testHelpManAndScriptsNameExactlyTheTableOptions() throws {
        let surfaces: [(String, String)] = [
            ("--help", help), ("man page", manText),
            ("bash", try read("completions/bash/sessionctl")), ("zsh", try read("completions/zsh/_sessionctl")),
            (
                "fish",
                try read("completions/fish/sessionctl.fish").split(separator: "\n").filter { $0.hasPrefix("complete -c sessionctl -l ") }
                    .map { "--" + $0.dropFirst("complete -c sessionctl -l ".count).split(separator: " ")[0] }.joined(separator: "\n")
            ),
        ]
        for (name, text) in surfaces {
            let found = longOptions(text)
            XCTAssertEqual(tableOptions.subtracting(found), [], "\(name) lacks these options")
            XCTAssertEqual(found.subtracting(tableOptions), [], "\(name) names options the table lacks")
        }
    }

    func testEveryCommandAppearsEverywhereAndNothingElse() throws {
        let bash = try read("completions/bash/sessionctl")
        let zsh = try read("completions/zsh/_sessionctl")
        let fish = try read("completions/fish/sessionctl.fish")
        for c in tableCommands {
            XCTAssertTrue(help.contains("\n  \(c)"), "--help lacks \(c)")
            XCTAssertTrue(
                bash.contains("compgen -W \"\(CommandName.allCases.map(\.rawValue).joined(separator: " "))\""), "bash lacks the command list")
            XCTAssertTrue(zsh.contains("'\(c):"), "zsh lacks \(c)")
            XCTAssertTrue(fish.contains("-a \(c) "), "fish lacks \(c)")
        }
        // The man page's COMMANDS section lists exactly the table's commands.
        let commandsSection = manText.components(separatedBy: ".SH COMMANDS")[1].components(separatedBy: ".SH ")[0]
        let listed = Set(
            commandsSection.components(separatedBy: ".TP\n.B ").dropFirst().compactMap {
                $0.split(separator: " ").first.map { String($0.split(separator: "\n")[0]) }
            })
        XCTAssertEqual(listed, tableCommands)
        let fishCommands = Set(
            fish.split(separator: "\n").filter { $0.contains("-n __sessionctl_needs_command -a ") }
                .map { String($0.components(separatedBy: "-a ")[1].split(separator: " ")[0]) })
        XCTAssertEqual(fishCommands, tableCommands)
    }

    /// Rule 11: the presets are data; the man page, help and the completions name every one.
    func testEveryFrameworkPresetIsDocumentedAndCompleted() throws {
        let section = manText.components(separatedBy: ".SH FRAMEWORKS")[1].components(separatedBy: ".SH ")[0]
        for f in Framework.all {
            XCTAssertTrue(section.contains(".B \(f.name)\n"), "man page FRAMEWORKS lacks \(f.name)")
            XCTAssertTrue(help.contains(f.name), "help lacks \(f.name)")
            for (shell, script) in [("bash", CompletionScripts.bash()), ("zsh", CompletionScripts.zsh()), ("fish", CompletionScripts.fish())] {
                XCTAssertTrue(script.contains(f.name), "\(shell) completion lacks \(f.name)")
            }
        }
    }

    func testManPageSectionsInOrder() throws {
        let expected = [
            "NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS", "KEY LAYOUT", "FRAMEWORKS", "SQL STORES", "OUTPUT", "EXIT STATUS",
            "ENVIRONMENT", "FILES", "SECURITY", "EXAMPLES", "SEE ALSO",
        ]
        let sections = manText.split(separator: "\n").filter { $0.hasPrefix(".SH ") }.map {
            String($0.dropFirst(4)).replacingOccurrences(of: "\"", with: "")
        }
        XCTAssertEqual(sections, expected)
    }

    func testCommittedCompletionScriptsAreTheGeneratedOnes() throws {
        XCTAssertEqual(try read("completions/bash/sessionctl"), CompletionScripts.bash(), "run: make completions")
        XCTAssertEqual(try read("completions/zsh/_sessionctl"), CompletionScripts.zsh(), "run: make completions")
        XCTAssertEqual(try read("completions/fish/sessionctl.fish"), CompletionScripts.fish(), "run: make completions")
    }

    func testEachCommandHelpIsGeneratedFromTheTable() {
        for c in CommandName.allCases {
            let out = BufferSink()
            XCTAssertEqual(SessionCtl.run(arguments: [Array("help".utf8), Array(c.rawValue.utf8)], console: Console(out: out, err: BufferSink())), 0)
            let applicable = OptionTable.all.filter { $0.commands == nil || $0.commands!.contains(c) }
            XCTAssertEqual(longOptions(out.text), Set(applicable.map { "--\($0.name)" }), c.rawValue)
        }
    }
}

extension Substring {
    /// The text without trailing `c`s.
    fileprivate func trimmingSuffix(_ c: Character) -> Substring {
        var s = self
        while s.last == c { s = s.dropLast() }
        return s
    }
}

/// The README's least-privilege ACL users are the table the NOPERM advice reads (`ACLUse`), verbatim.
final class ACLDriftTests: XCTestCase {
    func testTheREADMEPrintsEveryACLUseAsTheTableHasIt() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        for use in SessionCtlCLI.ACLUse.all {
            let block = use.readme.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
            XCTAssertTrue(text.contains(block + "\n"), "the README lacks, verbatim:\n\(block)")
        }
    }
}
