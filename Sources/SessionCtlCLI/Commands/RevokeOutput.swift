import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// How the destructive commands report: NDJSON line by line as batches finish; JSON and the
/// table once at the end; a summary and warnings on stderr.
final class RevokeOutput {
    private let ctx: CommandContext
    private var dry: Bool { ctx.invocation.destructive.dryRun }
    private var verb: String { ctx.invocation.command == .prune ? (dry ? "would prune" : "pruned") : (dry ? "would revoke" : "revoked") }

    /// Where a user's sessions were looked for, for "has no sessions": a table's rows, the index
    /// key `--index` names, or the mapping keys.
    static func whereLooked(_ ctx: CommandContext, user: Bytes) -> String {
        if ctx.targetIsSQL { return "no row of the table is theirs" }
        if let index = try? ctx.indexTemplate() { return "the index key \(Cell.text(index.key(user: user))) is missing or empty" }
        return "no mapping key matched"
    }

    init(_ ctx: CommandContext) {
        self.ctx = ctx
    }

    /// What `not_found` holds: users for `revoke-user`, sessions otherwise.
    /// Whether the store is a SQL table (rows, no mapping keys).
    private var sql: Bool { ctx.targetIsSQL }

    private var idName: String { ctx.invocation.command == .revokeUser ? "user" : "session" }

    /// Prints a batch's lines at once when the output is NDJSON: the entries of the JSON object's
    /// arrays, each with the `result` word it has there (``Entries``).
    func stream(_ r: RevokeResult) {
        guard ctx.printer.streams else { return }
        let entries = Entries(r, prune: ctx.invocation.command == .prune, dry: dry, sql: sql)
        for e in entries.revoked + entries.stale + entries.refused { ctx.printer.emit(e) }
        for id in r.notFound { ctx.printer.emit(.object([(idName, .bytes(id)), ("result", .string(ResultWord.notFound))])) }
        for e in entries.notHeld + entries.verified { ctx.printer.emit(e) }
        for key in r.settle.writtenBack {
            ctx.printer.emit(.object([("session_key", .bytes(key)), ("result", .string(ResultWord.writtenBack))]))
        }
        for key in r.settle.keptComingBack {
            ctx.printer.emit(.object([("session_key", .bytes(key)), ("result", .string(ResultWord.keptComingBack))]))
        }
        ctx.console.out.flush()
    }

    /// The words a session's `result` takes, the same in JSON's arrays and NDJSON's lines.
    enum ResultWord {
        static func done(prune: Bool, dry: Bool) -> String { prune ? (dry ? "would_prune" : "pruned") : (dry ? "would_revoke" : "revoked") }
        /// A mapping whose session key did not exist (removed, or would be), or a row already gone.
        static func stale(sql: Bool, dry: Bool) -> String { sql ? "already_gone" : dry ? "would_remove_stale_mapping" : "stale_mapping_removed" }
        static let refused = "refused"
        static let notFound = "not_found"
        static let notHeld = "not_held"
        static let writtenBack = "written_back_deleted_again"
        static let keptComingBack = "kept_coming_back"
        /// What the application answered `--verify-url` about the cookie: `verified_refused`, `verified_logged_in`, ….
        static func verified(_ answer: String) -> String { "verified_" + answer }
    }

    /// A result's sessions as the entries of JSON's arrays and NDJSON's lines: one builder for both.
    struct Entries {
        var revoked: [JSON]
        var stale: [JSON]
        var refused: [JSON]
        var notHeld: [JSON]
        var verified: [JSON]

        init(_ r: RevokeResult, prune: Bool, dry: Bool, sql: Bool) {
            let done = JSON.string(ResultWord.done(prune: prune, dry: dry))
            revoked = r.revoked.map { .object(JSONModels.ref($0) + [("result", done)]) }
            let stale = JSON.string(ResultWord.stale(sql: sql, dry: dry))
            self.stale = r.stale.map { .object(JSONModels.ref($0) + [("result", stale)]) }
            refused = r.refused.map { f in
                guard case .object(let fields) = JSONModels.refusal(f) else { return JSONModels.refusal(f) }
                return .object(fields + [("result", .string(ResultWord.refused))])
            }
            notHeld = r.notHeld.map {
                .object(
                    JSONModels.ref($0) + [
                        ("result", .string(ResultWord.notHeld)),
                        ("reason", .string("came back after \(SettleReport.maxDeletions) deletions: \(SettleReport.likelyCause)")),
                    ])
            }
            verified = r.verified.map { .object(RevokeOutput.verificationFields($0)) }
        }
    }

