import RedisClient
import SessionBasics
import SessionCore

/// What `index build` did (or, dry, would do), counted from the server's replies.
public struct IndexBuildResult: Sendable {
    /// Mappings written (a dry run: that would be written).
    public var mapped = 0
    /// Sessions whose mapping already held their key.
    public var alreadyMapped = 0
    /// Sessions with no user in them (anonymous visitors): counted, not mapped.
    public var anonymous = 0
    /// Payloads no decoder could read (or longer than `--max-payload`).
    public var undecodable = 0
    /// Sessions whose id cannot stand in a mapping key (it holds the separator, or no id could be read).
    public var refused = 0
    /// Keys under the globs that are not the preset's sessions (their id or their data has another shape).
    public var notSessions = 0
    /// A few session keys of each kind.
    public var examples: [String: [Bytes]] = [:]
    /// Why, for the undecodable examples.
    public var reasons: [Bytes: String] = [:]
    /// Whether the scan and every write succeeded.
    public var completeness = Completeness()
    /// Where to resume when interrupted: per node its cursor, `nil` for a node whose scan had ended.
    public var resume: [(node: RedisEndpoint.Address, cursor: Bytes?)] = []
    /// Why the build stopped before writing a batch (the audit record could not be written).
    public var stoppedBy: AuditTrailError?

    /// An empty result.
    public init() {}

    mutating func example(_ kind: String, _ key: Bytes) {
        if examples[kind, default: []].count < 5 { examples[kind, default: []].append(key) }
    }
}

extension RedisSessionStore {
    /// Builds the mapping for sessions that have none: walks the session keys under the glob in
    /// one SCAN pass, decodes each payload, finds its user, and writes the mapping key with the
    /// session's own expiry (`SET mapping key PXAT <PEXPIRETIME> GET`, so one round trip also tells
    /// whether it was already there). Idempotent. With `dryRun`, reads what the mappings hold and
    /// writes nothing. `beforeWriting` sees each batch first (the audit trail); if it throws, that
    /// batch and the rest are left alone. Stops between pages on Ctrl-C; `resume` says where to start again.
    public func buildIndex(
        markers: [String], dryRun: Bool, from start: [RedisEndpoint.Address: Bytes?] = [:],
        beforeWriting: ([SessionRef]) throws(AuditTrailError) -> Void = { _ in }
    ) throws -> IndexBuildResult {
        var result = IndexBuildResult()
        let markerBytes = markers.map { Bytes($0.utf8) }
        struct Stop: Error {}
        var reads = Completeness()
        do {
            let outcome = try scanPayloads(markers: markerBytes, from: start, completeness: &reads) { sessions, completeness in
                var writes: [(ref: SessionRef, expiresAt: Int64?)] = []
                for s in sessions {
                    switch s.outcome {
                    case .gone: continue
                    case .notASession:
                        // A cache entry or another application's key under the preset's globs: never mapped.
                        result.notSessions += 1
                        result.example("not_sessions", s.key)
                    case .anonymous:
                        result.anonymous += 1
                        result.example("anonymous", s.key)
                    case .undecodable(let why):
                        result.undecodable += 1
                        result.example("undecodable", s.key)
                        if result.reasons.count < 5 { result.reasons[s.key] = why }
                    case .user(let user, _):
                        guard let id = s.session, layout.mapping.acceptsSession(id) else {
                            result.refused += 1
                            result.example("refused", s.key)
                            continue
                        }
                        let ref = SessionRef(user: user, session: id, mappingKey: layout.mapping.key(user: user, session: id), sessionKey: s.key)
                        writes.append((ref, s.expiresAt))
                    }
                }
                if writes.isEmpty { return }
                // Already mapped: the mapping holds this session key. A dry run only reads.
                if dryRun {
                    let replies = try batched(writes, completeness: &completeness) { [[Verb.get, $0.ref.mappingKey]] }
                    for (w, reply) in zip(writes, replies) {
                        guard let v = completeness.required(reply[0], "GET") else { continue }
                        if v.bytes == w.ref.sessionKey {
                            result.alreadyMapped += 1
                        } else {
                            result.mapped += 1
                            result.example("mapped", w.ref.mappingKey)
                        }
                    }
                    return
                }
                do { try beforeWriting(writes.map(\.ref)) } catch let error as AuditTrailError {
                    result.stoppedBy = error
                    throw Stop()
                }
                let replies = try batched(writes, completeness: &completeness) { w in
                    var set = [Verb.set, w.ref.mappingKey, w.ref.sessionKey]
                    if let at = w.expiresAt { set += [Verb.pxat, Bytes(String(at).utf8)] }
                    var commands = [set + [Verb.get]]
                    if let index {
                        // The member, and the index's expiry stretched to its longest-lived member.
                        let key = index.key(user: w.ref.user)
                        commands.append([Verb.sadd, key, w.ref.session])
                        if let at = w.expiresAt {
                            let t = Bytes(String(at).utf8)
                            commands += [[Verb.pexpireat, key, t, Verb.nx], [Verb.pexpireat, key, t, Verb.gt]]
                        }
                    }
                    return commands
                }
                for (w, reply) in zip(writes, replies) {
                    for extra in reply.dropFirst() { _ = completeness.required(extra, "SADD") }
                    guard let v = completeness.required(reply[0], "SET") else { continue }
                    if v.bytes == w.ref.sessionKey {
                        result.alreadyMapped += 1
                    } else {
                        result.mapped += 1
                        result.example("mapped", w.ref.mappingKey)
                    }
                }
            }
            result.completeness.merge(outcome.completeness)
            if outcome.completeness.interrupted || reads.interrupted { result.resume = outcome.resume }
        } catch is Stop {}
        result.completeness.merge(reads)
        // A session whose data does not decode may be any user's: not mapped, and the build is not complete.
        if result.undecodable > 0 {
            result.completeness.record(
                PartialFailure(.undecodable, node: nil, cause: "session data that does not decode: not mapped, its user unknown"),
                times: result.undecodable)
        }
        return result
    }

