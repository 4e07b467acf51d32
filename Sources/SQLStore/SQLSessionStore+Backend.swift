import SQLClient
import SessionBasics
import SessionCore

extension SQLSessionStore: SessionBackend {
    public var auditTarget: AuditTrail.Target {
        AuditTrail.Target(endpoint: display + "/" + table.name, database: 0, cluster: false, tls: tls)
    }

    public var hasIndex: Bool { false }

    public var revokeAllScope: String { "every row of the table \(table.name)" }

    public var confirmationHost: String { host }

    public func sizeDescription() -> String {
        let n = (try? connection.query("SELECT count(*) FROM \(quotedTable)", []))?.rows.first?.first?.integer
        return n.map { "\($0) rows" } ?? "rows not counted"
    }

    public func unsupported(_ feature: String) -> String? {
        let redisOnly: Set<String> = ["--index", "--scan-payloads", "--audit-stream", "--cluster", "--wait-replicas", "--mapping",
                                      "--session-key", "--session-glob", "detect", "index"]
        guard redisOnly.contains(feature) else { return nil }
        return "\(feature) works on Redis stores; a SQL table keeps one row per session (users by \(table.schema == .laravel ? "its user_id column" : "the decoded _auth_user_id"))"
    }
}

extension SQLSessionStore {
    /// A table's rows are the sessions: the plan's targets are what would be revoked.
    public func dryRun(_ plan: RevokePlan) throws -> RevokeResult { plan.resultWithoutDeleting(listingTargets: true) }
}
