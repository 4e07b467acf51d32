import RedisClient

/// One user and how many sessions they have.
public struct UserCount: Equatable, Sendable {
    /// The user id.
    public var user: Bytes
    /// Mapping keys found for the user.
    public var sessions: Int

    public init(user: Bytes, sessions: Int) {
        self.user = user
        self.sessions = sessions
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
    public func users(sort: UserSort = .count, minimum: Int = 1, top: Int? = nil) throws -> UsersResult {
        var completeness = Completeness()
        let tally = UserTally(memory, cancellation: keyspace.cancellation)
        if let index {
            try eachIndexUser(index, completeness: &completeness) { user, n in try tally.add(user: user, count: n) }
        } else {
            let pattern = layout.mapping.pattern(user: nil, session: nil)
            let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
                for key in keys {
                    guard let ids = layout.mapping.parse(key) else { continue }
                    try tally.add(user: ids.user, key: ids.session)
                }
            }
            completeness.merge(outcome.completeness)
        }
        return UsersResult(ranking: try tally.ranking(sort: sort, minimum: minimum, top: top), completeness: completeness)
    }
}
