import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore
import SessionPayload

/// Decoded payloads for people (an indented tree) and for scripts (JSON as SPEC says:
/// objects as `{"$class": NAME, …}`).
enum PayloadRender {
    /// The most lines a tree prints; the rest is counted.
    static let maxLines = 500

    /// The tree, one line per value, indented by two spaces per level under `indent`.
    static func tree(_ value: PayloadValue, indent: Int = 0) -> [String] {
        var lines: [String] = []
        var omitted = 0
        func add(_ text: String, _ depth: Int) {
            if lines.count < maxLines { lines.append(String(repeating: "  ", count: depth) + text) } else { omitted += 1 }
        }
        func walk(_ label: String, _ v: PayloadValue, _ depth: Int) {
            let prefix = label.isEmpty ? "" : label + ":"
            switch v {
            case .list(let items):
                add(prefix + (items.isEmpty ? " []" : ""), depth)
                for (i, item) in items.enumerated() { walk("[\(i)]", item, depth + 1) }
            case .map(let entries):
                add(prefix + (entries.isEmpty ? " {}" : ""), depth)
                for e in entries { walk(keyText(e.key), e.value, depth + 1) }
            case .object(let name, let fields):
                add(prefix + " " + Escape.visible(Array(name.utf8)), depth)
                for e in fields { walk(keyText(e.key), e.value, depth + 1) }
            default:
                add(prefix.isEmpty ? scalar(v) : prefix + " " + scalar(v), depth)
            }
        }
        switch value {
        case .map(let entries): for e in entries { walk(keyText(e.key), e.value, indent) }
        default: walk("", value, indent)
        }
        if omitted > 0 { lines.append(String(repeating: "  ", count: indent) + "… \(omitted) more lines") }
        return lines
    }

    /// A key as a label: text as it is (visibly escaped), anything else as its scalar form.
    static func keyText(_ key: PayloadValue) -> String {
        switch key {
        case .string(let b): return Escape.visible(b)
        case .symbol(let b): return ":" + Escape.visible(b)
        default: return scalar(key)
        }
    }

    /// One value on one line.
    static func scalar(_ v: PayloadValue) -> String {
        switch v {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .bigInt(let s): return s
        case .double(let d): return String(d)
        case .string(let b): return "\"" + Escape.visible(b).replacingQuotes() + "\""
        case .symbol(let b): return ":" + Escape.visible(b)
        case .time(let t): return Timestamp.rfc3339(t)
        case .opaque(let kind, let bytes): return "<\(Escape.visible(Array(kind.utf8))), \(bytes.count) bytes>"
        case .cycle: return "<cycle>"
        case .list(let items): return "[\(items.count) items]"
        case .map(let e): return "{\(e.count) entries}"
        case .object(let name, _): return Escape.visible(Array(name.utf8))
        }
    }

    /// The value as JSON: maps to objects (keys as text), objects with `$class`, opaque data with its bytes in base64.
    static func json(_ v: PayloadValue) -> JSON {
        switch v {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .bigInt(let s): return .string(s)
        case .double(let d): return .double(d)
        case .string(let b): return .bytes(b)
        case .symbol(let b): return .bytes(b)
        case .time(let t): return .string(Timestamp.rfc3339(t))
        case .list(let items): return .array(items.map(json))
        case .map(let entries): return .object(entries.map { (jsonKey($0.key), json($0.value)) })
        case .object(let name, let fields): return .object([("$class", .string(name))] + fields.map { (jsonKey($0.key), json($0.value)) })
        case .opaque(let kind, let bytes): return .object([("$class", .string(kind)), ("$bytes_base64", .string(JSON.base64(bytes)))])
        case .cycle: return .object([("$ref", .string("cycle"))])
        }
    }

    private static func jsonKey(_ key: PayloadValue) -> String {
        switch key {
        case .string(let b), .symbol(let b): return String(validating: b, as: UTF8.self) ?? Escape.visible(b)
        default: return scalar(key)
        }
    }

    /// `fields` as SPEC's JSON: only what is known, times in RFC 3339 UTC.
    static func fieldsJSON(_ f: SessionFields) -> JSON {
        var out: [(String, JSON)] = []
        if let u = f.user { out.append(("user", .string(u))) }
        if let t = f.createdAt { out.append(("created_at", .string(Timestamp.rfc3339(t)))) }
        if let t = f.lastSeenAt { out.append(("last_seen_at", .string(Timestamp.rfc3339(t)))) }
        if let ip = f.ip { out.append(("ip", .string(ip))) }
        if let ua = f.userAgent { out.append(("user_agent", .string(ua))) }
        return .object(out)
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var out = ""
        for c in self { if c == "\"" { out += "\\\"" } else { out.append(c) } }
        return out
    }
}
