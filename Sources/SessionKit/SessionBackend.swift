import RedisClient

/// The questions every store answers, with the same value types: `list`, `show`, `revoke`,
/// `revoke-user`, `users`, `audit` and `prune` are written once against this. The Redis store
/// (``SessionStore``) and the SQL store (``SQLSessionStore``) stand behind it; a store says
/// plainly what it cannot do (``unsupported(_:)``) instead of faking it.
public protocol SessionBackend: AnyObject {
    /// The filters `list`, `revoke-user` and `revoke` apply.
    var filter: SessionFilter { get set }
    /// Where the store is, for the audit trail (no credentials).
    var auditTarget: AuditTrail.Target { get }
    /// Whether sessions are found through a per-user index (`--index`).
    var hasIndex: Bool { get }
    /// Why the store cannot do `feature` (an option or a command, as the operator spelled it); `nil` when it can.
    func unsupported(_ feature: String) -> String?

    func list(users: [Bytes], details: Bool) throws -> ListResult
    func show(sessions ids: [Bytes], user: Bytes?) throws -> ShowResult
    func planRevoke(sessions ids: [Bytes], user: Bytes?) throws -> RevokePlan
    func planRevoke(users: [Bytes]) throws -> RevokePlan
    func revoke(_ plan: RevokePlan, beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void,
                afterDeleting: ([SessionRef]) -> Void) throws -> RevokeResult
    func users(sort: UserSort, minimum: Int, top: Int?, live: Bool) throws -> UsersResult
    func audit(top: Int, examples: Int) throws -> AuditReport
    /// Ends every session the filter keeps (`revoke-all`), a page at a time, each page's audit record first.
    func revokeAll(filter: SessionFilter, dryRun: Bool, beforeDeleting: ([Bytes]) throws(AuditTrailError) -> Void,
                   afterPage: (RevokeAllResult) -> Void) throws -> RevokeAllResult
    /// What `revoke-all` ends, in words (`every session under session:*`, `every row of the table sessions`).
    var revokeAllScope: String { get }
    /// The host an operator types to confirm `revoke-all` (the server's host, or the database file).
    var confirmationHost: String { get }
    /// How big the store is, in words, for the confirmation (`12,345 keys on the server`).
    func sizeDescription() -> String
    /// Every session, a page at a time, with a digest of its data (`snapshot`, `diff`).
    func snapshot(_ body: ([SnapshotEntry]) throws -> Void) throws -> Completeness
    /// What revoking `plan` would do, changing nothing.
    func dryRun(_ plan: RevokePlan) throws -> RevokeResult
    func planPrune() throws -> RevokePlan
    func prune(_ plan: RevokePlan, grace: Double, waiting: (Double) -> Void,
               beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void,
               afterDeleting: ([SessionRef]) -> Void) throws -> RevokeResult
}

extension SessionStore: SessionBackend {
    public var auditTarget: AuditTrail.Target {
        AuditTrail.Target(endpoint: keyspace.endpoint.description, database: keyspace.options.database,
                          cluster: keyspace.isCluster, tls: keyspace.options.tls != nil)
    }

    public var hasIndex: Bool { index != nil }

    public func unsupported(_ feature: String) -> String? { nil }

    public var revokeAllScope: String {
        "every session under " + layout.sessionGlobs.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
    }

    public var confirmationHost: String {
        switch keyspace.endpoint.address {
        case .tcp(let h, _): return h
        case .unix(let path): return path
        }
    }

    public func sizeDescription() -> String { "\(keyspace.totalKeys()) keys on the server" }
}

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
