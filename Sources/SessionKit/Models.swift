import RedisClient

/// One session as its mapping names it.
public struct SessionRef: Equatable, Hashable, Sendable {
    /// The user id from the mapping key.
    public var user: Bytes
    /// The session id from the mapping key.
    public var session: Bytes
    /// The mapping key itself.
    public var mappingKey: Bytes
    /// Where the session's data lives.
    public var sessionKey: Bytes

    /// A reference from its four parts.
    public init(user: Bytes, session: Bytes, mappingKey: Bytes, sessionKey: Bytes) {
        self.user = user
        self.session = session
        self.mappingKey = mappingKey
        self.sessionKey = sessionKey
    }
}

/// A session with what the server says of its data.
public struct SessionRecord: Equatable, Sendable {
    /// Which session.
    public var ref: SessionRef
    /// Whether the session key exists.
    public var exists: Bool
    /// Whole seconds to expiry; `nil` without an expiry or when the key is gone.
    public var ttl: Int64?
    /// Size of the payload in bytes (`STRLEN`, or `MEMORY USAGE` for other types); `nil` when gone.
    public var bytes: Int64?
}

/// A mapping sessionctl would not follow, and why.
public struct Refusal: Equatable, Sendable {
    /// Why a mapping is refused.
    public enum Reason: Error, Equatable, Sendable, CustomStringConvertible {
        case outsideGlob
        case emptyMappingValue
        case mappingNotString
        case serverError(String)

        public var description: String {
            switch self {
            case .outsideGlob: return "session key does not match --session-glob"
            case .emptyMappingValue: return "mapping value is empty"
            case .mappingNotString: return "mapping key is not a string (WRONGTYPE)"
            case .serverError(let m): return "server error: \(m)"
            }
        }
    }

    /// The user id from the mapping key.
    public var user: Bytes
    /// The session id from the mapping key.
    public var session: Bytes
    /// The mapping key.
    public var mappingKey: Bytes
    /// The session key the mapping points to, when it could be read.
    public var sessionKey: Bytes?
    /// Why it was refused.
    public var reason: Reason
}

/// Whether a result covers the whole keyspace, and what got in the way if not.
public struct Completeness: Equatable, Sendable {
    /// Reasons the result is partial (a node not scanned, a batch that failed).
    public var failures: [String] = []
    /// Whether Ctrl-C cut the work short.
    public var interrupted = false

    /// A complete result so far.
    public init() {}

    /// Whether nothing is missing.
    public var isComplete: Bool { failures.isEmpty && !interrupted }

    /// Takes in a scan's outcome.
    public mutating func add(_ scan: ScanOutcome) {
        failures += scan.failures
        interrupted = interrupted || scan.interrupted
    }
}
