import SessionBasics
import SessionCrypto
import SessionPayload

/// A payload as read: which decoder read it and the tree, or why it could not be read.
public struct DecodedPayload: Equatable, Sendable {
    /// The decoder's name (`ruby-marshal`, `php-serialize`, …), also when it failed.
    public var format: String?
    /// The decoded tree.
    public var value: PayloadValue?
    /// Why decoding failed, or was not tried (truncated, encrypted without a key).
    public var error: String?

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(format: String? = nil, value: PayloadValue? = nil, error: String? = nil) {
        self.format = format
        self.value = value
        self.error = error
    }
}

/// Decodes session payloads the way a framework writes them; data only, never executed.
public struct PayloadReader: Sendable {
    /// The framework's way, or `.sniff`.
    public var kind: Framework.PayloadKind
    /// Laravel's APP_KEY, for `SESSION_ENCRYPT` payloads.
    public var appKey: [UInt8]?
    /// Bounds for every decoder.
    public var limits = PayloadLimits()

    /// A reader for `kind`.
    public init(kind: Framework.PayloadKind = .sniff, appKey: [UInt8]? = nil) {
        self.kind = kind
        self.appKey = appKey
    }

    /// Decodes a string payload.
    public func decode(_ bytes: Bytes) -> DecodedPayload {
        switch kind {
        case .rails: return rails(bytes)
        case .laravel: return laravel(bytes)
        case .php:
            if bytes.starts(with: [0, 0, 0, 2]) {
                return DecodedPayload(format: "igbinary", error: "igbinary payloads are not decoded (session.serialize_handler=igbinary)")
            }
            return run(PHPSession.looksLike(bytes) || !PHPSerialize.looksLike(bytes) ? .phpSession : .phpSerialize, bytes)
        case .django:
            // Django's Redis cache stores integers as plain digits, everything else pickled.
            if !bytes.isEmpty, bytes.count < 20, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int64(String(decoding: bytes, as: UTF8.self))
            {
                return DecodedPayload(format: "integer", value: .int(n))
            }
            return run(.pickle, bytes)
        case .flask: return run(Pickle.looksLike(bytes) ? .pickle : JSONPayload.looksLike(bytes) ? .json : .msgpack, bytes)
        case .express: return run(.json, bytes)
        case .spring: return run(PayloadFormat.sniff(bytes) ?? .javaSerialization, bytes)
        case .sniff:
            guard let format = PayloadFormat.sniff(bytes) else { return DecodedPayload() }
            if format == .marshal { return rails(bytes) }
            return run(format, bytes)
        }
    }

    /// Decodes a hash payload (Spring Session): each field's value decoded on its own.
    public func decode(hash pairs: [(field: Bytes, value: Bytes)]) -> DecodedPayload {
        var entries: [PayloadEntry] = []
        var errors: [String] = []
        for (field, value) in pairs {
            if let format = PayloadFormat.sniff(value), let v = try? format.decode(value, limits: limits) {
                entries.append(PayloadEntry(.string(field), v))
            } else if let n = Int64(String(decoding: value, as: UTF8.self)) {
                entries.append(PayloadEntry(.string(field), .int(n)))
            } else {
                if PayloadFormat.sniff(value) != nil { errors.append(Escape.visible(field)) }
                entries.append(PayloadEntry(.string(field), .string(value)))
            }
        }
        return DecodedPayload(
            format: "hash", value: .map(entries),
            error: errors.isEmpty ? nil : "fields not decoded: \(errors.joined(separator: ", "))")
    }

    package func run(_ format: PayloadFormat, _ bytes: Bytes, name: String? = nil) -> DecodedPayload {
        do {
            return DecodedPayload(format: name ?? format.rawValue, value: try format.decode(bytes, limits: limits))
        } catch {
            return DecodedPayload(format: name ?? format.rawValue, error: error.description)
        }
    }

    // MARK: Rails

    /// Marshal or JSON; the cache store's `ActiveSupport::Cache::Entry` (6.1 plain Marshal, 7.0 a
    /// leading `\0`, 7.1 a `\0\x11` header) is unwrapped to its `@value`.
    private func rails(_ bytes: Bytes) -> DecodedPayload {
        if JSONPayload.looksLike(bytes) { return run(.json, bytes) }
        var body = bytes[...]
        var name = PayloadFormat.marshal.rawValue
        if !RubyMarshal.looksLike(bytes), bytes.first == 0 || bytes.first == 1 {
            // Rails ≥ 7.0 cache coders: a signature, maybe a header, then Marshal.
            if let at = (1..<min(bytes.count, 64)).first(where: { bytes[$0] == 4 && $0 + 1 < bytes.count && bytes[$0 + 1] == 8 }) {
                body = bytes[at...]
                name = "rails-cache+" + name
            } else if bytes.first == 1 || bytes.count > 1 && bytes[1] & 0x80 != 0 {
                return DecodedPayload(format: "rails-cache", error: "a compressed cache entry is not decoded")
            }
        }
        var decoded = run(.marshal, Array(body), name: name)
        if case .object("ActiveSupport::Cache::Entry", _)? = decoded.value, let inner = decoded.value?["@value"] {
            decoded.value = inner
            decoded.format = "rails-cache-entry+" + PayloadFormat.marshal.rawValue
        }
        return decoded
    }

