import SessionBasics
import SessionCore
import XCTest

@testable import SessionCtlCLI

/// The printer `-o` makes: a listing written an item at a time is the same text as the whole
/// result written at once, in every format.
final class PrinterTests: XCTestCase {
    /// Three users, one of whose ids is not UTF-8 (its JSON gains a `_base64` sibling).
    private struct Users: Listing {
        let items: [(Bytes, Int)]
        let passes = Counter()
        final class Counter { var count = 0 }

        var itemsName: String { "users" }
        func head() -> [(String, JSON)] { [("source", .bytes([0x66, 0xFF]))] }
        func forEachItem(_ body: ((Bytes, Int)) throws -> Void) throws {
            passes.count += 1
            for i in items { try body(i) }
        }
        func json(_ i: (Bytes, Int)) -> JSON { .object([("user", .bytes(i.0)), ("sessions", .int(Int64(i.1)))]) }
        func lines(_ i: (Bytes, Int)) -> [JSON] { [json(i), json(i)] }
        func table(_ style: TextStyle) -> Table { Table(headers: ["USER", "SESSIONS"], alignments: [.left, .right]) }
        func rows(_ i: (Bytes, Int), _ style: TextStyle) -> [[String]] { [[Cell.text(i.0), String(i.1)]] }
        func tail() -> [(String, JSON)] { [("complete", .bool(true)), ("owner", .bytes([0xC3]))] }
        var emptyNote: String? { "no users" }

        /// The whole object, rendered at once.
        var whole: JSON { .object(head() + [(itemsName, .array(items.map(json)))] + tail()) }
    }

    private func printer(_ format: OutputFormat, noHeaders: Bool = false) -> (Printer, BufferSink, BufferSink) {
        let out = BufferSink()
        let err = BufferSink()
        var options = OutputOptions()
        options.format = format
        options.noHeaders = noHeaders
        return (Printer(options, color: false, console: Console(out: out, err: err)), out, err)
    }

    private let three = Users(items: [(Array("alice".utf8), 12), ([0x62, 0xFE], 3), (Array("张三".utf8), 1)])

    func testListingAsJSONIsTheWholeObjectRenderedAtOnce() throws {
        for users in [three, Users(items: [])] {
            let (p, out, err) = printer(.json)
            XCTAssertEqual(try p.print(users), users.items.count)
            XCTAssertEqual(out.text, users.whole.render(pretty: true) + "\n")
            XCTAssertEqual(err.text, "")
            XCTAssertEqual(users.passes.count, 1, "JSON reads the items once")
        }
    }

    func testListingAsNDJSONIsItsItemsLines() throws {
        let (p, out, _) = printer(.ndjson)
        try p.print(three)
        let expected = three.items.flatMap { three.lines($0) }.map { $0.render(pretty: false) + "\n" }.joined()
        XCTAssertEqual(out.text, expected)
    }

    func testListingAsTableMeasuresThenWrites() throws {
        let (p, out, err) = printer(.table)
        try p.print(three)
        var whole = Table(headers: ["USER", "SESSIONS"], alignments: [.left, .right])
        for i in three.items { whole.add([Cell.text(i.0), String(i.1)]) }
        XCTAssertEqual(out.text, whole.render(color: false))
        XCTAssertEqual(three.passes.count, 2, "one pass measures the columns, one writes")
        XCTAssertEqual(err.text, "")

        let (bare, bareOut, _) = printer(.wide, noHeaders: true)
        try bare.print(three)
        XCTAssertEqual(bareOut.text, whole.render(color: false, headers: false))
    }

    func testAnEmptyTableSaysSoOnStderrOnly() throws {
        let (p, out, err) = printer(.table)
        XCTAssertEqual(try p.print(Users(items: [])), 0)
        XCTAssertEqual(out.text, "")
        XCTAssertEqual(err.text, "no users\n")
    }

    /// A whole result: text for people, the object pretty, and NDJSON's lines.
    private struct Version: Printable {
        func json() -> JSON { .object([("version", .string("1"))]) }
        func lines() -> [JSON] { [.int(1), .int(2)] }
        func text(_ style: TextStyle) -> String { style.wide ? "wide\n" : "narrow\n" }
    }

    func testAWholeResultInEachFormat() {
        let cases: [(OutputFormat, String)] = [
            (.table, "narrow\n"), (.wide, "wide\n"), (.json, "{\n  \"version\": \"1\"\n}\n"), (.ndjson, "1\n2\n"),
        ]
        for (format, expected) in cases {
            let (p, out, _) = printer(format)
            p.print(Version())
            XCTAssertEqual(out.text, expected, "\(format)")
            XCTAssertEqual(p.isText, format == .table || format == .wide)
            XCTAssertEqual(p.isWide, format == .wide)
            XCTAssertEqual(p.streams, format == .ndjson)
        }
    }
}
