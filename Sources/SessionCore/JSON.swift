import SessionBasics

/// A JSON value, written by hand so binary ids stay lossless.
///
/// A byte string that is valid UTF-8 becomes a JSON string. One that is not becomes a
/// string with the bad bytes shown as `\xHH` (as in tables), and the object that holds it
/// gains a sibling `<name>_base64` field with the exact bytes.
public indirect enum JSON {
    case string(String)
    case bytes([UInt8])
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    /// The value as text, indented by two spaces when `pretty`.
    public func render(pretty: Bool, indent: Int = 0) -> String {
        var out = ""
        write(to: &out, pretty: pretty, indent: indent)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .string(let s): JSON.quote(s, into: &out)
        case .bytes(let b):
            if let s = String(validating: b, as: UTF8.self) { JSON.quote(s, into: &out) } else { JSON.quote(Escape.visible(b), into: &out) }
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                item.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let fields):
            if fields.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            var first = true
            for (name, value) in JSON.expand(fields) {
                if !first { out += "," }
                first = false
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSON.quote(name, into: &out)
                out += pretty ? ": " : ":"
                value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    /// Adds `<name>_base64` after every byte field that is not valid UTF-8.
    private static func expand(_ fields: [(String, JSON)]) -> [(String, JSON)] {
        var out: [(String, JSON)] = []
        for (name, value) in fields {
            out.append((name, value))
            if case .bytes(let b) = value, String(validating: b, as: UTF8.self) == nil {
                out.append((name + "_base64", .string(base64(b))))
            }
        }
        return out
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let h = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Standard base64 with padding.
    public static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 0x3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[Int((b1 & 0xF) << 2 | b2 >> 6)] : "=")
            out.append(i + 2 < bytes.count ? table[Int(b2 & 0x3F)] : "=")
            i += 3
        }
        return out
    }
}
