import SessionBasics
import SessionPayload

/// What a session of a framework is, beyond the glob its keys fall under (rule 19): the forms its
/// id takes (Laravel: `Str::random(40)`, 40 letters and digits; Rack: `2::` and 64 hex digits), and
/// a key its data always holds where the framework writes one (Laravel: `_token`). A key in the
/// framework's namespace that fails it is a cache entry or another application's, never deleted
/// or mapped as a session.
public struct SessionShape: Sendable, Equatable {
    /// The bytes an id is made of.
    public enum Alphabet: Sendable, Equatable {
        /// Letters and digits (Laravel's `Str::random`).
        case alphanumeric
        /// Lower-case letters and digits (Django's `get_random_string` over `VALID_KEY_CHARS`).
        case lowercaseAlphanumeric
        /// Lower-case hex digits (Rack's ids).
        case lowercaseHex
        /// Letters, digits, `-` and `_` (base64url: `token_urlsafe`, uid-safe).
        case urlSafe
        /// Lower-case hex digits and `-` (a UUID's text).
        case uuid
        /// Letters, digits, `,` and `-` (PHP's `session.sid_bits_per_character` 4, 5 or 6).
        case phpSessionId

        /// Whether `b` belongs to the alphabet.
        func contains(_ b: UInt8) -> Bool {
            let digit = (0x30...0x39).contains(b)
            let lower = (0x61...0x7A).contains(b)
            let upper = (0x41...0x5A).contains(b)
            switch self {
            case .alphanumeric: return digit || lower || upper
            case .lowercaseAlphanumeric: return digit || lower
            case .lowercaseHex: return digit || (0x61...0x66).contains(b)
            case .urlSafe: return digit || lower || upper || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
            case .uuid: return digit || (0x61...0x66).contains(b) || b == UInt8(ascii: "-")
            case .phpSessionId: return digit || lower || upper || b == UInt8(ascii: ",") || b == UInt8(ascii: "-")
            }
        }
    }

    /// One form an id takes: a fixed prefix, then `length` characters of `alphabet`.
    public struct IdForm: Sendable, Equatable {
        public let prefix: String
        public let length: ClosedRange<Int>
        public let alphabet: Alphabet

        public init(prefix: String = "", length: ClosedRange<Int>, alphabet: Alphabet) {
            self.prefix = prefix
            self.length = length
            self.alphabet = alphabet
        }

        /// Whether `id` has this form.
        public func matches(_ id: Bytes) -> Bool {
            let prefix = Array(self.prefix.utf8)
            guard id.count >= prefix.count, id.starts(with: prefix) else { return false }
            let rest = id.dropFirst(prefix.count)
            return length.contains(rest.count) && rest.allSatisfy(alphabet.contains)
        }
    }

    /// The forms an id may take (any one of them).
    public let ids: [IdForm]
    /// A key the decoded data always holds, when the framework writes one.
    public let payloadKey: String?
    /// The shape in words, for the reason a key is refused.
    public let described: String

    public init(ids: [IdForm], payloadKey: String? = nil, described: String) {
        self.ids = ids
        self.payloadKey = payloadKey
        self.described = described
    }

    /// Whether `id` has the shape of this framework's session ids.
    public func matchesId(_ id: Bytes) -> Bool {
        ids.contains { $0.matches(id) }
    }

    /// Whether decoded session data has this framework's shape (holds ``payloadKey``).
    public func matchesPayload(_ value: PayloadValue) -> Bool {
        guard let key = payloadKey else { return true }
        return value[key] != nil
    }

    /// The shape with the ids' length the application configured (Flask-Session's
    /// `SESSION_ID_LENGTH`, PHP's `session.sid_length`, a custom generator): every form keeps its
    /// prefix and alphabet and takes `length` characters after the prefix (`--session-id-length`).
    public func withIdLength(_ length: ClosedRange<Int>) -> SessionShape {
        var seen: [IdForm] = []
        for f in ids {
            let form = IdForm(prefix: f.prefix, length: length, alphabet: f.alphabet)
            if !seen.contains(form) { seen.append(form) }
        }
        let chars = length.lowerBound == length.upperBound ? "\(length.lowerBound)" : "\(length.lowerBound) to \(length.upperBound)"
        let data = payloadKey.map { ", its data holding \($0)" } ?? ""
        return SessionShape(ids: seen, payloadKey: payloadKey, described: "ids of \(chars) characters (--session-id-length)\(data)")
    }
}
