import RedisClient

/// What `list` found: every session of the named users, the mappings refused, and whether the scan was whole.
public struct ListResult: Equatable, Sendable {
    /// Sessions, grouped by user in the order the users were named, then by session id.
    public var sessions: [SessionRecord] = []
    /// Mappings that were not followed, with the reason.
    public var refused: [Refusal] = []
    /// Whether every node was scanned.
    public var completeness = Completeness()
}

extension SessionStore {
    /// Every session of each user (one SCAN per user, or one pass for many), then pipelined GET, TTL and STRLEN.
    public func list(users: [Bytes]) throws -> ListResult {
        var result = ListResult()
        let mappings = try findMappings(users: users, completeness: &result.completeness)
        let (refs, refused) = try resolve(mappings, completeness: &result.completeness)
        result.refused = refused
        result.sessions = try inspect(refs, completeness: &result.completeness)
        return result
    }
}

/// `items` without repeats, first occurrence kept.
func uniqued(_ items: [Bytes]) -> [Bytes] {
    var seen = Set<Bytes>()
    return items.filter { seen.insert($0).inserted }
}
