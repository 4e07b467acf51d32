import SessionBasics
import SessionCrypto

/// Secrets a cookie transform may need: express-session's signing secrets, Laravel's app key.
public struct CookieSecrets: Sendable {
    /// `--secret-file`: one secret a line (express-session accepts several, the first signs).
    public var signing: [[UInt8]] = []
    /// `--app-key-file`: Laravel's APP_KEY, decoded.
    public var appKey: [UInt8]?

    /// No secrets.
    public init(signing: [[UInt8]] = [], appKey: [UInt8]? = nil) {
        self.signing = signing
        self.appKey = appKey
    }

    /// Laravel's APP_KEY from a file's text: `base64:…`, `APP_KEY=base64:…` (an .env file), or 32 raw characters.
    public static func laravelAppKey(fromFile text: [UInt8]) -> [UInt8]? {
        let lines = text.split(whereSeparator: { $0 == 10 || $0 == 13 }).map { String(decoding: $0, as: UTF8.self) }
        var value = lines.first { $0.hasPrefix("APP_KEY=") }.map { String($0.dropFirst(8)) } ?? lines.first ?? ""
        let junk: Set<Character> = [" ", "\t", "\"", "'"]
        value = String(value.drop { junk.contains($0) }.reversed().drop { junk.contains($0) }.reversed())
        if value.hasPrefix("base64:") { return CookieCrypto.base64Decode(Array(value.dropFirst(7).utf8)).flatMap { $0.count == 32 ? $0 : nil } }
        return value.utf8.count == 32 ? Array(value.utf8) : nil
    }
}

/// Why a cookie value could not be turned into a session id.
public struct CookieError: Error, Equatable, CustomStringConvertible {
    public let description: String

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(description: String) {
        self.description = description
    }
}

extension CookieTransform {
    /// The session ids a cookie value stands for, most likely first (Rack: the private id,
    /// then the legacy public id).
    public func sessionIds(cookie raw: Bytes, secrets: CookieSecrets) throws(CookieError) -> [Bytes] {
        let cookie = Self.percentDecoded(raw)
        guard !cookie.isEmpty else { throw CookieError(description: "the cookie value is empty") }
        switch self {
        case .plain:
            return [cookie]
        case .rackPrivateId:
            if cookie.starts(with: Array("2::".utf8)) { return [cookie] }
            return [Array(("2::" + Digest.sha256Hex(cookie)).utf8), cookie]
        case .base64:
            guard let id = CookieCrypto.base64Decode(cookie), !id.isEmpty else {
                throw CookieError(description: "a Spring SESSION cookie is base64; this one is not")
            }
            return [id]
        case .expressSigned:
            guard cookie.starts(with: Array("s:".utf8)), let dot = cookie.lastIndex(of: UInt8(ascii: ".")), dot > 2 else {
                throw CookieError(description: "an express-session cookie looks like s:<id>.<signature> (connect.sid); this one does not")
            }
            let id = Array(cookie[2..<dot])
            let signature = Array(cookie[(dot + 1)...])
            if !secrets.signing.isEmpty {
                let valid = secrets.signing.contains { secret in
                    let mac = Array(JSON.base64(CookieCrypto.hmacSHA256(key: secret, id)).utf8.filter { $0 != UInt8(ascii: "=") })
                    return CookieCrypto.equal(mac, signature)
                }
                guard valid else { throw CookieError(description: "the cookie's signature does not match any secret in --secret-file") }
            }
            return [id]
        case .laravelEncrypted:
            guard let key = secrets.appKey else {
                throw CookieError(
                    description: "a Laravel session cookie is encrypted with the app key; give --app-key-file (the APP_KEY line of .env)")
            }
            guard LaravelEnvelope.looksLike(cookie) else {
                throw CookieError(description: "a Laravel cookie is base64 of an encrypted JSON value; this one is not")
            }
            let plain: Bytes
            do { plain = try LaravelEnvelope.open(cookie, key: key) } catch { throw CookieError(description: error.description) }
            // Laravel ≥ 8 prefixes the value with an HMAC of the cookie name and `|`.
            let id = plain.lastIndex(of: UInt8(ascii: "|")).map { Array(plain[($0 + 1)...]) } ?? plain
            guard !id.isEmpty else { throw CookieError(description: "the decrypted cookie holds no session id") }
            return [id]
        }
    }

