import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl revoke-all`: ends every session under the glob (after a leaked secret).
enum RevokeAllCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let canAsk = ctx.console.stdinIsTerminal && ctx.console.stderrIsTerminal
        if !inv.destructive.dryRun && !inv.destructive.yes && !canAsk {
            throw CLIError(
                "'revoke-all' deletes every session and there is no terminal to confirm on",
                hint: "pass --yes to confirm, or --dry-run to count what would be deleted", code: .usage)
        }
        let trail = try RevokeCommand.auditTrail(ctx)
        let store = try ctx.openBackend()
        if let key = inv.destructive.auditStream, !inv.destructive.dryRun, let stream = store.auditStream(key: key) { trail.add(stream) }
        trail.target = store.auditTarget
        let evidence = try inv.revoke.evidence.flatMap { template in
            inv.destructive.dryRun
                ? nil : try EvidenceFile(template: template, run: trail.run, context: inv.fromContext.name, target: store.auditTarget.endpoint)
        }
        defer { evidence?.removeIfEmpty() }
        try trail.start()
        if !inv.destructive.dryRun && !inv.destructive.yes {
            try confirm(ctx, store)
        }
        // Keys written ahead and not yet accounted for, and what was confirmed before this page.
        var ahead = 0
        var confirmed = 0
        let result = try store.revokeAll(filter: store.filter, dryRun: inv.destructive.dryRun) { keys throws(AuditTrailError) in
            if let evidence {
                // The page's sessions as they are, before the page's record and its deletions (the user is in the decoded fields).
                let refs = keys.map { SessionRef(user: [], session: $0, mappingKey: [], sessionKey: $0) }
                do {
                    let first = evidence.sessions == 0
                    try evidence.write(try store.details(refs), refs: refs)
                    try trail.recordEvidence(
                        path: evidence.path, sha256: evidence.sha256, sessions: evidence.sessions, bytes: evidence.bytes, first: first)
                } catch let error as AuditTrailError {
                    throw error
                } catch {
                    throw AuditTrailError(ExitCode.describe(error).line)
                }
            }
            try trail.record(keys: keys)
            ahead += keys.count
        } afterPage: { sofar in
            if ahead > 0 {
                // What the server confirmed of the page: a key not confirmed was gone already, or its deletion failed (the summary says which).
                let deleted = min(ahead, sofar.revoked - confirmed)
                do { try trail.recordOutcome(deleted: deleted, unconfirmed: ahead - deleted) } catch { ctx.console.error("\(error)") }
                confirmed = sofar.revoked
                ahead = 0
            }
            // The progress line says what was done, not only what was scanned.
            ctx.progress.done =
                "\(Progress.grouped(sofar.revoked)) \(inv.destructive.dryRun ? "would be revoked" : "revoked")"
                + (sofar.kept + sofar.undecided > 0 ? ", \(Progress.grouped(sofar.kept + sofar.undecided)) kept" : "")
            if sofar.removingMappings { ctx.progress.pass = "mappings" }
        }
        ctx.progress.finish()
        RevokeCommand.recordSettle(result.settle, owners: [:], trail, ctx)
        ctx.printer.print(Printed(result: result, dryRun: inv.destructive.dryRun, sql: ctx.targetIsSQL))
        if let evidence, evidence.sessions > 0 {
            ctx.note(
                "evidence: \(Cell.plural(evidence.sessions, "session")) written to \(evidence.path) before their deletion (SHA-256 \(evidence.sha256))"
            )
        }
        if let stop = result.stoppedBy { return .stopped(stop) }
        if inv.destructive.dryRun {
            ctx.note("dry run: would revoke \(Cell.plural(result.revoked, "session")) of \(result.sessions) under the glob; nothing was deleted")
        } else {
            if ctx.targetIsSQL {
                ctx.note(
                    "revoked \(Cell.plural(result.revoked, "session")) of \(result.sessions) (deleted \(Cell.plural(result.sessionKeysDeleted, "row")))"
                )
            } else {
                ctx.note(
                    "revoked \(Cell.plural(result.revoked, "session")) of \(result.sessions) (deleted \(Cell.plural(result.sessionKeysDeleted, "session key")), "
                        + "\(Cell.plural(result.mappingKeysDeleted, "mapping key")), \(Cell.plural(result.indexMembersRemoved, "index member")))")
            }
        }
        if !inv.destructive.dryRun { RevokeOutput.noteSettle(result.settle, ctx) }
        if !inv.destructive.dryRun && result.completeness.interrupted && result.sessionKeysDeleted > 0 && !ctx.targetIsSQL {
            ctx.console.warn(
                "stopped after revoking \(Cell.plural(result.sessionKeysDeleted, "session")): their mapping keys were left; "
                    + "'sessionctl prune' removes them, and running revoke-all again ends the rest")
        }
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, didSomething: result.revoked > 0)
    }

    /// What `revoke-all` did, as a table of outcomes or one JSON object.
    struct Printed: Printable {
        let result: RevokeAllResult
        let dryRun: Bool
        /// Whether the store is a table (its deletions are rows).
        let sql: Bool

        func json() -> JSON {
            .object(
                [
                    ("dry_run", .bool(dryRun)), ("sessions", .int(Int64(result.sessions))), ("revoked", .int(Int64(result.revoked))),
                    ("kept_by_filters", .int(Int64(result.kept))), ("undecided", .int(Int64(result.undecided))),
                    ("refused", .int(Int64(result.refused))),
                    ("not_sessions", .int(Int64(result.notSessions))),
                    (
                        "deleted",
                        .object(
                            [
                                ("session_keys", .int(Int64(result.sessionKeysDeleted))), ("mapping_keys", .int(Int64(result.mappingKeysDeleted))),
                                ("index_members", .int(Int64(result.indexMembersRemoved))),
                            ]
                                + (sql ? [("rows", .int(Int64(result.sessionKeysDeleted)))] : []))
                    ),
                    ("examples", .array(result.examples.map { .bytes($0) })),
                    (
                        "kept_examples",
                        .array(result.keptExamples.map { .object([("session_key", .bytes($0.key)), ("reason", .string($0.reason))]) })
                    ),
                    ("written_back", .int(Int64(result.settle.writtenBack.count))),
                    ("settle", RevokeOutput.settleJSON(result.settle)),
                ] + JSONModels.complete(result.completeness))
        }

        func text(_ style: TextStyle) -> String {
            let verb = dryRun ? "would revoke" : "revoked"
            var table = Table(headers: ["RESULT", "SESSIONS", "EXAMPLES"], alignments: [.left, .right, .left])
            table.add([verb, String(result.revoked), result.examples.prefix(3).map(Cell.text).joined(separator: ", ")])
            table.add([
                "kept by the filters", String(result.kept),
                result.keptExamples.first { _ in true }.map { "\(Cell.text($0.key)) (\($0.reason))" } ?? "",
            ])
            table.add(["undecided (age or IP unknown; kept)", String(result.undecided), ""])
            table.add(["refused (deleting would not end them)", String(result.refused), ""])
            if result.notSessions > 0 {
                table.add([
                    "not sessions (another shape: left alone)", String(result.notSessions),
                    result.notSessionExamples.prefix(3).map(Cell.text).joined(separator: ", "),
                ])
            }
            return table.render(style)
        }
    }

    /// On a terminal the operator types the server's host (or host:port) to confirm: a `y` typed
    /// ahead, or a habit, cannot end every session of the wrong server.
    private static func confirm(_ ctx: CommandContext, _ store: any SessionBackend) throws {
        let host = store.confirmationHost
        let target = store.auditTarget.endpoint
        // The context's name confirms only the context's own server (not one $REDIS_URL chose).
        let context = ctx.targetURL().url == ctx.invocation.fromContext.url ? ctx.invocation.fromContext.name : nil
        // Nothing typed before the question answers it.
        ctx.console.discardTypeahead()
        ctx.console.err.write(
            "This ends \(store.revokeAllScope) on \(target), the target from \(ctx.targetURL().source),"
                + "\(store.filter.isEmpty ? "" : " that the filters keep") (\(store.sizeDescription())).\n"
                + "Type the server's host (\(host))\(context.map { " or the context's name (\($0))" } ?? "") to confirm: ")
        ctx.console.err.flush()
        let answer = ctx.console.readLine()?.trimmingSpaces ?? ""
        guard answer == host || answer == target || (context != nil && answer == context) else {
            throw CLIError(
                answer.isEmpty ? "aborted; nothing was deleted" : "'\(answer)' is not \(host); aborted, nothing was deleted",
                ifInterrupted: "interrupted; nothing was deleted", code: .failure)
        }
    }
}
