/// PHP's `serialize()` format (`N b i d s a O C E r R`), read as data.
///
/// Objects become `.object(class, properties)` (protected and private property names keep
/// PHP's `\0*\0` and `\0Class\0` markers stripped), `C:` custom objects stay opaque with
/// their class; `r:`/`R:` references copy the value they name, and one to a value still
/// being read is a `.cycle`. No class is loaded and no `__wakeup` runs.
public enum PHPSerialize {
    /// Decodes one serialized value that spans the whole input.
    public static func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        var d = Decoder(ByteReader(bytes), Budget(limits))
        let value = try d.value()
        guard d.r.atEnd else { throw d.r.error("\(d.r.remaining) bytes after the value") }
        return value
    }

    /// Whether `bytes` start like a serialized value.
    public static func looksLike(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 2 else { return false }
        if bytes[0] == UInt8(ascii: "N") { return bytes[1] == UInt8(ascii: ";") }
        return Array("abidsOCE".utf8).contains(bytes[0]) && bytes[1] == UInt8(ascii: ":")
    }

    /// The decoder, shared with PHP's session format (whose variables share one reference table).
    struct Decoder {
        var r: ByteReader
        var budget: Budget
        /// Values in the order PHP numbers them for `r:`/`R:` (1-based there); `nil` while being read.
        var slots: [PayloadValue?] = []

        init(_ r: ByteReader, _ budget: Budget) {
            self.r = r
            self.budget = budget
        }

        /// Digits (with an optional sign) up to `terminator`, read in place.
        mutating func integer(until terminator: UInt8) throws(PayloadError) -> Int64 {
            let at = r.position
            var i = r.position
            let negative = i < r.bytes.count && r.bytes[i] == UInt8(ascii: "-")
            if negative || (i < r.bytes.count && r.bytes[i] == UInt8(ascii: "+")) { i += 1 }
            var n: Int64 = 0
            let digitsStart = i
            while i < r.bytes.count, r.bytes[i] >= 0x30, r.bytes[i] <= 0x39 {
                let (m, o1) = n.multipliedReportingOverflow(by: 10)
                // Accumulated with its sign, so Int64.min reads too.
                let digit = Int64(r.bytes[i] - 0x30)
                let (a, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
                guard !o1, !o2 else { throw PayloadError("integer out of range", at: at) }
                n = a
                i += 1
            }
            guard i > digitsStart, i < r.bytes.count, r.bytes[i] == terminator else {
                throw PayloadError("expected an integer and '\(Character(Unicode.Scalar(terminator)))'", at: at)
            }
            r.position = i + 1
            return n
        }

        /// A length or count that fits in what is left.
        mutating func count(until terminator: UInt8, perItem: Int = 1) throws(PayloadError) -> Int {
            let at = r.position
            let n = try integer(until: terminator)
            guard n >= 0, n <= Int64(r.remaining / perItem) else {
                throw PayloadError("length \(n) does not fit in the \(r.remaining) bytes left", at: at)
            }
            return Int(n)
        }

        /// `"…"` of a known length.
        mutating func quoted(_ n: Int) throws(PayloadError) -> [UInt8] {
            try r.expect(UInt8(ascii: "\""))
            let s = try r.take(n)
            try r.expect(UInt8(ascii: "\""))
            return s
        }

        /// An array key: an integer or a string, not numbered for references.
        mutating func key() throws(PayloadError) -> PayloadValue {
            let at = r.position
            let t = try r.u8()
            try r.expect(UInt8(ascii: ":"))
            switch t {
            case UInt8(ascii: "i"): return .int(try integer(until: UInt8(ascii: ";")))
            case UInt8(ascii: "s"):
                let s = try quoted(try count(until: UInt8(ascii: ":")))
                try r.expect(UInt8(ascii: ";"))
                return .string(s)
            default: throw PayloadError("an array key must be i: or s:", at: at)
            }
        }

        /// `n:{key value …}` after the opening count.
        mutating func members(property: Bool) throws(PayloadError) -> [PayloadEntry] {
            let n = try count(until: UInt8(ascii: ":"), perItem: 4)
            try r.expect(UInt8(ascii: "{"))
            var out: [PayloadEntry] = []
            for _ in 0..<n {
                var k = try key()
                if property, case .string(let name) = k, name.first == 0, let end = name.dropFirst().firstIndex(of: 0) {
                    k = .string(Array(name[(end + 1)...]))  // "\0*\0name" or "\0Class\0name"
                }
                out.append(PayloadEntry(k, try value()))
            }
            try r.expect(UInt8(ascii: "}"))
            return out
        }

        mutating func fill(_ slot: Int, _ value: PayloadValue) -> PayloadValue {
            slots[slot] = value
            return value
        }

        mutating func value() throws(PayloadError) -> PayloadValue {
            let at = r.position
            try budget.spend(at: at)
            try budget.enter(at: at)
            defer { budget.leave() }
            let t = try r.u8()
            if t == UInt8(ascii: "N") {
                try r.expect(UInt8(ascii: ";"))
                slots.append(.null)
                return .null
            }
            try r.expect(UInt8(ascii: ":"))
            if t == UInt8(ascii: "R") {
                // A PHP reference: shares a slot, takes none.
                return try reference(at)
            }
            let slot = slots.count
            slots.append(nil)
            switch t {
            case UInt8(ascii: "b"):
                let n = try integer(until: UInt8(ascii: ";"))
                guard n == 0 || n == 1 else { throw PayloadError("boolean \(n)", at: at) }
                return fill(slot, .bool(n == 1))
            case UInt8(ascii: "i"): return fill(slot, .int(try integer(until: UInt8(ascii: ";"))))
            case UInt8(ascii: "d"):
                let text = String(decoding: try r.until(UInt8(ascii: ";"), max: 64), as: UTF8.self)
                switch text {
                case "INF": return fill(slot, .double(.infinity))
                case "-INF": return fill(slot, .double(-.infinity))
                case "NAN": return fill(slot, .double(.nan))
                default:
                    guard let d = Double(text) else { throw PayloadError("'\(text)' is not a number", at: at) }
                    return fill(slot, .double(d))
                }
            case UInt8(ascii: "s"):
                let s = try quoted(try count(until: UInt8(ascii: ":")))
                try r.expect(UInt8(ascii: ";"))
                return fill(slot, .string(s))
            case UInt8(ascii: "a"):
                return fill(slot, .map(try members(property: false)))
            case UInt8(ascii: "O"):
                let name = try quoted(try count(until: UInt8(ascii: ":")))
                try r.expect(UInt8(ascii: ":"))
                return fill(slot, .object(String(decoding: name, as: UTF8.self), try members(property: true)))
            case UInt8(ascii: "C"):
                let name = try quoted(try count(until: UInt8(ascii: ":")))
                try r.expect(UInt8(ascii: ":"))
                let n = try count(until: UInt8(ascii: ":"))
                try r.expect(UInt8(ascii: "{"))
                let data = try r.take(n)
                try r.expect(UInt8(ascii: "}"))
                return fill(slot, .opaque(String(decoding: name, as: UTF8.self), data))
            case UInt8(ascii: "E"):
                let name = try quoted(try count(until: UInt8(ascii: ":")))
                try r.expect(UInt8(ascii: ";"))
                return fill(slot, .object("enum", [PayloadEntry(.string(Array("case".utf8)), .string(name))]))
            case UInt8(ascii: "r"):
                slots.removeLast()
                let v = try reference(at)
                slots.append(v)
                return v
            default:
                throw PayloadError("unknown type '\(Character(Unicode.Scalar(t)))'", at: at)
            }
        }

        mutating func reference(_ at: Int) throws(PayloadError) -> PayloadValue {
            let n = try integer(until: UInt8(ascii: ";"))
            guard n >= 1, n <= Int64(slots.count) else { throw PayloadError("reference \(n) to nothing", at: at) }
            guard let value = slots[Int(n - 1)] else { return .cycle }
            // A copy costs what it holds; counting stops at the budget, so references cannot blow up.
            try budget.spend(value.size(limit: budget.limits.maxNodes - budget.nodes + 1), at: at)
            return value
        }
    }
}

