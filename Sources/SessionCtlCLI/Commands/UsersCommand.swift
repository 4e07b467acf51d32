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
        if inv.filters.hunts { return try reached(store, ctx) }
        if inv.users.live && store.hasIndex {
            throw CLIError(
                "--live checks each mapping's session; with --index the counts are the index's members",
                hint: "list the user's sessions to see which exist", code: .usage)
        }
        let result = try store.users(sort: inv.users.sort, minimum: inv.users.min, top: inv.counting.top, live: inv.users.live)
        ctx.progress.finish()
        // A table's rows and an index's members are sessions; mapping keys may outlive theirs.
        let countsSessions = ctx.targetIsSQL || store.hasIndex
        let counted = inv.users.live ? "live sessions" : (countsSessions ? "sessions" : "mappings")
        // Users that end in the mapping's separator: ids split the wrong way (no preset). Said once, after the result.
        let hasPreset = try ctx.framework() != nil
        let separator: Bytes = ctx.targetIsSQL || hasPreset || inv.layout.mapping != nil ? [] : Array(try ctx.layout().mapping.separatorText.utf8)
        let listing = Ranking(result: result, counted: counted, live: inv.users.live, countsSessions: countsSessions, separator: separator)
        let found = try ctx.printer.print(listing)
        let odd = listing.odd.user
        if let odd {
            let name = try store.frameworkHint()
            ctx.console.warn(
                "user ids such as '\(Cell.text(odd))' end in '\(String(decoding: separator, as: UTF8.self))', the mapping's separator: the session ids hold it, so the split is wrong"
                    + (name.map { "; the keys look like \($0)'s: try --framework \($0)" } ?? "; give --framework or --mapping"))
        }
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, didSomething: found > 0)
    }

    /// `users --ip CIDR` (any filter): who the sessions the filters keep belong to ("who did this
    /// address reach"), counted per user from a hunt across every user.
    private static func reached(_ store: any SessionBackend, _ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        var counts: [Bytes: Int] = [:]
        let summary = try store.hunt(details: false, payloadMarkers: nil) { page in
            for s in page.sessions { counts[s.ref.user, default: 0] += 1 }
        }
        ctx.progress.finish()
        var users = counts.filter { $0.value >= inv.users.min }.map { UserCount(user: $0.key, sessions: $0.value) }
        users.sort { a, b in
            inv.users.sort == .user || a.sessions == b.sessions ? a.user.lexicographicallyPrecedes(b.user) : a.sessions > b.sessions
        }
        if let top = inv.counting.top { users = Array(users.prefix(top)) }
        ctx.printer.print(Reached(users: users, completeness: summary.completeness))
        HuntReport.note(summary, ctx)
        ctx.reportIncomplete(summary.completeness)
        return .finished(summary.completeness, didSomething: !users.isEmpty)
    }

    /// The users the filtered sessions belong to.
    struct Reached: Printable {
        let users: [UserCount]
        let completeness: Completeness

        private func json(_ u: UserCount) -> JSON { .object([("user", .bytes(u.user)), ("sessions", .int(Int64(u.sessions)))]) }

        func json() -> JSON {
            .object(
                [("users", .array(users.map(json))), ("counted", .string("sessions the filters keep"))] + JSONModels.complete(completeness))
        }

        func lines() -> [JSON] { users.map(json) }

        var emptyNote: String? { "no session matches the filters" }

        func text(_ style: TextStyle) -> String {
            guard !users.isEmpty else { return "" }
            var table = Table(headers: ["USER", "SESSIONS"], alignments: [.left, .right])
            for u in users { table.add([Cell.text(u.user), String(u.sessions)]) }
            return table.render(style)
        }
    }

    /// The ranking as `users` prints it, read from the count a user at a time on each pass.
    struct Ranking: Listing {
        let result: UsersResult
        /// What the numbers count: mappings, sessions or live sessions.
        let counted: String
        let live: Bool
        let countsSessions: Bool
        /// The mapping's separator, for the check that ids were split the wrong way (empty: no check).
        let separator: Bytes
        /// The first user whose id ends in the separator, once a pass has seen it.
        final class Odd { var user: Bytes? }
        let odd = Odd()

        var itemsName: String { "users" }

        func forEachItem(_ body: (UserCount) throws -> Void) throws {
            try result.ranking.forEachUser { u in
                if odd.user == nil, FrameworkHint.oddUser(u.user, separator: separator) { odd.user = u.user }
                try body(u)
            }
        }

        func json(_ u: UserCount) -> JSON {
            .object([("user", .bytes(u.user)), ("sessions", .int(Int64(u.sessions)))] + (live ? [("stale", .int(Int64(u.stale)))] : []))
        }

        func table(_ style: TextStyle) -> Table {
            // The header names what is counted.
            Table(
                headers: live ? ["USER", "LIVE", "STALE"] : ["USER", countsSessions ? "SESSIONS" : "MAPPINGS"], alignments: [.left, .right, .right])
        }

        func rows(_ u: UserCount, _ style: TextStyle) -> [[String]] {
            [[Cell.text(u.user), String(u.sessions)] + (live ? [String(u.stale)] : [])]
        }

        func tail() -> [(String, JSON)] { [("counted", .string(counted))] + JSONModels.complete(result.completeness) }

        var emptyNote: String? { result.completeness.isComplete ? "no users with sessions found" : "no users could be counted (see below)" }
    }
}