    /// One `--verify-url` answer: the session, its result word (`verified_refused`, …), the answer
    /// alone (`refused`/`logged_in`/`inconclusive`/`failed`/`no_cookie`), the status, why.
    static func verificationFields(_ v: Verification) -> [(String, JSON)] {
        [
            ("user", .bytes(v.ref.user)), ("session", .bytes(v.ref.session)), ("result", .string(ResultWord.verified(v.answer.name))),
            ("answer", .string(v.answer.name)), ("status", v.answer.status.map { .int(Int64($0)) } ?? .null),
            ("reason", v.answer.reason.map { .string($0) } ?? .null),
        ]
    }

    /// The watch after the deletions, as JSON: its window, what came back, what was given up on.
    static func settleJSON(_ s: SettleReport) -> JSON {
        .object([
            ("window_seconds", .double(s.window)), ("watched_keys", .int(Int64(s.watched))), ("checks", .int(Int64(s.checks))),
            ("seconds", .double((s.seconds * 1000).rounded() / 1000)),
            ("written_back", .array(s.writtenBack.map { .bytes($0) })),
            (
                "kept_coming_back",
                .array(
                    s.keptComingBack.map {
                        .object([
                            ("session_key", .bytes($0)), ("deletions", .int(Int64(SettleReport.maxDeletions))),
                            ("likely_cause", .string(SettleReport.likelyCause)),
                        ])
                    })
            ),
        ])
    }

    /// What the watch saw, on stderr: always said when something came back (even with --quiet).
    static func noteSettle(_ s: SettleReport, _ ctx: CommandContext) {
        // How long was watched, and what that does not cover: a request that began before the
        // revocation and ends later than the watch writes its session back unseen.
        if s.window > 0 && s.watched > 0 {
            ctx.note(
                "watched \(Cell.seconds(s.window)) of quiet for write-backs: a request in flight that ends later than that can still write its session back; "
                    + "--settle 60s covers the usual proxy timeouts")
        }
        guard !s.writtenBack.isEmpty else {
            if s.window > 0 && s.watched > 0 && s.completeness.isComplete {
                ctx.note(
                    "settled: nothing came back in \(Cell.seconds(s.window)) of watching \(Cell.plural(s.watched, ctx.targetIsSQL ? "row" : "key")) (--settle)"
                )
            }
            return
        }
        let keys = Array(Set(s.writtenBack)).sorted { $0.lexicographicallyPrecedes($1) }
        ctx.console.warn(
            "\(Cell.plural(keys.count, "revoked session key")) came back while settling (a request in flight wrote \(keys.count == 1 ? "it" : "them") back) "
                + "and \(keys.count == 1 ? "was" : "were") deleted again\(s.writtenBack.count > keys.count ? " (\(s.writtenBack.count) times in all)" : ""): "
                + keys.prefix(5).map(Cell.text).joined(separator: ", ") + (keys.count > 5 ? ", …" : ""))
    }