/// PHP's session format (`session.serialize_handler = php`): `name|value` pairs, the values
/// in `serialize()` format sharing one reference table. `php_serialize` is plain
/// ``PHPSerialize``.
public enum PHPSession {
    /// Decodes a session string into a map of variable names to values.
    public static func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        var d = PHPSerialize.Decoder(ByteReader(bytes), Budget(limits))
        var entries: [PayloadEntry] = []
        while !d.r.atEnd {
            let at = d.r.position
            let name = try d.r.until(UInt8(ascii: "|"), max: 1 << 16)
            guard !name.isEmpty else { throw PayloadError("a session variable with no name", at: at) }
            if name.first == UInt8(ascii: "!") {
                // PHP marks a variable that was unset this way; it has no value.
                continue
            }
            entries.append(PayloadEntry(.string(name), try d.value()))
        }
        return .map(entries)
    }

    /// Whether `bytes` start like `name|` followed by a serialized value.
    public static func looksLike(_ bytes: [UInt8]) -> Bool {
        guard let bar = bytes.prefix(256).firstIndex(of: UInt8(ascii: "|")), bar > 0 else { return false }
        return bytes[..<bar].allSatisfy { $0 >= 0x20 && $0 != UInt8(ascii: ":") && $0 != UInt8(ascii: ";") }
            && PHPSerialize.looksLike(Array(bytes[(bar + 1)...].prefix(2)))
    }
}
