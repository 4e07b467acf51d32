/// Python's pickle, protocols 0 to 5 (what Django's cache backends and old Flask-Session
/// write), read the way `pickletools.genops` reads it: opcodes are interpreted as data on a
/// stack, and nothing is imported or called.
///
/// A class reference (`GLOBAL`, `STACK_GLOBAL`) is kept by its dotted name; a call
/// (`REDUCE`, `NEWOBJ`, `INST`, `OBJ`) becomes `.object(name, args, state)`; `datetime.datetime`
/// and `_codecs.encode` (how protocol 2 writes bytes) are read as the values they stand for.
public enum Pickle {
    /// Decodes one pickle; bytes after `STOP` are an error.
    public static func decode(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits()) throws(PayloadError) -> PayloadValue {
        var machine = Machine(ByteReader(bytes), Budget(limits))
        // Boxes may form cycles and chains of any depth: every link is cut here, one box at a
        // time, so that releasing them neither leaks nor recurses.
        defer { for box in machine.boxes { box.kind = .value(.null) } }
        let root = try machine.run()
        guard machine.r.atEnd else { throw machine.r.error("\(machine.r.remaining) bytes after STOP") }
        var converter = Converter(budget: Budget(limits))
        return try converter.convert(root, at: bytes.count)
    }

    /// Whether `bytes` start like a pickle of protocol 2 or later.
    public static func looksLike(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0x80 && (2...5).contains(bytes[1])
    }

    // MARK: The stack machine

    /// A value on the stack or in the memo: a reference, since later opcodes change it in place.
    final class Box {
        enum Kind {
            case value(PayloadValue)
            case list([Box])
            case tuple([Box])
            case dict([(Box, Box)])
            case set([Box])
            case global(String)
            case object(String, args: Box?, state: Box?, items: [Box], pairs: [(Box, Box)])
        }
        var kind: Kind
        init(_ kind: Kind) { self.kind = kind }
    }

    private enum Item {
        case mark
        case box(Box)
    }

    private struct Machine {
        var r: ByteReader
        var budget: Budget
        var stack: [Item] = []
        var memo: [Int: Box] = [:]
        /// Every box made, so that all can be taken apart at the end.
        var boxes: [Box] = []

        init(_ r: ByteReader, _ budget: Budget) {
            self.r = r
            self.budget = budget
        }

        mutating func push(_ kind: Box.Kind) throws(PayloadError) {
            try budget.spend(at: r.position)
            let box = Box(kind)
            boxes.append(box)
            stack.append(.box(box))
        }

        mutating func track(_ box: Box) -> Box {
            boxes.append(box)
            return box
        }

        mutating func pop(_ op: String) throws(PayloadError) -> Box {
            guard case .box(let b)? = stack.popLast() else { throw r.error("\(op) on an empty stack or a mark") }
            return b
        }

        mutating func top(_ op: String) throws(PayloadError) -> Box {
            guard case .box(let b)? = stack.last else { throw r.error("\(op) on an empty stack or a mark") }
            return b
        }

        /// The items above the topmost mark, which is removed.
        mutating func popToMark(_ op: String) throws(PayloadError) -> [Box] {
            guard let m = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else {
                throw r.error("\(op) without a MARK")
            }
            let items = stack[(m + 1)...].compactMap { item -> Box? in if case .box(let b) = item { return b } else { return nil } }
            stack.removeSubrange(m...)
            return items
        }

        mutating func line() throws(PayloadError) -> [UInt8] {
            var l = try r.until(0x0A, max: 1 << 16)
            if l.last == 0x0D { l.removeLast() }
            return l
        }

        mutating func length(_ width: Int) throws(PayloadError) -> Int {
            let at = r.position
            let n = try r.littleEndian(width)
            guard n <= UInt64(r.remaining) else { throw PayloadError("length \(n) is past the end of the input", at: at) }
            return Int(n)
        }

        mutating func string(_ kind: (([UInt8]) -> PayloadValue), _ width: Int) throws(PayloadError) {
            try push(.value(kind(try r.take(try length(width)))))
        }

        mutating func memoGet(_ index: Int) throws(PayloadError) {
            guard let b = memo[index] else { throw r.error("memo \(index) was never stored") }
            stack.append(.box(b))
        }

        mutating func memoPut(_ index: Int) throws(PayloadError) {
            memo[index] = try top("PUT")
        }

