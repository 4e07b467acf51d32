import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Every session of each user (one SCAN per user, or one pass for many), then pipelined GET, TTL and STRLEN;
    /// with `details`, also each session's idle time and the fields of its decoded payload.
    public func list(users: [Bytes], details: Bool = false) throws -> ListResult {
        var result = ListResult()
        let refs: [SessionRef]
        if let index {
            // One index per user: its members, no keyspace scan.
            let found = try indexedSessions(users: uniqued(users), index: index, completeness: &result.completeness)
            refs = found.refs
            result.refused = found.refused
        } else {
            let mappings = try findMappings(users: users, completeness: &result.completeness)
            let resolved = try resolve(mappings, completeness: &result.completeness)
            refs = resolved.refs
            result.refused = resolved.refused
        }
        // Looking leaves no trace: where STRLEN would reset idle times, sizes come from MEMORY USAGE
        // (the details and payload filters read the payload, which touches the key anyway).
        result.bytesAreMemory = !details && !filter.needsPayload && keyspace.readsTouchKeys
        result.sessions = try inspect(refs, idle: details || !filter.isEmpty, memory: result.bytesAreMemory, completeness: &result.completeness)
        if details { try readDetails(&result.sessions, completeness: &result.completeness) }
        if !filter.isEmpty { (result.sessions, result.filteredOut) = try applyFilter(result.sessions, completeness: &result.completeness) }
        return result
    }

    /// The fields of each live session's decoded payload, pipelined (hashes, as Spring writes, by HSCAN).
    /// The idle time was read by ``inspect(_:idle:completeness:)`` before anything touched the key.
    func readDetails(_ records: inout [SessionRecord], completeness: inout Completeness) throws {
        let live = records.indices.filter { records[$0].exists }
        let limit = Bytes(String(max(maxPayload, 1) - 1).utf8)
        let replies = try batched(live, completeness: &completeness) { i in
            [[Verb.getrange, records[i].ref.sessionKey, Verb.zero, limit]]
        }
        for (i, reply) in zip(live, replies) {
            var fields: SessionFields? = SessionFields()
            switch completeness.readable(reply[0], "GETRANGE", expecting: ["WRONGTYPE"]) {
            case .bulk(let b)? where Int64(b.count) >= (records[i].bytes ?? 0):
                if let v = payloadReader.decode(b).value { fields = fieldPaths.extract(from: v) }
            case .error(let e)? where e.code == "WRONGTYPE":
                if let (pairs, cut) = try hashFields(records[i].ref.sessionKey, &completeness), !cut,
                    let v = payloadReader.decode(hash: pairs).value
                {
                    fields = fieldPaths.extract(from: v)
                }
            default: fields = nil  // not read (refused: recorded), truncated at --max-payload, or gone since: unknown
            }
            records[i].fields = fields
        }
    }
}
