/// Java object serialization (Spring Session's default `JdkSerializationRedisSerializer`),
/// read as data: boxed numbers, booleans and strings become values, other objects their class
/// name and fields; what a class wrote with its own `writeObject` is kept as opaque block data.
public enum JavaSerialization {
    /// Decodes one serialized object.
    public static func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        var d = Decoder(r: ByteReader(bytes), budget: Budget(limits))
        guard try d.r.bigEndian(2) == 0xACED, try d.r.bigEndian(2) == 5 else { throw PayloadError("not a Java serialization stream", at: 0) }
        let v = try d.content()
        guard d.r.atEnd else { throw d.r.error("\(d.r.remaining) bytes after the object") }
        return v
    }

    /// Whether `bytes` start with the stream magic `AC ED 00 05`.
    public static func looksLike(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0xAC, 0xED, 0x00, 0x05]) }

    private final class ClassDesc {
        let name: String
        let flags: UInt8
        let fields: [(type: UInt8, name: String)]
        var superclass: ClassDesc?
        init(name: String, flags: UInt8, fields: [(type: UInt8, name: String)]) {
            self.name = name
            self.flags = flags
            self.fields = fields
        }
    }

    private enum Handle {
        case value(PayloadValue)
        case classDesc(ClassDesc)
        case pending
    }

    private struct Decoder {
        var r: ByteReader
        var budget: Budget
        var handles: [Handle] = []

        /// A string of a `width`-byte length (2, or 8 for a long string), the length checked against the input first.
        mutating func utf(_ width: Int) throws(PayloadError) -> [UInt8] {
            let at = r.position
            let n = try r.bigEndian(width)
            guard n <= UInt64(r.remaining) else { throw PayloadError("string length \(n) is past the end of the input", at: at) }
            return try r.take(Int(n))
        }

        mutating func newHandle(_ h: Handle) -> Int {
            handles.append(h)
            return handles.count - 1
        }

        mutating func handle() throws(PayloadError) -> Handle {
            let at = r.position
            let h = Int(try r.bigEndian(4)) - 0x7E0000
            guard h >= 0, h < handles.count else { throw PayloadError("reference to handle \(h) that does not exist", at: at) }
            return handles[h]
        }

        /// A class descriptor (or null, or a reference to one).
        mutating func classDesc() throws(PayloadError) -> ClassDesc? {
            let at = r.position
            switch try r.u8() {
            case 0x70: return nil
            case 0x71:
                guard case .classDesc(let c) = try handle() else { throw PayloadError("reference is not a class descriptor", at: at) }
                return c
            case 0x72:
                let name = String(decoding: try utf(2), as: UTF8.self)
                _ = try r.take(8)  // serialVersionUID
                let slot = newHandle(.pending)
                let flags = try r.u8()
                let n = Int(try r.bigEndian(2))
                guard n <= r.remaining / 3 else { throw PayloadError("\(n) fields do not fit in the input", at: at) }
                var fields: [(type: UInt8, name: String)] = []
                for _ in 0..<n {
                    let type = try r.u8()
                    let fname = String(decoding: try utf(2), as: UTF8.self)
                    if type == UInt8(ascii: "L") || type == UInt8(ascii: "[") { _ = try content() }  // the field's class name
                    fields.append((type, fname))
                }
                let desc = ClassDesc(name: name, flags: flags, fields: fields)
                handles[slot] = .classDesc(desc)
                try skipAnnotation()
                desc.superclass = try classDesc()
                return desc
            case 0x7D: throw PayloadError("a proxy class descriptor", at: at)
            case let t: throw PayloadError("expected a class descriptor, found 0x\(String(t, radix: 16))", at: at)
            }
        }

        /// Block data and objects up to TC_ENDBLOCKDATA, returned as the objects written.
        @discardableResult
        mutating func skipAnnotation() throws(PayloadError) -> [PayloadValue] {
            var written: [PayloadValue] = []
            while true {
                guard let b = r.peek() else { throw r.error("input ends inside an annotation") }
                switch b {
                case 0x78:
                    r.position += 1
                    return written
                case 0x77:
                    r.position += 1
                    _ = try r.take(Int(try r.u8()))
                case 0x7A:
                    r.position += 1
                    _ = try r.take(Int(try r.bigEndian(4)))
                default: written.append(try content())
                }
            }
        }

        mutating func primitive(_ type: UInt8) throws(PayloadError) -> PayloadValue {
            switch type {
            case UInt8(ascii: "B"): return .int(Int64(Int8(bitPattern: try r.u8())))
            case UInt8(ascii: "C"): return .int(Int64(try r.bigEndian(2)))
            case UInt8(ascii: "S"): return .int(Int64(Int16(bitPattern: UInt16(try r.bigEndian(2)))))
            case UInt8(ascii: "I"): return .int(Int64(Int32(bitPattern: UInt32(try r.bigEndian(4)))))
            case UInt8(ascii: "J"): return .int(Int64(bitPattern: try r.bigEndian(8)))
            case UInt8(ascii: "F"): return .double(Double(Float(bitPattern: UInt32(try r.bigEndian(4)))))
            case UInt8(ascii: "D"): return .double(Double(bitPattern: try r.bigEndian(8)))
            case UInt8(ascii: "Z"): return .bool(try r.u8() != 0)
            case UInt8(ascii: "L"), UInt8(ascii: "["): return try content()
            default: throw r.error("unknown field type 0x\(String(type, radix: 16))")
            }
        }

        mutating func content() throws(PayloadError) -> PayloadValue {
            let at = r.position
            try budget.spend(at: at)
            try budget.enter(at: at)
            defer { budget.leave() }
            switch try r.u8() {
            case 0x70: return .null
            case 0x71:
                switch try handle() {
                case .value(let v):
                    try budget.spend(v.size(limit: budget.limits.maxNodes - budget.nodes + 1), at: at)
                    return v
                case .classDesc(let c): return .opaque("class", Array(c.name.utf8))
                case .pending: return .cycle
                }
            case 0x74, 0x7C:
                let slot = newHandle(.pending)
                let s = try utf(r.bytes[at] == 0x74 ? 2 : 8)
                handles[slot] = .value(.string(s))
                return .string(s)
            case 0x7E:
                let c = try classDesc()
                let slot = newHandle(.pending)
                let name = try content()
                let v = PayloadValue.object(c?.name ?? "enum", [PayloadEntry(.string(Array("name".utf8)), name)])
                handles[slot] = .value(v)
                return v
            case 0x75:
                let c = try classDesc()
                let slot = newHandle(.pending)
                let n = Int(try r.bigEndian(4))
                guard n <= r.remaining else { throw PayloadError("array of \(n) items does not fit in the input", at: at) }
                let type = c.map { Array($0.name.utf8).dropFirst().first ?? 0 } ?? 0
                var items: [PayloadValue] = []
                if type == UInt8(ascii: "B") {
                    let v = PayloadValue.opaque("byte[]", try r.take(n))
                    handles[slot] = .value(v)
                    return v
                }
                for _ in 0..<n { items.append(try primitive(type)) }
                handles[slot] = .value(.list(items))
                return .list(items)
            case 0x76:
                let c = try classDesc()
                let v = PayloadValue.opaque("class", Array((c?.name ?? "").utf8))
                _ = newHandle(.value(v))
                return v
            case 0x72, 0x7D:
                r.position -= 1
                let c = try classDesc()
                return .opaque("class", Array((c?.name ?? "").utf8))
            case 0x73:
                guard let c = try classDesc() else { throw PayloadError("an object of no class", at: at) }
                let slot = newHandle(.pending)
                let v = try objectData(c, at)
                handles[slot] = .value(v)
                return v
            case 0x77, 0x7A:
                r.position -= 1
                var data: [UInt8] = []
                while let b = r.peek(), b == 0x77 || b == 0x7A {
                    r.position += 1
                    data += try r.take(Int(try r.bigEndian(b == 0x77 ? 1 : 4)))
                }
                return .opaque("block data", data)
            case let t: throw PayloadError("unsupported Java serialization type 0x\(String(t, radix: 16))", at: at)
            }
        }

        /// An object's field values, superclass first.
        mutating func objectData(_ c: ClassDesc, _ at: Int) throws(PayloadError) -> PayloadValue {
            var chain: [ClassDesc] = []
            var cur: ClassDesc? = c
            while let k = cur, chain.count < 64 {
                chain.insert(k, at: 0)
                cur = k.superclass
            }
            var fields: [PayloadEntry] = []
            for k in chain {
                if k.flags & 0x04 != 0 {  // SC_EXTERNALIZABLE
                    guard k.flags & 0x08 != 0 else { throw PayloadError("\(k.name) is externalizable without block data", at: at) }
                    let written = try skipAnnotation()
                    fields.append(PayloadEntry(.string(Array("(written)".utf8)), .list(written)))
                    continue
                }
                for f in k.fields { fields.append(PayloadEntry(.string(Array(f.name.utf8)), try primitive(f.type))) }
                if k.flags & 0x01 != 0 {  // SC_WRITE_METHOD
                    let written = try skipAnnotation()
                    if !written.isEmpty { fields.append(PayloadEntry(.string(Array("(written)".utf8)), .list(written))) }
                }
            }
            switch c.name {
            case "java.lang.Long", "java.lang.Integer", "java.lang.Short", "java.lang.Byte", "java.lang.Double", "java.lang.Float",
                "java.lang.Boolean":
                if let v = fields.first(where: { $0.key.text == "value" })?.value { return v }
            default: break
            }
            return .object(c.name, fields)
        }
    }
}
