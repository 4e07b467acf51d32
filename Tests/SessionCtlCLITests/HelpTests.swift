import XCTest

@testable import SessionCtlCLI

/// What an operator scans: a command's own options before the global ones, a suggestion for a
/// mistyped option, and an example configuration file that the real parser takes.
final class HelpTests: XCTestCase {
    func testACommandsOwnOptionsComeBeforeTheGlobalOnes() throws {
        for name in CommandName.allCases {
            let help = HelpCommand.commandHelp(name)
            let global = try XCTUnwrap(help.range(of: "Global options"), "\(name)")
            let before = help[..<global.lowerBound]
            for group in HelpCommand.globalGroups {
                XCTAssertFalse(before.contains("\n\(group.rawValue):\n"), "\(name): \(group.rawValue) before the global heading")
            }
            // Every option the command takes is listed, once.
            let listed = help.split(separator: "\n").map { $0.drop { $0 == " " } }
            for o in OptionTable.all where o.commands == nil || o.commands!.contains(name) {
                let forms = [o.spelling, "-\(o.short ?? "?"), \(o.spelling)"]
                XCTAssertEqual(listed.filter { line in forms.contains { line == $0 || line.hasPrefix($0 + " ") } }.count, 1, "\(name) \(o.spelling)")
            }
        }
        let revoke = HelpCommand.commandHelp(.revokeUser)
        let dryRun = try XCTUnwrap(revoke.range(of: "--dry-run"))
        let url = try XCTUnwrap(revoke.range(of: "--url"))
        XCTAssertLessThan(dryRun.lowerBound, url.lowerBound, "revoke-user's own --dry-run before the connection's --url")
    }

    func testEveryMistypedOptionGetsASuggestion() {
        let names = OptionTable.all.map(\.name)
        XCTAssertEqual(Suggest.closest(to: "sort-by", in: names), "sort")
        XCTAssertEqual(Suggest.closest(to: "ip-range", in: names), "ip")
        XCTAssertEqual(Suggest.closest(to: "contxt", in: names), "context")
        XCTAssertEqual(Suggest.closest(to: "dryrun", in: names), "dry-run")
        XCTAssertNil(Suggest.closest(to: "zzzzzz", in: names))
        // Each option, with a letter dropped or doubled, is found again.
        for name in names where name.count >= 5 {
            XCTAssertEqual(Suggest.closest(to: String(name.dropLast()), in: names).map { $0 == name || name.hasPrefix($0) }, true, name)
            XCTAssertEqual(Suggest.closest(to: name + name.suffix(1), in: names), name, name)
        }
    }

    func testTheExampleConfigurationIsAFileTheParserTakes() throws {
        let file = try ConfigFile.parse(ConfigFile.example, path: "example.yaml")
        XCTAssertEqual(file.contexts.map(\.name).sorted(), ["laravel-db", "production", "self-hosted", "staging"])
        XCTAssertEqual(file.current, "staging")
        XCTAssertTrue(HelpCommand.commandHelp(.context).contains("    current-context: staging\n"))
    }
}
