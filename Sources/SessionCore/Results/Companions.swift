import SessionBasics
import SessionCrypto

/// Other copies a framework keeps of a session beside its session key, which a revocation must
/// delete too or the session lives on (`shared/FRAMEWORKS.md`).
public enum CompanionKind: String, Sendable {
    /// Rack::Session::Redis (redis-rack 2.1.2 here) reads `<prefix>2::<sha256>` and, failing that,
    /// `<prefix><public id>`, the layout before 2.1; its logout deletes both.
    case rack
    /// Spring Session's indexed repository: `sessions:expires:<id>` beside each hash, and the
    /// expirations set: `expirations:<minute>` holding `expires:<id>` (before 3.2), or the
    /// `sessions:expirations` sorted set of ids (3.2+).
    case spring
}

/// What a revocation deletes beside one session key.
public struct Companions: Equatable, Sendable {
    /// Keys deleted with the session key (Rack's legacy key, Spring's `expires:` key).
    public var keys: [Bytes] = []
    /// Set and sorted-set members removed with it (Spring's expirations entries).
    public var members: [SetMember] = []

    /// One member of a SET or ZSET.
    public struct SetMember: Equatable, Sendable {
        public var key: Bytes
        public var member: Bytes
        public var sorted: Bool

        /// A value from its parts (the memberwise initializer, for the stores).
        package init(key: Bytes, member: Bytes, sorted: Bool) {
            self.key = key
            self.member = member
            self.sorted = sorted
        }
    }

    public init() {}
}
