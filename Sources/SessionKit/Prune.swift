import RedisClient

extension SessionStore {
    /// Finds the orphaned mappings: mappings whose session key no longer exists.
    /// Mappings refused by the guard are reported, never checked or deleted.
    public func planPrune() throws -> RevokePlan {
        var plan = RevokePlan()
        var seen = KeyDeduplicator()
        var pending: [Mapping] = []
        func flush() {
            let (refs, refused) = resolve(pending, completeness: &plan.completeness)
            plan.refused += refused
            let exists = batched(refs, completeness: &plan.completeness) { [[Verb.exists, $0.sessionKey]] }
            for (ref, reply) in zip(refs, exists) {
                if let e = reply[0].redisError { plan.completeness.failures.append(e.message); continue }
                if reply[0].integer == 0 { plan.targets.append(ref) }
            }
            pending.removeAll(keepingCapacity: true)
        }
        let outcome = try keyspace.scan(match: layout.mapping.pattern(user: nil, session: nil), count: scanCount, rate: scanRate, progress: progress) { keys in
            for key in keys {
                guard let ids = layout.mapping.parse(key), seen.insert(key) else { continue }
                pending.append(Mapping(key: key, user: ids.user, session: ids.session))
            }
            if pending.count >= batchSize { flush() }
        }
        flush()
        plan.completeness.add(outcome)
        plan.targets.sort { $0.user != $1.user ? $0.user.lexicographicallyPrecedes($1.user) : $0.session.lexicographicallyPrecedes($1.session) }
        return plan
    }

    /// Deletes the orphaned mappings of a plan, checking again first (after any confirmation)
    /// that each session key is still gone: an application may write a mapping before its session.
    public func prune(_ plan: RevokePlan, beforeDeleting: ([SessionRef]) throws -> Void = { _ in },
                      afterDeleting: ([SessionRef]) -> Void = { _ in }) -> RevokeResult {
        var stillOrphaned = plan
        stillOrphaned.targets = []
        var completeness = plan.completeness
        let again = batched(plan.targets, completeness: &completeness) { [[Verb.exists, $0.sessionKey]] }
        for (ref, reply) in zip(plan.targets, again) where reply[0].integer == 0 {
            stillOrphaned.targets.append(ref)
        }
        stillOrphaned.completeness = completeness
        return revoke(stillOrphaned, sessionKeys: false, beforeDeleting: beforeDeleting, afterDeleting: afterDeleting)
    }
}
