import SessionKit

/// How the destructive commands report: NDJSON line by line as batches finish; JSON and the
/// table once at the end; a summary and warnings on stderr.
final class RevokeOutput {
    private let ctx: CommandContext
    private var dry: Bool { ctx.invocation.dryRun }
    private var verb: String { ctx.invocation.command == .prune ? (dry ? "would prune" : "pruned") : (dry ? "would revoke" : "revoked") }

    init(_ ctx: CommandContext) {
        self.ctx = ctx
    }

    /// What `not_found` holds: users for `revoke-user`, sessions otherwise.
    /// Whether the store is a SQL table (rows, no mapping keys).
    private var sql: Bool { ctx.targetIsSQL }

    private var idName: String { ctx.invocation.command == .revokeUser ? "user" : "session" }

    /// Prints a batch's lines at once when the output is NDJSON.
    func stream(_ r: RevokeResult) {
        guard ctx.invocation.output == .ndjson else { return }
        let result = ctx.invocation.command == .prune ? (dry ? "would_prune" : "pruned") : (dry ? "would_revoke" : "revoked")
        for ref in r.revoked { ctx.emit(.object(JSONModels.ref(ref) + [("result", .string(result))])) }
        for ref in r.stale { ctx.emit(.object(JSONModels.ref(ref) + [("result", .string("stale_mapping_removed"))])) }
        for f in r.refused {
            if case .object(let fields) = JSONModels.refusal(f) { ctx.emit(.object(fields + [("result", .string("refused"))])) }
        }
        for id in r.notFound { ctx.emit(.object([(idName, .bytes(id)), ("result", .string("not_found"))])) }
        ctx.console.out.flush()
    }

