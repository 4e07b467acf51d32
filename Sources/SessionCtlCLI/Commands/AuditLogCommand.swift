import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// `sessionctl audit-log verify FILE` and `sessionctl audit-log show FILE`: an audit log read back.
enum AuditLogCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let path = String(decoding: inv.arguments[1], as: UTF8.self)
        if String(decoding: inv.arguments[0], as: UTF8.self) == "verify" {
            let verdict: AuditLogVerifier.Verdict
            do { verdict = try AuditLogVerifier.verify(path: path) } catch { throw CLIError(error.message, code: .failure) }
            ctx.printer.print(Verified(path: path, verdict: verdict))
            if !verdict.intact { return .stopped(CLIError("\(path): \(verdict.message)", code: .failure)) }
            return .success
        }
        let since = try inv.auditLogs.since.map { try sinceTime($0, now: time(nil)) }
        let read: (runs: [AuditLogRuns.Run], unreadable: Int)
        do {
            read = try AuditLogRuns.read(path: path, filter: AuditLogRuns.Filter(run: inv.auditLogs.run, user: inv.sessions.user, since: since))
        } catch {
            throw CLIError(error.message, code: .failure)
        }
        if read.unreadable > 0 {
            ctx.console.warn("\(Cell.plural(read.unreadable, "line")) of \(path) are not audit records (not read; 'audit-log verify' says which)")
        }
        ctx.printer.print(Shown(runs: read.runs))
        return .success
    }

    /// `--since`: an RFC 3339 date or time (compared as UTC text), or a duration ago.
    static func sinceTime(_ text: String, now: time_t) throws -> String {
        if let seconds = OptionBinding.parseDuration(text) {
            // Records are stamped in UTC ("Z"), compared as text without it.
            return String(Timestamp.rfc3339(Double(now) - seconds).dropLast())
        }
        let shape =
            text.count >= 10
            && text.utf8.prefix(10).enumerated().allSatisfy { i, b in (i == 4 || i == 7) ? b == UInt8(ascii: "-") : (0x30...0x39).contains(b) }
        guard shape else {
            throw CLIError("--since '\(text)' is neither a time (2026-12-07, 2026-12-07T14:00Z) nor a duration ago (24h, 7d)", code: .usage)
        }
        // Records are stamped in UTC ("Z"): a time given with Z compares as text once the Z is dropped.
        return text.hasSuffix("Z") ? String(text.dropLast()) : text
    }

    struct Verified: Printable {
        let path: String
        let verdict: AuditLogVerifier.Verdict

        func json() -> JSON {
            .object([
                ("file", .string(path)), ("intact", .bool(verdict.intact)), ("records", .int(Int64(verdict.records))),
                ("runs", .int(Int64(verdict.runs))), ("runs_without_end", .int(Int64(verdict.unfinished))),
                ("first", verdict.first.map { .string($0) } ?? .null), ("last", verdict.last.map { .string($0) } ?? .null),
                ("continues_sha256", verdict.continues.map { .string($0) } ?? .null), ("message", .string(verdict.message)),
            ])
        }

        func text(_ style: TextStyle) -> String {
            var out = "\(path): \(verdict.message)\n"
            if verdict.intact, let tail = verdict.continues {
                out += "its first record continues a chain: the line before it had SHA-256 \(tail) (a rotated log's last line)\n"
            }
            if verdict.intact && verdict.unfinished > 0 {
                out +=
                    "\(Cell.plural(verdict.unfinished, "run")) without a run_end record: still running, stopped by a crash, or their last records were removed (compare with the syslog or stream copy)\n"
            }
            return out
        }
    }

    struct Shown: Printable {
        let runs: [AuditLogRuns.Run]

        func json() -> JSON {
            .object([("runs", .array(runs.map(Self.json)))])
        }

        func lines() -> [JSON] { runs.map(Self.json) }

        static func json(_ r: AuditLogRuns.Run) -> JSON {
            .object([
                ("run", .string(r.id)), ("started", r.started.map { .string($0) } ?? .null), ("ended", r.ended.map { .string($0) } ?? .null),
                ("actor", r.actor.map { .string($0) } ?? .null), ("host", r.host.map { .string($0) } ?? .null),
                ("command", r.command.map { .string($0) } ?? .null), ("arguments", .array(r.arguments.map { .string($0) })),
                ("context", r.context.map { .string($0) } ?? .null), ("target", r.target.map { .string($0) } ?? .null),
                ("reason", r.reason.map { .string($0) } ?? .null), ("outcome", r.outcome.map { .string($0) } ?? .null),
                ("exit_code", r.exitCode.map { .int(Int64($0)) } ?? .null),
                ("counts", .object(r.counts.map { ($0.0, .int(Int64($0.1))) })), ("users", .array(r.users.map { .string($0) })),
                ("user_count", .int(Int64(r.userCount))), ("user_count_is_a_lower_bound", .bool(r.userCountCapped)),
                ("records", .int(Int64(r.records))),
            ])
        }

        var emptyNote: String? { "no runs" }

        func text(_ style: TextStyle) -> String {
            guard !runs.isEmpty else { return "" }
            var table = Table(
                headers: ["RUN", "STARTED", "ACTOR", "COMMAND", "TARGET", "OUTCOME", "EXIT", "DELETED", "FAILED", "USERS", "REASON"],
                alignments: [.left, .left, .left, .left, .left, .left, .right, .right, .right, .left, .left])
            for r in runs {
                let count = { (name: String) in r.counts.first { $0.0 == name }.map { String($0.1) } ?? "0" }
                let users = r.users.prefix(3).joined(separator: ",") + (r.userCount > 3 ? " +\(r.userCount - 3)" : "")
                table.add([
                    String(r.id.prefix(12)), r.started.map { String($0.prefix(19)) } ?? "-", Cell.text(Array((r.actor ?? "-").utf8)),
                    r.command ?? "-", Cell.text(Array((r.target ?? "-").utf8)), r.outcome ?? "unfinished", r.exitCode.map(String.init) ?? "-",
                    count("sessions_deleted"), count("sessions_failed"), users.isEmpty ? "-" : Cell.text(Array(users.utf8)),
                    Cell.text(Array((r.reason ?? "-").utf8)),
                ])
            }
            return table.render(style)
        }
    }
}
