import RedisStore
import SessionBasics
import SessionCore
import XCTest

@testable import SessionCtlCLI

/// Tables, escaping, display width, JSON and colour rules, with an injected console.
final class RenderTests: XCTestCase {
    func testDisplayWidthOfCJKAndCombiningMarks() {
        XCTAssertEqual(DisplayWidth.of("alice"), 5)
        XCTAssertEqual(DisplayWidth.of("张三"), 4)
        XCTAssertEqual(DisplayWidth.of("ｆｕｌｌ"), 8)
        XCTAssertEqual(DisplayWidth.of("e\u{301}"), 1)
        XCTAssertEqual(DisplayWidth.of("한국어"), 6)
    }

    func testTablesAlignByDisplayWidth() {
        var t = Table(headers: ["USER", "N"], alignments: [.left, .right])
        t.add(["张三", "1"])
        t.add(["bob", "12"])
        XCTAssertEqual(t.render(color: false), "USER   N\n张三   1\nbob   12\n")
        XCTAssertTrue(t.render(color: true).hasPrefix("\u{1B}[1mUSER   N\u{1B}[0m\n"))
    }

    func testVisibleEscaping() {
        XCTAssertEqual(Escape.visible(Array("plain".utf8)), "plain")
        XCTAssertEqual(Escape.visible(Array("张三".utf8)), "张三")
        XCTAssertEqual(Escape.visible([0x61, 0xFF, 0x00, 0x0A, 0x1B, 0x5C]), "a\\xff\\x00\\x0a\\x1b\\\\")
        XCTAssertEqual(Escape.visible([0xC3, 0x28]), "\\xc3(")
        XCTAssertEqual(Escape.visible([0xC2, 0x9B]), "\\xc2\\x9b", "C1 controls are escaped")
        XCTAssertEqual(Escape.visible([0xED, 0xA0, 0x80]), "\\xed\\xa0\\x80", "surrogates are not UTF-8")
        // Text that reads backwards or hides characters, in tables and prompts.
        XCTAssertEqual(Escape.visible(Array("admin\u{202E}nimda".utf8)), "admin\\u{202E}nimda")
        XCTAssertEqual(Escape.visible(Array("a\u{2066}b\u{200B}c\u{FEFF}".utf8)), "a\\u{2066}b\\u{200B}c\\u{FEFF}")
        XCTAssertNotEqual(Escape.visible(Array("a\u{200B}".utf8)), Escape.visible(Array("a\\u{200B}".utf8)), "an escape never equals literal text")
    }

    func testJSONEscapesAndAddsBase64ForBinary() {
        let json = JSON.object([("user", .bytes(Array("a\"b\\c\n".utf8))), ("session", .bytes([0x73, 0xFF])), ("ttl", .null), ("ok", .bool(true))])
        XCTAssertEqual(
            json.render(pretty: false),
            #"{"user":"a\"b\\c\n","session":"s\\xff","session_base64":"c/8=","ttl":null,"ok":true}"#)
        XCTAssertEqual(JSON.object([("a", .array([]))]).render(pretty: true), "{\n  \"a\": []\n}")
        XCTAssertEqual(JSON.string("\u{01}").render(pretty: false), "\"\\u0001\"")
    }

    func testColourRules() {
        func console(tty: Bool, env: [String: String]) -> Console {
            Console(out: BufferSink(), err: BufferSink(), stdoutIsTerminal: tty, environment: env)
        }
        XCTAssertTrue(console(tty: true, env: [:]).colorEnabled(noColorFlag: false))
        XCTAssertFalse(console(tty: false, env: [:]).colorEnabled(noColorFlag: false))
        XCTAssertFalse(console(tty: true, env: ["NO_COLOR": "1"]).colorEnabled(noColorFlag: false))
        XCTAssertTrue(console(tty: true, env: ["NO_COLOR": ""]).colorEnabled(noColorFlag: false))
        XCTAssertFalse(console(tty: true, env: ["TERM": "dumb"]).colorEnabled(noColorFlag: false))
        XCTAssertFalse(console(tty: true, env: [:]).colorEnabled(noColorFlag: true))
    }

    func testHelpNamesEveryOptionAndCommand() {
        let out = BufferSink()
        let code = SessionCtl.run(arguments: [Array("--help".utf8)], console: Console(out: out, err: BufferSink()))
        XCTAssertEqual(code, 0)
        for o in OptionTable.all { XCTAssertTrue(out.text.contains("--\(o.name)"), o.name) }
        for c in CommandName.allCases { XCTAssertTrue(out.text.contains("  \(c.rawValue)"), c.rawValue) }
    }

    func testCommandHelpListsOnlyItsOptions() {
        let out = BufferSink()
        _ = SessionCtl.run(arguments: ["help", "users"].map { Array($0.utf8) }, console: Console(out: out, err: BufferSink()))
        XCTAssertTrue(out.text.contains("--sort"))
        XCTAssertFalse(out.text.contains("--dry-run"))
    }

    func testUsageErrorsGoToStderrWithStatus2() {
        let out = BufferSink()
        let err = BufferSink()
        let code = SessionCtl.run(arguments: ["list", "a", "--outptu", "json"].map { Array($0.utf8) }, console: Console(out: out, err: err))
        XCTAssertEqual(code, 2)
        XCTAssertEqual(out.text, "")
        XCTAssertEqual(err.text, "sessionctl: unknown option '--outptu': did you mean --output?\n")
    }

    func testDestructiveCommandWithoutTerminalNeedsYes() {
        let err = BufferSink()
        let code = SessionCtl.run(
            arguments: ["revoke-user", "alice"].map { Array($0.utf8) },
            console: Console(out: BufferSink(), err: err, environment: ["SESSIONCTL_URL": "redis://127.0.0.1:1"]))
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.text.contains("--yes"), err.text)
    }

