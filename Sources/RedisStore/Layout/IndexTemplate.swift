import RedisClient
import SessionBasics
import SessionCore

/// A per-user index (`--index 'user_sessions:<user>'`): a SET or ZSET whose members are the
/// user's session ids, read with SSCAN/ZSCAN instead of scanning the keyspace.
public struct IndexTemplate: Equatable, Sendable {
    let template: KeyTemplate
    private let prefix: Bytes
    private let suffix: Bytes

    /// Parses a template naming `<user>` once, after a literal prefix with a letter or digit.
    public init(_ source: String) throws(LayoutError) {
        template = try KeyTemplate(source, allowed: [.user])
        guard template.placeholders == [.user] else { throw .badTemplate(source, "an index template names <user> once, as in user_sessions:<user>") }
        var before = Bytes()
        var after = Bytes()
        var seen = false
        for part in template.parts {
            switch part {
            case .literal(let b): if seen { after = b } else { before = b }
            case .placeholder: seen = true
            }
        }
        guard before.contains(where: { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
            throw .badTemplate(source, "an index template must start with a literal prefix holding a letter or digit, as in user_sessions:<user>")
        }
        prefix = before
        suffix = after
    }

    /// The index key of `user`.
    public func key(user: Bytes) -> Bytes { template.render([.user: user])! }

    /// The MATCH pattern of every index key.
    public var pattern: Bytes { template.pattern([:]) }

    /// The user of an index key, or `nil` when the key is not one.
    public func user(of key: Bytes) -> Bytes? {
        guard key.count > prefix.count + suffix.count, key.starts(with: prefix), key.reversed().starts(with: suffix.reversed()) else { return nil }
        return Array(key[prefix.count..<(key.count - suffix.count)])
    }
}
