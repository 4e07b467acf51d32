import RedisClient
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// `sessionctl watch USER… --for D [--revoke]`: the lockout window after a revocation, while the
/// password is being reset. The users' sessions are read every `--interval` (their index, mapping
/// keys or rows: the same lookup as `list`); each session that was not there before is reported as
/// it appears, and with `--revoke` deleted at once through the same plan, guards, audit records
/// and watch after deleting as `revoke`. Sessions there at the start are counted, not touched.
enum WatchCommand {
    /// One session seen appearing, and what became of it.
    struct Event {
        let time: Double
        let record: SessionRecord
        /// `new` (reported), `revoked`, `would_revoke` (dry run), or `not_revoked: why`.
        var result: String
    }

    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let revoke = inv.watch.revoke
        let dry = inv.destructive.dryRun
        let canAsk = ctx.console.stdinIsTerminal && ctx.console.stderrIsTerminal
        if revoke && !dry && !inv.destructive.yes && !canAsk {
            throw CLIError(
                "'watch --revoke' deletes sessions and there is no terminal to confirm on",
                hint: "pass --yes to confirm, or --dry-run to see what would be deleted", code: .usage)
        }
        let users = inv.arguments
        let duration = inv.watch.duration ?? 900
        let interval = inv.watch.interval ?? 2
        let trail = try RevokeCommand.auditTrail(ctx)
        let store = try ctx.openBackend()
        if let key = inv.destructive.auditStream, revoke, !dry, let stream = store.auditStream(key: key) { trail.add(stream) }
        trail.target = store.auditTarget
        let how = store.hasIndex ? "their index" : ctx.targetIsSQL ? "their rows of the table" : "their mapping keys"
        let who = users.prefix(5).map { Cell.text($0) }.joined(separator: ", ") + (users.count > 5 ? ", …" : "")
        if revoke && !dry && !inv.destructive.yes {
            ctx.console.discardTypeahead()
            ctx.console.err.write(
                "End every new session of \(Cell.plural(users.count, "user")) (\(who)) on \(store.auditTarget.endpoint), the target from \(ctx.targetURL().source), as it appears, for \(Cell.seconds(duration))? [y/N] "
            )
            ctx.console.err.flush()
            let answer = ctx.console.readLine()?.trimmingSpaces.lowercased() ?? ""
            guard answer == "y" || answer == "yes" else {
                throw CLIError("aborted; nothing was deleted", ifInterrupted: "interrupted; nothing was deleted", code: .failure)
            }
        }
        if revoke { try trail.start() }
        var completeness = Completeness()
        // What is there now is known: only what appears after is reported.
        let first = try store.list(users: users, details: false)
        completeness.merge(first.completeness)
        var known = Set(first.sessions.filter(\.exists).map(\.ref.sessionKey))
        // Told of each change where the server sends keyspace notifications; read every few seconds besides (or only).
        let (notifier, why) = try store.changeNotifier(users: users)
        let safety = notifier == nil ? interval : max(interval, 10)
        let listening =
            notifier.map { "through \($0.description), reading \(how) when one comes and every \(Cell.seconds(safety)) besides" }
            ?? "reading \(how) every \(Cell.seconds(interval)) (\(why))"
        ctx.note(
            "watching \(Cell.plural(users.count, "user")) (\(who)) for \(Cell.seconds(duration)): \(listening); "
                + "\(Cell.plural(known.count, "session")) there at the start \(known.count == 1 ? "is" : "are") not touched"
                + (revoke ? (dry ? "; dry run: new sessions would be revoked" : "; each new session is revoked as it appears") : ""))
        let started = WallClock.now()
        let deadline = started + duration
        var events: [Event] = []
        var reads = 1
        var revokedTotal = RevokeResult()
        // A mapping read before its session key was written (apps write them a moment apart): read again soon.
        var soon = false
        var quickReads = 0
        while WallClock.now() < deadline && !ctx.console.cancellation.isCancelled {
            // Wait in short steps, so that Ctrl-C ends the window at once: for a notification, or the next read.
            let wake = min(deadline, WallClock.now() + (soon ? min(safety, 0.25) : safety))
            while WallClock.now() < wake && !ctx.console.cancellation.isCancelled {
                if let notifier {
                    if try notifier.wait(seconds: min(0.2, max(0.01, wake - WallClock.now()))) { break }
                } else {
                    usleep(50_000)
                }
            }
            if ctx.console.cancellation.isCancelled || WallClock.now() >= deadline { break }
            let read = try store.list(users: users, details: true)
            reads += 1
            completeness.merge(read.completeness)
            let appeared = read.sessions.filter { $0.exists && !known.contains($0.ref.sessionKey) }
            // At most 8 quick reads (2 s) in a row: a mapping whose session never comes is an orphan, not a login.
            soon = read.sessions.contains { !$0.exists && !known.contains($0.ref.sessionKey) } && quickReads < 8
            quickReads = soon ? quickReads + 1 : 0
            guard !appeared.isEmpty else { continue }
            for s in appeared { known.insert(s.ref.sessionKey) }
            var batch = appeared.map { Event(time: WallClock.now(), record: $0, result: "new") }
            if revoke {
                let outcome = try end(appeared, store: store, trail: trail, ctx: ctx, dry: dry)
                revokedTotal.merge(outcome)
                let revokedKeys = Set(outcome.revoked.map(\.sessionKey))
                for i in batch.indices {
                    let key = batch[i].record.ref.sessionKey
                    if revokedKeys.contains(key) {
                        batch[i].result = dry ? "would_revoke" : "revoked"
                    } else if let refused = outcome.refused.first(where: { $0.sessionKey == key }) {
                        batch[i].result = "not_revoked: \(refused.reason)"
                    } else {
                        batch[i].result = "not_revoked: gone or not found when it was to be deleted"
                    }
                }
                if let stop = outcome.stoppedBy { throw stop }
            }
            for e in batch { report(e, ctx) }
            events += batch
        }
        if ctx.console.cancellation.isCancelled { completeness.recordInterruption() }
        let seconds = WallClock.now() - started
        if !ctx.printer.streams && !ctx.printer.isText {
            ctx.printer.print(
                Watched(
                    users: users, method: how, interval: interval, seconds: seconds, atStart: first.sessions.filter(\.exists).count, events: events,
                    completeness: completeness))
        }
        let revokedCount = events.filter { $0.result == "revoked" || $0.result == "would_revoke" }.count
        ctx.note(
            "watched for \(Cell.seconds(seconds.rounded())) (\(Cell.plural(reads, "read")) of \(how)): \(Cell.plural(events.count, "new session"))"
                + (revoke ? ", \(revokedCount) \(dry ? "would be revoked" : "revoked")" : "") + (completeness.interrupted ? "; ended by Ctrl-C" : ""))
        if !revokedTotal.settle.writtenBack.isEmpty { RevokeOutput.noteSettle(revokedTotal.settle, ctx) }
        let failed = events.filter { $0.result.hasPrefix("not_revoked") }.count
        if failed > 0 { ctx.console.warn("\(Cell.plural(failed, "new session")) could not be revoked (see their lines)") }
        ctx.reportIncomplete(completeness, markTable: false)
        if failed > 0 { return .stopped(CLIError("\(failed) of the new sessions were not revoked", code: .failure)) }
        return .finished(completeness, didSomething: !events.isEmpty)
    }

    /// Revokes the sessions that appeared, a user at a time, as `revoke SESSION --user USER` would.
    private static func end(_ sessions: [SessionRecord], store: any SessionBackend, trail: AuditTrail, ctx: CommandContext, dry: Bool) throws
        -> RevokeResult
    {
        var total = RevokeResult()
        var byUser: [Bytes: [Bytes]] = [:]
        var order: [Bytes] = []
        for s in sessions {
            if byUser[s.ref.user] == nil { order.append(s.ref.user) }
            byUser[s.ref.user, default: []].append(s.ref.session)
        }
        for user in order {
            let plan = try store.planRevoke(sessions: byUser[user]!, user: user)
            if dry {
                total.merge(try store.dryRun(plan))
                continue
            }
            guard !plan.targets.isEmpty else {
                total.merge(plan.resultWithoutDeleting(listingTargets: false))
                continue
            }
            let result = try store.revoke(
                plan, beforeDeleting: { refs throws(AuditTrailError) in try trail.record(refs, event: "revoke") },
                afterDeleting: { outcome in
                    do { try trail.recordOutcome(outcome, event: "revoke") } catch { ctx.console.error("\(error)") }
                })
            RevokeCommand.recordSettle(result.settle, owners: RevokeCommand.owners(plan), trail, ctx)
            total.merge(result)
            if result.stoppedBy != nil { break }
        }
        return total
    }

    /// One event as it happens: a line of NDJSON, or a line of text.
    private static func report(_ e: Event, _ ctx: CommandContext) {
        let f = e.record.fields ?? SessionFields()
        if ctx.printer.streams {
            ctx.printer.emit(json(e))
        } else if ctx.printer.isText {
            var line = "\(Timestamp.rfc3339(e.time))  user \(Cell.text(e.record.ref.user))  session \(Cell.text(e.record.ref.session))"
            if let ip = f.ip { line += "  from \(Cell.text(Array(ip.utf8)))" }
            if let agent = f.userAgent { line += "  (\(Cell.text(Array(agent.utf8.prefix(60)))))" }
            line += "  " + (e.result == "new" ? "new session" : e.result.replacingOccurrences(of: "_", with: " "))
            ctx.print(line + "\n")
        }
        ctx.console.out.flush()
    }

    static func json(_ e: Event) -> JSON {
        var fields: [(String, JSON)] = [("time", .string(Timestamp.rfc3339(e.time)))] + JSONModels.record(e.record, details: true)
        let parts = e.result.split(separator: ":", maxSplits: 1)
        fields.append(("result", .string(String(parts[0]))))
        if parts.count > 1 { fields.append(("reason", .string(String(parts[1]).trimmingSpaces))) }
        return .object(fields)
    }

    /// `-o json`: the whole window at its end.
    struct Watched: Printable {
        let users: [Bytes]
        let method: String
        let interval: Double
        let seconds: Double
        let atStart: Int
        let events: [Event]
        let completeness: Completeness

        func json() -> JSON {
            .object(
                [
                    ("users", .array(users.map { .bytes($0) })), ("method", .string(method)), ("interval_seconds", .double(interval)),
                    ("seconds", .double((seconds * 1000).rounded() / 1000)), ("present_at_start", .int(Int64(atStart))),
                    ("events", .array(events.map(WatchCommand.json))),
                ] + JSONModels.complete(completeness))
        }

        func text(_ style: TextStyle) -> String { "" }
    }
}
