/// An aligned text table: a header row and data rows, padded by display width.
public struct Table {
    /// Column alignment.
    public enum Alignment { case left, right }

    /// Column titles.
    public var headers: [String]
    /// How each column aligns.
    public var alignments: [Alignment]
    /// The cells, already escaped for display.
    public var rows: [[String]] = []

    /// An empty table with these columns (left-aligned unless given).
    public init(headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? headers.map { _ in .left }
    }

    /// Adds a row.
    public mutating func add(_ row: [String]) {
        rows.append(row)
    }

    /// The table as lines; the header is bold when `color` is on, left out with `headers: false`
    /// (columns are still as wide as the header would have made them, so the rows line up the same).
    public func render(color: Bool, headers showHeaders: Bool = true) -> String {
        var widths = headers.map(DisplayWidth.of)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], DisplayWidth.of(cell))
            }
        }
        var out = showHeaders ? header(widths: widths, color: color) : ""
        for row in rows { out += line(row, widths: widths) + "\n" }
        return out
    }

    /// The header line for columns this wide (bold when `color` is on), with its newline.
    public func header(widths: [Int], color: Bool) -> String {
        let header = line(headers, widths: widths)
        return color ? "\u{1B}[1m\(header)\u{1B}[0m\n" : header + "\n"
    }

    /// One row padded to `widths` (a table printed as it is read, its widths measured first), without its newline.
    public func line(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (i, cell) in cells.enumerated() {
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
