/// Ruby's `Marshal` format 4.8 (what Rack, Rails and redis-store write), read as data.
///
/// Objects become `.object(class, ivars)`, structs `.object(class, members)`, user-defined
/// dumps (`_dump`) opaque bytes with their class, `marshal_dump` data an object holding it;
/// object links (`@`) copy what they point to, and a link to an object still being read is
/// a `.cycle`. Nothing is loaded or called.
public enum RubyMarshal {
    /// Decodes a Marshal 4.8 stream holding one value.
    public static func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        var d = Decoder(ByteReader(bytes), Budget(limits))
        let major = try d.r.u8()
        let minor = try d.r.u8()
        guard major == 4, minor <= 8 else { throw PayloadError("not Marshal 4.8 (version \(major).\(minor))", at: 0) }
        let value = try d.object()
        guard d.r.atEnd else { throw d.r.error("\(d.r.remaining) bytes after the value") }
        return value
    }

    /// Whether `bytes` start like a Marshal 4.8 stream.
    public static func looksLike(_ bytes: [UInt8]) -> Bool { bytes.count >= 3 && bytes[0] == 4 && bytes[1] == 8 }

    private struct Decoder {
        var r: ByteReader
        var budget: Budget
        var symbols: [[UInt8]] = []
        /// Objects in the order they began, for `@` links; `nil` while one is being read.
        var objects: [PayloadValue?] = []

        init(_ r: ByteReader, _ budget: Budget) {
            self.r = r
            self.budget = budget
        }

        /// Ruby's packed integer (`w_long`).
        mutating func long() throws(PayloadError) -> Int64 {
            let c = Int8(bitPattern: try r.u8())
            switch c {
            case 0: return 0
            case 5...: return Int64(c) - 5
            case ...(-5): return Int64(c) + 5
            case 1...4: return Int64(try r.littleEndian(Int(c)))
            default:
                let n = Int(-c)
                var x: Int64 = -1
                for (i, b) in try r.take(n).enumerated() {
                    x &= ~(0xFF << (8 * Int64(i)))
                    x |= Int64(b) << (8 * Int64(i))
                }
                return x
            }
        }

        /// A length or count: non-negative and no larger than the bytes left (each item takes one at least).
        mutating func count(perItem: Int = 1) throws(PayloadError) -> Int {
            let at = r.position
            let n = try long()
            guard n >= 0, n <= Int64(r.remaining / perItem) else {
                throw PayloadError("count \(n) does not fit in the \(r.remaining) bytes left", at: at)
            }
            return Int(n)
        }

        mutating func bytes() throws(PayloadError) -> [UInt8] { try r.take(try count()) }

        mutating func reserve() -> Int {
            objects.append(nil)
            return objects.count - 1
        }

        mutating func fill(_ slot: Int, _ value: PayloadValue) -> PayloadValue {
            objects[slot] = value
            return value
        }

        /// A symbol (`:`), a symbol link (`;`), or a symbol with an encoding (`I:`).
        mutating func symbol() throws(PayloadError) -> [UInt8] {
            let at = r.position
            switch try r.u8() {
            case UInt8(ascii: ":"):
                let s = try bytes()
                symbols.append(s)
                return s
            case UInt8(ascii: ";"):
                let i = try long()
                guard i >= 0, i < Int64(symbols.count) else { throw PayloadError("symbol link \(i) to nothing", at: at) }
                return symbols[Int(i)]
            case UInt8(ascii: "I"):
                let s = try symbol()
                try skipIvars()
                return s
            case let t:
                throw PayloadError("expected a symbol, found type byte 0x\(String(t, radix: 16))", at: at)
            }
        }

        mutating func className() throws(PayloadError) -> String { String(decoding: try symbol(), as: UTF8.self) }

        /// Instance variables after an `I` value: read and dropped (a string's encoding).
        mutating func skipIvars() throws(PayloadError) {
            let n = try count(perItem: 2)
            for _ in 0..<n {
                _ = try symbol()
                _ = try object()
            }
        }

        mutating func pairs(ivars: Bool) throws(PayloadError) -> [PayloadEntry] {
            let n = try count(perItem: 2)
            var out: [PayloadEntry] = []
            for _ in 0..<n {
                let key: PayloadValue = ivars ? .symbol(try symbol()) : try object()
                out.append(PayloadEntry(key, try object()))
            }
            return out
        }

        mutating func object() throws(PayloadError) -> PayloadValue {
            let at = r.position
            try budget.spend(at: at)
            try budget.enter(at: at)
            defer { budget.leave() }
            let type = try r.u8()
            switch type {
            case UInt8(ascii: "0"): return .null
            case UInt8(ascii: "T"): return .bool(true)
            case UInt8(ascii: "F"): return .bool(false)
            case UInt8(ascii: "i"): return .int(try long())
            case UInt8(ascii: ":"), UInt8(ascii: ";"):
                r.position -= 1
                return .symbol(try symbol())
            case UInt8(ascii: "\""):
                let slot = reserve()
                return fill(slot, .string(try bytes()))
            case UInt8(ascii: "l"):
                let slot = reserve()
                let sign = try r.u8()
                guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { throw PayloadError("bignum without a sign", at: at) }
                let words = try count(perItem: 2)
                let magnitude = try r.take(words * 2)
                guard magnitude.count <= 512 else { return fill(slot, .opaque("Bignum", magnitude)) }
                let digits = (sign == UInt8(ascii: "-") ? "-" : "") + decimal(littleEndianMagnitude: magnitude)
                // Marshal writes integers from 2^30 on as bignums; those that fit in 64 bits are plain integers.
                return fill(slot, Int64(digits).map { .int($0) } ?? .bigInt(digits))
            case UInt8(ascii: "f"):
                let slot = reserve()
                let text = String(decoding: try bytes().prefix { $0 != 0 }, as: UTF8.self)
                switch text {
                case "nan": return fill(slot, .double(.nan))
                case "inf": return fill(slot, .double(.infinity))
                case "-inf": return fill(slot, .double(-.infinity))
                default:
                    guard let d = Double(text) else { throw PayloadError("float '\(text.prefix(40))' is not a number", at: at) }
                    return fill(slot, .double(d))
                }
            case UInt8(ascii: "["):
                let slot = reserve()
                let n = try count()
                var items: [PayloadValue] = []
                for _ in 0..<n { items.append(try object()) }
                return fill(slot, .list(items))
            case UInt8(ascii: "{"), UInt8(ascii: "}"):
                let slot = reserve()
                var entries = try pairs(ivars: false)
                if type == UInt8(ascii: "}") {
                    let fallback = try object()
                    entries.append(PayloadEntry(.symbol(Array("(default)".utf8)), fallback))
                }
                return fill(slot, .map(entries))
            case UInt8(ascii: "o"), UInt8(ascii: "S"):
                let name = try className()
                let slot = reserve()
                return fill(slot, .object(name, try pairs(ivars: true)))
            case UInt8(ascii: "u"):
                let name = try className()
                let slot = reserve()
                return fill(slot, .opaque(name, try bytes()))
            case UInt8(ascii: "U"):
                let name = try className()
                let slot = reserve()
                let data = try object()
                return fill(slot, .object(name, [PayloadEntry(.symbol(Array("marshal_dump".utf8)), data)]))
            case UInt8(ascii: "I"):
                let value = try object()
                try skipIvars()
                return value
            case UInt8(ascii: "e"):
                _ = try symbol()  // the module the object was extended with
                return try object()
            case UInt8(ascii: "C"):
                _ = try symbol()  // a subclass of String, Array or Hash (HashWithIndifferentAccess): its data
                return try object()
            case UInt8(ascii: "d"):
                let name = try className()
                let slot = reserve()
                return fill(slot, .object(name, [PayloadEntry(.symbol(Array("_dump_data".utf8)), try object())]))
            case UInt8(ascii: "/"):
                let slot = reserve()
                let source = try bytes()
                _ = try r.u8()  // options
                return fill(slot, .opaque("Regexp", source))
            case UInt8(ascii: "c"), UInt8(ascii: "m"), UInt8(ascii: "M"):
                let slot = reserve()
                return fill(slot, .opaque(type == UInt8(ascii: "c") ? "Class" : "Module", try bytes()))
            case UInt8(ascii: "@"):
                let i = try long()
                guard i >= 0, i < Int64(objects.count) else { throw PayloadError("object link \(i) to nothing", at: at) }
                guard let value = objects[Int(i)] else { return .cycle }
                // A copy costs what it holds; counting stops at the budget, so links cannot blow up.
                try budget.spend(value.size(limit: budget.limits.maxNodes - budget.nodes + 1), at: at)
                return value
            default:
                throw PayloadError("unknown Marshal type byte 0x\(String(type, radix: 16))", at: at)
            }
        }
    }
}