    /// Whether `value`, given as a session id, has the shape of this framework's cookie and not of a
    /// session id (Laravel's encrypted envelope, express's `s:<id>.<signature>`, Spring's base64 of a
    /// UUID): then it is a cookie given without `--cookie`. Rack's public id may be a legacy session
    /// id too, and a plain cookie is the id: neither is ever taken for a cookie.
    public func isCookieNotId(_ value: Bytes) -> Bool {
        let v = Self.percentDecoded(value)
        switch self {
        case .plain, .rackPrivateId:
            return false
        case .laravelEncrypted:
            return LaravelEnvelope.looksLike(v)
        case .expressSigned:
            return v.starts(with: Array("s:".utf8)) && v.lastIndex(of: UInt8(ascii: ".")).map { $0 > 2 } == true
        case .base64:
            guard v.count == 48, let id = CookieCrypto.base64Decode(v), id.count == 36 else { return false }
            return [8, 13, 18, 23].allSatisfy { id[$0] == UInt8(ascii: "-") }
        }
    }

    /// The cookie value a browser holding session `id` sends (for `--verify-url`), percent-encoded
    /// as a Cookie header carries it; or why it cannot be made: Rack's cookie is the public id, of
    /// which the store keeps only a hash.
    public func cookie(forSession id: Bytes, name: String, secrets: CookieSecrets) -> Result<Bytes, CookieError> {
        switch self {
        case .plain:
            return .success(Self.percentEncoded(id))
        case .base64:
            return .success(Self.percentEncoded(Array(JSON.base64(id).utf8)))
        case .rackPrivateId:
            if id.starts(with: Array("2::".utf8)) {
                return .failure(
                    CookieError(
                        description:
                            "a Rack cookie is the public id, and the store keeps only its SHA-256: give the cookies (revoke --cookie) to verify them")
                )
            }
            return .success(Self.percentEncoded(id))
        case .expressSigned:
            guard let secret = secrets.signing.first else {
                return .failure(CookieError(description: "an express-session cookie is signed: give --secret-file to make it"))
            }
            let mac = JSON.base64(CookieCrypto.hmacSHA256(key: secret, id)).filter { $0 != "=" }
            return .success(Self.percentEncoded(Array("s:".utf8) + id + [UInt8(ascii: ".")] + Array(mac.utf8)))
        case .laravelEncrypted:
            guard let key = secrets.appKey else {
                return .failure(CookieError(description: "a Laravel cookie is encrypted with the app key: give --app-key-file to make it"))
            }
            // EncryptCookies (Laravel ≥ 8): the value is prefixed with an HMAC-SHA1 of the cookie's name and "v2".
            let prefix = Array(Digest.hex(CookieCrypto.hmacSHA1(key: key, Array((name + "v2").utf8))).utf8) + [UInt8(ascii: "|")]
            guard let sealed = LaravelEnvelope.seal(prefix + id, key: key) else {
                return .failure(CookieError(description: "the app key cannot encrypt (it must be 32 bytes)"))
            }
            return .success(Self.percentEncoded(sealed))
        }
    }

    /// Every byte outside `A-Z a-z 0-9 - _ . ~` as `%XX` (what rawurlencode and encodeURIComponent leave).
    static func percentEncoded(_ b: Bytes) -> Bytes {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = Bytes()
        for c in b {
            switch c {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(c)
            default:
                out += [UInt8(ascii: "%"), digits[Int(c >> 4)], digits[Int(c & 15)]]
            }
        }
        return out
    }

    /// `%XX` decoded (browsers and curl show cookies encoded); malformed escapes kept as they are.
    static func percentDecoded(_ b: Bytes) -> Bytes {
        var out = Bytes()
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let h = hex(b[i + 1]), let l = hex(b[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

extension CookieError: ClassifiedError {
    public var failureClass: FailureClass { .usage }
}
