import SessionCore

/// How text for people is laid out: `-o wide`'s extra columns, colour, the header line.
struct TextStyle: Sendable, Equatable {
    /// `-o wide`.
    var wide = false
    /// Bold headers and labels.
    var color = false
    /// The tables' header lines (`--no-headers` leaves them out).
    var headers = true
    /// The terminal's columns when the output is a terminal: tables are fitted to it, long cells
    /// cut with an ellipsis. `nil` for a pipe or a file, which get every cell whole.
    var width: Int? = nil
}

/// A command's result as both audiences read it. The command builds it; the printer `-o`
/// chose writes it (a command never asks which format was chosen to print).
protocol Printable {
    /// The whole result as one JSON value (`-o json`, pretty).
    func json() -> JSON
    /// `-o ndjson`'s lines: the whole value on one line unless the result is a list of items.
    func lines() -> [JSON]
    /// The text for people (`-o table`, `-o wide`), with its last newline; empty when there is nothing to show.
    func text(_ style: TextStyle) -> String
    /// Said on stderr (unless `--quiet`) when the text is empty.
    var emptyNote: String? { get }
}

extension Printable {
    func lines() -> [JSON] { [json()] }
    var emptyNote: String? { nil }
}

/// A result too long to hold at once (a ranking, a comparison read back from spill files): the
/// printer asks for its items again for each pass it makes (a table measures its columns first),
/// and writes each as it comes.
protocol Listing {
    associatedtype Item
    /// The array's name in the JSON object (`"users"`).
    var itemsName: String { get }
    /// The JSON object's fields before its array.
    func head() -> [(String, JSON)]
    /// Each item, in order; called once per pass.
    func forEachItem(_ body: (Item) throws -> Void) throws
    /// An item in the JSON array.
    func json(_ item: Item) -> JSON
    /// An item's NDJSON lines.
    func lines(_ item: Item) -> [JSON]
    /// The table's columns.
    func table(_ style: TextStyle) -> Table
    /// An item's table rows.
    func rows(_ item: Item, _ style: TextStyle) -> [[String]]
    /// The JSON object's fields after its array, known once every item was seen.
    func tail() -> [(String, JSON)]
    /// Said on stderr (unless `--quiet`) when a table would have no row.
    var emptyNote: String? { get }
}

extension Listing {
    func head() -> [(String, JSON)] { [] }
    func lines(_ item: Item) -> [JSON] { [json(item)] }
    var emptyNote: String? { nil }
}

/// The output `-o` asked for, made once per run from the output options: every command hands its
/// result here (kubectl's `PrintFlags.ToPrinter()`), and none branches on the format.
struct Printer {
    /// What is written.
    enum Form: Equatable {
        /// Text for people: tables and blocks.
        case text(TextStyle)
        /// One pretty JSON value.
        case json
        /// One JSON value a line.
        case ndjson
    }

    let form: Form
    private let console: Console
    private let quiet: Bool
    private let tally = Tally()

    /// NDJSON's lines so far, and how many of them carried each `result` word, for the summary line.
    private final class Tally {
        var lines = 0
        var results: [(String, Int)] = []

        func count(_ line: JSON) {
            lines += 1
            guard case .object(let fields) = line, case .string(let word)? = fields.first(where: { $0.0 == "result" })?.1 else { return }
            if let i = results.firstIndex(where: { $0.0 == word }) { results[i].1 += 1 } else { results.append((word, 1)) }
        }
    }

    init(_ options: OutputOptions, color: Bool, console: Console) {
        switch options.format {
        case .table, .wide:
            form = .text(
                TextStyle(
                    wide: options.format == .wide, color: color, headers: !options.noHeaders,
                    width: console.stdoutIsTerminal ? console.columns() : nil))
        case .json: form = .json
        case .ndjson: form = .ndjson
        }
        self.console = console
        quiet = options.quiet
    }

    /// Whether the output is text for people (a partial result is then marked in it).
    var isText: Bool { if case .text = form { true } else { false } }