    // MARK: Laravel

    /// `serialize()` of the serialized session (so a string inside a string), each layer maybe
    /// an encrypted envelope (`SESSION_ENCRYPT`), opened with the app key.
    package func laravel(_ bytes: Bytes) -> DecodedPayload {
        var current = bytes
        var layers: [String] = []
        for _ in 0..<6 {
            if PHPSerialize.looksLike(current) {
                let step = run(.phpSerialize, current)
                layers.append("php-serialize")
                guard let v = step.value else { return DecodedPayload(format: layers.joined(separator: "+"), error: step.error) }
                guard case .string(let inner) = v, PHPSerialize.looksLike(inner) || LaravelEnvelope.looksLike(inner) else {
                    return DecodedPayload(format: layers.joined(separator: "+"), value: v)
                }
                current = inner
            } else if LaravelEnvelope.looksLike(current) {
                layers.append("laravel-encrypted")
                guard let key = appKey else {
                    return DecodedPayload(
                        format: layers.joined(separator: "+"), error: "encrypted with the app key (SESSION_ENCRYPT); give --app-key-file to read it")
                }
                do {
                    current = try LaravelEnvelope.open(current, key: key)
                } catch {
                    return DecodedPayload(format: layers.joined(separator: "+"), error: "\(error)")
                }
            } else {
                let step = run(JSONPayload.looksLike(current) ? .json : .phpSerialize, current)
                return DecodedPayload(format: (layers + [step.format ?? ""]).joined(separator: "+"), value: step.value, error: step.error)
            }
        }
        return DecodedPayload(format: layers.joined(separator: "+"), error: "more than 6 layers of serialization")
    }
}

/// Laravel's `Encrypter` envelope: base64 of `{"iv","value","mac","tag"}`, AES-256-CBC with an HMAC-SHA256.
public enum LaravelEnvelope {
    /// Why an envelope could not be opened.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String

        /// A value from its parts (the memberwise initializer, for the stores).
        package init(description: String) {
            self.description = description
        }
    }

    /// Whether `bytes` look like an envelope (base64 of a JSON object with `iv` and `mac`).
    public static func looksLike(_ bytes: Bytes) -> Bool {
        guard bytes.count >= 40, bytes.prefix(4) == Array("eyJp".utf8)[...] else { return false }  // base64 of `{"i`
        return true
    }

    /// Encrypts `plain` as Laravel's Encrypter does (AES-256-CBC, a random IV, an HMAC-SHA256
    /// of the base64 IV and value), as base64 of the JSON envelope; `nil` on a bad key.
    public static func seal(_ plain: Bytes, key: [UInt8]) -> Bytes? {
        guard let iv = CookieCrypto.randomBytes(16), let ciphertext = CookieCrypto.aes256CBCEncrypt(key: key, iv: iv, plain) else { return nil }
        let ivText = JSON.base64(iv)
        let valueText = JSON.base64(ciphertext)
        let mac = Digest.hex(CookieCrypto.hmacSHA256(key: key, Array((ivText + valueText).utf8)))
        let json = "{\"iv\":\"\(ivText)\",\"value\":\"\(valueText)\",\"mac\":\"\(mac)\",\"tag\":\"\"}"
        return Array(JSON.base64(Array(json.utf8)).utf8)
    }

    /// Checks the MAC and decrypts.
    public static func open(_ bytes: Bytes, key: [UInt8]) throws(Failure) -> Bytes {
        guard let json = CookieCrypto.base64Decode(bytes), let env = try? JSONPayload.decode(json) else {
            throw Failure(description: "not a Laravel encrypted value (base64 JSON)")
        }
        guard let ivText = env["iv"]?.text, let valueText = env["value"]?.text, let mac = env["mac"]?.text else {
            throw Failure(description: "the encrypted value has no iv, value or mac")
        }
        if let tag = env["tag"]?.text, !tag.isEmpty {
            throw Failure(description: "AES-GCM values (with a tag) are not supported; Laravel's default cipher is AES-256-CBC")
        }
        let expected = Digest.hex(CookieCrypto.hmacSHA256(key: key, Array((ivText + valueText).utf8)))
        guard CookieCrypto.equal(Array(expected.utf8), Array(mac.lowercased().utf8)) else {
            throw Failure(description: "the MAC does not match: wrong --app-key-file, or the value was changed")
        }
        guard let iv = CookieCrypto.base64Decode(Array(ivText.utf8)), let ciphertext = CookieCrypto.base64Decode(Array(valueText.utf8)),
            let plain = CookieCrypto.aes256CBCDecrypt(key: key, iv: iv, ciphertext)
        else {
            throw Failure(description: "decryption failed (key size or padding)")
        }
        return plain
    }
}
