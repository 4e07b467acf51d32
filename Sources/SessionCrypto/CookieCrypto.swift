import COpenSSL

/// HMAC, constant-time comparison, AES-256-CBC and base64: what turning signed and encrypted
/// cookies (express-session, Laravel) into session ids needs, from OpenSSL.
public enum CookieCrypto {
    /// HMAC-SHA256 of `data` under `key`.
    public static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        hmac(EVP_sha256(), key: key, data)
    }

    /// HMAC-SHA1 of `data` under `key`.
    public static func hmacSHA1(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        hmac(EVP_sha1(), key: key, data)
    }

    private static func hmac(_ md: OpaquePointer?, key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                HMAC(md, k.baseAddress, Int32(k.count), d.baseAddress?.assumingMemoryBound(to: UInt8.self), d.count, &out, &length)
            }
        }
        // HMAC fails only when OpenSSL cannot allocate.
        precondition(done != nil, "HMAC failed in OpenSSL")
        return Array(out.prefix(Int(length)))
    }

    /// Whether two byte strings are equal, in time that does not depend on where they differ.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    /// AES-256-CBC decryption with PKCS#7 padding; `nil` when the key or IV has the wrong size or the padding is wrong.
    public static func aes256CBCDecrypt(key: [UInt8], iv: [UInt8], _ ciphertext: [UInt8]) -> [UInt8]? {
        guard key.count == 32, iv.count == 16, !ciphertext.isEmpty, ciphertext.count % 16 == 0 else { return nil }
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), nil, key, iv) == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var n: Int32 = 0, tail: Int32 = 0
        let ok = out.withUnsafeMutableBufferPointer { o in
            ciphertext.withUnsafeBufferPointer { c in
                EVP_DecryptUpdate(ctx, o.baseAddress, &n, c.baseAddress, Int32(c.count)) == 1
                    && EVP_DecryptFinal_ex(ctx, o.baseAddress! + Int(n), &tail) == 1
            }
        }
        return ok ? Array(out.prefix(Int(n + tail))) : nil
    }

    /// Decodes standard or URL-safe base64, padded or not; `nil` when malformed.
    public static func base64Decode(_ text: [UInt8]) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.count)
        for c in text {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(c - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(c - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(c - 48 + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "/"), UInt8(ascii: "_"): values.append(63)
            case UInt8(ascii: "="): break
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"): continue
            default: return nil
            }
            if c == UInt8(ascii: "=") { break }
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 1 < values.count {
            let a = values[i], b = values[i + 1]
            out.append(a << 2 | b >> 4)
            if i + 2 < values.count { out.append(b << 4 | values[i + 2] >> 2) }
            if i + 3 < values.count { out.append(values[i + 2] << 6 | values[i + 3]) }
            i += 4
        }
        return out
    }
}
