import RedisClient
import SessionBasics
import SessionCore
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// One session key read and decoded while walking the session keys under the glob
/// (`index build`, `list --scan-payloads`).
struct ScannedSession {
    var key: Bytes
    /// The session id (what follows the framework's marker in the key).
    var session: Bytes?
    /// Milliseconds since 1970 when the key expires (`PEXPIRETIME`); `nil` without expiry.
    var expiresAt: Int64?
    var ttl: Int64?
    var bytes: Int64?
    /// What decoding found.
    var outcome: Outcome

    enum Outcome {
        case user(Bytes, SessionFields)
        /// Decoded, but no user in it (an anonymous visitor's session).
        case anonymous
        /// Could not be decoded (the reason), or was larger than `--max-payload`.
        case undecodable(String)
        /// Gone between the scan and the read.
        case gone
        /// Not of the preset's sessions' shape (its id, or its data): a cache entry or another application's key.
        case notASession(String)
    }
}

extension RedisSessionStore {
    /// The session id of a session key: the bytes after the first id marker that occurs (a
    /// preset's), else after the literal that ends the glob the key matches (`session:` of `session:*`).
    func sessionId(of key: Bytes, markers: [Bytes]) -> Bytes? {
        sessionId(of: key, markers: markers, globs: globLiterals())
    }

    /// Whether a key under the globs is not of the preset's sessions' shape (rule 19): a cache
    /// entry or another application's key, never deleted, mapped or counted as a session.
    func isNotASession(_ key: Bytes, globs: [(glob: Bytes, literal: Bytes)]) -> Bool {
        guard let shape = layout.shape else { return false }
        return !(sessionId(of: key, markers: [], globs: globs).map(shape.matchesId) ?? false)
    }

    /// Each session glob ending in `*` with the literal before it (`session:` of `session:*`),
    /// worked out once for a scan rather than once a key.
    func globLiterals() -> [(glob: Bytes, literal: Bytes)] {
        layout.sessionGlobs.compactMap { glob in
            guard glob.last == UInt8(ascii: "*") else { return nil }
            let literal = Array(glob.dropLast().suffix(while: { !Glob.metacharacters.contains($0) }))
            return literal.isEmpty ? nil : (glob, literal)
        }
    }

    func sessionId(of key: Bytes, markers: [Bytes], globs: [(glob: Bytes, literal: Bytes)]) -> Bytes? {
        for m in markers {
            if let at = firstOccurrence(of: m, in: key) {
                let id = Array(key[(at + m.count)...])
                return id.isEmpty ? nil : id
            }
        }
        for g in globs where Glob.matches(g.glob, key) {
            guard let at = lastOccurrence(of: g.literal, in: key) else { continue }
            let id = Array(key[(at + g.literal.count)...])
            return id.isEmpty ? nil : id
        }
        return nil
    }

    /// Walks the session keys under the glob (one SCAN pass, resumable from `start`), reads and
    /// decodes each page's payloads in one pipeline (`GETRANGE` within `--max-payload`, `PEXPIRETIME`,
    /// `PTTL`, `STRLEN`; hashes by `HSCAN`), and hands each page's sessions to `page`.
    func scanPayloads(
        markers: [Bytes], from start: [RedisEndpoint.Address: Bytes?] = [:], completeness: inout Completeness,
        _ page: ([ScannedSession], inout Completeness) throws -> Void
    ) throws -> ScanOutcome {
        let limit = Bytes(String(max(maxPayload, 1) - 1).utf8)
        let globs = globLiterals()
        var inner = Completeness()
        let outcome = try keyspace.scan(match: layout.sessionScanPattern, count: scanCount, rate: scanRate, progress: progress, from: start) { keys in
            let keys = keys.filter { layout.isSessionKey($0) && !$0.contains(subsequence: Self.springExpiresMarker) }
            if keys.isEmpty { return }
            let replies = try batched(keys, completeness: &inner) { key in
                [[Verb.getrange, key, Verb.zero, limit], [Verb.pexpiretime, key], [Verb.strlen, key]]
            }
            var sessions: [ScannedSession] = []
            sessions.reserveCapacity(keys.count)
            let now = WallClock.nowMillis()
            for (key, reply) in zip(keys, replies) {
                guard let expiry = inner.required(reply[1], "PEXPIRETIME")?.integer else { continue }
                var s = ScannedSession(
                    key: key, session: sessionId(of: key, markers: markers, globs: globs), expiresAt: expiry >= 0 ? expiry : nil,
                    ttl: nil, bytes: inner.value(of: reply[2])?.integer, outcome: .gone)
                if expiry == -2 {
                    sessions.append(s)
                    continue
                }
                var decoded: DecodedPayload?
                switch inner.readable(reply[0], "GETRANGE", expecting: ["WRONGTYPE"]) {
                case .bulk(let b)?:
                    if Int64(b.count) < (s.bytes ?? 0) {
                        s.outcome = .undecodable("longer than --max-payload (\(maxPayload) bytes)")
                    } else {
                        decoded = payloadReader.decode(b)
                    }
                case .error(let e)? where e.code == "WRONGTYPE":
                    if let (pairs, cut) = try hashFields(key, &inner) {
                        decoded = cut ? nil : payloadReader.decode(hash: pairs)
                        if cut { s.outcome = .undecodable("longer than --max-payload (\(maxPayload) bytes)") }
                    }
                default:
                    continue  // not read: the failure is recorded
                }
                if let shape = layout.shape, !(s.session.map(shape.matchesId) ?? false) {
                    s.outcome = .notASession(shape.described)
                } else if let d = decoded {
                    if let shape = layout.shape, let v = d.value, !shape.matchesPayload(v) {
                        s.outcome = .notASession(shape.described)
                    } else if let v = d.value {
                        let fields = fieldPaths.extract(from: v)
                        s.outcome = fields.user.map { .user(Array($0.utf8), fields) } ?? .anonymous
                    } else {
                        s.outcome = .undecodable(d.error ?? "no decoder recognises it")
                    }
                }
                if let e = s.expiresAt { s.ttl = max(0, (e - now + 500) / 1000) }
                sessions.append(s)
            }
            try page(sessions, &inner)
        }
        completeness.merge(inner)
        return outcome
    }

    /// Spring keeps `sessions:expires:<id>` keys beside each session: not sessions themselves.
    static let springExpiresMarker = Bytes("sessions:expires:".utf8)

}