        /// A little-endian two's-complement integer of any length (LONG1, LONG4).
        mutating func long(_ width: Int) throws(PayloadError) -> PayloadValue {
            let n = try length(width)
            let bytes = try r.take(n)
            guard let last = bytes.last else { return .int(0) }
            if n <= 8 {
                var v: UInt64 = 0
                for (i, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
                if last & 0x80 != 0 && n < 8 { v |= ~0 << (8 * UInt64(n)) }
                return .int(Int64(bitPattern: v))
            }
            guard n <= 512 else { return .opaque("int", bytes) }
            if last & 0x80 == 0 { return .bigInt(decimal(littleEndianMagnitude: bytes)) }
            // Negative: the magnitude is the two's complement.
            var carry = 1
            let magnitude = bytes.map { b -> UInt8 in
                let v = Int(~b & 0xFF) + carry
                carry = v >> 8
                return UInt8(v & 0xFF)
            }
            return .bigInt("-" + decimal(littleEndianMagnitude: magnitude))
        }

        mutating func run() throws(PayloadError) -> Box {
            while true {
                let at = r.position
                let op = try r.u8()
                switch op {
                case 0x80: // PROTO
                    let v = try r.u8()
                    guard v <= 5 else { throw PayloadError("pickle protocol \(v) is newer than 5", at: at) }
                case 0x95: _ = try r.take(8) // FRAME: a length hint
                case UInt8(ascii: "."): return try pop("STOP")
                case UInt8(ascii: "("): stack.append(.mark)
                case UInt8(ascii: "0"): _ = stack.popLast()
                case UInt8(ascii: "1"): _ = try popToMark("POP_MARK")
                case UInt8(ascii: "2"): stack.append(.box(try top("DUP")))
                case UInt8(ascii: "N"): try push(.value(.null))
                case 0x88: try push(.value(.bool(true)))
                case 0x89: try push(.value(.bool(false)))
                case UInt8(ascii: "J"): try push(.value(.int(Int64(Int32(bitPattern: UInt32(try r.littleEndian(4)))))))
                case UInt8(ascii: "K"): try push(.value(.int(Int64(try r.u8()))))
                case UInt8(ascii: "M"): try push(.value(.int(Int64(try r.littleEndian(2)))))
                case 0x8A: try push(.value(try long(1)))
                case 0x8B: try push(.value(try long(4)))
                case UInt8(ascii: "G"): try push(.value(.double(Double(bitPattern: try r.bigEndian(8)))))
                case UInt8(ascii: "I"), UInt8(ascii: "L"):
                    var text = String(decoding: try line(), as: UTF8.self)
                    if text.hasSuffix("L") { text.removeLast() }
                    if op == UInt8(ascii: "I") && (text == "00" || text == "01") { try push(.value(.bool(text == "01"))); break }
                    if let i = Int64(text) { try push(.value(.int(i))); break }
                    guard !text.isEmpty, text.count <= 400, text.drop(while: { $0 == "-" }).allSatisfy(\.isNumber) else {
                        throw PayloadError("'\(text.prefix(40))' is not an integer", at: at)
                    }
                    try push(.value(.bigInt(text)))
                case UInt8(ascii: "F"):
                    let text = String(decoding: try line(), as: UTF8.self)
                    guard let d = Double(text) else { throw PayloadError("'\(text.prefix(40))' is not a float", at: at) }
                    try push(.value(.double(d)))
                case UInt8(ascii: "S"): try push(.value(.string(Self.unquote(try line()))))
                case UInt8(ascii: "V"): try push(.value(.string(try line())))
                case UInt8(ascii: "T"): try string(PayloadValue.string, 4)
                case UInt8(ascii: "U"): try string(PayloadValue.string, 1)
                case UInt8(ascii: "X"): try string(PayloadValue.string, 4)
                case 0x8C: try string(PayloadValue.string, 1)
                case 0x8D: try string(PayloadValue.string, 8)
                case UInt8(ascii: "B"): try string({ .opaque("bytes", $0) }, 4)
                case UInt8(ascii: "C"): try string({ .opaque("bytes", $0) }, 1)
                case 0x8E: try string({ .opaque("bytes", $0) }, 8)
                case 0x96: try string({ .opaque("bytearray", $0) }, 8)
                case 0x97: throw PayloadError("an out-of-band buffer (NEXT_BUFFER) has no data here", at: at)
                case 0x98: break // READONLY_BUFFER
                case UInt8(ascii: "]"): try push(.list([]))
                case UInt8(ascii: "}"): try push(.dict([]))
                case UInt8(ascii: ")"): try push(.tuple([]))
                case 0x8F: try push(.set([]))
                case UInt8(ascii: "l"): try push(.list(try popToMark("LIST")))
                case UInt8(ascii: "t"): try push(.tuple(try popToMark("TUPLE")))
                case 0x91: try push(.set(try popToMark("FROZENSET")))
                case 0x85, 0x86, 0x87:
                    let n = Int(op - 0x84)
                    var items: [Box] = []
                    for _ in 0..<n { items.insert(try pop("TUPLE\(n)"), at: 0) }
                    try push(.tuple(items))
                case UInt8(ascii: "d"):
                    let items = try popToMark("DICT")
                    guard items.count % 2 == 0 else { throw PayloadError("DICT with an odd number of items", at: at) }
                    try push(.dict(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }))
                case UInt8(ascii: "a"):
                    let v = try pop("APPEND")
                    try Self.append([v], to: try top("APPEND"), at)
                case UInt8(ascii: "e"):
                    let items = try popToMark("APPENDS")
                    try Self.append(items, to: try top("APPENDS"), at)
                case 0x90:
                    let items = try popToMark("ADDITEMS")
                    let target = try top("ADDITEMS")
                    guard case .set = target.kind else { throw PayloadError("ADDITEMS on something that is not a set", at: at) }
                    try Self.append(items, to: target, at)
                case UInt8(ascii: "s"):
                    let v = try pop("SETITEM"), k = try pop("SETITEM")
                    try Self.setItems([(k, v)], on: try top("SETITEM"), at)
                case UInt8(ascii: "u"):
                    let items = try popToMark("SETITEMS")
                    guard items.count % 2 == 0 else { throw PayloadError("SETITEMS with an odd number of items", at: at) }
                    try Self.setItems(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }, on: try top("SETITEMS"), at)
                case UInt8(ascii: "c"):
                    let module = String(decoding: try line(), as: UTF8.self), name = String(decoding: try line(), as: UTF8.self)
                    try push(.global(module + "." + name))
                case 0x93:
                    let name = try pop("STACK_GLOBAL"), module = try pop("STACK_GLOBAL")
                    guard case .value(let n) = name.kind, let ns = n.text, case .value(let m) = module.kind, let ms = m.text else {
                        throw PayloadError("STACK_GLOBAL needs two strings", at: at)
                    }
                    try push(.global(ms + "." + ns))
                case 0x82, 0x83, 0x84:
                    let code = try r.littleEndian(op == 0x82 ? 1 : op == 0x83 ? 2 : 4)
                    try push(.global("copyreg extension \(code)"))
                case UInt8(ascii: "R"), 0x81:
                    let args = try pop("REDUCE"), callable = try pop("REDUCE")
                    try push(Self.call(callable, args))
                case 0x92:
                    _ = try pop("NEWOBJ_EX") // keyword arguments
                    let args = try pop("NEWOBJ_EX"), cls = try pop("NEWOBJ_EX")
                    try push(Self.call(cls, args))
                case UInt8(ascii: "i"):
                    let module = String(decoding: try line(), as: UTF8.self), name = String(decoding: try line(), as: UTF8.self)
                    let args = try popToMark("INST")
                    try push(.object(module + "." + name, args: track(Box(.tuple(args))), state: nil, items: [], pairs: []))
                case UInt8(ascii: "o"):
                    var items = try popToMark("OBJ")
                    guard !items.isEmpty else { throw PayloadError("OBJ without a class", at: at) }
                    let cls = items.removeFirst()
                    try push(Self.call(cls, track(Box(.tuple(items)))))
                case UInt8(ascii: "b"):
                    let state = try pop("BUILD")
                    let target = try top("BUILD")
                    if case .object(let name, let args, _, let items, let pairs) = target.kind {
                        target.kind = .object(name, args: args, state: state, items: items, pairs: pairs)
                    } else {
                        target.kind = .object("(built)", args: track(Box(target.kind)), state: state, items: [], pairs: [])
                    }
                case UInt8(ascii: "P"): try push(.value(.opaque("persistent id", try line())))
                case UInt8(ascii: "Q"):
                    _ = try pop("BINPERSID")
                    try push(.value(.opaque("persistent id", [])))
                case UInt8(ascii: "g"): try memoGet(try Self.number(try line(), at))
                case UInt8(ascii: "h"): try memoGet(Int(try r.u8()))
                case UInt8(ascii: "j"): try memoGet(Int(try r.littleEndian(4)))
                case UInt8(ascii: "p"): try memoPut(try Self.number(try line(), at))
                case UInt8(ascii: "q"): try memoPut(Int(try r.u8()))
                case UInt8(ascii: "r"): try memoPut(Int(try r.littleEndian(4)))
                case 0x94: try memoPut(memo.count)
                default:
                    throw PayloadError("unknown pickle opcode 0x\(String(op, radix: 16))", at: at)
                }
            }
        }

