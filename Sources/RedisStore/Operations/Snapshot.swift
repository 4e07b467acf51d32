import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Every mapped session, a page at a time: one SCAN over the mapping keys, pipelined GET of
    /// each mapping's value, then of each session's data (HGETALL for a hash), digested as it is
    /// read. A mapping whose session is gone is left out (it has no session to compare). Memory: a
    /// page. A key SCAN returns twice is given twice (`diff` counts it once).
    public func snapshot(_ body: ([SnapshotEntry]) throws -> Void) throws -> Completeness {
        guard index == nil else { throw SnapshotError("snapshot and diff read the mapping keys; without --index they work on this keyspace too") }
        var completeness = Completeness()
        let outcome = try keyspace.scan(match: layout.mapping.pattern(user: nil, session: nil), count: scanCount, rate: scanRate, progress: progress)
        { keys in
            var mappings: [(key: Bytes, user: Bytes, session: Bytes)] = []
            for key in keys {
                guard let ids = layout.mapping.parse(key) else { continue }
                mappings.append((key, ids.user, ids.session))
            }
            if mappings.isEmpty { return }
            let values = try batched(mappings, completeness: &completeness) { [[Verb.get, $0.key]] }
            var sessions: [(user: Bytes, session: Bytes, key: Bytes)] = []
            for (m, reply) in zip(mappings, values) {
                // Gone since the scan, or not a string (not a mapping): left out; a refused GET is recorded.
                guard case .bulk(let v)? = completeness.readable(reply[0], "GET", expecting: ["WRONGTYPE"]),
                    case .success(let key) = layout.sessionKey(user: m.user, session: m.session, mappingValue: v)
                else { continue }
                sessions.append((m.user, m.session, key))
            }
            let data = try batched(sessions, completeness: &completeness) { [[Verb.get, $0.key]] }
            var entries: [SnapshotEntry] = []
            var hashes: [(user: Bytes, session: Bytes, key: Bytes)] = []
            for (s, reply) in zip(sessions, data) {
                switch completeness.readable(reply[0], "GET", expecting: ["WRONGTYPE"]) {
                case .bulk(let b)?:
                    entries.append(SnapshotEntry(user: s.user, session: s.session, digest: SessionDigest.of(payloadReader.decode(b), raw: b)))
                case .error?: hashes.append(s)
                default: break  // gone since the mapping was read, or not read (recorded)
                }
            }
            let fields = try batched(hashes, completeness: &completeness) { [[Verb.hgetall, $0.key]] }
            for (s, reply) in zip(hashes, fields) {
                guard case .array(let items)? = completeness.required(reply[0], "HGETALL"), !items.isEmpty else { continue }
                var pairs: [(field: Bytes, value: Bytes)] = []
                var raw: Bytes = []
                var i = 0
                while i + 1 < items.count {
                    if case .bulk(let f) = items[i], case .bulk(let v) = items[i + 1] { pairs.append((f, v)) }
                    i += 2
                }
                for p in pairs.sorted(by: { $0.field.lexicographicallyPrecedes($1.field) }) { raw += p.field + [0] + p.value + [0] }
                entries.append(SnapshotEntry(user: s.user, session: s.session, digest: SessionDigest.of(payloadReader.decode(hash: pairs), raw: raw)))
            }
            try body(entries)
        }
        completeness.merge(outcome.completeness)
        return completeness
    }
}
