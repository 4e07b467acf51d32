import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Finds the mappings of session ids: by exact key when the user is known, else by SCAN.
    /// Ids whose mapping is absent (or vanished before its read) are not found.
    func locate(sessions ids: [Bytes], user: Bytes?, completeness: inout Completeness)
        throws -> (refs: [SessionRef], refused: [Refusal], notFound: [Bytes])
    {
        var mappings: [Mapping] = []
        var notFound: [Bytes] = []
        let ids = uniqued(ids)
        if let user, let index, !layout.sessionKeyIsMappingValue {
            // An index and a session-key template: membership says which sessions are the user's.
            let found = try indexedSessions(ids: ids, user: user, index: index, completeness: &completeness)
            return (found.refs, found.refused, found.notFound)
        }
        if let user, layout.sessionKeyIsMappingValue {
            // The exact keys are known and resolve's GET tells which exist: no EXISTS round trip.
            mappings = ids.map { Mapping(key: layout.mapping.key(user: user, session: $0), user: user, session: $0) }
        } else if let user {
            let candidates = ids.map { Mapping(key: layout.mapping.key(user: user, session: $0), user: user, session: $0) }
            let exists = try batched(candidates, completeness: &completeness) { [[Verb.exists, $0.key]] }
            for (m, reply) in zip(candidates, exists) {
                guard let n = completeness.required(reply[0], "EXISTS")?.integer else { continue }
                if n == 1 { mappings.append(m) } else { notFound.append(m.session) }
            }
        } else {
            for id in ids {
                if keyspace.cancellation.isCancelled {
                    completeness.recordInterruption()
                    break
                }
                let found = try findMappings(user: nil, session: id, completeness: &completeness)
                if found.isEmpty { notFound.append(id) }
                mappings += found
            }
        }
        let (refs, refused) = try resolve(mappings, completeness: &completeness)
        // A mapping that vanished between the scan and the read is not found either.
        let named = Set(refs.map(\.session) + refused.map(\.session))
        notFound += mappings.map(\.session).filter { !named.contains($0) && !notFound.contains($0) }
        return (refs, refused, uniqued(notFound))
    }
}
