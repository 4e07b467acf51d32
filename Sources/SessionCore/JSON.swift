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
    /// Text already written as JSON, copied as it is (the audit trail's session entries, made once).
    case raw(String)

    /// The value as text, indented by two spaces when `pretty`.
    public func render(pretty: Bool, indent: Int = 0) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out, pretty: pretty, indent: indent)
        return String(decoding: out, as: UTF8.self)
    }

    /// Written as UTF-8 bytes, appended a run at a time: a `String` grown a scalar at a time made
    /// `show -o json` of decoded payloads cost twice the same output undecoded.
    private func write(to out: inout [UInt8], pretty: Bool, indent: Int) {
        switch self {
        case .string(let s): JSON.quote(s, into: &out)
        case .bytes(let b):
            if String(validating: b, as: UTF8.self) != nil {
                JSON.quote(utf8: b, into: &out)
            } else {
                JSON.quote(Escape.visible(b), into: &out)
            }
        case .int(let i): out += String(i).utf8
        case .double(let d): out += (d.isFinite ? String(d) : "null").utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .null: out += "null".utf8
        case .raw(let text): out += text.utf8
        case .array(let items):
            if items.isEmpty {
                out += "[]".utf8
                return
            }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSON.newline(indent + 1, into: &out) }
                item.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSON.newline(indent, into: &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let fields):
            if fields.isEmpty {
                out += "{}".utf8
                return
            }
            out.append(UInt8(ascii: "{"))
            var first = true
            func field(_ name: String, _ value: JSON) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                if pretty { JSON.newline(indent + 1, into: &out) }
                JSON.quote(name, into: &out)
                out += (pretty ? ": " : ":").utf8
                value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            for (name, value) in fields {
                field(name, value)
                // A byte field that is not valid UTF-8 gains `<name>_base64` with the exact bytes.
                if case .bytes(let b) = value, String(validating: b, as: UTF8.self) == nil {
                    field(name + "_base64", .string(JSON.base64(b)))
                }
            }
            if pretty { JSON.newline(indent, into: &out) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ indent: Int, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    private static func quote(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { quote(utf8: $0, into: &out) }
    }

    /// A JSON string of valid UTF-8: runs that need no escape are copied whole.
    private static func quote<C: RandomAccessCollection>(utf8 bytes: C, into out: inout [UInt8]) where C.Element == UInt8, C.Index == Int {
        out.append(UInt8(ascii: "\""))
        var run = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            var escape: String?
            switch b {
            case UInt8(ascii: "\""): escape = "\\\""
            case UInt8(ascii: "\\"): escape = "\\\\"
            case UInt8(ascii: "\n"): escape = "\\n"
            case UInt8(ascii: "\r"): escape = "\\r"
            case UInt8(ascii: "\t"): escape = "\\t"
            case 0..<0x20, 0x7F: escape = "\\u00" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
            case 0xE2 where i + 2 < bytes.endIndex && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                // U+2028 and U+2029: valid JSON, but they end a line in JavaScript.
                escape = bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"
            default: break
            }
            guard let escape else {
                i += 1
                continue
            }
            out.append(contentsOf: bytes[run..<i])
            out += escape.utf8
            i += b == 0xE2 ? 3 : 1
            run = i
        }
        out.append(contentsOf: bytes[run..<bytes.endIndex])
        out.append(UInt8(ascii: "\""))
    }

    /// Standard base64 with padding.
    public static func base64(_ bytes: [UInt8]) -> String {
        let table: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        table.withUTF8Buffer { t in
            var i = 0
            while i < bytes.count {
                let b0 = bytes[i]
                let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
                let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
                out.append(t[Int(b0 >> 2)])
                out.append(t[Int((b0 & 0x3) << 4 | b1 >> 4)])
                out.append(i + 1 < bytes.count ? t[Int((b1 & 0xF) << 2 | b2 >> 6)] : UInt8(ascii: "="))
                out.append(i + 2 < bytes.count ? t[Int(b2 & 0x3F)] : UInt8(ascii: "="))
                i += 3
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
