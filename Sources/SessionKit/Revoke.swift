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
        var mappings: [Mapping] = []
        for user in uniqued(users) {
            if Interruption.isRequested { plan.completeness.interrupted = true; break }
            mappings += try findMappings(user: user, session: nil, completeness: &plan.completeness)
        }
        (plan.targets, plan.refused) = resolve(mappings, completeness: &plan.completeness)
        return plan
    }

    /// Carries out a plan: per batch, `UNLINK` the session keys, then the mappings of those
    /// whose session key is confirmed gone. Stops between batches on Ctrl-C.
    public func revoke(_ plan: RevokePlan) -> RevokeResult {
        var result = RevokeResult(refused: plan.refused, notFound: plan.notFound, completeness: plan.completeness)
        var start = 0
        while start < plan.targets.count {
            if Interruption.isRequested { result.completeness.interrupted = true; break }
            let chunk = Array(plan.targets[start..<min(start + batchSize, plan.targets.count)])
            start += chunk.count
            var gone: [SessionRef] = []
            let first = batched(chunk, completeness: &result.completeness) { [[Bytes("UNLINK"), $0.sessionKey]] }
            for (ref, reply) in zip(chunk, first) {
                if let n = reply[0].integer {
                    result.sessionKeysDeleted += Int(n)
                    gone.append(ref)
                } else {
                    result.completeness.failures.append("UNLINK of session key failed: \(reply[0].redisError?.message ?? "unexpected reply")")
                }
            }
            let second = batched(gone, completeness: &result.completeness) { [[Bytes("UNLINK"), $0.mappingKey]] }
            for (ref, reply) in zip(gone, second) {
                if let n = reply[0].integer {
                    result.mappingKeysDeleted += Int(n)
                    result.revoked.append(ref)
                } else {
                    result.completeness.failures.append("UNLINK of mapping key failed: \(reply[0].redisError?.message ?? "unexpected reply")")
                }
            }
            if first.count < chunk.count || second.count < gone.count { break }
        }
        return result
    }
}

extension RevokePlan {
    /// The plan as a result with nothing deleted: a dry run lists the targets as what would be revoked.
    public func resultWithoutDeleting(listingTargets: Bool) -> RevokeResult {
        RevokeResult(revoked: listingTargets ? targets : [], refused: refused, notFound: notFound, completeness: completeness)
    }
}
