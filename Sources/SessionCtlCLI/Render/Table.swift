/// An aligned text table: a header row and data rows, padded by display width.
public struct Table {
    /// Column alignment.
    public enum Alignment { case left, right }

    /// Where a cell too wide for the terminal loses its columns: in the middle (keys and ids, so
    /// that both ends stay), at its end (prose), or never (numbers).
    public enum Cut { case middle, end, never }

    /// Column titles.
    public var headers: [String]
    /// How each column aligns.
    public var alignments: [Alignment]
    /// How each column is cut to fit a terminal.
    public var cuts: [Cut]
    /// The cells, already escaped for display.
    public var rows: [[String]] = []

    /// An empty table with these columns (left-aligned unless given; right-aligned columns are
    /// numbers, never cut, and the others are cut in the middle unless given).
    public init(headers: [String], alignments: [Alignment]? = nil, cuts: [Cut]? = nil) {
        self.headers = headers
        let alignments = alignments ?? headers.map { _ in .left }
        self.alignments = alignments
        self.cuts = cuts ?? alignments.map { $0 == .right ? .never : .middle }
    }

    /// Adds a row.
    public mutating func add(_ row: [String]) {
        rows.append(row)
    }

    /// The table as lines; the header is bold when `color` is on, left out with `headers: false`
    /// (columns are still as wide as the header would have made them, so the rows line up the same).
    /// Fitted to `width` columns when given (a terminal's), never wrapping a cell: see ``fit(_:into:)``.
    public func render(color: Bool, headers showHeaders: Bool = true, width: Int? = nil) -> String {
        var widths = headers.map(DisplayWidth.of)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], DisplayWidth.of(cell))
            }
        }
        widths = fit(widths, into: width)
        var out = showHeaders ? header(widths: widths, color: color) : ""
        for row in rows { out += line(row, widths: widths) + "\n" }
        return out
    }

    /// The header line for columns this wide (bold when `color` is on), with its newline.
    public func header(widths: [Int], color: Bool) -> String {
        let header = line(headers, widths: widths)
        return color ? "\u{1B}[1m\(header)\u{1B}[0m\n" : header + "\n"
    }

    /// Columns `widths` wide narrowed to fit `total` terminal columns (none: as they are): the
    /// widest column that may be cut loses a column at a time, down to its header's width and at
    /// least 8, until the line fits or nothing more can be cut (then it is as narrow as it goes).
    public func fit(_ widths: [Int], into total: Int?) -> [Int] {
        guard let total, !widths.isEmpty else { return widths }
        let available = total - 2 * (widths.count - 1)
        var out = widths
        let floor = widths.indices.map { i in
            cuts[i] == .never ? widths[i] : min(widths[i], max(8, DisplayWidth.of(headers[i])))
        }
        var excess = out.reduce(0, +) - available
        while excess > 0 {
            // The widest column that can still give, and how far it can go before the next widest.
            guard let i = out.indices.filter({ out[$0] > floor[$0] }).max(by: { out[$0] < out[$1] }) else { break }
            let next = out.indices.filter { $0 != i && out[$0] > floor[$0] }.map { out[$0] }.max() ?? floor[i]
            let give = min(excess, out[i] - max(floor[i], min(next, out[i] - 1)))
            out[i] -= max(1, give)
            excess -= max(1, give)
        }
        return out
    }

    /// `cell` within `width` columns: cut where its column is cut, an ellipsis where it was.
    static func cut(_ cell: String, to width: Int, _ how: Cut) -> String {
        guard how != .never, width >= 1, DisplayWidth.of(cell) > width else { return cell }
        let characters = Array(cell)
        func take<C: Sequence<Character>>(_ chars: C, _ columns: Int) -> [Character] {
            var used = 0
            var out: [Character] = []
            for c in chars {
                let w = DisplayWidth.of(String(c))
                if used + w > columns { break }
                used += w
                out.append(c)
            }
            return out
        }
        switch how {
        case .end:
            return String(take(characters, width - 1)) + "…"
        default:
            let left = take(characters, (width - 1 + 1) / 2)
            let right = take(characters.reversed(), (width - 1) / 2).reversed()
            return String(left) + "…" + String(right)
        }
    }

    /// One row padded to `widths` (a table printed as it is read, its widths measured first), without
    /// its newline; a cell wider than its column (a table fitted to a terminal) is cut.
    public func line(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (i, raw) in cells.enumerated() {
            let cell = i < widths.count && i < cuts.count ? Self.cut(raw, to: widths[i], cuts[i]) : raw
            let pad = String(repeating: " ", count: max(0, widths[i] - DisplayWidth.of(cell)))
            let last = i == cells.count - 1
            switch alignments[i] {
            case .left: parts.append(last ? cell : cell + pad)
            case .right: parts.append(pad + cell)
            }
        }
        var line = parts.joined(separator: "  ")
        while line.last == " " { line.removeLast() }  // an empty last cell leaves no trailing blanks
        return line
    }
}

extension Table {
    /// The table as `style` prints it: its colour, its header line, and the terminal's width when
    /// the output is one (piped output is never cut).
    func render(_ style: TextStyle) -> String {
        render(color: style.color, headers: style.headers, width: style.width)
    }
}
