import XCTest

@testable import SessionCtlCLI

/// YAML anchors and aliases are refused before Yams expands them (a few lines of nested aliases
/// expand exponentially; the fuzzer found Yams hashing such a tree for ever). Values that merely
/// contain `*` or `&` are not aliases.
final class ConfigAliasTests: XCTestCase {
    func testAliasesAreFoundWhereANodeStarts() {
        XCTAssertEqual(ConfigFile.aliasLine("a: &x [1, 2]\nb: *x\n"), 1)
        XCTAssertEqual(ConfigFile.aliasLine("contexts:\n  a:\n    url: *u\n"), 3)
        XCTAssertEqual(ConfigFile.aliasLine("list:\n  - *item\n"), 2)
        XCTAssertEqual(ConfigFile.aliasLine("l: [a, *b]\n"), 1)
        XCTAssertEqual(ConfigFile.aliasLine("m: {k: *v}\n"), 1)
        XCTAssertEqual(ConfigFile.aliasLine("? &k key\n: v\n"), 1)
    }

    func testValuesThatOnlyContainStarsOrAmpersandsAreFine() {
        for ok in [
            "session-glob: session:*\n", "session-glob: session:*x\n", "session-glob: \"*:django*\"\n",
            "session-glob: '*x'\n", "actor: a&b\n", "url: redis://[::1]:6379\n", "# *comment\na: b # &c\n",
            "mapping: \"u:<user>:<session>\"\n", "a: \"quoted \\\" *x\"\n", "a: x*y, *z\n", "a: 'it''s *x'\n",
        ] {
            XCTAssertNil(ConfigFile.aliasLine(ok), ok)
        }
    }

    func testTheBombIsAOneLineErrorAtOnce() {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for n in 1...12 {
            bomb += "l\(n): &l\(n) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = "l\(n)"
        }
        XCTAssertThrowsError(try ConfigFile.parse(bomb, path: "bomb.yaml")) { e in
            XCTAssertTrue("\(e)".contains("anchors and aliases"), "\(e)")
        }
    }
}
