import SessionBasics

/// What a store can do beyond the questions every store answers (rule 15): declared by the store,
/// asked by the CLI through its option and command tables, never found out by downcasting.
public struct StoreCapabilities: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Keys named by templates (`--mapping`, `--session-key`, `--session-glob`).
    public static let keyLayout = StoreCapabilities(rawValue: 1 << 0)
    /// A per-user index of session ids (`--index`).
    public static let index = StoreCapabilities(rawValue: 1 << 1)
    /// Sessions found by decoding every payload (`list --scan-payloads`, `index build`).
    public static let payloadScan = StoreCapabilities(rawValue: 1 << 2)
    /// The audit trail written into the store too (`--audit-stream`).
    public static let auditStream = StoreCapabilities(rawValue: 1 << 3)
    /// A cluster of nodes (`--cluster`).
    public static let cluster = StoreCapabilities(rawValue: 1 << 4)
    /// Replicas that confirm deletions (`--wait-replicas`).
    public static let replicas = StoreCapabilities(rawValue: 1 << 5)
    /// Guessing the layout from a sample of keys (`detect`).
    public static let detect = StoreCapabilities(rawValue: 1 << 6)
}

/// The questions every store answers, with the same value types: `list`, `show`, `revoke`,
/// `revoke-user`, `users`, `audit` and `prune` are written once against this. The Redis store
/// (``RedisSessionStore``) and the SQL store (``SQLSessionStore``) stand behind it; a store says
/// plainly what it can do beyond them (``capabilities``) instead of faking the rest. A store is
/// made whole (its configuration given at `init`) and does not change afterwards.
/// A sign that watched sessions may have changed (keyspace notifications), for `watch`.
public protocol ChangeNotifier: AnyObject {
    /// What it listens to, in words (`keyspace notifications on user:42:*`).
    var description: String { get }
    /// Waits up to `seconds` for a sign of change; true when one came (every one waiting is taken).
    func wait(seconds: Double) throws -> Bool
}

public protocol SessionBackend: AnyObject {
    /// The filters `list`, `revoke-user` and `revoke` apply.
    var filter: SessionFilter { get }
    /// Where the store is, for the audit trail (no credentials).
    var auditTarget: AuditTrail.Target { get }
    /// Whether sessions are found through a per-user index (`--index`).
    var hasIndex: Bool { get }
    /// Whether reading a session's payload makes it look used (a Redis older than 7.2, which has no
    /// `CLIENT NO-TOUCH`, resets the key's idle time); a command that must read says so.
    var readsResetIdleTimes: Bool { get }
    /// What it can do beyond the questions every store answers; an option or a command that needs
    /// more says so in the CLI's tables, and is refused before anything runs.
    var capabilities: StoreCapabilities { get }
    /// Why `feature` (an option or a command, as the operator spelled it), which needs a capability
    /// this store lacks, cannot work here: one line for the operator.
    func lacking(_ feature: String) -> String

    /// `list --scan-payloads`: the sessions of `users` found by decoding every session's payload
    /// (``StoreCapabilities/payloadScan``).
    func listByPayloads(users: [Bytes], markers: [String]) throws -> ListResult
    /// `--audit-stream KEY`: a second audit sink kept in the store itself (``StoreCapabilities/auditStream``).
    func auditStream(key: Bytes) -> (any AuditSink)?
    /// The framework preset the store's keys look like, from a small sample (the cheap part of
    /// `detect`), for a run given none whose ids may be split wrongly; `nil` when none fits.
    func frameworkHint() throws -> String?
    /// Deletes the sessions `--verify-url`'s own requests started (ids from the `Set-Cookie` of
    /// the application's answers), each only while it has the preset's shape and belongs to no
    /// user: the id was issued to sessionctl's request alone, and is deleted as it was issued.
    func deleteProbeSessions(_ ids: [Bytes]) throws -> ProbeCleanup

    func list(users: [Bytes], details: Bool) throws -> ListResult
    /// Every session the filter keeps, across every user (`list` and `users` given a filter and no
    /// user), a page at a time as they are found, each with its user; read as `list` reads them.
    /// `payloadMarkers` (the preset's id markers) asks for the walk over every session's payload
    /// instead (`--scan-payloads`: sessions without a mapping too); a table has only its rows.
    func hunt(details: Bool, payloadMarkers: [String]?, _ page: (ListResult) throws -> Void) throws -> HuntSummary
    /// A way to hear at once that the sessions of `users` may have changed, or why there is none
    /// (the caller then reads them every few seconds).
    func changeNotifier(users: [Bytes]) throws -> (notifier: (any ChangeNotifier)?, why: String)
    func show(sessions ids: [Bytes], user: Bytes?) throws -> ShowResult
    /// Sessions already found (a plan's targets), each read in full as `show` reads it: the
    /// evidence written before they are revoked (`--evidence`).
    func details(_ refs: [SessionRef]) throws -> ShowResult
    func planRevoke(sessions ids: [Bytes], user: Bytes?) throws -> RevokePlan
    func planRevoke(users: [Bytes]) throws -> RevokePlan
    func revoke(
        _ plan: RevokePlan, beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void,
        afterDeleting: (DeletionOutcome) -> Void
    ) throws -> RevokeResult
    func users(sort: UserSort, minimum: Int, top: Int?, live: Bool) throws -> UsersResult
    func audit(top: Int, examples: Int) throws -> KeyspaceReport
    /// Ends every session the filter keeps (`revoke-all`), a page at a time, each page's audit record first.
    func revokeAll(
        filter: SessionFilter, dryRun: Bool, beforeDeleting: ([Bytes]) throws(AuditTrailError) -> Void,
        afterPage: (RevokeAllResult) -> Void
    ) throws -> RevokeAllResult
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
    func prune(
        _ plan: RevokePlan, grace: Double, waiting: (Double) -> Void,
        beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void,
        afterDeleting: (DeletionOutcome) -> Void
    ) throws -> RevokeResult
}

extension SessionBackend {
    /// Revokes `plan` with nothing written around the deletions: for a store that serves another
    /// (Django's `cached_db` rows beside its cache keys), whose own audit record covers both.
    public func revoke(_ plan: RevokePlan) throws -> RevokeResult {
        try revoke(plan, beforeDeleting: { _ in }, afterDeleting: { _ in })
    }
}
