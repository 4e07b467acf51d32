import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `revoke SESSION...`, `revoke-user USER...` and `prune`: the destructive commands.
///
/// Each finds everything first (a dry run stops there), asks on a terminal unless `--yes`,
/// writes the audit trail ahead, then deletes. `revoke-user -` works through standard input
/// in batches as the ids arrive.
enum RevokeCommand {
    /// Ids per batch for `revoke-user -`.
    /// Users per pass over the keyspace (`revoke-user -`): a list that arrives at once is served by
    /// one SCAN of every mapping key up to this many users (their ids and plans in memory).
    static let batchSize = 50_000

    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let readsStdin = inv.arguments.contains([UInt8(ascii: "-")])
        let canAsk = ctx.console.stdinIsTerminal && ctx.console.stderrIsTerminal && !readsStdin
        if !inv.destructive.dryRun && !inv.destructive.yes && !canAsk {
            throw CLIError(
                "'\(inv.command.rawValue)' deletes keys and there is no terminal to confirm on",
                hint: "pass --yes to confirm, or --dry-run to see what would be deleted", code: .usage)
        }
        let trail = try auditTrail(ctx)
        let ids = inv.command == .revoke ? try CookieArguments.sessionIds(ctx) : []
        let verify = try VerifyCookies.fromOptions(ctx)
        if inv.sessions.cookie {
            // The cookies as given: --verify-url sends them back, and Rack's legacy key is the public id.
            for (cookie, candidates) in zip(inv.arguments, ids) { for id in candidates { verify?.given[id] = cookie } }
        }
        var rackPublicIds: [Bytes: Bytes] = [:]
        if inv.sessions.cookie, try ctx.framework()?.cookie == .rackPrivateId {
            for candidates in ids where candidates.count == 2 { rackPublicIds[candidates[0]] = candidates[1] }
        }
        let store = try ctx.openBackend(rackPublicIds: rackPublicIds)
        if let key = inv.destructive.auditStream, !inv.destructive.dryRun, let stream = store.auditStream(key: key) { trail.add(stream) }
        trail.target = store.auditTarget
        // Created now, so that a name that exists fails before anything is scanned; removed again if nothing is revoked.
        let evidence = try inv.revoke.evidence.flatMap { template in
            inv.destructive.dryRun
                ? nil : try EvidenceFile(template: template, run: trail.run, context: inv.fromContext.name, target: store.auditTarget.endpoint)
        }
        defer { evidence?.removeIfEmpty() }
        try trail.start()
        let output = RevokeOutput(ctx)
        var total = RevokeResult()
        switch inv.command {
        case .revoke:
            var plan = try ctx.timings.measure("plan") { try store.planRevoke(sessions: ids.flatMap(\.self), user: inv.sessions.user) }
            plan.notFound = CookieArguments.notFound(ids, ctx, found: Set(plan.targets.map(\.session) + plan.refused.map(\.session)))
            total = try execute(plan, store, trail, ctx, verify: verify, evidence: evidence)
            output.stream(total)
        case .prune:
            total = try execute(try ctx.timings.measure("plan") { try store.planPrune() }, store, trail, ctx, prune: true)
            output.stream(total)
        default:
            var batches = StdinIDs.Batches(arguments: inv.arguments, read: ctx.console.readInput, size: batchSize, more: ctx.console.inputWithin)
            var any = false
            var done = 0
            while let users = batches.next() {
                any = true
                // Which users this pass serves, once there is more than one pass.
                if done > 0 || users.count == batchSize { ctx.progress.pass = "users \(done + 1)–\(done + users.count)" }
                done += users.count
                let result = try execute(
                    try ctx.timings.measure("plan") { try store.planRevoke(users: users) }, store, trail, ctx, verify: verify, evidence: evidence)
                output.stream(result)
                total.merge(result)
                if result.stoppedBy != nil || result.completeness.interrupted { break }
            }
            if !any {
                throw CLIError(
                    "no user ids on standard input", hint: "give one id per line",
                    ifInterrupted: "interrupted before any user id was read; nothing was deleted", code: .usage)
            }
        }
        ctx.progress.finish()
        output.finish(total)
        if let evidence, evidence.sessions > 0 {
            ctx.note(
                "evidence: \(Cell.plural(evidence.sessions, "session")) written to \(evidence.path) before their deletion (SHA-256 \(evidence.sha256))"
            )
        }
        if let stop = total.stoppedBy { return .stopped(stop) }
        if !inv.destructive.dryRun && total.revoked.isEmpty && !total.refused.isEmpty && inv.command != .prune {
            return .stopped(CLIError("nothing was revoked: every mapping found (\(total.refused.count)) was refused", code: .failure))
        }
        // revoke: any session not found is exit 3; revoke-user: only when no user named had a session.
        // Stale mappings removed are not revocations: they are counted apart and warned of loudly (a
        // re-run after a partial failure removes the mappings of sessions already ended, and succeeds).
        let notFound =
            !inv.revoke.ignoreNotFound
            && (inv.command == .revokeUser ? total.revoked.isEmpty && total.refused.isEmpty && !total.notFound.isEmpty : !total.notFound.isEmpty)
        return .finished(total.completeness, notFound: notFound, didSomething: !total.revoked.isEmpty)
    }

    /// The audit trail: the log file is opened (and created) now, so a bad path fails before anything is scanned.
    static func auditTrail(_ ctx: CommandContext) throws -> AuditTrail {
        let inv = ctx.invocation
        let env = ctx.console.environment
        // A context's actor is an explicit setting, so it ranks above $SUDO_USER and $USER, which are always there.
        let actor =
            inv.destructive.actor ?? inv.fromContext.actor ?? [env["SUDO_USER"], env["USER"]].compactMap { $0 }.first { !$0.isEmpty }
            ?? AuditTrail.accountName()
        let trail = AuditTrail(
            AuditTrail.Context(
                actor: actor, reason: inv.destructive.reason, command: inv.command.rawValue, arguments: AuditArguments.publicForm(inv),
                contextName: inv.fromContext.name, version: SessionCtl.version))
        if let log = inv.destructive.auditLog ?? env["SESSIONCTL_AUDIT_LOG"].flatMap({ $0.isEmpty ? nil : $0 }) ?? inv.fromContext.auditLog,
            !inv.destructive.dryRun
        {
            let file = try AuditLogFile(path: log)
            for w in file.warnings { ctx.console.warn(w) }
            trail.add(file)
        }
        if let destination = inv.destructive.auditSyslog, !inv.destructive.dryRun {
            trail.add(try AuditSyslog(destination, cancellation: ctx.console.cancellation))
        }
        // The run's end is written by the top level, whatever ends the run.
        ctx.auditTrail = trail
        return trail
    }

    /// Runs one plan: a dry run, nothing to do, or (after confirmation) the deletions with the audit trail ahead.
    private static func execute(
        _ plan: RevokePlan, _ store: any SessionBackend, _ trail: AuditTrail, _ ctx: CommandContext,
        prune: Bool = false, verify: VerifyCookies? = nil, evidence: EvidenceFile? = nil
    ) throws -> RevokeResult {
        let inv = ctx.invocation
        ctx.progress.finish()
        if inv.destructive.dryRun {
            if prune { return plan.resultWithoutDeleting(listingTargets: true) }
            var preview = try store.dryRun(plan)
            // The before of a before-and-after: which of these cookies log in now.
            verify?.run(&preview, trail, ctx, store: store)
            return preview
        }
        if plan.targets.isEmpty || plan.completeness.interrupted { return plan.resultWithoutDeleting(listingTargets: false) }
        if !inv.destructive.yes, !confirm(plan, prune ? nil : try store.dryRun(plan), store, ctx, prune: prune) {
            // On Ctrl-C the top level says "interrupted" and exits 130.
            throw CLIError("aborted; nothing was deleted", ifInterrupted: "interrupted; nothing was deleted", code: .failure)
        }
        if let evidence {
            // Each session as it is now, written and synced before any of them is deleted; a failure deletes nothing more.
            let first = evidence.sessions == 0
            try evidence.write(try store.details(plan.targets), refs: plan.targets)
            try trail.recordEvidence(path: evidence.path, sha256: evidence.sha256, sessions: evidence.sessions, bytes: evidence.bytes, first: first)
        }
        let event = prune ? "prune" : "revoke"
        let record: ([SessionRef]) throws(AuditTrailError) -> Void = { refs throws(AuditTrailError) in try trail.record(refs, event: event) }
        // The records went out before the deletions; after each batch, what the server confirmed.
        let correct: (DeletionOutcome) -> Void = { outcome in
            do { try trail.recordOutcome(outcome, event: event) } catch { ctx.console.error("\(error)") }
        }
        var result = try ctx.timings.measure("delete") {
            prune
                ? try store.prune(
                    plan, grace: inv.prune.grace,
                    waiting: { seconds in
                        ctx.note("waiting \(Cell.duration(Int64(seconds.rounded(.up)))) (--grace) to check again that these sessions are still gone")
                    }, beforeDeleting: record, afterDeleting: correct)
                : try store.revoke(plan, beforeDeleting: record, afterDeleting: correct)
        }
        ctx.progress.finish()
        recordSettle(result.settle, owners: owners(plan), trail, ctx)
        verify?.run(&result, trail, ctx, store: store)
        return result
    }

    /// Each key a revocation of `plan` deletes (session keys and their copies), with its session.
    static func owners(_ plan: RevokePlan) -> [Bytes: SessionRef] {
        var out: [Bytes: SessionRef] = [:]
        for ref in plan.targets { out[ref.sessionKey] = ref }
        for (ref, c) in plan.companions { for k in c.keys { out[k] = ref } }
        return out
    }

    /// The audit trail's lines for what the watch after the deletions saw: sessions written back
    /// and deleted again, and those given up on. (After the fact: the deletions are done.)
    static func recordSettle(_ settle: SettleReport, owners: [Bytes: SessionRef], _ trail: AuditTrail, _ ctx: CommandContext) {
        let all = Bytes("*".utf8)
        func refs(_ keys: [Bytes]) -> [SessionRef] {
            var seen = Set<Bytes>()
            return keys.filter { seen.insert($0).inserted }.map { owners[$0] ?? SessionRef(user: all, session: $0, mappingKey: [], sessionKey: $0) }
        }
        do {
            try trail.recordSettle(refs(settle.writtenBack), event: "written_back")
            try trail.recordSettle(refs(settle.keptComingBack), event: "not_held")
        } catch {
            ctx.console.error("\(error)")
        }
    }

    /// The table of what will be done, then the question. `preview` (revocations) tells live
    /// sessions from stale mappings, so that the count asked about is of sessions.
    private static func confirm(_ plan: RevokePlan, _ preview: RevokeResult?, _ store: any SessionBackend, _ ctx: CommandContext, prune: Bool) -> Bool
    {
        let live = preview?.revoked ?? plan.targets
        var rows = ConfirmationRows(keyHeader: prune ? "MAPPING KEY" : "SESSION KEY", doing: prune ? "delete the mapping" : "revoke")
        for t in live { rows.add(t.user, t.session, prune ? t.mappingKey : t.sessionKey, .doing) }
        // What is not a session, or will not be touched, in the table that is confirmed (not only after).
        for t in preview?.stale ?? [] { rows.add(t.user, t.session, t.sessionKey, .stale) }
        for r in plan.refused { rows.add(r.user, r.session, r.sessionKey, .refused("\(r.reason)")) }
        ctx.console.err.write(rows.render(showAll: ctx.invocation.revoke.showAll, width: ctx.console.stderrIsTerminal ? ctx.console.columns() : nil))
        if !plan.completeness.isComplete {
            ctx.console.warn("the search was incomplete: other sessions may exist")
        }
        let users = Set(live.map(\.user)).count
        let stale = preview?.stale.count ?? 0
        // Where, and where that came from, so that a prompt in the wrong terminal reads wrong (a
        // context's name is no comfort when $REDIS_URL chose the server).
        let place = " on \(store.auditTarget.endpoint), the target from \(ctx.targetURL().source)"
        // The watch after, said before: the operator knows why it will take a few seconds.
        let window = (try? ctx.settleWindow()) ?? 0
        let watch = window > 0 ? ", then watches them \(Cell.seconds(window)) for write-backs (--settle)" : ""
        let question =
            prune
            ? "Delete \(Cell.plural(plan.targets.count, "orphaned mapping")) of \(Cell.plural(users, "user"))\(place)? [y/N] "
            : "Revoke \(Cell.plural(live.count, "session")) of \(Cell.plural(users, "user"))\(stale > 0 ? " (and remove \(Cell.plural(stale, "stale mapping")))" : "")\(place)? This deletes each session key and its mapping\(watch). [y/N] "
        // A "y" typed while the scan ran must not answer a question it never saw.
        ctx.console.discardTypeahead()
        ctx.console.err.write(question)
        ctx.console.err.flush()
        guard let answer = ctx.console.readLine()?.trimmingSpaces.lowercased() else { return false }
        return answer == "y" || answer == "yes"
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