        static func number(_ line: [UInt8], _ at: Int) throws(PayloadError) -> Int {
            guard let n = Int(String(decoding: line, as: UTF8.self)), n >= 0 else { throw PayloadError("bad memo index", at: at) }
            return n
        }

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
                        if let h = hexDigit(s[i + 2]), let l = hexDigit(s[i + 3]) { out.append(UInt8(h << 4 | l)); i += 4; continue }
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
        static func append(_ items: [Box], to target: Box, _ at: Int) throws(PayloadError) {
            let kind = target.kind
            target.kind = .value(.null)
            switch kind {
            case .list(var l): l += items; target.kind = .list(l)
            case .set(var l): l += items; target.kind = .set(l)
            case .object(let n, let a, let s, var i, let p): i += items; target.kind = .object(n, args: a, state: s, items: i, pairs: p)
            default:
                target.kind = kind
                throw PayloadError("APPEND on something that is not a list", at: at)
            }
        }

        static func setItems(_ pairs: [(Box, Box)], on target: Box, _ at: Int) throws(PayloadError) {
            let kind = target.kind
            target.kind = .value(.null)
            switch kind {
            case .dict(var d): d += pairs; target.kind = .dict(d)
            case .object(let n, let a, let s, let i, var p): p += pairs; target.kind = .object(n, args: a, state: s, items: i, pairs: p)
            default:
                target.kind = kind
                throw PayloadError("SETITEM on something that is not a dict", at: at)
            }
        }