    /// Prints the whole result (JSON, table) and the summary.
    func finish(_ r: RevokeResult) {
        ctx.printer.print(
            Printed(
                result: r, dry: dry, prune: ctx.invocation.command == .prune, sql: sql, filtered: ctx.invocation.filters.isSet,
                verifying: ctx.invocation.revoke.verifyURL != nil))
        for id in r.notFound {
            let line =
                idName == "user"
                ? "user '\(Cell.text(id))' has no sessions (\(Self.whereLooked(ctx, user: id)))" : "session '\(Cell.text(id))' not found"
            // Asked to ignore: still said (unless --quiet), but as a note, not an error.
            if ctx.invocation.revoke.ignoreNotFound { ctx.note(line + "; ignored (--ignore-not-found)") } else { ctx.console.error(line) }
        }
        let users = Set(r.revoked.map(\.user)).count
        let what = ctx.invocation.command == .prune ? (sql ? "expired row" : "orphaned mapping") : "session"
        if sql && !dry {
            let verb = ctx.invocation.command == .prune ? "pruned" : "revoked"
            ctx.note(
                "\(verb) \(Cell.plural(r.revoked.count, what))\(ctx.invocation.command == .prune ? "" : " of \(Cell.plural(users, "user"))") (deleted \(Cell.plural(r.sessionKeysDeleted, "row")))"
            )
            if !r.stale.isEmpty { ctx.note("\(Cell.plural(r.stale.count, "row")) had already gone before the DELETE (not counted as revoked)") }
        } else if dry {
            ctx.note("dry run: \(verb) \(Cell.plural(r.revoked.count, what)) of \(Cell.plural(users, "user")); nothing was deleted")
            if !r.stale.isEmpty {
                ctx.note(
                    "dry run: would remove \(Cell.plural(r.stale.count, "stale mapping")) whose session key does not exist (not counted as sessions)")
            }
        } else if ctx.invocation.command == .prune {
            let members = r.indexMembersRemoved > 0 ? ", removed \(Cell.plural(r.indexMembersRemoved, "stale index member"))" : ""
            ctx.note(
                "pruned \(Cell.plural(r.revoked.count, "orphaned mapping")) of \(Cell.plural(users, "user")) (deleted \(Cell.plural(r.mappingKeysDeleted, "mapping key"))\(members))"
            )
        } else {
            let members = r.indexMembersRemoved > 0 ? ", removed \(Cell.plural(r.indexMembersRemoved, "index member"))" : ""
            let copies =
                (r.companionKeysDeleted > 0 ? ", \(Cell.plural(r.companionKeysDeleted, "copy", "copies")) the framework keeps" : "")
                + (r.cachedDBRowsDeleted > 0 ? ", \(Cell.plural(r.cachedDBRowsDeleted, "django_session row")) first" : "")
            ctx.note(
                "revoked \(Cell.plural(r.revoked.count, "session")) of \(Cell.plural(users, "user")) (deleted \(Cell.plural(r.sessionKeysDeleted, "session key")), \(Cell.plural(r.mappingKeysDeleted, "mapping key"))\(copies)\(members))"
            )
            if !r.stale.isEmpty {
                ctx.note("removed \(Cell.plural(r.stale.count, "stale mapping")) whose session key did not exist (not counted as revoked)")
            }
            warnNoLiveSession(r)
        }
        if !r.filteredOut.isEmpty {
            let undecided = r.filteredOut.filter(\.undecided).count
            ctx.note(
                "kept \(Cell.plural(r.filteredOut.count, "session")) the filters left out\(undecided > 0 ? " (\(undecided) undecided: age or IP unknown)" : "")"
            )
        }
        if !dry && ctx.invocation.command != .prune { Self.noteSettle(r.settle, ctx) }
        if let url = ctx.invocation.revoke.verifyURL, !r.verified.isEmpty { ctx.note(VerifyCookies.summary(r.verified, url: url, dry: dry)) }
        if !r.refused.isEmpty { ctx.note("refused \(Cell.plural(r.refused.count, "mapping")): see the RESULT column or \"refused\" in JSON") }
        ctx.reportIncomplete(r.completeness)
    }

    /// The whole result as the destructive commands print it at the end: the table, or one JSON
    /// object. NDJSON's lines were written batch by batch as the batches finished (``stream(_:)``).
    struct Printed: Printable {
        let result: RevokeResult
        let dry: Bool
        let prune: Bool
        /// Whether the store is a table (rows, no mapping keys).
        let sql: Bool
        /// Whether filters were given (the JSON then says what they left out).
        let filtered: Bool
        /// Whether `--verify-url` asked the application (the JSON then has its answers).
        let verifying: Bool

        private var verb: String { prune ? (dry ? "would prune" : "pruned") : (dry ? "would revoke" : "revoked") }

        func json() -> JSON {
            let r = result
            let entries = Entries(r, prune: prune, dry: dry, sql: sql)
            var fields: [(String, JSON)] = [
                ("dry_run", .bool(dry)),
                ("revoked", .array(entries.revoked)),
                ("stale", .array(entries.stale)),
                ("not_held", .array(entries.notHeld)),
                ("refused", .array(entries.refused)),
                ("not_found", .array(r.notFound.map { .bytes($0) })),
                (
                    "users",
                    .array(
                        RevokeOutput.perUser(r).map {
                            .object([("user", .bytes($0.user)), ("revoked", .int(Int64($0.revoked))), ("refused", .int(Int64($0.refused)))])
                        })
                ),
                (
                    "deleted",
                    .object(
                        [
                            ("session_keys", .int(Int64(r.sessionKeysDeleted))), ("mapping_keys", .int(Int64(r.mappingKeysDeleted))),
                            ("index_members", .int(Int64(r.indexMembersRemoved))), ("copies", .int(Int64(r.companionKeysDeleted))),
                            ("expiration_entries", .int(Int64(r.companionMembersRemoved))), ("cached_db_rows", .int(Int64(r.cachedDBRowsDeleted))),
                        ]
                            + (sql ? [("rows", .int(Int64(r.sessionKeysDeleted)))] : []))
                ),
                ("written_back", .int(Int64(r.settle.writtenBack.count))),
                ("settle", RevokeOutput.settleJSON(r.settle)),
            ]
            if filtered { fields.append(("filtered_out", JSONModels.filteredOut(r.filteredOut))) }
            // prune: candidates whose session had appeared by the second check, kept.
            if prune { fields.append(("spared", .int(Int64(r.spared)))) }
            if verifying {
                fields.append(("verified", .array(entries.verified)))
                // The sessions the questions made the application start, deleted again: asking leaves nothing behind.
                fields.append(("probe_sessions_deleted", .int(Int64(r.probeSessionsDeleted))))
            }
            return .object(fields + JSONModels.complete(r.completeness))
        }

