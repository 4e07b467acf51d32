import RedisClient
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

extension RedisSessionStore {
    /// Ends every session under the glob that `filter` keeps (after a leaked secret): session keys
    /// first, page by page as SCAN finds them (each page's audit record written ahead), then the
    /// mapping keys (and index members) that pointed at a key it deleted. Nothing else is touched:
    /// a mapping whose session it did not delete stays, even if its session is missing. Memory: an
    /// eight-byte keyed fingerprint per session deleted. Stops between pages on Ctrl-C.
    /// `afterPage` sees the counts so far after each page (a progress line), and once more, with
    /// `removingMappings` set, before the pass over the mappings begins.
    public func revokeAll(
        filter: SessionFilter, dryRun: Bool,
        beforeDeleting: ([Bytes]) throws(AuditTrailError) -> Void = { _ in },
        afterPage: (RevokeAllResult) -> Void = { _ in }
    ) throws -> RevokeAllResult {
        var result = RevokeAllResult()
        let fingerprint = KeyFingerprint()
        var deleted = Set<UInt64>()
        // The keys deleted, for the watch after: on disk past a share of --memory-limit.
        let watch = settleWindow > 0 && !dryRun ? ExternalSorter(memory, share: 0.5, cancellation: keyspace.cancellation) : nil
        // Before the first deletion: the watch's spill directory is made and written to, so that a
        // missing $TMPDIR or a full disk stops the run before it deletes anything.
        if let watch { try watch.prepare() }
        var watching = watch
        var inner = Completeness()
        let limit = Bytes(String(max(maxPayload, 1) - 1).utf8)
        let now = Double(WallClock.nowMillis()) / 1000
        let globs = globLiterals()
        struct Stop: Error {}
        do {
            let outcome = try keyspace.scan(match: layout.sessionScanPattern, count: scanCount, rate: scanRate, progress: progress) { page in
                var keys = page.filter { layout.isSessionKey($0) }
                result.sessions += keys.count
                keys = keys.filter { key in
                    guard layout.unrevocableReason(key) == nil else {
                        result.refused += 1
                        return false
                    }
                    // A key under the preset's globs whose id is not of its sessions' shape: not a session.
                    if isNotASession(key, globs: globs) {
                        result.notSessions += 1
                        if result.notSessionExamples.count < 5 { result.notSessionExamples.append(key) }
                        return false
                    }
                    return true
                }
                if !filter.isEmpty && !keys.isEmpty {
                    // Idle time first (nothing has touched the key yet), then TTL and the payload when a filter needs it.
                    let replies = try batched(keys, completeness: &inner) { key in
                        [[Verb.object, Verb.idletime, key], [Verb.ttl, key]] + (filter.needsPayload ? [[Verb.getrange, key, Verb.zero, limit]] : [])
                    }
                    var chosen: [Bytes] = []
                    for (key, reply) in zip(keys, replies) {
                        guard let ttl = inner.required(reply[1], "TTL")?.integer, ttl != -2 else { continue }
                        var fields: SessionFields?
                        if filter.needsPayload, case .bulk(let b)? = inner.value(of: reply[2]), let v = payloadReader.decode(b).value {
                            fields = fieldPaths.extract(from: v)
                        }
                        let session = sessionId(of: key, markers: [], globs: globs) ?? key
                        switch filter.verdict(
                            session: session, idle: inner.value(of: reply[0])?.integer, ttl: ttl >= 0 ? ttl : nil, fields: fields, now: now)
                        {
                        case .keep: chosen.append(key)
                        case .drop(let why):
                            result.kept += 1
                            if result.keptExamples.count < 5 { result.keptExamples.append((key, why)) }
                        case .unknown(let why):
                            // The filter cannot tell (its field unknown): kept, and the run is not complete.
                            result.undecided += 1
                            if result.keptExamples.count < 5 { result.keptExamples.append((key, why)) }
                            inner.record(
                                PartialFailure(
                                    .undecodable, node: nil, cause: "sessions the filters cannot judge (a field they need is unknown): kept"))
                        }
                    }
                    keys = chosen
                }
                defer { afterPage(result) }
                if keys.isEmpty { return }
                for k in keys.prefix(max(0, 5 - result.examples.count)) { result.examples.append(k) }
                if dryRun {
                    result.revoked += keys.count
                    return
                }
                do { try beforeDeleting(keys) } catch let error as AuditTrailError {
                    result.stoppedBy = error
                    throw Stop()
                }
                let replies = try batched(keys, completeness: &inner) { [[Verb.unlink, $0]] }
                var spill: SpillError?
                for (key, reply) in zip(keys, replies) {
                    guard let n = inner.required(reply[0], "UNLINK")?.integer else { continue }
                    result.sessionKeysDeleted += Int(n)
                    if n == 1 { result.revoked += 1 }
                    deleted.insert(fingerprint(key))
                    do { try watching?.add(key) } catch let e as SpillError where !e.interrupted { spill = e }
                }
                if let spill {
                    // Like Ctrl-C: no page more is deleted; what was deleted is counted from the
                    // server's replies, its mappings removed; it cannot be watched.
                    watching = nil
                    inner.record(
                        PartialFailure(
                            .spillFailed, node: nil,
                            cause: "the watch's spill failed (\(spill)) after \(result.revoked) sessions were revoked; no page more was deleted"))
                    throw Stop()
                }
            }
            result.completeness.merge(outcome.completeness)
        } catch is Stop {}
        result.completeness.merge(inner)
        if dryRun || result.completeness.interrupted || deleted.isEmpty { return result }
        // What was deleted is watched first, even when the audit trail stopped the run.
        if let watch = watching {
            result.settling = true
            afterPage(result)
            result.settle = try settle(count: watch.count, window: settleWindow) { body in try watch.batches(of: batchSize, body) }
            result.completeness.merge(result.settle.completeness)
            // A session the watch gave up on keeps its mapping: its user's next lookup finds it.
            for key in result.settle.keptComingBack { deleted.remove(fingerprint(key)) }
        }
        if result.stoppedBy == nil && !deleted.isEmpty {
            result.removingMappings = true
            afterPage(result)
            try removeMappings(to: deleted, fingerprint: fingerprint, &result)
        }
        return result
    }

