import RedisClient

/// One user and how many sessions they have.
public struct UserCount: Equatable, Sendable {
    /// The user id.
    public var user: Bytes
    /// Mapping keys found for the user.
    public var sessions: Int
}

/// What `users` found.
public struct UsersResult: Equatable, Sendable {
    /// Users, sorted as asked.
    public var users: [UserCount] = []
    /// Whether every node was scanned.
    public var completeness = Completeness()
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
    /// Only a count per user and an eight-byte keyed fingerprint per key are kept (see ``KeyFingerprint``);
    /// the user ids themselves are kept once each, so memory grows with the number of users and the length of their ids. Keys are split as ``MappingTemplate`` documents
    /// (the session id is taken not to contain the separator).
    public func users(sort: UserSort = .count, minimum: Int = 1, top: Int? = nil) throws -> UsersResult {
        var result = UsersResult()
        var counts: [Bytes: Int] = [:]
        if let index {
            counts = try indexUsers(index, completeness: &result.completeness)
        } else {
            var seen = FingerprintSet(KeyFingerprint())
            let pattern = layout.mapping.pattern(user: nil, session: nil)
            let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
                for key in keys {
                    guard let ids = layout.mapping.parse(key), seen.insert(key) else { continue }
                    counts[ids.user, default: 0] += 1
                }
            }
            result.completeness.merge(outcome.completeness)
        }
        var rows = counts.filter { $0.value >= minimum }.map { UserCount(user: $0.key, sessions: $0.value) }
        switch sort {
        case .count:
            rows.sort { $0.sessions != $1.sessions ? $0.sessions > $1.sessions : $0.user.lexicographicallyPrecedes($1.user) }
        case .user:
            rows.sort { $0.user.lexicographicallyPrecedes($1.user) }
        }
        if let top { rows = Array(rows.prefix(top)) }
        result.users = rows
        return result
    }
}
