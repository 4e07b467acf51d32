/// MessagePack (what Flask-Session ≥ 0.7 writes through msgspec, and Rails 7.1's cache
/// serializer), with the timestamp extension (-1) read as a time; other extensions stay opaque.
public enum MessagePack {
    /// Decodes one value that spans the whole input.
    public static func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        var r = ByteReader(bytes)
        var budget = Budget(limits)
        let value = try read(&r, &budget)
        guard r.atEnd else { throw r.error("\(r.remaining) bytes after the value") }
        return value
    }

    /// Whether `bytes` start with a MessagePack map (a session is a map).
    public static func looksLike(_ bytes: [UInt8]) -> Bool {
        guard let b = bytes.first else { return false }
        return (0x80...0x8F).contains(b) || b == 0xDE || b == 0xDF
    }

    private static func count(_ r: inout ByteReader, _ width: Int, perItem: Int) throws(PayloadError) -> Int {
        let at = r.position
        let n = try r.bigEndian(width)
        guard n <= UInt64(r.remaining / perItem) else { throw PayloadError("count \(n) does not fit in the \(r.remaining) bytes left", at: at) }
        return Int(n)
    }

    private static func read(_ r: inout ByteReader, _ budget: inout Budget) throws(PayloadError) -> PayloadValue {
        let at = r.position
        try budget.spend(at: at)
        try budget.enter(at: at)
        defer { budget.leave() }
        let b = try r.u8()
        switch b {
        case 0x00...0x7F: return .int(Int64(b))
        case 0xE0...0xFF: return .int(Int64(Int8(bitPattern: b)))
        case 0x80...0x8F: return try map(&r, &budget, Int(b & 0x0F))
        case 0x90...0x9F: return try list(&r, &budget, Int(b & 0x0F))
        case 0xA0...0xBF: return .string(try r.take(Int(b & 0x1F)))
        case 0xC0: return .null
        case 0xC2: return .bool(false)
        case 0xC3: return .bool(true)
        case 0xC4, 0xC5, 0xC6: return .opaque("bin", try r.take(try count(&r, 1 << Int(b - 0xC4), perItem: 1)))
        case 0xC7, 0xC8, 0xC9:
            let n = try count(&r, 1 << Int(b - 0xC7), perItem: 1)
            return try ext(&r, n, at)
        case 0xCA: return .double(Double(Float(bitPattern: UInt32(try r.bigEndian(4)))))
        case 0xCB: return .double(Double(bitPattern: try r.bigEndian(8)))
        case 0xCC, 0xCD, 0xCE, 0xCF:
            let v = try r.bigEndian(1 << Int(b - 0xCC))
            return v <= UInt64(Int64.max) ? .int(Int64(v)) : .bigInt(String(v))
        case 0xD0, 0xD1, 0xD2, 0xD3:
            let width = 1 << Int(b - 0xD0)
            let v = try r.bigEndian(width)
            let shift = UInt64(64 - 8 * width)
            return .int(Int64(bitPattern: v << shift) >> Int64(shift))
        case 0xD4...0xD8: return try ext(&r, 1 << Int(b - 0xD4), at)
        case 0xD9, 0xDA, 0xDB: return .string(try r.take(try count(&r, 1 << Int(b - 0xD9), perItem: 1)))
        case 0xDC, 0xDD: return try list(&r, &budget, try count(&r, b == 0xDC ? 2 : 4, perItem: 1))
        case 0xDE, 0xDF: return try map(&r, &budget, try count(&r, b == 0xDE ? 2 : 4, perItem: 2))
        default: throw PayloadError("byte 0xc1 is never used in MessagePack", at: at)
        }
    }

    private static func list(_ r: inout ByteReader, _ budget: inout Budget, _ n: Int) throws(PayloadError) -> PayloadValue {
        guard n <= r.remaining else { throw r.error("array of \(n) items does not fit in the \(r.remaining) bytes left") }
        var items: [PayloadValue] = []
        for _ in 0..<n { items.append(try read(&r, &budget)) }
        return .list(items)
    }

    private static func map(_ r: inout ByteReader, _ budget: inout Budget, _ n: Int) throws(PayloadError) -> PayloadValue {
        guard n <= r.remaining / 2 else { throw r.error("map of \(n) pairs does not fit in the \(r.remaining) bytes left") }
        var entries: [PayloadEntry] = []
        for _ in 0..<n {
            let k = try read(&r, &budget)
            entries.append(PayloadEntry(k, try read(&r, &budget)))
        }
        return .map(entries)
    }

    private static func ext(_ r: inout ByteReader, _ n: Int, _ at: Int) throws(PayloadError) -> PayloadValue {
        let type = Int8(bitPattern: try r.u8())
        let data = try r.take(n)
        guard type == -1 else { return .opaque("ext \(type)", data) }
        var d = ByteReader(data)
        switch n {
        case 4: return .time(Double(try d.bigEndian(4)))
        case 8:
            let v = try d.bigEndian(8)
            return .time(Double(v & 0x3_FFFF_FFFF) + Double(v >> 34) / 1e9)
        case 12:
            let nanos = try d.bigEndian(4)
            return .time(Double(Int64(bitPattern: try d.bigEndian(8))) + Double(nanos) / 1e9)
        default: throw PayloadError("a timestamp of \(n) bytes", at: at)
        }
    }
}