        func lines() -> [JSON] { [] }

        func text(_ style: TextStyle) -> String {
            let r = result
            if !r.revoked.isEmpty || !r.refused.isEmpty || !r.stale.isEmpty || !r.filteredOut.isEmpty || !r.notHeld.isEmpty {
                let byMapping = prune && !sql
                var table = Table(
                    headers: ["USER", "SESSION", byMapping ? "MAPPING KEY" : sql ? "ROW" : "SESSION KEY", "RESULT"],
                    cuts: [.middle, .middle, .middle, .end])
                for ref in r.revoked {
                    table.add([
                        ref.user.isEmpty && sql ? "-" : Cell.text(ref.user), Cell.text(ref.session),
                        Cell.text(byMapping ? ref.mappingKey : ref.sessionKey), verb,
                    ])
                }
                for ref in r.stale {
                    table.add([
                        Cell.text(ref.user), Cell.text(ref.session), Cell.text(ref.sessionKey),
                        sql
                            ? "stale: the row was already gone"
                            : dry
                                ? "stale: session key does not exist; its mapping would be removed"
                                : "stale: session key did not exist; mapping removed",
                    ])
                }
                for ref in r.notHeld {
                    table.add([
                        Cell.text(ref.user), Cell.text(ref.session), Cell.text(ref.sessionKey),
                        "NOT revoked: came back after \(SettleReport.maxDeletions) deletions (see below)",
                    ])
                }
                for f in r.filteredOut {
                    table.add([
                        Cell.text(f.ref.user), Cell.text(f.ref.session), Cell.text(f.ref.sessionKey),
                        (f.undecided ? "kept, undecided: " : "kept: ") + f.reason,
                    ])
                }
                for f in r.refused {
                    table.add([
                        Cell.text(f.user), Cell.text(f.session), prune ? Cell.text(f.mappingKey) : f.sessionKey.map(Cell.text) ?? "-",
                        "refused: \(f.reason)",
                    ])
                }
                return table.render(style)
            }
            return ""
        }
    }

    /// Users none of whose mapped session keys existed: an operator must never take that for a
    /// revocation (always shown, even with --quiet).
    private func warnNoLiveSession(_ r: RevokeResult) {
        let revokedUsers = Set(r.revoked.map(\.user))
        var seen = Set<[UInt8]>()
        for ref in r.stale where !revokedUsers.contains(ref.user) && seen.insert(ref.user).inserted {
            let n = r.stale.filter { $0.user == ref.user }.count
            ctx.console.warn(
                "none of the session keys of user '\(Cell.text(ref.user))' existed (\(Cell.plural(n, "mapping")), e.g. \(Cell.text(ref.sessionKey))): "
                    + "no live session was ended. Either they had already ended (an earlier run, their expiry), or the mappings point at keys "
                    + "the application does not write (a wrong prefix or --session-key): 'sessionctl detect' shows the layout in use")
        }
    }

    /// Per user: sessions revoked and mappings refused, in order of first appearance.
    static func perUser(_ r: RevokeResult) -> [(user: [UInt8], revoked: Int, refused: Int)] {
        var order: [[UInt8]] = []
        var counts: [[UInt8]: (Int, Int)] = [:]
        for ref in r.revoked {
            if counts[ref.user] == nil { order.append(ref.user) }
            counts[ref.user, default: (0, 0)].0 += 1
        }
        for f in r.refused {
            if counts[f.user] == nil { order.append(f.user) }
            counts[f.user, default: (0, 0)].1 += 1
        }
        return order.map { ($0, counts[$0]!.0, counts[$0]!.1) }
    }
}