        /// A call written as data: its callable's name and its arguments.
        static func call(_ callable: Box, _ args: Box) -> Box.Kind {
            let name: String
            if case .global(let g) = callable.kind { name = g } else { name = "(call)" }
            var argList: [Box] = []
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
            let year = Int(bytes[0]) << 8 | Int(bytes[1]), month = Int(bytes[2]), day = Int(bytes[3])
            guard (1...12).contains(month), (1...31).contains(day) else { return nil }
            let micro = Int(bytes[7]) << 16 | Int(bytes[8]) << 8 | Int(bytes[9])
            let days = daysFromCivil(year, month, day)
            let seconds = days * 86_400 + Int(bytes[4]) * 3600 + Int(bytes[5]) * 60 + Int(bytes[6])
            return Double(seconds) + Double(micro) / 1e6
        }
    }

    // MARK: From boxes to values

    private struct Converter {
        var budget: Budget
        var open = Set<ObjectIdentifier>()

        mutating func convert(_ box: Box, at offset: Int) throws(PayloadError) -> PayloadValue {
            try budget.spend(at: offset)
            let id = ObjectIdentifier(box)
            guard !open.contains(id) else { return .cycle }
            try budget.enter(at: offset)
            open.insert(id)
            defer { open.remove(id); budget.leave() }
            switch box.kind {
            case .value(let v): return v
            case .list(let items), .tuple(let items), .set(let items): return .list(try items.map { b throws(PayloadError) in try convert(b, at: offset) })
            case .dict(let pairs): return .map(try entries(pairs, offset))
            case .global(let name): return .opaque("class", Array(name.utf8))
            case .object(let name, let args, let state, let items, let pairs):
                var fields: [PayloadEntry] = []
                if let args, case .tuple(let t) = args.kind, t.isEmpty {} else if let args {
                    fields.append(PayloadEntry(.string(Array("args".utf8)), try convert(args, at: offset)))
                }
                if let state {
                    let s = try convert(state, at: offset)
                    if case .map(let e) = s { fields += e } else { fields.append(PayloadEntry(.string(Array("state".utf8)), s)) }
                }
                if !items.isEmpty { fields.append(PayloadEntry(.string(Array("items".utf8)), .list(try items.map { b throws(PayloadError) in try convert(b, at: offset) }))) }
                if !pairs.isEmpty { fields.append(PayloadEntry(.string(Array("items".utf8)), .map(try entries(pairs, offset)))) }
                return .object(name, fields)
            }
        }

        mutating func entries(_ pairs: [(Box, Box)], _ offset: Int) throws(PayloadError) -> [PayloadEntry] {
            var out: [PayloadEntry] = []
            for (k, v) in pairs { out.append(PayloadEntry(try convert(k, at: offset), try convert(v, at: offset))) }
            return out
        }
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
public func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}
