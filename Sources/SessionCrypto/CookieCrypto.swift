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
        guard !ciphertext.isEmpty, ciphertext.count % 16 == 0 else { return nil }
        return aes256CBC(encrypt: false, key: key, iv: iv, ciphertext)
    }

    /// AES-256-CBC encryption with PKCS#7 padding; `nil` when the key or IV has the wrong size.
    public static func aes256CBCEncrypt(key: [UInt8], iv: [UInt8], _ plain: [UInt8]) -> [UInt8]? {
        aes256CBC(encrypt: true, key: key, iv: iv, plain)
    }

    /// One pass of AES-256-CBC (EVP_Cipher*, padding on) in either direction.
    private static func aes256CBC(encrypt: Bool, key: [UInt8], iv: [UInt8], _ input: [UInt8]) -> [UInt8]? {
        guard key.count == 32, iv.count == 16 else { return nil }
        guard let ctx = EVP_CIPHER_CTX_new() else { return nil }
        defer { EVP_CIPHER_CTX_free(ctx) }
        guard EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), nil, key, iv, encrypt ? 1 : 0) == 1 else { return nil }
        var out = [UInt8](repeating: 0, count: input.count + 32)
        var n: Int32 = 0
        var tail: Int32 = 0
        let ok = out.withUnsafeMutableBufferPointer { o in
            input.withUnsafeBufferPointer { i in
                EVP_CipherUpdate(ctx, o.baseAddress, &n, i.baseAddress, Int32(i.count)) == 1
                    && EVP_CipherFinal_ex(ctx, o.baseAddress! + Int(n), &tail) == 1
            }
        }
        return ok ? Array(out.prefix(Int(n + tail))) : nil
    }

    /// `count` bytes from OpenSSL's CSPRNG; `nil` if it cannot provide them.
    public static func randomBytes(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        return RAND_bytes(&out, Int32(count)) == 1 ? out : nil
    }

    /// Each byte's 6-bit value in standard or URL-safe base64: 64 for `=`, 65 for a line break
    /// (skipped), 255 for anything else.
    private static let base64Values: [UInt8] = {
        var t = [UInt8](repeating: 255, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8.enumerated() { t[Int(c)] = UInt8(i) }
        for c in "+-".utf8 { t[Int(c)] = 62 }
        for c in "/_".utf8 { t[Int(c)] = 63 }
        t[Int(UInt8(ascii: "="))] = 64
        t[10] = 65
        t[13] = 65
        return t
    }()

    /// Decodes standard or URL-safe base64, padded or not, in one pass; `nil` when malformed.
    /// Decoding stops at the first `=`; line breaks are skipped.
    public static func base64Decode(_ text: [UInt8]) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: text.count / 4 * 3 + 3)
        var n = 0
        var acc: UInt32 = 0
        var have = 0
        let ok: Bool = base64Values.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { o in
                for c in text {
                    let v = table[Int(c)]
                    if v < 64 {
                        acc = acc << 6 | UInt32(v)
                        have += 1
                        if have == 4 {
                            o[n] = UInt8(truncatingIfNeeded: acc >> 16)
                            o[n + 1] = UInt8(truncatingIfNeeded: acc >> 8)
                            o[n + 2] = UInt8(truncatingIfNeeded: acc)
                            n += 3
                            have = 0
                            acc = 0
                        }
                    } else if v == 64 {
                        break
                    } else if v == 65 {
                        continue
                    } else {
                        return false
                    }
                }
                switch have {
                case 0: return true
                case 1: return false
                case 2:
                    o[n] = UInt8(truncatingIfNeeded: acc >> 4)
                    n += 1
                default:
                    o[n] = UInt8(truncatingIfNeeded: acc >> 10)
                    o[n + 1] = UInt8(truncatingIfNeeded: acc >> 2)
                    n += 2
                }
                return true
            }
        }
        guard ok else { return nil }
        out.removeLast(out.count - n)
        return out
    }
}
