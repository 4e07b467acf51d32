import SessionBasics

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

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(ranking: UserRanking, completeness: Completeness = Completeness()) {
        self.ranking = ranking
        self.completeness = completeness
    }
}

/// How `users` orders its rows.
public enum UserSort: String, Sendable, CaseIterable {
    /// Most sessions first, then by user id.
    case count
    /// By user id.
    case user
}
