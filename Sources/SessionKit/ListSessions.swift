import RedisClient

/// What `list` found: every session of the named users, the mappings refused, and whether the scan was whole.
public struct ListResult: Equatable, Sendable {
    /// Sessions, grouped by user in the order the users were named, then by session id.
    public var sessions: [SessionRecord] = []
    /// Mappings that were not followed, with the reason.
    public var refused: [Refusal] = []
    /// Sessions the filters left out.
    public var filteredOut: [FilteredOut] = []
    /// Whether every node was scanned.
    public var completeness = Completeness()
    /// Whether `bytes` is the key's memory (`MEMORY USAGE`) rather than the payload's length: on a
    /// server whose reads touch keys (before Redis 7.2), so that listing leaves idle times alone.
    public var bytesAreMemory = false
}

extension SessionStore {
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
            var fields = SessionFields()
            switch reply[0].value {
            case .bulk(let b)? where Int64(b.count) >= (records[i].bytes ?? 0):
                if let v = payloadReader.decode(b).value { fields = fieldPaths.extract(from: v) }
            case .error(let e)? where e.code == "WRONGTYPE":
                if let (pairs, cut) = try hashFields(records[i].ref.sessionKey, &completeness), !cut,
                   let v = payloadReader.decode(hash: pairs).value {
                    fields = fieldPaths.extract(from: v)
                }
            default: break // truncated at --max-payload, or gone since: fields unknown
            }
            records[i].fields = fields
        }
    }
}

/// `items` without repeats, first occurrence kept.
func uniqued(_ items: [Bytes]) -> [Bytes] {
    var seen = Set<Bytes>()
    return items.filter { seen.insert($0).inserted }
}
