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

    /// A table keeps one row per session: no key templates, no index, no payload scans.
    public var capabilities: StoreCapabilities { [] }

    public func lacking(_ feature: String) -> String {
        "\(feature) works on Redis stores; a SQL table keeps one row per session (users by \(table.schema == .laravel ? "its user_id column" : "the decoded _auth_user_id"))"
    }

    public func listByPayloads(users: [Bytes], markers: [String]) throws -> ListResult {
        throw SQLStoreError(lacking("--scan-payloads"), usage: true)
    }

    public func auditStream(key: Bytes) -> (any AuditSink)? { nil }

    /// A table's schema names its framework already.
    public func frameworkHint() throws -> String? { nil }
}

extension SQLSessionStore {
    /// A table's rows are the sessions: the plan's targets are what would be revoked.
    public func dryRun(_ plan: RevokePlan) throws -> RevokeResult { plan.resultWithoutDeleting(listingTargets: true) }
}