    func testEveryCommandsHelpHasTwoExamplesThatParse() {
        for c in CommandName.allCases {
            let out = BufferSink()
            XCTAssertEqual(SessionCtl.run(arguments: [Array("help".utf8), Array(c.rawValue.utf8)], console: Console(out: out, err: BufferSink())), 0)
            let examples = out.text.components(separatedBy: "\nExamples:\n").last?.split(separator: "\n") ?? []
            XCTAssertEqual(examples.count, 2, "\(c.rawValue): \(out.text)")
            for e in examples {
                // The sessionctl part of each example is a command line the parser accepts.
                let line = e.split(separator: "|").first { $0.contains("sessionctl ") }.map(String.init) ?? ""
                var words = line.split(separator: " ").map(String.init)
                words = Array(words.drop { $0 != "sessionctl" }.dropFirst()).filter { $0 != ">" && !$0.hasPrefix("/etc") && !$0.hasPrefix("~") }
                XCTAssertNoThrow(try Binder.parse(words.map { Array($0.utf8) }), "\(c.rawValue): \(e)")
            }
        }
    }

    func testTablesAreFittedToATerminalByCuttingCellsNeverNumbers() {
        XCTAssertEqual(Table.cut("session:abcdefghij", to: 9, .middle), "sess…ghij")
        XCTAssertEqual(Table.cut("a reason that is long", to: 8, .end), "a reaso…")
        XCTAssertEqual(Table.cut("12345678", to: 3, .never), "12345678")
        XCTAssertEqual(Table.cut("short", to: 9, .middle), "short")
        // Wide characters count two columns and are never split.
        let wide = Table.cut("日本語のキーです", to: 7, .middle)
        XCTAssertLessThanOrEqual(DisplayWidth.of(wide), 7)
        XCTAssertTrue(wide.hasPrefix("日") && wide.hasSuffix("す") && wide.contains("…"), wide)
        var table = Table(headers: ["USER", "KEY", "TTL"], alignments: [.left, .left, .right])
        table.add(["alice", String(repeating: "k", count: 100), "123456"])
        let fitted = table.render(color: false, width: 40)
        for line in fitted.split(separator: "\n") { XCTAssertLessThanOrEqual(DisplayWidth.of(String(line)), 40, fitted) }
        XCTAssertTrue(fitted.contains("123456") && fitted.contains("…"), fitted)
        XCTAssertEqual(table.render(color: false), table.render(color: false, width: nil))
        XCTAssertFalse(table.render(color: false).contains("…"))
    }

}
