import SessionKit

/// `sessionctl users`: every user with a session, with counts, written as they come back from
/// the count (which spills past `--memory-limit`): nothing here holds all the users at once.
enum UsersCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let store = try ctx.openBackend()
        let result = try store.users(sort: inv.sort, minimum: inv.min, top: inv.top)
        ctx.progress.finish()
        func row(_ u: UserCount) -> JSON { .object([("user", .bytes(u.user)), ("sessions", .int(Int64(u.sessions)))]) }
        var found = 0
        switch inv.output {
        case .json:
            // The same text as one pretty JSON value, a user at a time.
            ctx.print("{\n  \"users\": [")
            try result.ranking.forEach { u in
                ctx.print((found == 0 ? "\n    " : ",\n    ") + row(u).render(pretty: true, indent: 2))
                found += 1
            }
            ctx.print(found == 0 ? "],\n" : "\n  ],\n")
            ctx.print("  \"complete\": \(result.completeness.isComplete)\n}\n")
        case .ndjson:
            try result.ranking.forEach { u in
                ctx.emit(row(u))
                found += 1
            }
        case .table, .wide:
            // Two passes over the ranking: the columns' widths, then the rows.
            let table = Table(headers: ["USER", "SESSIONS"], alignments: [.left, .right])
            var widths = table.headers.map(DisplayWidth.of)
            try result.ranking.forEach { u in
                widths[0] = max(widths[0], DisplayWidth.of(Cell.text(u.user)))
                widths[1] = max(widths[1], String(u.sessions).count)
                found += 1
            }
            if found == 0 {
                ctx.note(result.completeness.isComplete ? "no users with sessions found" : "no users could be counted (see below)")
            } else {
                if !inv.noHeaders { ctx.print(table.header(widths: widths, color: ctx.color)) }
                try result.ranking.forEach { u in ctx.print(table.line([Cell.text(u.user), String(u.sessions)], widths: widths) + "\n") }
            }
        }
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, didSomething: found > 0)
    }
}
