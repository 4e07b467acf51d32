import SessionBasics
import SessionPayload

/// Values a session holds that are secrets (a CSRF token, a password salt or digest, an API key,
/// a remember-me token): `show` prints them as `(redacted)` unless `--reveal` is given, in tables
/// and JSON alike. Decided by the name a value is kept under, whatever the framework, and by what
/// a preset knows of its own (Devise keeps the password salt beside the user id).
public enum Redaction {
    /// What a redacted value reads as.
    public static let marker = "(redacted; --reveal shows it)"

    /// Whether a value kept under `name` is a secret: `password*`, `*_digest`, `*salt*`, `_token`,
    /// `*csrf*` (Rails keeps `_csrf_token`), `*secret*`, `*api_key*`, `*remember*` (case not minded).
    public static func isSecret(name: Bytes) -> Bool {
        // Names are nearly always ASCII: lowered and searched as bytes (a `String` lowered and searched
        // per entry was a third of `show`'s time); anything else as Unicode lowers it ("K", the Kelvin sign, is "k").
        let n =
            name.allSatisfy { $0 < 0x80 }
            ? name.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
            : Array(String(decoding: name, as: UTF8.self).lowercased().utf8)
        return n.starts(with: SecretNames.password) || n.reversed().starts(with: SecretNames.digest.reversed()) || n == SecretNames.token
            || SecretNames.anywhere.contains { n.contains(subsequence: $0) }
    }

    private enum SecretNames {
        static let password = Bytes("password".utf8), digest = Bytes("_digest".utf8), token = Bytes("_token".utf8)
        static let anywhere = ["salt", "csrf", "secret", "api_key", "apikey", "remember"].map { Bytes($0.utf8) }
    }

    /// `value` with every secret replaced by ``marker``, and how many were.
    public static func redact(_ value: PayloadValue) -> (value: PayloadValue, redacted: Int) {
        var count = 0
        func walk(_ v: PayloadValue, depth: Int) -> PayloadValue {
            guard depth < 200 else { return v }
            switch v {
            case .map(let entries): return .map(entries.map { entry($0, depth) })
            case .object(let name, let fields): return .object(name, fields.map { entry($0, depth) })
            case .list(let items): return .list(items.map { walk($0, depth: depth + 1) })
            default: return v
            }
        }
        func entry(_ e: PayloadEntry, _ depth: Int) -> PayloadEntry {
            var e = e
            let name: Bytes?
            switch e.key {
            case .string(let b), .symbol(let b): name = b
            default: name = nil
            }
            if let name, isSecret(name: name), e.value != .null {
                count += 1
                e.value = .string(Array(marker.utf8))
            } else if let name, isDeviseKey(name), case .list(var items) = e.value, items.count == 2, case .string = items[1] {
                // Devise: `warden.user.<scope>.key` is [[id], password salt].
                count += 1
                items[1] = .string(Array(marker.utf8))
                e.value = .list(items)
            } else {
                e.value = walk(e.value, depth: depth + 1)
            }
            return e
        }
        let out = walk(value, depth: 0)
        return (out, count)
    }

    /// A hash's fields (Spring's session attributes): the secret ones replaced, and how many were.
    public static func redact(fields: [(field: Bytes, value: Bytes)]) -> (fields: [(field: Bytes, value: Bytes)], redacted: Int) {
        var count = 0
        let out = fields.map { f -> (field: Bytes, value: Bytes) in
            let last = f.field.split(separator: UInt8(ascii: ":")).last.map(Array.init) ?? f.field
            guard isSecret(name: last) else { return f }
            count += 1
            return (f.field, Array(marker.utf8))
        }
        return (out, count)
    }

    /// `warden.user.<scope>.key`, Devise's serialized user: `[[id], salt]`.
    private static func isDeviseKey(_ name: Bytes) -> Bool {
        name.starts(with: "warden.user.".utf8) && name.reversed().starts(with: ".key".utf8.reversed())
    }
}
