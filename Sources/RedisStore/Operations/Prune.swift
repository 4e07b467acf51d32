import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Finds the orphaned mappings: mappings whose session key no longer exists.
    /// Mappings refused by the guard are reported, never checked or deleted.
    public func planPrune() throws -> RevokePlan {
        var plan = RevokePlan()
        // No set of every mapping key seen (that would grow with the keyspace): a key SCAN returns
        // twice is checked twice, and its plan entries are made unique at the end.
        var pending: [Mapping] = []
        func flush() throws {
            let (refs, refused) = try resolve(pending, completeness: &plan.completeness)
            plan.refused += refused
            plan.targets += try orphans(refs, &plan.completeness)
            pending.removeAll(keepingCapacity: true)
        }
        let outcome = try keyspace.scan(match: layout.mapping.pattern(user: nil, session: nil), count: scanCount, rate: scanRate, progress: progress)
        { keys in
            for key in keys {
                guard let ids = layout.mapping.parse(key) else { continue }
                pending.append(Mapping(key: key, user: ids.user, session: ids.session))
            }
            if pending.count >= batchSize { try flush() }
        }
        try flush()
        plan.completeness.merge(outcome.completeness)
        if let index {
            // Index members whose session is gone (Spring's known leak): removed, with their mapping if any.
            let users = try indexUsers(index, completeness: &plan.completeness).keys.sorted { $0.lexicographicallyPrecedes($1) }
            let found = try indexedSessions(users: users, index: index, completeness: &plan.completeness)
            let stale = try orphans(found.refs, &plan.completeness)
            let already = Set(plan.targets)
            for ref in stale {
                if !already.contains(ref) { plan.targets.append(ref) }
                plan.indexMembers[ref] = found.members[ref]
            }
        }
        plan.checkedAt = Deadline.now()
        var unique = Set<SessionRef>()
        plan.targets = plan.targets.filter { unique.insert($0).inserted }
        var refusedKeys = Set<Bytes>()
        plan.refused = plan.refused.filter { refusedKeys.insert($0.mappingKey).inserted }
        plan.targets.sort { $0.user != $1.user ? $0.user.lexicographicallyPrecedes($1.user) : $0.session.lexicographicallyPrecedes($1.session) }
        return plan
    }

    /// Deletes the orphaned mappings of a plan.
    ///
    /// The rule: a mapping is orphaned when its session key was missing on two checks at least
    /// `grace` seconds apart. An application may write the mapping a few milliseconds before the
    /// session; a second check right after the first would catch it in between and leave a live
    /// session unrevocable by user. So this waits until `grace` seconds after the plan's check
    /// (`waiting` is told how long first), then checks each session again and deletes only the
    /// mappings whose session is still missing. A session whose existence cannot be checked (its
    /// node lost, `EXISTS` refused) keeps its mapping, and the result is incomplete.
    public func prune(
        _ plan: RevokePlan, grace: Double = 0, waiting: (Double) -> Void = { _ in },
        beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void = { _ in },
        afterDeleting: (DeletionOutcome) -> Void = { _ in }
    ) throws -> RevokeResult {
        if let checked = plan.checkedAt, grace > 0, !plan.targets.isEmpty {
            let elapsed = Double(Deadline.now() - checked) / 1e9
            if elapsed < grace {
                waiting(grace - elapsed)
                if !keyspace.cancellation.wait(seconds: grace - elapsed) {
                    var result = plan.resultWithoutDeleting(listingTargets: false)
                    result.completeness.recordInterruption()
                    return result
                }
            }
        }
        let delete = { (chunk: [SessionRef], result: inout RevokeResult) throws -> [SessionRef] in
            let done = try self.unlinkMappings(chunk, &result)
            if !plan.indexMembers.isEmpty { try self.removeIndexMembers(done, plan.indexMembers, &result) }
            return done
        }
        return try executeInBatches(
            plan,
            choose: { batch, result in try orphans(batch, &result.completeness, spared: &result.spared) },
            beforeDeleting: beforeDeleting, afterDeleting: afterDeleting, delete)
    }

    /// The sessions of `refs` whose session key does not exist, by a pipelined `EXISTS`.
    /// `spared` counts those whose session exists by now (written just after its mapping).
    func orphans(_ refs: [SessionRef], _ completeness: inout Completeness) throws -> [SessionRef] {
        var ignored = 0
        return try orphans(refs, &completeness, spared: &ignored)
    }

    /// The same, counting in `spared` the refs whose session exists.
    func orphans(_ refs: [SessionRef], _ completeness: inout Completeness, spared: inout Int) throws -> [SessionRef] {
        let exists = try batched(refs, completeness: &completeness) { [[Verb.exists, $0.sessionKey]] }
        var out: [SessionRef] = []
        for (ref, reply) in zip(refs, exists) {
            switch completeness.required(reply[0], "EXISTS")?.integer {
            case 0: out.append(ref)
            case 1: spared += 1
            default: break
            }
        }
        return out
    }
}
