import SessionBasics

/// What `audit` found in one pass over the keyspace. Only aggregates and a few examples are kept.
public struct KeyspaceReport: Equatable, Sendable {
    /// A finding, named as in the JSON `counts` object.
    public enum Finding: String, CaseIterable, Sendable {
        case mappings, users
        case liveSessions = "live_sessions"
        case orphanedMappings = "orphaned_mappings"
        case mappingsWithoutTTL = "mappings_without_ttl"
        case sessionsWithoutTTL = "sessions_without_ttl"
        case mappingsExpiringBeforeSession = "mappings_expiring_before_session"
        case unmappedSessions = "unmapped_sessions"
        case refused
        case indexKeys = "index_keys"
        case staleIndexMembers = "stale_index_members"
        case indexesWithoutTTL = "indexes_without_ttl"
        // SQL tables:
        case anonymousSessions = "anonymous_sessions"
        case expiredSessions = "expired_sessions"
        case undecodablePayloads = "undecodable_payloads"
        // Redis with a preset: the unmapped sessions, by whose they are.
        case unmappedUserSessions = "unmapped_user_sessions"
        // Redis with a preset whose sessions have a shape: keys under its globs of another shape.
        case notSessions = "not_sessions"

        /// Whether it is a problem to show examples of (not a plain tally).
        public var isProblem: Bool { ![.mappings, .users, .liveSessions, .indexKeys, .anonymousSessions].contains(self) }

        /// What a Redis keyspace is audited for.
        public static let redis: [Finding] = [
            .mappings, .users, .liveSessions, .orphanedMappings, .mappingsWithoutTTL, .sessionsWithoutTTL,
            .mappingsExpiringBeforeSession, .unmappedSessions, .refused, .indexKeys, .staleIndexMembers,
            .indexesWithoutTTL,
        ]

        /// How the table names it.
        public var title: String {
            switch self {
            case .mappings: return "mapping keys"
            case .users: return "distinct users"
            case .liveSessions: return "live sessions"
            case .orphanedMappings: return "orphaned mappings (session gone)"
            case .mappingsWithoutTTL: return "mappings without expiry"
            case .sessionsWithoutTTL: return "sessions without expiry"
            case .mappingsExpiringBeforeSession: return "mappings expiring before their session"
            case .unmappedSessions: return "sessions no mapping points to"
            case .refused: return "mappings refused by the guard"
            case .indexKeys: return "index keys (--index)"
            case .staleIndexMembers: return "index members whose session is gone"
            case .indexesWithoutTTL: return "index keys without expiry"
            case .anonymousSessions: return "sessions of no user (anonymous)"
            case .expiredSessions: return "rows past their lifetime (prune deletes them)"
            case .undecodablePayloads: return "session data that does not decode"
            case .unmappedUserSessions: return "sessions of a user no mapping points to (list and revoke-user cannot find them)"
            case .notSessions: return "keys under the glob that are not sessions (another shape: left alone)"
            }
        }
    }

    /// Upper bounds of the TTL buckets of live sessions, in seconds; the last bucket has none.
    public static let bucketBounds: [Int64] = [300, 3600, 86_400, 604_800, 2_592_000]

    /// The findings that apply to the store audited, in the order they are shown.
    public var applicable: [Finding] = Finding.redis
    /// Every finding's count.
    public var counts: [Finding: Int] = Dictionary(uniqueKeysWithValues: Finding.allCases.map { ($0, 0) })
    /// Users with the most sessions.
    public var topUsers: [UserCount] = []
    /// Live sessions with an expiry, per bucket: `(bound, count)`, the last bound `nil`.
    public var ttlBuckets: [(maxSeconds: Int64?, sessions: Int)] = (bucketBounds.map { Optional($0) } + [nil]).map { ($0, 0) }
    /// A few keys per problem found.
    public var examples: [Finding: [Bytes]] = [:]
    /// Whether every node was scanned.
    public var completeness = Completeness()

    public static func == (a: KeyspaceReport, b: KeyspaceReport) -> Bool {
        a.counts == b.counts && a.topUsers == b.topUsers && a.examples == b.examples && a.completeness == b.completeness
            && a.ttlBuckets.map(\.sessions) == b.ttlBuckets.map(\.sessions)
    }

    package mutating func note(_ finding: Finding, _ key: Bytes, examples limit: Int) {
        counts[finding, default: 0] += 1
        if examples[finding, default: []].count < limit { examples[finding, default: []].append(key) }
    }

    package mutating func bucket(ttlSeconds: Int64) {
        let i = Self.bucketBounds.firstIndex { ttlSeconds <= $0 } ?? Self.bucketBounds.count
        ttlBuckets[i].sessions += 1
    }

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(
        applicable: [Finding] = Finding.redis, topUsers: [UserCount] = [], examples: [Finding: [Bytes]] = [:],
        completeness: Completeness = Completeness()
    ) {
        self.applicable = applicable
        self.topUsers = topUsers
        self.examples = examples
        self.completeness = completeness
    }
}
