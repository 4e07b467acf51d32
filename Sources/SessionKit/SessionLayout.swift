import RedisClient

/// The whole key layout: mapping keys, where session data lives, and the guard on what may be touched.
public struct SessionLayout: Equatable, Sendable {
    /// `--mapping`.
    public let mapping: MappingTemplate
    /// `--session-key`: `<value>` (the mapping's value) or a template over `<user>` and `<session>`.
    public let sessionKey: KeyTemplate
    /// `--session-glob`: a session key outside it is never read or deleted.
    public let sessionGlob: Bytes

    /// The defaults: `user:<user>:<session>`, `<value>`, `session:*`.
    public static let defaultSessionKey = "<value>"
    /// The default guard.
    public static let defaultSessionGlob = "session:*"

    /// A layout from the three options.
    public init(mapping: String = MappingTemplate.defaultSource,
                sessionKey: String = SessionLayout.defaultSessionKey,
                sessionGlob: String = SessionLayout.defaultSessionGlob) throws(LayoutError) {
        self.mapping = try MappingTemplate(mapping)
        self.sessionKey = try KeyTemplate(sessionKey, allowed: [.user, .session, .value])
        guard !self.sessionKey.parts.isEmpty else {
            throw .badTemplate(sessionKey, "empty; use <value> or a template such as session:<session>")
        }
        if self.sessionKey.placeholders.contains(.value) && self.sessionKey.parts.count > 1 {
            throw .badTemplate(sessionKey, "<value> stands alone: it means the mapping's value is the session key")
        }
        guard !sessionGlob.isEmpty else { throw .badGlob(sessionGlob, "empty") }
        if sessionGlob.allSatisfy({ $0 == "*" }) {
            throw .badGlob(sessionGlob, "matches every key; name the session namespace, e.g. 'session:*'")
        }
        self.sessionGlob = Array(sessionGlob.utf8)
    }

    /// Whether the session key is the mapping's value (so mappings must be read).
    public var sessionKeyIsMappingValue: Bool { sessionKey.parts == [.placeholder(.value)] }

    /// The session key of a mapping, or the reason it is refused.
    public func sessionKey(user: Bytes, session: Bytes, mappingValue: Bytes?) -> Result<Bytes, Refusal.Reason> {
        if sessionKeyIsMappingValue {
            // The common layout: no template to fill in.
            guard let key = mappingValue, !key.isEmpty else { return .failure(.emptyMappingValue) }
            return Glob.matches(sessionGlob, key) ? .success(key) : .failure(.outsideGlob)
        }
        guard let key = sessionKey.render([.user: user, .session: session, .value: mappingValue ?? []]) else {
            return .failure(.emptyMappingValue)
        }
        if sessionKeyIsMappingValue && key.isEmpty { return .failure(.emptyMappingValue) }
        guard Glob.matches(sessionGlob, key) else { return .failure(.outsideGlob) }
        return .success(key)
    }
}
