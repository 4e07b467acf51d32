import SessionBasics

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
    /// Seconds since the session key was last read or written, read before anything touches it (`list -o wide`).
    public var idleSeconds: Int64? = nil
    /// What the decoded payload says (`list -o wide` or with `--framework`); `nil` when not read.
    public var fields: SessionFields? = nil

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(ref: SessionRef, exists: Bool, ttl: Int64? = nil, bytes: Int64? = nil, idleSeconds: Int64? = nil, fields: SessionFields? = nil) {
        self.ref = ref
        self.exists = exists
        self.ttl = ttl
        self.bytes = bytes
        self.idleSeconds = idleSeconds
        self.fields = fields
    }
}

/// A mapping sessionctl would not follow, and why.
public struct Refusal: Equatable, Sendable {
    /// Why a mapping is refused.
    public enum Reason: Error, Equatable, Sendable, CustomStringConvertible {
        case outsideGlob
        case emptyMappingValue
        case mappingNotString
        case serverError(String)
        /// Deleting the key would not end the session (a preset knows why).
        case cannotRevoke(String)
        /// Its session data does not decode (the reason): whose session it is cannot be told.
        case undecodable(String)
        /// Not a session of the preset's framework (the shape it fails): a cache entry or another application's key.
        case notASession(String)

        public var description: String {
            switch self {
            case .outsideGlob: return "session key does not match --session-glob"
            case .emptyMappingValue: return "mapping value is empty"
            case .mappingNotString: return "mapping key is not a string (WRONGTYPE)"
            case .serverError(let m): return "server error: \(m)"
            case .cannotRevoke(let why): return why
            case .notASession(let shape): return "not a session: the preset's sessions are \(shape)"
            case .undecodable(let why):
                return
                    "its session data does not decode (\(why)): whose session it is cannot be told, so it is neither taken for another user's nor revoked"
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

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(user: Bytes, session: Bytes, mappingKey: Bytes, sessionKey: Bytes? = nil, reason: Reason) {
        self.user = user
        self.session = session
        self.mappingKey = mappingKey
        self.sessionKey = sessionKey
        self.reason = reason
    }
}
