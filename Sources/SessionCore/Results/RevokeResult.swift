import SessionBasics

/// What a revocation will delete, found before anything is deleted (and all a dry run does).
public struct RevokePlan: Equatable, Sendable {
    /// Sessions to revoke: their session key, then their mapping key.
    public var targets: [SessionRef] = []
    /// Mappings that will not be followed, with the reason.
    public var refused: [Refusal] = []
    /// Session ids named to `revoke` that have no mapping, or users named to `revoke-user` with no mapping key.
    public var notFound: [Bytes] = []
    /// Whether the search covered the whole keyspace.
    public var completeness = Completeness()
    /// When the last target was last seen to qualify (`prune`: its session missing), on the monotonic clock.
    public var checkedAt: UInt64?
    /// With `--index`: the index member of each target, removed once its session key is gone.
    public var indexMembers: [SessionRef: IndexMember] = [:]
    /// Sessions the filters (`--older-than`, `--except`, …) left out, with the reason.
    public var filteredOut: [FilteredOut] = []
    /// Other copies of targets a framework keeps (Rack's legacy key, Spring's `expires:` key), deleted with them.
    public var companions: [SessionRef: Companions] = [:]

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(
        targets: [SessionRef] = [], refused: [Refusal] = [], notFound: [Bytes] = [], completeness: Completeness = Completeness(),
        checkedAt: UInt64? = nil, indexMembers: [SessionRef: IndexMember] = [:], filteredOut: [FilteredOut] = [],
        companions: [SessionRef: Companions] = [:]
    ) {
        self.targets = targets
        self.refused = refused
        self.notFound = notFound
        self.completeness = completeness
        self.checkedAt = checkedAt
        self.indexMembers = indexMembers
        self.filteredOut = filteredOut
        self.companions = companions
    }
}

/// What a revocation did, counted from the server's replies.
public struct RevokeResult: Equatable, Sendable {
    /// Sessions whose session key and mapping key are now gone.
    public var revoked: [SessionRef] = []
    /// Mappings removed whose session key did not exist (`UNLINK` replied 0): stale, not revoked.
    public var stale: [SessionRef] = []
    /// Mappings not followed.
    public var refused: [Refusal] = []
    /// Session ids with no mapping.
    public var notFound: [Bytes] = []
    /// `UNLINK` replies of 1 for session keys (0 means it had already expired or was revoked).
    public var sessionKeysDeleted = 0
    /// `UNLINK` replies of 1 for mapping keys.
    public var mappingKeysDeleted = 0
    /// `SREM`/`ZREM` replies of 1 for index members.
    public var indexMembersRemoved = 0
    /// Whether the search and every deletion succeeded.
    public var completeness = Completeness()
    /// Why the revocation stopped before deleting a batch (the audit record could not be written).
    public var stoppedBy: AuditTrailError?
    /// Sessions of the batches worked on that are not wholly gone (a deletion failed).
    public var failed: [SessionRef] = []
    /// Sessions the filters left out, with the reason (never touched).
    public var filteredOut: [FilteredOut] = []
    /// `UNLINK` replies of 1 for the copies a framework keeps (Rack's legacy key, Spring's `expires:` key).
    public var companionKeysDeleted = 0
    /// `SREM`/`ZREM` replies of 1 for a framework's other entries (Spring's expirations set).
    public var companionMembersRemoved = 0
    /// Rows of Django's `django_session` deleted before their `cached_db` cache keys (`--cached-db-url`).
    public var cachedDBRowsDeleted = 0
    /// The watch after the deletions (`--settle`): what came back and was deleted again.
    public var settle = SettleReport()
    /// Sessions whose key (or a copy) kept coming back after three deletions: not revoked, and not in `revoked`.
    public var notHeld: [SessionRef] = []
    /// `--verify-url`: what the application said about each revoked session's cookie.
    public var verified: [Verification] = []
    /// Sessions `--verify-url`'s own requests made the application start, deleted again.
    public var probeSessionsDeleted = 0
    /// `prune`: candidates whose session existed at the second check (an application writes the
    /// mapping just before its session), spared.
    public var spared = 0

    /// An empty result, to merge batches into.
    public init() {}

    package init(refused: [Refusal], notFound: [Bytes], completeness: Completeness, revoked: [SessionRef] = []) {
        self.refused = refused
        self.notFound = notFound
        self.completeness = completeness
        self.revoked = revoked
    }
}

extension RevokePlan {
    /// The plan as a result with nothing deleted: a dry run lists the targets as what would be revoked.
    public func resultWithoutDeleting(listingTargets: Bool) -> RevokeResult {
        var r = RevokeResult(refused: refused, notFound: notFound, completeness: completeness, revoked: listingTargets ? targets : [])
        r.filteredOut = filteredOut
        return r
    }
}

extension RevokeResult {
    /// Takes in what the watch after the deletions saw: a session whose key (or one of its
    /// `companions`) kept coming back was not revoked (the application still lets its cookie in),
    /// and moves from `revoked` or `stale` to `notHeld`.
    package mutating func settled(_ report: SettleReport, companions: [SessionRef: Companions] = [:]) {
        settle = report
        completeness.merge(report.completeness)
        guard !report.keptComingBack.isEmpty else { return }
        let kept = Set(report.keptComingBack)
        let held = { (ref: SessionRef) in !kept.contains(ref.sessionKey) && !(companions[ref]?.keys.contains(where: kept.contains) ?? false) }
        notHeld = (revoked + stale).filter { !held($0) }
        revoked = revoked.filter(held)
        stale = stale.filter(held)
    }

    /// Adds another batch's result to this one.
    public mutating func merge(_ other: RevokeResult) {
        revoked += other.revoked
        stale += other.stale
        refused += other.refused
        notFound += other.notFound
        sessionKeysDeleted += other.sessionKeysDeleted
        mappingKeysDeleted += other.mappingKeysDeleted
        indexMembersRemoved += other.indexMembersRemoved
        companionKeysDeleted += other.companionKeysDeleted
        companionMembersRemoved += other.companionMembersRemoved
        cachedDBRowsDeleted += other.cachedDBRowsDeleted
        settle.merge(other.settle)
        notHeld += other.notHeld
        verified += other.verified
        probeSessionsDeleted += other.probeSessionsDeleted
        spared += other.spared
        completeness.merge(other.completeness)
        stoppedBy = stoppedBy ?? other.stoppedBy
        failed += other.failed
        filteredOut += other.filteredOut
    }
}
