import SessionBasics

/// The rows a confirmation shows: all of them up to ``limit``; past it, counts by user and kind,
/// the first rows, and how to see every one (`--show-all`): 7,500 rows scroll the question away.
struct ConfirmationRows {
    enum Kind {
        case doing
        case stale
        case refused(String)
    }

    /// The most rows shown whole.
    static let limit = 20
    /// Past the limit: the users with the most rows, then the first rows.
    static let usersShown = 10
    static let rowsShown = 10

    let keyHeader: String
    /// What happens to a row of kind `.doing` ("revoke").
    let doing: String
    private var rows: [(user: Bytes, session: Bytes, key: Bytes?, kind: Kind)] = []

    init(keyHeader: String, doing: String) {
        self.keyHeader = keyHeader
        self.doing = doing
    }

    mutating func add(_ user: Bytes, _ session: Bytes, _ key: Bytes?, _ kind: Kind) {
        rows.append((user, session, key, kind))
    }

    var count: Int { rows.count }

    private func what(_ kind: Kind) -> String {
        switch kind {
        case .doing: return doing
        case .stale: return "stale: session gone; its mapping is removed"
        case .refused(let reason): return "not touched: refused (\(reason))"
        }
    }

    /// The text for stderr, its last newline included.
    func render(showAll: Bool, width: Int? = nil) -> String {
        var table = Table(headers: ["USER", "SESSION", keyHeader, "WHAT"], cuts: [.middle, .middle, .middle, .end])
        let shown = showAll || rows.count <= Self.limit ? rows[...] : rows.prefix(Self.rowsShown)
        for r in shown { table.add([Cell.text(r.user), Cell.text(r.session), r.key.map(Cell.text) ?? "-", what(r.kind)]) }
        guard shown.count < rows.count else { return table.render(color: false, width: width) }
        // Counts by user and kind, the users with the most rows first.
        var order: [Bytes] = []
        var counts: [Bytes: (doing: Int, stale: Int, refused: Int)] = [:]
        for r in rows {
            if counts[r.user] == nil { order.append(r.user) }
            switch r.kind {
            case .doing: counts[r.user, default: (0, 0, 0)].doing += 1
            case .stale: counts[r.user, default: (0, 0, 0)].stale += 1
            case .refused: counts[r.user, default: (0, 0, 0)].refused += 1
            }
        }
        func total(_ u: Bytes) -> Int { counts[u].map { $0.doing + $0.stale + $0.refused } ?? 0 }
        let ranked = order.enumerated().sorted { a, b in
            total(a.element) != total(b.element) ? total(a.element) > total(b.element) : a.offset < b.offset
        }.map(\.element)
        var byUser = Table(headers: ["USER", doing.uppercased(), "STALE", "REFUSED"], alignments: [.left, .right, .right, .right])
        for u in ranked.prefix(Self.usersShown) {
            let c = counts[u]!
            byUser.add([Cell.text(u), String(c.doing), String(c.stale), String(c.refused)])
        }
        let all = counts.values.reduce((0, 0, 0)) { ($0.0 + $1.doing, $0.1 + $1.stale, $0.2 + $1.refused) }
        var text = "\(Cell.plural(rows.count, "row")) for \(Cell.plural(order.count, "user")): \(all.0) \(doing), \(all.1) stale, \(all.2) refused.\n"
        text += byUser.render(color: false, width: width)
        if ranked.count > Self.usersShown {
            let rest = ranked.dropFirst(Self.usersShown)
            text += "… and \(Cell.plural(rest.count, "more user")) (\(Cell.plural(rest.reduce(0) { $0 + total($1) }, "row")))\n"
        }
        text += "The first \(shown.count):\n" + table.render(color: false, width: width)
        text +=
            "… and \(Cell.plural(rows.count - shown.count, "more row")): --show-all lists every one here (--dry-run -o json prints them for a file)\n"
        return text
    }
}