    /// `list --scan-payloads`: every session of `users` found by decoding every payload under the
    /// glob (one pass over the whole keyspace, no mapping needed).
    public func listByPayloads(users: [Bytes], markers: [String]) throws -> ListResult {
        var result = ListResult()
        let wanted = Set(users)
        let markerBytes = markers.map { Bytes($0.utf8) }
        var seen = Set<Bytes>()
        var reads = Completeness()
        var found: [SessionRecord] = []
        let outcome = try scanPayloads(markers: markerBytes, completeness: &reads) { sessions, _ in
            for s in sessions {
                if case .undecodable(let why) = s.outcome, seen.insert(s.key).inserted {
                    // It may be one of these users' sessions: listed, and the result is not complete.
                    result.refused.append(
                        Refusal(user: [], session: s.session ?? s.key, mappingKey: [], sessionKey: s.key, reason: .undecodable(why)))
                    result.completeness.record(
                        PartialFailure(.undecodable, node: nil, cause: "session data that does not decode: its user is unknown"))
                    continue
                }
                guard case .user(let user, let fields) = s.outcome, wanted.contains(user), seen.insert(s.key).inserted else { continue }
                let id = s.session ?? s.key
                let ref = SessionRef(
                    user: user, session: id, mappingKey: layout.mapping.acceptsSession(id) ? layout.mapping.key(user: user, session: id) : [],
                    sessionKey: s.key)
                found.append(SessionRecord(ref: ref, exists: true, ttl: s.ttl, bytes: s.bytes, idleSeconds: nil, fields: fields))
            }
        }
        result.sessions = found
        result.completeness.merge(reads)
        result.completeness.merge(outcome.completeness)
        let rank = Dictionary(uniqueKeysWithValues: uniqued(users).enumerated().map { ($1, $0) })
        result.sessions.sort { a, b in
            rank[a.ref.user]! != rank[b.ref.user]! ? rank[a.ref.user]! < rank[b.ref.user]! : a.ref.session.lexicographicallyPrecedes(b.ref.session)
        }
        return result
    }
}
