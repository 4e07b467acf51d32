import SQLClient
import SessionBasics
import SessionCore
import SessionCrypto
import SessionPayload

extension PayloadReader {
    /// A row of Laravel's database driver: `payload` is base64 of the serialized session (or of its
    /// encrypted envelope, with `SESSION_ENCRYPT`).
    public func decodeLaravelRow(_ payload: Bytes) -> DecodedPayload {
        guard let raw = CookieCrypto.base64Decode(payload) else {
            return DecodedPayload(format: "base64", error: "the payload column is not base64")
        }
        var decoded = laravel(raw)
        decoded.format = "base64+" + (decoded.format ?? "")
        return decoded
    }

    /// A row of Django's database backend: `session_data` is a signed object,
    /// `<base64url of JSON, '.'-prefixed when zlib-compressed>:<timestamp>:<signature>`. The
    /// signature is not checked (no SECRET_KEY here): the data is read, never trusted or run.
    public func decodeDjangoSigned(_ data: Bytes) -> DecodedPayload {
        let parts = data.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count >= 3 else {
            // Before Django 3.1: base64 of "<hash>:<json>".
            if let raw = CookieCrypto.base64Decode(data), let colon = raw.firstIndex(of: UInt8(ascii: ":")) {
                var d = run(.json, Array(raw[(colon + 1)...]))
                d.format = "django-legacy+" + (d.format ?? "")
                return d
            }
            return DecodedPayload(format: "django-signed", error: "not a Django signed object (value:timestamp:signature)")
        }
        var body = Array(parts[0])
        let compressed = body.first == UInt8(ascii: ".")
        if compressed { body.removeFirst() }
        guard var raw = CookieCrypto.base64Decode(body) else { return DecodedPayload(format: "django-signed", error: "the value is not base64") }
        if compressed {
            do { raw = try Inflate.zlib(raw, limit: 16 << 20) } catch {  // a session past 16 MiB is not one
                return DecodedPayload(format: "django-signed+zlib", error: "\(error)")
            }
        }
        var d = run(.json, raw)
        d.format = "django-signed" + (compressed ? "+zlib+" : "+") + (d.format ?? "")
        return d
    }
}