    /// The mapping keys (and index members) whose session key is one `revokeAll` deleted.
    private func removeMappings(to deleted: Set<UInt64>, fingerprint: KeyFingerprint, _ result: inout RevokeAllResult) throws {
        var inner = Completeness()
        // Index members first: with --session-key <value> they are resolved through the mappings.
        if let index {
            let users = try indexUsers(index, completeness: &inner).keys.sorted { $0.lexicographicallyPrecedes($1) }
            let found = try indexedSessions(users: users, index: index, completeness: &inner)
            let gone = found.refs.filter { deleted.contains(fingerprint($0.sessionKey)) }
            var scratch = RevokeResult()
            try removeIndexMembers(gone, found.members, &scratch)
            result.indexMembersRemoved += scratch.indexMembersRemoved
            inner.merge(scratch.completeness)
        }
        let outcome = try keyspace.scan(match: layout.mapping.pattern(user: nil, session: nil), count: scanCount, rate: scanRate, progress: progress)
        { page in
            var candidates: [(key: Bytes, user: Bytes, session: Bytes)] = []
            for key in page { if let ids = layout.mapping.parse(key) { candidates.append((key, ids.user, ids.session)) } }
            if candidates.isEmpty { return }
            let values = try batched(candidates, completeness: &inner) { [[Verb.get, $0.key]] }
            var doomed: [(mapping: Bytes, session: Bytes)] = []
            for (c, reply) in zip(candidates, values) {
                guard case .bulk(let v)? = inner.value(of: reply[0]) else { continue }
                let sessionKey: Bytes
                switch layout.sessionKey(user: c.user, session: c.session, mappingValue: v) {
                case .success(let k): sessionKey = k
                case .failure: continue
                }
                if deleted.contains(fingerprint(sessionKey)) { doomed.append((c.key, sessionKey)) }
            }
            // A fingerprint names a deleted session with odds of a collision of n²/2⁶⁵: the session
            // key's absence is checked before its mapping goes, so a live session never loses it.
            let exists = try batched(doomed, completeness: &inner) { [[Verb.exists, $0.session]] }
            let gone = zip(doomed, exists).compactMap { d, reply in inner.required(reply[0], "EXISTS")?.integer == 0 ? d.mapping : nil }
            let replies = try batched(gone, completeness: &inner) { [[Verb.unlink, $0]] }
            for reply in replies { result.mappingKeysDeleted += Int(inner.required(reply[0], "UNLINK")?.integer ?? 0) }
        }
        inner.merge(outcome.completeness)
        result.completeness.merge(inner)
    }
}

/// A 64-bit fingerprint of a key under a secret chosen at random for each run (SipHash, by
/// way of Swift's `Hasher`, keyed again with 128 random bits): `revoke-all` keeps eight bytes per
/// session it deleted instead of the keys, to find their mappings in its second pass.
///
/// Nobody can choose ids that collide without the secret; two keys still collide by chance
/// with odds of about n²/2⁶⁵, which is why the session key's absence is checked before a
/// mapping is deleted on a fingerprint's word.
struct KeyFingerprint {
    private let k0: UInt64
    private let k1: UInt64

    /// A fingerprint with a fresh secret.
    init() {
        var rng = SystemRandomNumberGenerator()
        k0 = rng.next()
        k1 = rng.next()
    }

    /// The fingerprint of `key`.
    func callAsFunction(_ key: Bytes) -> UInt64 {
        var h = Hasher()
        h.combine(k0)
        h.combine(k1)
        key.withUnsafeBytes { h.combine(bytes: $0) }
        return UInt64(bitPattern: Int64(h.finalize()))
    }
}
