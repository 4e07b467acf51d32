import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl users`: every user with a mapping, with counts, written as they come back from
/// the count (which spills past `--memory-limit`): nothing here holds all the users at once.
/// The counts are of mapping keys (fast: one SCAN); `--live` checks each mapping's session and
/// counts live sessions and stale mappings apart. The header and the JSON say which.
enum UsersCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let store = try ctx.openBackend()
        if inv.live && store.hasIndex {
            throw CLIError(
                "--live checks each mapping's session; with --index the counts are the index's members",
                hint: "list the user's sessions to see which exist", code: .usage)
        }
        let result = try store.users(sort: inv.sort, minimum: inv.min, top: inv.top, live: inv.live)
        ctx.progress.finish()
        // A table's rows and an index's members are sessions; mapping keys may outlive theirs.
        let countsSessions = ctx.targetIsSQL || store.hasIndex
        let counted = inv.live ? "live sessions" : (countsSessions ? "sessions" : "mappings")
        // Users that end in the mapping's separator: ids split the wrong way (no preset). Said once, after the result.
        let hasPreset = try ctx.framework() != nil
        let separator: Bytes = ctx.targetIsSQL || hasPreset || inv.mapping != nil ? [] : Array(try ctx.layout().mapping.separatorText.utf8)
        var odd: Bytes?
        func check(_ u: UserCount) {
            if odd == nil, FrameworkHint.oddUser(u.user, separator: separator) { odd = u.user }
        }
        func row(_ u: UserCount) -> JSON {
            check(u)
            return .object([("user", .bytes(u.user)), ("sessions", .int(Int64(u.sessions)))] + (inv.live ? [("stale", .int(Int64(u.stale)))] : []))
        }
        var found = 0
        switch inv.output {
        case .json:
            // The same text as one pretty JSON value, a user at a time.
            ctx.print("{\n  \"users\": [")
            try ctx.printJSONItems { item in
                try result.ranking.forEachUser { u in
                    item(row(u))
                    found += 1
                }
            }
            ctx.print("  \"counted\": \"\(counted)\",\n  \"complete\": \(result.completeness.isComplete)\n}\n")
        case .ndjson:
            try result.ranking.forEachUser { u in
                ctx.emit(row(u))
                found += 1
            }
        case .table, .wide:
            // Two passes over the ranking: the columns' widths, then the rows. The header names what is counted.
            let headers = inv.live ? ["USER", "LIVE", "STALE"] : ["USER", countsSessions ? "SESSIONS" : "MAPPINGS"]
            let table = Table(headers: headers, alignments: [.left, .right, .right])
            var widths = table.headers.map(DisplayWidth.of)
            func cells(_ u: UserCount) -> [String] { [Cell.text(u.user), String(u.sessions)] + (inv.live ? [String(u.stale)] : []) }
            try result.ranking.forEachUser { u in
                check(u)
                for (i, c) in cells(u).enumerated() { widths[i] = max(widths[i], DisplayWidth.of(c)) }
                found += 1
            }
            if found == 0 {
                ctx.note(result.completeness.isComplete ? "no users with sessions found" : "no users could be counted (see below)")
            } else {
                if !inv.noHeaders { ctx.print(table.header(widths: widths, color: ctx.color)) }
                try result.ranking.forEachUser { u in ctx.print(table.line(cells(u), widths: widths) + "\n") }
            }
        }
        if let odd {
            let name = try store.frameworkHint()
            ctx.console.warn(
                "user ids such as '\(Cell.text(odd))' end in '\(String(decoding: separator, as: UTF8.self))', the mapping's separator: the session ids hold it, so the split is wrong"
                    + (name.map { "; the keys look like \($0)'s: try --framework \($0)" } ?? "; give --framework or --mapping"))
        }
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, didSomething: found > 0)
    }
}
