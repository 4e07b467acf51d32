import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl audit`: the whole-keyspace report.
enum AuditCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let store = try ctx.openBackend()
        ctx.noteReadsResetIdleTimes(store, reading: try ctx.framework() != nil)
        let report = try store.audit(top: ctx.invocation.counting.top ?? 10, examples: 3)
        ctx.progress.finish()
        ctx.printer.print(Printed(report: report, index: store.hasIndex))
        ctx.reportIncomplete(report.completeness)
        return .finished(report.completeness, didSomething: report.counts[.mappings, default: 0] + report.counts[.unmappedSessions, default: 0] > 0)
    }

    /// The report as `audit` prints it.
    struct Printed: Printable {
        let report: KeyspaceReport
        /// Whether an index is audited (the table's index rows show only then; JSON always has their counts).
        let index: Bool

        func json() -> JSON {
            let r = report
            let problems = r.applicable.filter { $0.isProblem && r.counts[$0, default: 0] > 0 }
            return .object(
                [
                    ("counts", .object(r.applicable.map { ($0.rawValue, .int(Int64(r.counts[$0, default: 0]))) })),
                    ("top_users", .array(r.topUsers.map { .object([("user", .bytes($0.user)), ("sessions", .int(Int64($0.sessions)))]) })),
                    (
                        "ttl_buckets",
                        .array(
                            r.ttlBuckets.map {
                                .object([("max_seconds", $0.maxSeconds.map { .int($0) } ?? .null), ("sessions", .int(Int64($0.sessions)))])
                            })
                    ),
                    ("examples", .object(problems.map { ($0.rawValue, .array((r.examples[$0] ?? []).map { .bytes($0) })) })),
                ] + JSONModels.complete(r.completeness))
        }

        func text(_ style: TextStyle) -> String {
            let r = report
            var findings = Table(headers: ["FINDING", "COUNT", "EXAMPLES"], alignments: [.left, .right, .left])
            let indexFindings: [KeyspaceReport.Finding] = [.indexKeys, .staleIndexMembers, .indexesWithoutTTL]
            for f in r.applicable where index || !indexFindings.contains(f) {
                let examples = f.isProblem ? (r.examples[f] ?? []).map(Cell.text).joined(separator: ", ") : ""
                findings.add([f.title, String(r.counts[f, default: 0]), examples])
            }
            var buckets = Table(headers: ["TTL LEFT", "SESSIONS"], alignments: [.left, .right])
            var lower = "0s"
            for b in r.ttlBuckets {
                if let max = b.maxSeconds {
                    buckets.add(["\(lower) – \(Cell.duration(max))", String(b.sessions)])
                    lower = Cell.duration(max)
                } else {
                    buckets.add(["over \(lower)", String(b.sessions)])
                }
            }
            buckets.add(["never expires", String(r.counts[.sessionsWithoutTTL, default: 0])])
            var users = Table(headers: ["TOP USER", "SESSIONS"], alignments: [.left, .right])
            for u in r.topUsers { users.add([Cell.text(u.user), String(u.sessions)]) }
            return findings.render(style) + "\n" + buckets.render(style)
                + (r.topUsers.isEmpty ? "" : "\n" + users.render(style))
        }
    }
}
