import SessionBasics

/// The questions every store answers, with the same value types: `list`, `show`, `revoke`,
/// `revoke-user`, `users`, `audit` and `prune` are written once against this. The Redis store
/// (``RedisSessionStore``) and the SQL store (``SQLSessionStore``) stand behind it; a store says
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

extension SessionBackend {
    /// Revokes `plan` with nothing written around the deletions: for a store that serves another
    /// (Django's `cached_db` rows beside its cache keys), whose own audit record covers both.
    public func revoke(_ plan: RevokePlan) throws -> RevokeResult {
        try revoke(plan, beforeDeleting: { _ in }, afterDeleting: { _ in })
    }
}
