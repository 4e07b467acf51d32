import RedisClient

/// One user and how many sessions they have.
public struct UserCount: Equatable, Sendable {
    /// The user id.
    public var user: Bytes
    /// Mapping keys found for the user (with `live`: mappings whose session key exists).
    public var sessions: Int
    /// With `live`: mappings whose session key is gone (stale), counted apart.
    public var stale: Int

    public init(user: Bytes, sessions: Int, stale: Int = 0) {
        self.user = user
        self.sessions = sessions
        self.stale = stale
    }
}

/// What `users` found: the ranked users (read from memory, or merged back from the spill
/// files when they did not fit the memory budget) and whether every node was scanned.
public struct UsersResult {
    /// Users, ranked as asked.
    public var ranking: UserRanking
    /// Whether every node was scanned.
    public var completeness = Completeness()

    /// Every ranked user, in memory (for tests and small keyspaces).
    public func all() throws -> [UserCount] { try ranking.prefix(Int.max) }
}

/// How `users` orders its rows.
public enum UserSort: String, Sendable, CaseIterable {
    /// Most sessions first, then by user id.
    case count
    /// By user id.
    case user
}

extension SessionStore {
    /// Every user with a mapping key, counted in one SCAN over all mapping keys.
    ///
    /// Exact at any size in bounded memory: each mapping key is counted once, however often SCAN
    /// returns it, by a ``UserTally`` that spills sorted runs past ``memory``. Keys are split as
    /// ``MappingTemplate`` documents (the session id is taken not to contain the separator).
    /// A fast count of mappings; with `live`, each page's session keys are checked (pipelined
    /// `GET` of the mapping where its value names the session key, then `EXISTS`), and mappings
    /// whose session is gone are counted apart as stale (ranked by live sessions).
    public func users(sort: UserSort = .count, minimum: Int = 1, top: Int? = nil, live: Bool = false) throws -> UsersResult {
        var completeness = Completeness()
        let tally = UserTally(memory, cancellation: keyspace.cancellation)
        if let index {
            try eachIndexUser(index, completeness: &completeness) { user, n in try tally.add(user: user, count: n) }
        } else {
            let pattern = layout.mapping.pattern(user: nil, session: nil)
            var inner = Completeness()
            let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
                if !live {
                    for key in keys {
                        guard let ids = layout.mapping.parse(key) else { continue }
                        try tally.add(user: ids.user, key: ids.session)
                    }
                    return
                }
                let mappings = keys.compactMap { key in layout.mapping.parse(key).map { Mapping(key: key, user: $0.user, session: $0.session) } }
                let (refs, _) = try resolve(mappings, completeness: &inner)
                let exists = try batched(refs, completeness: &inner) { [[Verb.exists, $0.sessionKey]] }
                for (ref, reply) in zip(refs, exists) {
                    guard let n = inner.required(reply[0], "EXISTS")?.integer else { continue }
                    try tally.add(user: ref.user, key: ref.session, live: n == 1)
                }
            }
            completeness.merge(inner)
            completeness.merge(outcome.completeness)
        }
        return UsersResult(ranking: try tally.ranking(sort: sort, minimum: minimum, top: top), completeness: completeness)
    }
}