    /// Whether the output is `-o wide` (the commands read more for its columns).
    var isWide: Bool { if case .text(let style) = form { style.wide } else { false } }

    /// Whether items are written as a run produces them (NDJSON), not whole at its end.
    var streams: Bool { form == .ndjson }

    /// Writes a whole result.
    func print(_ result: some Printable) {
        switch form {
        case .text(let style):
            let text = result.text(style)
            if text.isEmpty {
                if let note = result.emptyNote, !quiet { console.err.write(note + "\n") }
            } else {
                console.out.write(text)
            }
        case .json: console.out.write(result.json().render(pretty: true) + "\n")
        case .ndjson: for line in result.lines() { writeLine(line) }
        }
    }

    /// One NDJSON line, counted.
    private func writeLine(_ line: JSON) {
        tally.count(line)
        console.out.write(line.render(pretty: false) + "\n")
    }

    /// NDJSON's last line: `{"summary": {"command", "lines", "results", "complete", "exit_code"}}`,
    /// so that a consumer can tell a run that ended from a stream that was cut.
    func summary(command: String, complete: Bool, exitCode: Int32) {
        guard form == .ndjson else { return }
        let summary: [(String, JSON)] = [
            ("command", .string(command)), ("lines", .int(Int64(tally.lines))),
            ("results", .object(tally.results.map { ($0.0, .int(Int64($0.1))) })), ("complete", .bool(complete)),
            ("exit_code", .int(Int64(exitCode))),
        ]
        console.out.write(JSON.object([("summary", .object(summary))]).render(pretty: false) + "\n")
    }

    /// Writes a listing item by item, never holding it whole; returns how many items it had.
    @discardableResult
    func print<L: Listing>(_ listing: L) throws -> Int {
        var count = 0
        switch form {
        case .text(let style):
            // Pass one measures the columns; pass two writes the rows.
            let table = listing.table(style)
            var widths = table.headers.map(DisplayWidth.of)
            try listing.forEachItem { item in
                for row in listing.rows(item, style) {
                    for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], DisplayWidth.of(cell)) }
                }
                count += 1
            }
            if count == 0 {
                if let note = listing.emptyNote, !quiet { console.err.write(note + "\n") }
                return 0
            }
            widths = table.fit(widths, into: style.width)
            if style.headers { console.out.write(table.header(widths: widths, color: style.color)) }
            try listing.forEachItem { item in
                for row in listing.rows(item, style) { console.out.write(table.line(row, widths: widths) + "\n") }
            }
        case .json:
            // The same text as the whole object rendered at once, an item at a time.
            console.out.write("{\n")
            if let head = Self.fields(listing.head()) { console.out.write(head + ",\n") }
            console.out.write("  \(JSON.string(listing.itemsName).render(pretty: false)): [")
            try listing.forEachItem { item in
                console.out.write((count == 0 ? "\n    " : ",\n    ") + listing.json(item).render(pretty: true, indent: 2))
                count += 1
            }
            console.out.write(count == 0 ? "]" : "\n  ]")
            if let tail = Self.fields(listing.tail()) { console.out.write(",\n" + tail) }
            console.out.write("\n}\n")
        case .ndjson:
            try listing.forEachItem { item in
                for line in listing.lines(item) { writeLine(line) }
                count += 1
            }
        }
        return count
    }

    /// An object's fields as its pretty rendering writes them, without its braces (`nil` for none).
    private static func fields(_ fields: [(String, JSON)]) -> String? {
        guard !fields.isEmpty else { return nil }
        let whole = JSON.object(fields).render(pretty: true)
        return String(whole.dropFirst(2).dropLast(2))
    }

    /// One JSON value as it is produced: on its own line for NDJSON, pretty for JSON.
    func emit(_ value: JSON) {
        if form == .ndjson { tally.count(value) }
        console.out.write(value.render(pretty: form == .json) + "\n")
    }
}
