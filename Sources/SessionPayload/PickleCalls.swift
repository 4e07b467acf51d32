/// What the stack machine's opcodes do to values: protocol-0 strings, appends and item sets
/// done in place, and calls written as data (a few read as the values they stand for).
extension Pickle.Machine {
    /// A protocol-0 `'…'` string: quotes removed, `\\`, `\'`, `\n`, `\t`, `\r` and `\xHH` escapes read.
    static func unquote(_ line: [UInt8]) -> [UInt8] {
        var s = ArraySlice(line)
        if s.count >= 2, let q = s.first, q == s.last, q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") { s = s.dropFirst().dropLast() }
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let b = s[i]
            if b == UInt8(ascii: "\\"), i + 1 < s.endIndex {
                let e = s[i + 1]
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "x") where i + 3 < s.endIndex:
                    if let h = hexDigit(s[i + 2]), let l = hexDigit(s[i + 3]) {
                        out.append(UInt8(h << 4 | l))
                        i += 4
                        continue
                    }
                    out.append(e)
                default: out.append(e)
                }
                i += 2
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }

    // Each takes the array out of the box before growing it, so it is grown in place (no copy per item).
    static func append(_ items: [Pickle.Box], to target: Pickle.Box, _ at: Int) throws(PayloadError) {
        let kind = target.kind
        target.kind = .value(.null)
        switch kind {
        case .list(var l):
            l += items
            target.kind = .list(l)
        case .set(var l):
            l += items
            target.kind = .set(l)
        case .object(let n, let a, let s, var i, let p):
            i += items
            target.kind = .object(n, args: a, state: s, items: i, pairs: p)
        default:
            target.kind = kind
            throw PayloadError("APPEND on something that is not a list", at: at)
        }
    }

    static func setItems(_ pairs: [(Pickle.Box, Pickle.Box)], on target: Pickle.Box, _ at: Int) throws(PayloadError) {
        let kind = target.kind
        target.kind = .value(.null)
        switch kind {
        case .dict(var d):
            d += pairs
            target.kind = .dict(d)
        case .object(let n, let a, let s, let i, var p):
            p += pairs
            target.kind = .object(n, args: a, state: s, items: i, pairs: p)
        default:
            target.kind = kind
            throw PayloadError("SETITEM on something that is not a dict", at: at)
        }
    }

    /// A call written as data: its callable's name and its arguments.
    static func call(_ callable: Pickle.Box, _ args: Pickle.Box) -> Pickle.Box.Kind {
        let name: String
        if case .global(let g) = callable.kind { name = g } else { name = "(call)" }
        var argList: [Pickle.Box] = []
        if case .tuple(let t) = args.kind { argList = t }
        switch name {
        case "datetime.datetime":
            if let first = argList.first, case .value(let v) = first.kind, let t = Self.datetime(v) { return .value(.time(t)) }
        case "_codecs.encode":
            if let first = argList.first, case .value(.string(let s)) = first.kind {
                // Protocol 2's bytes: text whose code points are the bytes.
                let scalars = String(decoding: s, as: UTF8.self).unicodeScalars
                if scalars.allSatisfy({ $0.value < 256 }) { return .value(.opaque("bytes", scalars.map { UInt8($0.value) })) }
            }
        case "builtins.set", "__builtin__.set", "builtins.frozenset", "__builtin__.frozenset":
            // Protocols 2 and 3 write a set as a call on a list.
            if argList.count == 1, case .list(let items) = argList[0].kind { return .set(items) }
            if argList.isEmpty { return .set([]) }
        default: break
        }
        return .object(name, args: args, state: nil, items: [], pairs: [])
    }

    /// `datetime.datetime`'s pickled state: 10 bytes, year to microsecond, taken as UTC.
    static func datetime(_ v: PayloadValue) -> Double? {
        let bytes: [UInt8]
        switch v {
        case .opaque("bytes", let b): bytes = b
        case .string(let s): bytes = String(decoding: s, as: UTF8.self).unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
        default: return nil
        }
        guard bytes.count == 10 else { return nil }
        let year = Int(bytes[0]) << 8 | Int(bytes[1])
        let month = Int(bytes[2])
        let day = Int(bytes[3])
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        let micro = Int(bytes[7]) << 16 | Int(bytes[8]) << 8 | Int(bytes[9])
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + Int(bytes[4]) * 3600 + Int(bytes[5]) * 60 + Int(bytes[6])
        return Double(seconds) + Double(micro) / 1e6
    }
}
