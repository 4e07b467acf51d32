import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// The JSON shapes of SPEC.md, one builder per domain value.
enum JSONModels {
    /// `"complete"`, and `"recovered"` when something went wrong and was made good (a node lost
    /// during a scan, its shard scanned again on the new primary): said, never silent.
    static func complete(_ c: Completeness) -> [(String, JSON)] {
        [("complete", .bool(c.isComplete))] + (c.recoveries.isEmpty ? [] : [("recovered", .array(c.recoveries.map { .string($0) }))])
    }

    /// `{"user", "session", "mapping_key", "session_key"}`.
    static func ref(_ r: SessionRef) -> [(String, JSON)] {
        // A SQL row has no mapping key (null); a Redis mapping key is never empty.
        [
            ("user", .bytes(r.user)), ("session", .bytes(r.session)),
            ("mapping_key", r.mappingKey.isEmpty ? .null : .bytes(r.mappingKey)), ("session_key", .bytes(r.sessionKey)),
        ]
    }

    /// A `list` session: the reference plus `exists`, `ttl`, `bytes`; with `details`, `idle_seconds` and `fields`.
    static func record(_ r: SessionRecord, details: Bool = false) -> [(String, JSON)] {
        var out =
            ref(r.ref) + [
                ("exists", .bool(r.exists)), ("ttl", r.ttl.map { .int($0) } ?? .null),
                ("bytes", r.bytes.map { .int($0) } ?? .null),
            ]
        if details {
            out.append(("idle_seconds", r.idleSeconds.map { .int($0) } ?? .null))
            if let f = r.fields { out.append(("fields", PayloadRender.fieldsJSON(f))) }
        }
        return out
    }

    /// Sessions the filters left out: the reference, `reason`, and whether it was `undecided`.
    static func filteredOut(_ out: [FilteredOut]) -> JSON {
        .array(out.map { .object(ref($0.ref) + [("reason", .string($0.reason)), ("undecided", .bool($0.undecided))]) })
    }

    /// A refused mapping with its `reason`.
    static func refusal(_ r: Refusal) -> JSON {
        .object([
            ("user", .bytes(r.user)), ("session", .bytes(r.session)), ("mapping_key", .bytes(r.mappingKey)),
            ("session_key", r.sessionKey.map { .bytes($0) } ?? .null), ("reason", .string(r.reason.description)),
        ])
    }
}

/// Human formats for table cells.
enum Cell {
    /// Bytes, visibly escaped.
    static func text(_ b: [UInt8]) -> String { Escape.visible(b) }

    /// A TTL or an idle time as its two largest units, as people read them: `29d 4h`, `1h`, `59m 59s`, `12s`;
    /// `never` without expiry.
    static func ttl(_ seconds: Int64?) -> String {
        guard let s = seconds else { return "never" }
        let parts: [(Int64, String)] = [(s / 86_400, "d"), (s % 86_400 / 3600, "h"), (s % 3600 / 60, "m"), (s % 60, "s")]
        guard let first = parts.firstIndex(where: { $0.0 > 0 }) else { return "0s" }
        let head = "\(parts[first].0)\(parts[first].1)"
        guard first + 1 < parts.count, parts[first + 1].0 > 0 else { return head }
        return head + " \(parts[first + 1].0)\(parts[first + 1].1)"
    }

    /// A round duration as `5m`, `1h`, `7d`, `1h 30m`: only the parts that are not zero.
    static func duration(_ seconds: Int64) -> String {
        let parts: [(Int64, String)] = [(seconds / 86_400, "d"), (seconds % 86_400 / 3600, "h"), (seconds % 3600 / 60, "m"), (seconds % 60, "s")]
        let text = parts.filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined(separator: " ")
        return text.isEmpty ? "0s" : text
    }

    /// A time as RFC 3339 UTC with how long ago it was: `2024-05-06T07:08:09Z (3h ago)`.
    static func time(_ seconds: Double, now: Double = Cell.now()) -> String {
        Timestamp.rfc3339(seconds) + " (\(ago(seconds, now: now)))"
    }

    /// How long ago: `3h ago`, `29d 4h ago`, `in 5m` for a time ahead.
    static func ago(_ seconds: Double, now: Double = Cell.now()) -> String {
        let delta = Int64(now - seconds)
        return delta >= 0 ? "\(ttl(delta)) ago" : "in \(ttl(-delta))"
    }

    /// Seconds since 1970, now.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// `1 session`, `2 sessions`.
    static func plural(_ n: Int, _ word: String) -> String {
        "\(n) \(word)\(n == 1 ? "" : "s")"
    }

    /// `1 copy`, `2 copies`: a word whose plural is not `-s`.
    static func plural(_ n: Int, _ word: String, _ many: String) -> String {
        "\(n) \(n == 1 ? word : many)"
    }

    /// Seconds as `5s`, `0.5s`, `1m 30s`.
    static func seconds(_ s: Double) -> String {
        s < 60 && s != s.rounded() ? "\((s * 10).rounded() / 10)s" : duration(Int64(s.rounded()))
    }
}
