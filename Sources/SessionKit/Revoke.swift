import RedisClient

/// What a revocation will delete, found before anything is deleted (and all a dry run does).
public struct RevokePlan: Equatable, Sendable {
    /// Sessions to revoke: their session key, then their mapping key.
    public var targets: [SessionRef] = []
    /// Mappings that will not be followed, with the reason.
    public var refused: [Refusal] = []
    /// Session ids named to `revoke` that have no mapping.
    public var notFound: [Bytes] = []
    /// Whether the search covered the whole keyspace.
    public var completeness = Completeness()
}

/// What a revocation did, counted from the server's replies.
public struct RevokeResult: Equatable, Sendable {
    /// Sessions whose session key and mapping key are now gone.
    public var revoked: [SessionRef] = []
    /// Mappings not followed.
    public var refused: [Refusal] = []
    /// Session ids with no mapping.
    public var notFound: [Bytes] = []
    /// `UNLINK` replies of 1 for session keys (0 means it had already expired or was revoked).
    public var sessionKeysDeleted = 0
    /// `UNLINK` replies of 1 for mapping keys.
    public var mappingKeysDeleted = 0
    /// Whether the search and every deletion succeeded.
    public var completeness = Completeness()
    /// Why the revocation stopped before deleting a batch (the audit record could not be written).
    public var stoppedBy: String?
    /// Sessions of the batches worked on that are not wholly gone (a deletion failed).
    public var failed: [SessionRef] = []

    /// An empty result, to merge batches into.
    public init() {}

    init(refused: [Refusal], notFound: [Bytes], completeness: Completeness, revoked: [SessionRef] = []) {
        self.refused = refused
        self.notFound = notFound
        self.completeness = completeness
        self.revoked = revoked
    }
}

extension SessionStore {
    /// Plans the revocation of sessions by id, narrowed to `user` when given.
    public func planRevoke(sessions ids: [Bytes], user: Bytes? = nil) throws -> RevokePlan {
        var plan = RevokePlan()
        let (refs, refused, notFound) = try locate(sessions: ids, user: user, completeness: &plan.completeness)
        plan.targets = refs
        plan.refused = refused
        plan.notFound = notFound
        return plan
    }

    /// Plans the revocation of every session of each user.
    public func planRevoke(users: [Bytes]) throws -> RevokePlan {
        var plan = RevokePlan()
        let mappings = try findMappings(users: users, completeness: &plan.completeness)
        (plan.targets, plan.refused) = resolve(mappings, completeness: &plan.completeness)
        return plan
    }

    /// Carries out a plan: per batch, `UNLINK` the session keys, then the mappings of those
    /// whose session key is confirmed gone. Stops between batches on Ctrl-C.
    ///
    /// `beforeDeleting` sees each batch before anything in it is deleted (the audit trail is
    /// written ahead); if it throws, that batch and the rest are left alone and `stoppedBy` says why.
    /// With `sessionKeys` false only the mapping keys are deleted (`prune`: the sessions are gone).
    /// `afterDeleting` sees the sessions of each batch whose deletion failed (the audit trail
    /// corrects its record).
    public func revoke(_ plan: RevokePlan, sessionKeys: Bool = true,
                       beforeDeleting: ([SessionRef]) throws -> Void = { _ in },
                       afterDeleting: ([SessionRef]) -> Void = { _ in }) -> RevokeResult {
        var result = RevokeResult(refused: plan.refused, notFound: plan.notFound, completeness: plan.completeness)
        var start = 0
        while start < plan.targets.count {
            if Interruption.isRequested { result.completeness.interrupted = true; break }
            let chunk = Array(plan.targets[start..<min(start + batchSize, plan.targets.count)])
            start += chunk.count
            do {
                try beforeDeleting(chunk)
            } catch {
                result.stoppedBy = "\(error)"
                break
            }
            var gone: [SessionRef] = []
            let first = sessionKeys ? batched(chunk, completeness: &result.completeness) { [[Verb.unlink, $0.sessionKey]] }
                                    : chunk.map { _ in Replies(all: [.integer(0)], range: 0..<1) }
            for (ref, reply) in zip(chunk, first) {
                if let n = reply[0].integer {
                    result.sessionKeysDeleted += Int(n)
                    gone.append(ref)
                } else {
                    result.completeness.failures.append("UNLINK of session key failed: \(reply[0].redisError?.message ?? "unexpected reply")")
                }
            }
            let second = batched(gone, completeness: &result.completeness) { [[Verb.unlink, $0.mappingKey]] }
            for (ref, reply) in zip(gone, second) {
                if let n = reply[0].integer {
                    result.mappingKeysDeleted += Int(n)
                    result.revoked.append(ref)
                } else {
                    result.completeness.failures.append("UNLINK of mapping key failed: \(reply[0].redisError?.message ?? "unexpected reply")")
                }
            }
            let done = Set(result.revoked.suffix(second.count).map(\.mappingKey))
            let failed = chunk.filter { !done.contains($0.mappingKey) }
            if !failed.isEmpty {
                result.failed += failed
                afterDeleting(failed)
            }
            if first.count < chunk.count || second.count < gone.count { break }
        }
        return result
    }
}

extension RevokePlan {
    /// The plan as a result with nothing deleted: a dry run lists the targets as what would be revoked.
    public func resultWithoutDeleting(listingTargets: Bool) -> RevokeResult {
        RevokeResult(refused: refused, notFound: notFound, completeness: completeness, revoked: listingTargets ? targets : [])
    }
}

extension RevokeResult {
    /// Adds another batch's result to this one.
    public mutating func merge(_ other: RevokeResult) {
        revoked += other.revoked
        refused += other.refused
        notFound += other.notFound
        sessionKeysDeleted += other.sessionKeysDeleted
        mappingKeysDeleted += other.mappingKeysDeleted
        completeness.failures += other.completeness.failures
        completeness.interrupted = completeness.interrupted || other.completeness.interrupted
        stoppedBy = stoppedBy ?? other.stoppedBy
        failed += other.failed
    }
}
