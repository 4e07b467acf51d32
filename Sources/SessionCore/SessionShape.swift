import SessionBasics
import SessionPayload

/// What a session of a framework is, beyond the glob its keys fall under (rule 19): the shape of
/// its id (Laravel: `Str::random(40)`, 40 letters and digits), and a key its data always holds
/// (Laravel: `_token`). A key in the framework's namespace that fails it is a cache entry or
/// another application's, never deleted or mapped as a session.
public struct SessionShape: Sendable, Equatable {
    /// The bytes an id is made of.
    public enum Alphabet: Sendable, Equatable {
        case alphanumeric
        /// Letters, digits, `-` and `_` (base64url).
        case urlSafe
    }

    /// How long an id is.
    public let idLength: ClosedRange<Int>
    public let idAlphabet: Alphabet
    /// A key the decoded data always holds, when the framework writes one.
    public let payloadKey: String?
    /// The shape in words, for the reason a key is refused.
    public let described: String

    public init(idLength: ClosedRange<Int>, idAlphabet: Alphabet, payloadKey: String? = nil, described: String) {
        self.idLength = idLength
        self.idAlphabet = idAlphabet
        self.payloadKey = payloadKey
        self.described = described
    }

    /// Whether `id` has the shape of this framework's session ids.
    public func matchesId(_ id: Bytes) -> Bool {
        guard idLength.contains(id.count) else { return false }
        return id.allSatisfy { b in
            let alnum = (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
            switch idAlphabet {
            case .alphanumeric: return alnum
            case .urlSafe: return alnum || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
            }
        }
    }

    /// Whether decoded session data has this framework's shape (holds ``payloadKey``).
    public func matchesPayload(_ value: PayloadValue) -> Bool {
        guard let key = payloadKey else { return true }
        return value[key] != nil
    }
}
