import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Plans the revocation of sessions by id, narrowed to `user` when given.
    public func planRevoke(sessions ids: [Bytes], user: Bytes? = nil) throws -> RevokePlan {
        var plan = RevokePlan()
        let (refs, refused, notFound) = try locate(sessions: ids, user: user, completeness: &plan.completeness)
        (plan.targets, plan.refused) = keepRevocable(refs, refused)
        plan.notFound = notFound
        if let index, let user {
            // The members go with their sessions (the index's type was read by locate; ZREM and SREM differ).
            let key = index.key(user: user)
            let sorted = try redisType(of: key, &plan.completeness) == "zset"
            for ref in plan.targets { plan.indexMembers[ref] = IndexMember(key: key, sorted: sorted) }
        }
        plan.companions = try findCompanions(plan.targets, completeness: &plan.completeness)
        return plan
    }

    /// The Redis type of `key` (`none` when it cannot be read, and `completeness` says why).
    private func redisType(of key: Bytes, _ completeness: inout Completeness) throws -> String {
        try keyspace.send([[Verb.type, key]]).first.flatMap { completeness.required($0, "TYPE") }?.text ?? "none"
    }

    /// Moves sessions that deleting would not revoke (Django's `cached_db`) to the refused, with the reason.
    func keepRevocable(_ refs: [SessionRef], _ refused: [Refusal]) -> ([SessionRef], [Refusal]) {
        var targets: [SessionRef] = []
        var refused = refused
        for ref in refs {
            if let why = layout.unrevocableReason(ref.sessionKey), cachedDBRows == nil {
                refused.append(
                    Refusal(user: ref.user, session: ref.session, mappingKey: ref.mappingKey, sessionKey: ref.sessionKey, reason: .cannotRevoke(why)))
            } else {
                targets.append(ref)
            }
        }
        return (targets, refused)
    }

    /// Plans the revocation of every session of each user that the filter keeps.
    public func planRevoke(users: [Bytes]) throws -> RevokePlan {
        var plan = try planRevokeUnfiltered(users: users)
        if !filter.isEmpty && !plan.targets.isEmpty {
            // Filters apply before anything is confirmed or deleted: idle times first, then TTLs and payloads.
            let records = try inspect(plan.targets, idle: true, completeness: &plan.completeness)
            let (kept, out) = try applyFilter(records, completeness: &plan.completeness)
            plan.targets = kept.map(\.ref)
            plan.filteredOut = out
        }
        plan.companions = try findCompanions(plan.targets, completeness: &plan.completeness)
        return plan
    }

    private func planRevokeUnfiltered(users: [Bytes]) throws -> RevokePlan {
        var plan = RevokePlan()
        if let index {
            let found = try indexedSessions(users: uniqued(users), index: index, completeness: &plan.completeness)
            (plan.targets, plan.refused) = keepRevocable(found.refs, found.refused)
            plan.indexMembers = found.members
            let matched = Set(found.refs.map(\.user) + found.refused.map(\.user))
            plan.notFound = uniqued(users).filter { !matched.contains($0) }
            return plan
        }
        let mappings = try findMappings(users: users, completeness: &plan.completeness)
        let matched = Set(mappings.map(\.user))
        plan.notFound = uniqued(users).filter { !matched.contains($0) }
        let (refs, refused) = try resolve(mappings, completeness: &plan.completeness)
        (plan.targets, plan.refused) = keepRevocable(refs, refused)
        return plan
    }

    /// Carries out a plan: per batch, `UNLINK` the session keys, wait for the replicas to
    /// acknowledge it (``waitReplicas``; a failover to a lagging replica would bring the sessions
    /// back), then delete the mappings of those whose deletion is confirmed. A session whose
    /// deletion the replicas did not confirm keeps its mapping, so it stays findable, and the
    /// result is incomplete. Stops between batches on Ctrl-C.
    ///
    /// `beforeDeleting` sees each batch before anything in it is deleted (the audit trail is
    /// written ahead); if it throws, that batch and the rest are left alone and `stoppedBy` says why.
    /// `afterDeleting` sees the sessions of each batch whose deletion failed (the audit trail
    /// corrects its record).
    ///
    /// A framework's other copies of each session go with it (``Companions``), and then the deleted
    /// keys are watched for ``settleWindow`` seconds: what a request in flight writes back is
    /// deleted again (``settle(_:window:)``).
    public func revoke(
        _ plan: RevokePlan, beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void = { _ in },
        afterDeleting: (DeletionOutcome) -> Void = { _ in }
    ) throws -> RevokeResult {
        var copies: [Bytes] = []
        var result = try executeInBatches(plan, beforeDeleting: beforeDeleting, afterDeleting: afterDeleting) { batch, result in
            let chunk = try deleteCachedDBRows(batch, &result)
            var absent = Set<Bytes>()
            let gone = try unlink(chunk, \.sessionKey, counting: \.sessionKeysDeleted, "a session key", &result) { absent.insert($0.mappingKey) }
            let confirmed = keyspace.confirmReplication(of: gone.map(\.sessionKey), wanted: waitReplicas)
            var safe: [SessionRef] = []
            for (ref, failure) in zip(gone, confirmed) {
                if let failure { result.completeness.record(failure) } else { safe.append(ref) }
            }
            // A session key that was not there: its mapping is removed (after the watch), and it is not called revoked.
            result.stale += safe.filter { absent.contains($0.mappingKey) }
            if !plan.companions.isEmpty { copies += try removeCompanions(safe, plan.companions, &result) }
            return safe
        }
        // Stale ones too: a request in flight can write back a session whose key had just expired.
        result.settled(try settle((result.revoked + result.stale).map(\.sessionKey) + copies, window: settleWindow), companions: plan.companions)
        // Only now the mappings (and index members) go, and only of the sessions that stayed gone: a
        // session the watch gave up on keeps its mapping, so that its user's next lookup finds it.
        // A mapping left behind (refused, or Ctrl-C) is a stale mapping, said in the completeness;
        // its session is revoked all the same (its key is gone).
        let done = try unlinkMappings(result.revoked + result.stale, &result)
        if !plan.indexMembers.isEmpty { try removeIndexMembers(done, plan.indexMembers, &result) }
        return result
    }

    /// Django `cached_db` (with ``cachedDBRows``): deletes the rows of the batch's cached_db sessions
    /// first, since Django reloads a missing cache key from its row. Returns the batch without the
    /// sessions whose row could not be deleted (their cache keys are left, and the result says so).
    func deleteCachedDBRows(_ batch: [SessionRef], _ result: inout RevokeResult) throws -> [SessionRef] {
        guard let rows = cachedDBRows else { return batch }
        let backed = batch.filter { layout.unrevocableReason($0.sessionKey) != nil }
        if backed.isEmpty { return batch }
        var plan = RevokePlan()
        plan.targets = backed.map { SessionRef(user: $0.user, session: $0.session, mappingKey: [], sessionKey: $0.session) }
        let done = try rows.revoke(plan)
        result.cachedDBRowsDeleted += done.sessionKeysDeleted
        result.completeness.merge(done.completeness)
        let failed = Set(done.failed.map(\.sessionKey))
        return failed.isEmpty ? batch : batch.filter { !(layout.unrevocableReason($0.sessionKey) != nil && failed.contains($0.session)) }
    }

    /// The shared loop of `revoke` and `prune`: per batch, pick what to delete (`work` gets
    /// the batch, returns the sessions wholly done), with the audit record written ahead and
    /// corrected after. `choose` narrows a batch before its record is written.
    func executeInBatches(
        _ plan: RevokePlan, choose: ([SessionRef], inout RevokeResult) throws -> [SessionRef] = { c, _ in c },
        beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void,
        afterDeleting: (DeletionOutcome) -> Void,
        _ work: ([SessionRef], inout RevokeResult) throws -> [SessionRef]
    ) throws -> RevokeResult {
        var result = RevokeResult(refused: plan.refused, notFound: plan.notFound, completeness: plan.completeness)
        result.filteredOut = plan.filteredOut
        var start = 0
        while start < plan.targets.count {
            if keyspace.cancellation.isCancelled {
                result.completeness.recordInterruption()
                break
            }
            let batch = Array(plan.targets[start..<min(start + batchSize, plan.targets.count)])
            start += batch.count
            let chunk = try choose(batch, &result)
            if chunk.isEmpty { continue }
            do {
                try beforeDeleting(chunk)
            } catch {
                result.stoppedBy = error
                break
            }
            let staleBefore = result.stale.count
            let done = try work(chunk, &result)
            let stale = Set(result.stale[staleBefore...].map(\.mappingKey))
            result.revoked += stale.isEmpty ? done : done.filter { !stale.contains($0.mappingKey) }
            let doneKeys = Set(done.map(\.mappingKey))
            let failed = chunk.filter { !doneKeys.contains($0.mappingKey) }
            result.failed += failed
            // What the server confirmed, for the record after the batch.
            afterDeleting(DeletionOutcome(deleted: done, failed: failed))
            if result.completeness.interrupted { break }
        }
        return result
    }

    /// `SREM`/`ZREM`s the index member of each of `refs` (after its session key is gone), a command
    /// per index key and up to 1,000 members, counting the replies.
    func removeIndexMembers(_ refs: [SessionRef], _ members: [SessionRef: IndexMember], _ result: inout RevokeResult) throws {
        var order: [IndexMember] = []
        var byIndex: [IndexMember: [Bytes]] = [:]
        for ref in refs {
            guard let m = members[ref] else { continue }
            if byIndex[m] == nil { order.append(m) }
            byIndex[m, default: []].append(ref.session)
        }
        var commands: [[Bytes]] = []
        for m in order {
            let ids = byIndex[m]!
            for start in stride(from: 0, to: ids.count, by: 1000) {
                commands.append([m.sorted ? Verb.zrem : Verb.srem, m.key] + ids[start..<min(start + 1000, ids.count)])
            }
        }
        let replies = try batched(commands, completeness: &result.completeness) { [$0] }
        for reply in replies {
            guard let n = result.completeness.required(reply[0], "SREM")?.integer else { continue }
            result.indexMembersRemoved += Int(n)
        }
    }

    /// `UNLINK`s the mapping keys of `refs`; returns those whose mapping is gone.
    func unlinkMappings(_ refs: [SessionRef], _ result: inout RevokeResult) throws -> [SessionRef] {
        try unlink(refs, \.mappingKey, counting: \.mappingKeysDeleted, "a mapping key", &result)
    }

    /// `UNLINK`s one key of each of `refs` (pipelined), adds the server's counts to `counter`,
    /// and returns the refs whose key is confirmed gone; failures go into the result's completeness.
    /// `absent` sees each ref whose key was not there (the reply was 0).
    private func unlink(
        _ refs: [SessionRef], _ key: KeyPath<SessionRef, Bytes>, counting counter: WritableKeyPath<RevokeResult, Int>,
        _ what: String, _ result: inout RevokeResult, absent: (SessionRef) -> Void = { _ in }
    ) throws -> [SessionRef] {
        var done: [SessionRef] = []
        let replies = try batched(refs, completeness: &result.completeness) { [[Verb.unlink, $0[keyPath: key]]] }
        for (ref, reply) in zip(refs, replies) {
            guard let n = deletedCount(reply[0], what, &result.completeness) else { continue }
            result[keyPath: counter] += n
            if n == 0 { absent(ref) }
            done.append(ref)
        }
        return done
    }

    /// The count an `UNLINK` of one key replied (0 or 1), or `nil` with the failure recorded.
    private func deletedCount(_ reply: CommandResult, _ what: String, _ completeness: inout Completeness) -> Int? {
        guard let value = completeness.value(of: reply) else { return nil }
        switch value {
        case .integer(let n) where n == 0 || n == 1:
            return Int(n)
        case .error(let e):
            completeness.record(PartialFailure(.deletionFailed, node: nil, cause: "UNLINK of \(what): \(e.message)"))
        default:
            completeness.record(PartialFailure(.deletionFailed, node: nil, cause: "UNLINK of \(what): unexpected reply"))
        }
        return nil
    }
}

extension RedisSessionStore {
    /// What a revocation of `plan` would do, read without changing anything (pipelined `EXISTS`,
    /// which leaves idle times alone): the sessions it would revoke, and apart from them the stale
    /// mappings whose session key is already gone (those are not sessions).
    public func dryRun(_ plan: RevokePlan) throws -> RevokeResult {
        var result = plan.resultWithoutDeleting(listingTargets: false)
        let replies = try batched(plan.targets, completeness: &result.completeness) { [[Verb.exists, $0.sessionKey]] }
        for (ref, reply) in zip(plan.targets, replies) {
            guard let n = result.completeness.required(reply[0], "EXISTS")?.integer else { continue }
            if n == 0 { result.stale.append(ref) } else { result.revoked.append(ref) }
        }
        return result
    }
}
