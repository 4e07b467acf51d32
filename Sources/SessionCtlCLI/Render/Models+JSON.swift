import SessionKit

/// The JSON shapes of SPEC.md, one builder per domain value.
enum JSONModels {
    /// `{"user", "session", "mapping_key", "session_key"}`.
    static func ref(_ r: SessionRef) -> [(String, JSON)] {
        [("user", .bytes(r.user)), ("session", .bytes(r.session)),
         ("mapping_key", .bytes(r.mappingKey)), ("session_key", .bytes(r.sessionKey))]
    }

    /// A `list` session: the reference plus `exists`, `ttl`, `bytes`.
    static func record(_ r: SessionRecord) -> [(String, JSON)] {
        ref(r.ref) + [("exists", .bool(r.exists)), ("ttl", r.ttl.map { .int($0) } ?? .null),
                      ("bytes", r.bytes.map { .int($0) } ?? .null)]
    }

    /// A refused mapping with its `reason`.
    static func refusal(_ r: Refusal) -> JSON {
        .object([("user", .bytes(r.user)), ("session", .bytes(r.session)), ("mapping_key", .bytes(r.mappingKey)),
                 ("session_key", r.sessionKey.map { .bytes($0) } ?? .null), ("reason", .string(r.reason.description))])
    }
}

/// Human formats for table cells.
enum Cell {
    /// Bytes, visibly escaped.
    static func text(_ b: [UInt8]) -> String { Escape.visible(b) }

    /// A TTL as `1d2h`, `59m59s`, `12s`; `never` without expiry.
    static func ttl(_ seconds: Int64?) -> String {
        guard let s = seconds else { return "never" }
        let d = s / 86_400, h = s % 86_400 / 3600, m = s % 3600 / 60, sec = s % 60
        if d > 0 { return "\(d)d\(h)h" }
        if h > 0 { return "\(h)h\(m)m" }
        if m > 0 { return "\(m)m\(sec)s" }
        return "\(sec)s"
    }

    /// A round duration as `5m`, `1h`, `7d`, `1h30m`: only the parts that are not zero.
    static func duration(_ seconds: Int64) -> String {
        let parts: [(Int64, String)] = [(seconds / 86_400, "d"), (seconds % 86_400 / 3600, "h"), (seconds % 3600 / 60, "m"), (seconds % 60, "s")]
        let text = parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined()
        return text.isEmpty ? "0s" : text
    }

    /// `1 session`, `2 sessions`.
    static func plural(_ n: Int, _ word: String) -> String {
        "\(n) \(word)\(n == 1 ? "" : "s")"
    }
}
