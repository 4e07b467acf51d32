/// JSON (express-session, Rails' `:json` cookies and stores, Spring's JSON serializer), keeping
/// key order and integers beyond 64 bits exactly.
public enum JSONPayload {
    /// Decodes one JSON value that spans the whole input (white space around it allowed).
    public static func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        var p = Parser(r: ByteReader(bytes), budget: Budget(limits))
        p.space()
        let v = try p.value()
        p.space()
        guard p.r.atEnd else { throw p.r.error("\(p.r.remaining) bytes after the value") }
        return v
    }

    /// Whether `bytes` start like a JSON object or array.
    public static func looksLike(_ bytes: [UInt8]) -> Bool {
        guard let b = bytes.first(where: { !Parser.isSpace($0) }) else { return false }
        return b == UInt8(ascii: "{") || b == UInt8(ascii: "[")
    }

    private struct Parser {
        var r: ByteReader
        var budget: Budget

        static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

        mutating func space() {
            while let b = r.peek(), Self.isSpace(b) { r.position += 1 }
        }

        mutating func literal(_ word: String, _ v: PayloadValue) throws(PayloadError) -> PayloadValue {
            for c in word.utf8 { try r.expect(c) }
            return v
        }

        mutating func value() throws(PayloadError) -> PayloadValue {
            let at = r.position
            try budget.spend(at: at)
            guard let b = r.peek() else { throw r.error("input ends early") }
            switch b {
            case UInt8(ascii: "{"):
                try budget.enter(at: at)
                defer { budget.leave() }
                r.position += 1
                var entries: [PayloadEntry] = []
                space()
                if r.peek() == UInt8(ascii: "}") {
                    r.position += 1
                    return .map(entries)
                }
                while true {
                    space()
                    guard r.peek() == UInt8(ascii: "\"") else { throw r.error("expected a string key") }
                    let k = try string()
                    space()
                    try r.expect(UInt8(ascii: ":"))
                    space()
                    entries.append(PayloadEntry(k, try value()))
                    space()
                    let c = try r.u8()
                    if c == UInt8(ascii: "}") { return .map(entries) }
                    guard c == UInt8(ascii: ",") else {
                        r.position -= 1
                        throw r.error("expected ',' or '}'")
                    }
                }
            case UInt8(ascii: "["):
                try budget.enter(at: at)
                defer { budget.leave() }
                r.position += 1
                var items: [PayloadValue] = []
                space()
                if r.peek() == UInt8(ascii: "]") {
                    r.position += 1
                    return .list(items)
                }
                while true {
                    space()
                    items.append(try value())
                    space()
                    let c = try r.u8()
                    if c == UInt8(ascii: "]") { return .list(items) }
                    guard c == UInt8(ascii: ",") else {
                        r.position -= 1
                        throw r.error("expected ',' or ']'")
                    }
                }
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            // What Python's json writes (allow_nan, its default): Django and Flask sessions may hold them.
            case UInt8(ascii: "N"): return try literal("NaN", .double(.nan))
            case UInt8(ascii: "I"): return try literal("Infinity", .double(.infinity))
            case UInt8(ascii: "-") where r.bytes.count > r.position + 1 && r.bytes[r.position + 1] == UInt8(ascii: "I"):
                r.position += 1
                return try literal("Infinity", .double(-.infinity))
            default: return try number()
            }
        }

        mutating func number() throws(PayloadError) -> PayloadValue {
            let start = r.position
            var integral = true
            while let b = r.peek(),
                (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
                    || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
            {
                if !(b >= 0x30 && b <= 0x39) && b != UInt8(ascii: "-") { integral = false }
                r.position += 1
                if r.position - start > 400 { throw PayloadError("a number longer than 400 characters", at: start) }
            }
            let text = String(decoding: r.bytes[start..<r.position], as: UTF8.self)
            guard !text.isEmpty else { throw PayloadError("unexpected byte 0x\(String(r.bytes[start], radix: 16))", at: start) }
            if integral {
                if let i = Int64(text) { return .int(i) }
                let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
                if !digits.isEmpty, digits.allSatisfy(\.isNumber), !(digits.count > 1 && digits.hasPrefix("0")) { return .bigInt(text) }
            } else if let d = Double(text), text.first != ".", text.first != "+" {
                return .double(d)
            }
            throw PayloadError("'\(text.prefix(40))' is not a number", at: start)
        }

        /// The low surrogate of an escaped pair (`\\udc00`…), consumed only when it is one.
        mutating func lowSurrogate() -> UInt32? {
            let p = r.position
            guard r.bytes.count >= p + 6, r.bytes[p] == UInt8(ascii: "\\"), r.bytes[p + 1] == UInt8(ascii: "u") else { return nil }
            var v: UInt32 = 0
            for b in r.bytes[(p + 2)..<(p + 6)] {
                guard let d = hexDigit(b) else { return nil }
                v = v << 4 | d
            }
            guard (0xDC00...0xDFFF).contains(v) else { return nil }
            r.position = p + 6
            return v
        }

        mutating func hex4() throws(PayloadError) -> UInt32 {
            var v: UInt32 = 0
            for b in try r.take(4) {
                guard let d = hexDigit(b) else { throw r.error("bad \\u escape") }
                v = v << 4 | d
            }
            return v
        }

        mutating func string() throws(PayloadError) -> PayloadValue {
            try r.expect(UInt8(ascii: "\""))
            var out: [UInt8] = []
            while true {
                let b = try r.u8()
                switch b {
                case UInt8(ascii: "\""): return .string(out)
                case UInt8(ascii: "\\"):
                    let e = try r.u8()
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "u"):
                        let escape = r.position - 2
                        var code = try hex4()
                        if (0xD800...0xDBFF).contains(code), let low = lowSurrogate() {
                            code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                        }
                        if let scalar = Unicode.Scalar(code) {
                            out += Array(String(Character(scalar)).utf8)
                        } else {
                            // A lone surrogate (Python's json writes one as it is): kept as its escape, as text.
                            out += r.bytes[escape..<r.position]
                        }
                    default:
                        r.position -= 1
                        throw r.error("bad escape")
                    }
                default:
                    guard b >= 0x20 else {
                        r.position -= 1
                        throw PayloadError("a control byte inside a string", at: r.position)
                    }
                    out.append(b)
                }
            }
        }
    }
}

/// The value of a hexadecimal digit.
func hexDigit(_ b: UInt8) -> UInt32? {
    switch b {
    case 0x30...0x39: return UInt32(b - 0x30)
    case 0x41...0x46: return UInt32(b - 0x41 + 10)
    case 0x61...0x66: return UInt32(b - 0x61 + 10)
    default: return nil
    }
}
