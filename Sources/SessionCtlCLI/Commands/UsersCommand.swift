import SessionKit

/// `sessionctl users`: every user with a session, with counts.
enum UsersCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let store = try ctx.openBackend()
        let result = try store.users(sort: inv.sort, minimum: inv.min, top: inv.top)
        ctx.progress.finish()
        let rows = result.users.map { u -> [(String, JSON)] in [("user", .bytes(u.user)), ("sessions", .int(Int64(u.sessions)))] }
        switch inv.output {
        case .json:
            ctx.emit(.object([("users", .array(rows.map { .object($0) })), ("complete", .bool(result.completeness.isComplete))]))
        case .ndjson:
            for r in rows { ctx.emit(.object(r)) }
        case .table, .wide:
            if result.users.isEmpty {
                ctx.note(result.completeness.isComplete ? "no users with sessions found" : "no users could be counted (see below)")
            } else {
                var table = Table(headers: ["USER", "SESSIONS"], alignments: [.left, .right])
                for u in result.users { table.add([Cell.text(u.user), String(u.sessions)]) }
                ctx.print(table.render(color: ctx.color, headers: !ctx.invocation.noHeaders))
            }
        }
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, didSomething: !result.users.isEmpty)
    }
}
