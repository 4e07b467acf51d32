/// The payload formats sessionctl reads, by the name the output and `--framework` presets use.
public enum PayloadFormat: String, Sendable, CaseIterable {
    case marshal = "ruby-marshal"
    case phpSerialize = "php-serialize"
    case phpSession = "php-session"
    case pickle
    case msgpack
    case json
    case javaSerialization = "java-serialization"

    /// Decodes `bytes` in this format.
    public func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        switch self {
        case .marshal: return try RubyMarshal.decode(bytes, limits: limits)
        case .phpSerialize: return try PHPSerialize.decode(bytes, limits: limits)
        case .phpSession: return try PHPSession.decode(bytes, limits: limits)
        case .pickle: return try Pickle.decode(bytes, limits: limits)
        case .msgpack: return try MessagePack.decode(bytes, limits: limits)
        case .json: return try JSONPayload.decode(bytes, limits: limits)
        case .javaSerialization: return try JavaSerialization.decode(bytes, limits: limits)
        }
    }

    /// Whether `bytes` start the way this format's payloads do.
    public func looksLike(_ bytes: [UInt8]) -> Bool {
        switch self {
        case .marshal: return RubyMarshal.looksLike(bytes)
        case .phpSerialize: return PHPSerialize.looksLike(bytes)
        case .phpSession: return PHPSession.looksLike(bytes)
        case .pickle: return Pickle.looksLike(bytes)
        case .msgpack: return MessagePack.looksLike(bytes)
        case .json: return JSONPayload.looksLike(bytes)
        case .javaSerialization: return JavaSerialization.looksLike(bytes)
        }
    }

    /// The format `bytes` look like, tried in an order where no earlier test accepts a later
    /// format's payloads; `nil` when none.
    public static func sniff(_ bytes: [UInt8]) -> PayloadFormat? {
        let order: [PayloadFormat] = [.marshal, .pickle, .javaSerialization, .phpSerialize, .phpSession, .json, .msgpack]
        return order.first { $0.looksLike(bytes) }
    }
}