    /// Prints the whole result (JSON, table) and the summary.
    func finish(_ r: RevokeResult) {
        switch ctx.invocation.output {
        case .json:
            var fields: [(String, JSON)] = [
                ("dry_run", .bool(dry)),
                ("revoked", .array(r.revoked.map { .object(JSONModels.ref($0)) })),
                ("stale", .array(r.stale.map { .object(JSONModels.ref($0)) })),
                ("refused", .array(r.refused.map(JSONModels.refusal))),
                ("not_found", .array(r.notFound.map { .bytes($0) })),
                ("users", .array(perUser(r).map { .object([("user", .bytes($0.user)), ("revoked", .int(Int64($0.revoked))), ("refused", .int(Int64($0.refused)))]) })),
                ("deleted", .object([("session_keys", .int(Int64(r.sessionKeysDeleted))), ("mapping_keys", .int(Int64(r.mappingKeysDeleted))),
                                     ("index_members", .int(Int64(r.indexMembersRemoved)))] + (sql ? [("rows", .int(Int64(r.sessionKeysDeleted)))] : []))),
                ("complete", .bool(r.completeness.isComplete)),
            ]
            if ctx.invocation.hasFilters { fields.insert(("filtered_out", JSONModels.filteredOut(r.filteredOut)), at: fields.count - 1) }
            ctx.emit(.object(fields))
        case .ndjson:
            break
        case .table, .wide:
            if !r.revoked.isEmpty || !r.refused.isEmpty || !r.stale.isEmpty || !r.filteredOut.isEmpty {
                let byMapping = ctx.invocation.command == .prune && !sql
                var table = Table(headers: ["USER", "SESSION", byMapping ? "MAPPING KEY" : sql ? "ROW" : "SESSION KEY", "RESULT"])
                for ref in r.revoked {
                    table.add([ref.user.isEmpty && sql ? "-" : Cell.text(ref.user), Cell.text(ref.session),
                               Cell.text(byMapping ? ref.mappingKey : ref.sessionKey), verb])
                }
                for ref in r.stale {
                    table.add([Cell.text(ref.user), Cell.text(ref.session), Cell.text(ref.sessionKey),
                               sql ? "stale: the row was already gone"
                                   : dry ? "stale: session key does not exist; its mapping would be removed" : "stale: session key did not exist; mapping removed"])
                }
                for f in r.filteredOut {
                    table.add([Cell.text(f.ref.user), Cell.text(f.ref.session), Cell.text(f.ref.sessionKey), (f.undecided ? "kept, undecided: " : "kept: ") + f.reason])
                }
                let prune = ctx.invocation.command == .prune
                for f in r.refused {
                    table.add([Cell.text(f.user), Cell.text(f.session), prune ? Cell.text(f.mappingKey) : f.sessionKey.map(Cell.text) ?? "-",
                               "refused: \(f.reason)"])
                }
                ctx.print(table.render(color: ctx.color, headers: !ctx.invocation.noHeaders))
            }
        }
        for id in r.notFound {
            ctx.console.error(idName == "user" ? "user '\(Cell.text(id))' has no sessions (no mapping key matched)" : "session '\(Cell.text(id))' not found")
        }
        let users = Set(r.revoked.map(\.user)).count
        let what = ctx.invocation.command == .prune ? (sql ? "expired row" : "orphaned mapping") : "session"
        if sql && !dry {
            let verb = ctx.invocation.command == .prune ? "pruned" : "revoked"
            ctx.note("\(verb) \(Cell.plural(r.revoked.count, what))\(ctx.invocation.command == .prune ? "" : " of \(Cell.plural(users, "user"))") (deleted \(Cell.plural(r.sessionKeysDeleted, "row")))")
            if !r.stale.isEmpty { ctx.note("\(Cell.plural(r.stale.count, "row")) had already gone before the DELETE (not counted as revoked)") }
        } else if dry {
            ctx.note("dry run: \(verb) \(Cell.plural(r.revoked.count, what)) of \(Cell.plural(users, "user")); nothing was deleted")
            if !r.stale.isEmpty { ctx.note("dry run: would remove \(Cell.plural(r.stale.count, "stale mapping")) whose session key does not exist (not counted as sessions)") }
        } else if ctx.invocation.command == .prune {
            let members = r.indexMembersRemoved > 0 ? ", removed \(Cell.plural(r.indexMembersRemoved, "stale index member"))" : ""
            ctx.note("pruned \(Cell.plural(r.revoked.count, "orphaned mapping")) of \(Cell.plural(users, "user")) (deleted \(Cell.plural(r.mappingKeysDeleted, "mapping key"))\(members))")
        } else {
            let members = r.indexMembersRemoved > 0 ? ", removed \(Cell.plural(r.indexMembersRemoved, "index member"))" : ""
            ctx.note("revoked \(Cell.plural(r.revoked.count, "session")) of \(Cell.plural(users, "user")) (deleted \(Cell.plural(r.sessionKeysDeleted, "session key")), \(Cell.plural(r.mappingKeysDeleted, "mapping key"))\(members))")
            if !r.stale.isEmpty { ctx.note("removed \(Cell.plural(r.stale.count, "stale mapping")) whose session key did not exist (not counted as revoked)") }
            warnNoLiveSession(r)
        }
        if !r.filteredOut.isEmpty {
            let undecided = r.filteredOut.filter(\.undecided).count
            ctx.note("kept \(Cell.plural(r.filteredOut.count, "session")) the filters left out\(undecided > 0 ? " (\(undecided) undecided: age or IP unknown)" : "")")
        }
        if !r.refused.isEmpty { ctx.note("refused \(Cell.plural(r.refused.count, "mapping")): see the RESULT column or \"refused\" in JSON") }
        ctx.reportIncomplete(r.completeness)
    }

    /// Users none of whose mapped session keys existed: an operator must never take that for a
    /// revocation (always shown, even with --quiet).
    private func warnNoLiveSession(_ r: RevokeResult) {
        let revokedUsers = Set(r.revoked.map(\.user))
        var seen = Set<[UInt8]>()
        for ref in r.stale where !revokedUsers.contains(ref.user) && seen.insert(ref.user).inserted {
            let n = r.stale.filter { $0.user == ref.user }.count
            ctx.console.warn("none of the session keys of user '\(Cell.text(ref.user))' existed (\(Cell.plural(n, "mapping")), e.g. \(Cell.text(ref.sessionKey))): "
                + "no live session was ended. Either they had already ended (an earlier run, their expiry), or the mappings point at keys "
                + "the application does not write (a wrong prefix or --session-key): 'sessionctl detect' shows the layout in use")
        }
    }

    /// Per user: sessions revoked and mappings refused, in order of first appearance.
    private func perUser(_ r: RevokeResult) -> [(user: [UInt8], revoked: Int, refused: Int)] {
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
