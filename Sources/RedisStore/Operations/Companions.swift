import RedisClient
import SessionBasics
import SessionCore
import SessionCrypto

extension RedisSessionStore {
    static let rackPrefixes = ["rack:session:", "_session_id:", "session:"].map { Bytes($0.utf8) }
    static let rackPrivate = Bytes("2::".utf8)
    static let springNamespace = Bytes("spring:session:".utf8)
    static let springSessions = Bytes("spring:session:sessions:".utf8)
    static let springExpires = Bytes("spring:session:sessions:expires:".utf8)

    /// The copies of each of `targets` that its revocation must delete as well, found by looking
    /// only. Rack: a legacy public-id session key names its private-id copy directly; a private id
    /// names its legacy copy only through a cookie the operator gave, else one SCAN of the
    /// legacy-shaped keys (`<prefix>` and hex digits), each hashed to see whose it is. Spring:
    /// the `expires:` key, and the expirations entries its time left points at.
    func findCompanions(_ targets: [SessionRef], completeness: inout Completeness) throws -> [SessionRef: Companions] {
        switch layout.companions {
        case nil: return [:]
        case .rack?: return try rackCompanions(targets, &completeness)
        case .spring?: return try springCompanions(targets, &completeness)
        }
    }

    /// A Rack session key split after its store's prefix, or `nil` when it has none of them.
    static func rackSplit(_ key: Bytes) -> (prefix: Bytes, id: Bytes)? {
        for p in rackPrefixes {
            guard let at = firstOccurrence(of: p, in: key) else { continue }
            let id = Array(key[(at + p.count)...])
            return id.isEmpty ? nil : (Array(key[..<(at + p.count)]), id)
        }
        return nil
    }

    private func rackCompanions(_ targets: [SessionRef], _ completeness: inout Completeness) throws -> [SessionRef: Companions] {
        var out: [SessionRef: Companions] = [:]
        // Private ids whose public id is unknown: by the SHA-256 hex they hold, and their store prefix.
        var wanted: [Bytes: [(ref: SessionRef, prefix: Bytes)]] = [:]
        for ref in targets {
            guard let (prefix, id) = Self.rackSplit(ref.sessionKey) else { continue }
            if id.starts(with: Self.rackPrivate) {
                if let publicId = rackPublicIds[id] {
                    out[ref, default: Companions()].keys.append(prefix + publicId)
                } else {
                    wanted[Array(id.dropFirst(3)), default: []].append((ref, prefix))
                }
            } else {
                out[ref, default: Companions()].keys.append(prefix + Self.rackPrivate + Bytes(Digest.sha256Hex(id).utf8))
            }
        }
        if wanted.isEmpty { return out }
        let hex = Bytes("[0-9a-f]".utf8)
        var prefixes: [Bytes] = []
        for entries in wanted.values { for e in entries where !prefixes.contains(e.prefix) { prefixes.append(e.prefix) } }
        for prefix in prefixes.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            // A public id is hex (SecureRandom.hex); a private id's second character is ':'.
            let pattern = Glob.escape(prefix) + hex + hex + hex + [UInt8(ascii: "*")]
            let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
                for key in keys where key.starts(with: prefix) {
                    let id = Array(key[prefix.count...])
                    guard id.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { continue }
                    for e in wanted[Bytes(Digest.sha256Hex(id).utf8)] ?? [] where e.prefix == prefix {
                        out[e.ref, default: Companions()].keys.append(key)
                    }
                }
            }
            completeness.merge(outcome.completeness)
        }
        return out
    }

    private func springCompanions(_ targets: [SessionRef], _ completeness: inout Completeness) throws -> [SessionRef: Companions] {
        var out: [SessionRef: Companions] = [:]
        var sessions: [(ref: SessionRef, id: Bytes, expires: Bytes)] = []
        for ref in targets where ref.sessionKey.starts(with: Self.springSessions) && !ref.sessionKey.starts(with: Self.springExpires) {
            let id = Array(ref.sessionKey[Self.springSessions.count...])
            sessions.append((ref, id, Self.springExpires + id))
        }
        if sessions.isEmpty { return out }
        // The expirations entry sits under the minute the session expires in (rounded up): now plus
        // the expires key's time left, give or take a minute for the clocks.
        let ttls = try batched(sessions, completeness: &completeness) { [[Verb.pttl, $0.expires]] }
        let now = WallClock.nowMillis()
        let zset = Self.springSessions + Bytes("expirations".utf8)
        var candidates: [(ref: SessionRef, member: Companions.SetMember)] = []
        for (s, reply) in zip(sessions, ttls) {
            out[s.ref, default: Companions()].keys.append(s.expires)
            candidates.append((s.ref, .init(key: zset, member: s.id, sorted: true)))
            guard let ms = completeness.required(reply[0], "PTTL")?.integer, ms > 0 else { continue }
            let minute = (now + ms + 59_999) / 60_000 * 60_000
            for m in [minute - 60_000, minute, minute + 60_000] {
                candidates.append(
                    (s.ref, .init(key: Self.springNamespace + Bytes("expirations:\(m)".utf8), member: Bytes("expires:".utf8) + s.id, sorted: false)))
            }
        }
        // Only keys of the right type: SREM on a sorted set (or ZREM on a set) is an error reply.
        var keys: [Bytes] = []
        var seen = Set<Bytes>()
        for c in candidates where seen.insert(c.member.key).inserted { keys.append(c.member.key) }
        let types = try batched(keys, completeness: &completeness) { [[Verb.type, $0]] }
        var typeOf: [Bytes: String] = [:]
        for (key, reply) in zip(keys, types) { typeOf[key] = completeness.required(reply[0], "TYPE")?.text }
        for c in candidates where typeOf[c.member.key] == (c.member.sorted ? "zset" : "set") {
            out[c.ref, default: Companions()].members.append(c.member)
        }
        return out
    }

    /// Deletes the copies of `refs` (their session keys are gone): keys by `UNLINK`, members by
    /// `SREM`/`ZREM`, counted from the replies. Returns the keys deleted, for the watch after.
    func removeCompanions(_ refs: [SessionRef], _ companions: [SessionRef: Companions], _ result: inout RevokeResult) throws -> [Bytes] {
        var commands: [[Bytes]] = []
        var isKey: [Bool] = []
        var keys: [Bytes] = []
        for ref in refs {
            guard let c = companions[ref] else { continue }
            for k in c.keys {
                commands.append([Verb.unlink, k])
                isKey.append(true)
                keys.append(k)
            }
            for m in c.members {
                commands.append([m.sorted ? Verb.zrem : Verb.srem, m.key, m.member])
                isKey.append(false)
            }
        }
        let replies = try batched(commands, completeness: &result.completeness) { [$0] }
        for (key, reply) in zip(isKey, replies) {
            guard let n = result.completeness.required(reply[0], key ? "UNLINK" : "SREM")?.integer else { continue }
            if key { result.companionKeysDeleted += Int(n) } else { result.companionMembersRemoved += Int(n) }
        }
        return keys
    }
}
