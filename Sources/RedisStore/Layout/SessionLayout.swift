import RedisClient
import SessionBasics
import SessionCore

/// The whole key layout: mapping keys, where session data lives, and the guard on what may be touched.
public struct SessionLayout: Equatable, Sendable {
    /// `--mapping`.
    public let mapping: MappingTemplate
    /// `--session-key`: `<value>` (the mapping's value) or a template over `<user>` and `<session>`.
    public let sessionKey: KeyTemplate
    /// `--session-glob` (or a preset's globs): a session key outside all of them is never read or deleted.
    public let sessionGlobs: [Bytes]
    /// Session keys that deleting does not revoke, with the reason (a preset's; Django's `cached_db`).
    public let unrevocable: [Unrevocable]
    /// Other copies the framework keeps of each session (a preset's), deleted with it.
    public var companions: CompanionKind?
    /// What a session is (a preset's): a mapping to an id of another shape is refused, never followed.
    public var shape: SessionShape?

    /// A glob of session keys a deletion cannot revoke, and why.
    public struct Unrevocable: Equatable, Sendable {
        public var glob: Bytes
        public var reason: String
    }

    /// The defaults: `user:<user>:<session>`, `<value>`, `session:*`.
    public static let defaultSessionKey = "<value>"
    /// The default guard.
    public static let defaultSessionGlob = "session:*"

    /// A layout from the three options.
    public init(
        mapping: String = MappingTemplate.defaultSource,
        sessionKey: String = SessionLayout.defaultSessionKey,
        sessionGlob: String = SessionLayout.defaultSessionGlob
    ) throws(LayoutError) {
        try self.init(mapping: mapping, sessionKey: sessionKey, sessionGlobs: [sessionGlob])
    }

    /// A layout with several session-key globs (a preset's), a session-id prefix that may hold the
    /// mapping separator (Rack's `2::`), and keys that cannot be revoked by deletion.
    public init(
        mapping: String, sessionKey: String, sessionGlobs: [String], sessionIdPrefix: String? = nil,
        unrevocable: [(glob: String, reason: String)] = []
    ) throws(LayoutError) {
        self.mapping = try MappingTemplate(mapping, sessionIdPrefix: sessionIdPrefix)
        self.sessionKey = try KeyTemplate(sessionKey, allowed: [.user, .session, .value])
        guard !self.sessionKey.parts.isEmpty else {
            throw .badTemplate(sessionKey, "empty; use <value> or a template such as session:<session>")
        }
        if self.sessionKey.placeholders.contains(.value) && self.sessionKey.parts.count > 1 {
            throw .badTemplate(sessionKey, "<value> stands alone: it means the mapping's value is the session key")
        }
        guard !sessionGlobs.isEmpty else { throw .badGlob("", "empty") }
        for glob in sessionGlobs {
            guard !glob.isEmpty else { throw .badGlob(glob, "empty") }
            if glob.allSatisfy({ $0 == "*" }) {
                throw .badGlob(glob, "matches every key; name the session namespace, e.g. 'session:*'")
            }
        }
        self.sessionGlobs = sessionGlobs.map { Array($0.utf8) }
        self.unrevocable = unrevocable.map { Unrevocable(glob: Array($0.glob.utf8), reason: $0.reason) }
    }

    /// Whether the session key is the mapping's value (so mappings must be read).
    public var sessionKeyIsMappingValue: Bool { sessionKey.parts == [.placeholder(.value)] }

    /// Whether `key` is under one of the session-key globs.
    public func isSessionKey(_ key: Bytes) -> Bool {
        sessionGlobs.contains { Glob.matches($0, key) }
    }

    /// One SCAN pattern covering every session-key glob: the glob itself, or the literal prefix
    /// they share followed by `*` (matches are checked against each glob afterwards).
    public var sessionScanPattern: Bytes {
        sessionGlobs.dropFirst().reduce(sessionGlobs[0]) { SessionLayout.commonPattern($0, $1) }
    }

    /// Why deleting `key` would not revoke its session, when a preset knows.
    public func unrevocableReason(_ key: Bytes) -> String? {
        unrevocable.first { Glob.matches($0.glob, key) }?.reason
    }

    /// The literal prefix two patterns share, then `*`; a pattern equal to the other is kept whole.
    static func commonPattern(_ a: Bytes, _ b: Bytes) -> Bytes {
        if a == b { return a }
        var prefix = Bytes()
        for (x, y) in zip(a, b) {
            guard x == y, !Glob.metacharacters.contains(x) else { break }
            prefix.append(x)
        }
        return prefix + [UInt8(ascii: "*")]
    }

    /// The session key of a mapping, or the reason it is refused.
    public func sessionKey(user: Bytes, session: Bytes, mappingValue: Bytes?) -> Result<Bytes, Refusal.Reason> {
        if let shape, !shape.matchesId(session) { return .failure(.notASession(shape.described)) }
        if sessionKeyIsMappingValue {
            // The common layout: no template to fill in.
            guard let key = mappingValue, !key.isEmpty else { return .failure(.emptyMappingValue) }
            return isSessionKey(key) ? .success(key) : .failure(.outsideGlob)
        }
        guard let key = sessionKey.render([.user: user, .session: session, .value: mappingValue ?? []]) else {
            return .failure(.emptyMappingValue)
        }
        guard isSessionKey(key) else { return .failure(.outsideGlob) }
        return .success(key)
    }
}
