import SessionKit

/// `sessionctl revoke SESSION...` and `sessionctl revoke-user USER...`.
///
/// Finds everything first (a dry run stops there), asks on a terminal unless `--yes`,
/// then deletes each session key before its mapping key.
enum RevokeCommand {
    static func run(_ ctx: CommandContext) throws -> ExitCode {
        let inv = ctx.invocation
        let readsStdin = inv.arguments.contains([UInt8(ascii: "-")])
        let canAsk = ctx.console.stdinIsTerminal && ctx.console.stderrIsTerminal && !readsStdin
        if !inv.dryRun && !inv.yes && !canAsk {
            throw CLIError("'\(inv.command.rawValue)' deletes keys and there is no terminal to confirm on",
                           hint: "pass --yes to confirm, or --dry-run to see what would be deleted", code: .usage)
        }
        let store = try ctx.openStore()
        let plan: RevokePlan
        if inv.command == .revokeUser {
            plan = try store.planRevoke(users: try StdinIDs.expand(inv.arguments, ctx))
        } else {
            plan = try store.planRevoke(sessions: inv.arguments, user: inv.user)
        }
        ctx.progress.finish()
        var result: RevokeResult
        if inv.dryRun {
            result = plan.resultWithoutDeleting(listingTargets: true)
        } else if plan.targets.isEmpty || plan.completeness.interrupted {
            result = plan.resultWithoutDeleting(listingTargets: false)
        } else {
            if !inv.yes && !confirm(plan, ctx) {
                ctx.console.error("aborted; nothing was deleted")
                return .failure
            }
            result = store.revoke(plan)
        }
        render(result, ctx)
        return .finished(result.completeness, notFound: !result.notFound.isEmpty)
    }

    // MARK: Confirmation

    private static func confirm(_ plan: RevokePlan, _ ctx: CommandContext) -> Bool {
        var table = Table(headers: ["USER", "SESSION", "SESSION KEY"])
        for t in plan.targets { table.add([Cell.text(t.user), Cell.text(t.session), Cell.text(t.sessionKey)]) }
        ctx.console.err.write(table.render(color: false))
        if !plan.completeness.isComplete {
            ctx.console.warn("the search was incomplete: other sessions may exist")
        }
        let users = Set(plan.targets.map(\.user)).count
        ctx.console.err.write("Revoke \(Cell.plural(plan.targets.count, "session")) of \(Cell.plural(users, "user"))? This deletes each session key and its mapping. [y/N] ")
        ctx.console.err.flush()
        guard let answer = ctx.console.readLine()?.trimmingSpaces.lowercased() else { return false }
        return answer == "y" || answer == "yes"
    }

    // MARK: Output

    private static func render(_ r: RevokeResult, _ ctx: CommandContext) {
        let dry = ctx.invocation.dryRun
        switch ctx.invocation.output {
        case .json:
            ctx.emit(.object([
                ("dry_run", .bool(dry)),
                ("revoked", .array(r.revoked.map { .object(JSONModels.ref($0)) })),
                ("refused", .array(r.refused.map(JSONModels.refusal))),
                ("not_found", .array(r.notFound.map { .bytes($0) })),
                ("deleted", .object([("session_keys", .int(Int64(r.sessionKeysDeleted))), ("mapping_keys", .int(Int64(r.mappingKeysDeleted)))])),
                ("complete", .bool(r.completeness.isComplete)),
            ]))
        case .ndjson:
            for ref in r.revoked { ctx.emit(.object(JSONModels.ref(ref) + [("result", .string(dry ? "would_revoke" : "revoked"))])) }
            for f in r.refused {
                if case .object(let fields) = JSONModels.refusal(f) { ctx.emit(.object(fields + [("result", .string("refused"))])) }
            }
        case .table:
            if !r.revoked.isEmpty || !r.refused.isEmpty {
                var table = Table(headers: ["USER", "SESSION", "SESSION KEY", "RESULT"])
                for ref in r.revoked {
                    table.add([Cell.text(ref.user), Cell.text(ref.session), Cell.text(ref.sessionKey), dry ? "would revoke" : "revoked"])
                }
                for f in r.refused {
                    table.add([Cell.text(f.user), Cell.text(f.session), f.sessionKey.map(Cell.text) ?? "-", "refused: \(f.reason)"])
                }
                ctx.print(table.render(color: ctx.color))
            }
        }
        for id in r.notFound { ctx.console.error("session '\(Cell.text(id))' not found") }
        let users = Set(r.revoked.map(\.user)).count
        if dry {
            ctx.note("dry run: would revoke \(Cell.plural(r.revoked.count, "session")) of \(Cell.plural(users, "user")); nothing was deleted")
        } else {
            ctx.note("revoked \(Cell.plural(r.revoked.count, "session")) of \(Cell.plural(users, "user")) (deleted \(Cell.plural(r.sessionKeysDeleted, "session key")), \(Cell.plural(r.mappingKeysDeleted, "mapping key")))")
        }
        if !r.refused.isEmpty { ctx.note("refused \(Cell.plural(r.refused.count, "mapping")): see the RESULT column or \"refused\" in JSON") }
        ctx.reportIncomplete(r.completeness)
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
