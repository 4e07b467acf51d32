import SessionBasics

/// Where an index member sits, so that a revocation can remove it after the session key.
public struct IndexMember: Equatable, Hashable, Sendable {
    /// The index key.
    public var key: Bytes
    /// Whether it is a ZSET (ZREM) rather than a SET (SREM).
    public var sorted: Bool

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(key: Bytes, sorted: Bool) {
        self.key = key
        self.sorted = sorted
    }
}
