import RedisClient
import SessionBasics
import SessionCore

/// The mapping-key template (`--mapping`, default `user:<user>:<session>`): builds patterns and splits keys.
///
/// A key is split into user and session like this: the literal prefix and suffix must match
/// exactly, and the session id never contains the separator (the literal between the two
/// placeholders), while the user id may contain any byte. So `user:a:b:s1` is user `a:b`,
/// session `s1`, whichever command reads it; a session id that contains the separator is
/// refused as an argument.
public struct MappingTemplate: Equatable, Sendable {
    /// The template's pieces: prefix, first placeholder, separator, second placeholder, suffix.
    public let template: KeyTemplate
    private let prefix: Bytes
    private let separator: Bytes
    private let suffix: Bytes
    private let userFirst: Bool
    /// A prefix session ids may carry although it holds the separator (Rack's private ids, `2::`).
    private let sessionIdPrefix: Bytes?

    /// The default, from the production design: `user:<user>:<session>`.
    public static let defaultSource = "user:<user>:<session>"

    /// Parses and checks a mapping template; `sessionIdPrefix` names a prefix session ids may
    /// carry even though it holds the separator (`2::` for Rack's `user:<user>:2::<sha256>`).
    public init(_ source: String, sessionIdPrefix: String? = nil) throws(LayoutError) {
        self.sessionIdPrefix = sessionIdPrefix.map { Array($0.utf8) }
        template = try KeyTemplate(source, allowed: [.user, .session])
        let ph = template.placeholders
        guard ph.filter({ $0 == .user }).count == 1, ph.filter({ $0 == .session }).count == 1 else {
            throw .badTemplate(source, "a mapping template names <user> and <session> once each")
        }
        var literals: [Bytes] = [[], [], []]
        var slot = 0
        for part in template.parts {
            switch part {
            case .literal(let b): literals[slot] = b
            case .placeholder: slot += 1
            }
        }
        guard !literals[1].isEmpty else {
            throw .badTemplate(source, "<user> and <session> need a separator between them, as in user:<user>:<session>")
        }
        // A template that starts with a placeholder (or with punctuation only) reaches outside any
        // namespace: `<user>:<session>` matches `config:main` and `ratelimit:1.2.3.4`.
        guard literals[0].contains(where: { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
            throw .badTemplate(
                source,
                "a mapping template must start with a literal prefix holding a letter or digit, as in user:<user>:<session>, so that it cannot match keys outside its namespace"
            )
        }
        prefix = literals[0]
        separator = literals[1]
        suffix = literals[2]
        userFirst = ph[0] == .user
    }

    /// The exact mapping key of one session.
    public func key(user: Bytes, session: Bytes) -> Bytes {
        template.render([.user: user, .session: session])!
    }

    /// The MATCH pattern for the keys of `user` and/or `session`; `nil` means any.
    public func pattern(user: Bytes?, session: Bytes?) -> Bytes {
        var values: [KeyTemplate.Placeholder: Bytes] = [:]
        values[.user] = user
        values[.session] = session
        return template.pattern(values)
    }

    /// Splits `key` into user and session, and checks them against the known ids exactly.
    /// Returns `nil` when the key is not a mapping key (of that user or session).
    ///
    /// Every key splits one way only: the session id never contains the separator, so the
    /// split is at the separator nearest the session's side. User `a` therefore never sees
    /// `user:a:b:s3`, which belongs to user `a:b`.
    public func parse(_ key: Bytes, user knownUser: Bytes? = nil, session knownSession: Bytes? = nil) -> (user: Bytes, session: Bytes)? {
        guard key.count >= prefix.count + separator.count + suffix.count + 2,
            key.starts(with: prefix), key.reversed().starts(with: suffix.reversed())
        else { return nil }
        let middle = key[prefix.count..<(key.count - suffix.count)]
        if userFirst, let idPrefix = sessionIdPrefix, let at = lastIndex(of: separator + idPrefix, in: middle) {
            // `user:1:2::<hex>`: the session id is the prefixed id, the user what stands before it.
            let user = Bytes(middle[middle.startIndex..<at])
            let session = Bytes(middle[(at + separator.count)...])
            if !user.isEmpty, acceptsSession(session) {
                if let knownUser, knownUser != user { return nil }
                if let knownSession, knownSession != session { return nil }
                return (user, session)
            }
        }
        guard let at = userFirst ? lastIndex(of: separator, in: middle) : firstIndex(of: separator, in: middle) else { return nil }
        let a = Bytes(middle[middle.startIndex..<at])
        let b = Bytes(middle[(at + separator.count)...])
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let (user, session) = userFirst ? (a, b) : (b, a)
        if let knownUser, knownUser != user { return nil }
        if let knownSession, knownSession != session { return nil }
        return (user, session)
    }

    /// Whether a session id can appear in a mapping key: it must not contain the separator.
    public func acceptsSession(_ session: Bytes) -> Bool {
        var rest = session[...]
        if let idPrefix = sessionIdPrefix, session.starts(with: idPrefix) { rest = session[idPrefix.count...] }
        return !rest.isEmpty && firstIndex(of: separator, in: rest) == nil
    }

    /// The separator between the two ids, for messages.
    public var separatorText: String { String(decoding: separator, as: UTF8.self) }

    private func firstIndex(of needle: Bytes, in hay: ArraySlice<UInt8>) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = hay.startIndex
        while i + needle.count <= hay.endIndex {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    private func lastIndex(of needle: Bytes, in hay: ArraySlice<UInt8>) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = hay.endIndex - needle.count
        while i >= hay.startIndex {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i -= 1
        }
        return nil
    }
}
