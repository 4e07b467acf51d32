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

    enum Item {
        case mark
        case box(Box)
    }

    struct Machine {
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
                case 0x80:  // PROTO
                    let v = try r.u8()
                    guard v <= 5 else { throw PayloadError("pickle protocol \(v) is newer than 5", at: at) }
                case 0x95: _ = try r.take(8)  // FRAME: a length hint
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
                    if op == UInt8(ascii: "I") && (text == "00" || text == "01") {
                        try push(.value(.bool(text == "01")))
                        break
                    }
                    if let i = Int64(text) {
                        try push(.value(.int(i)))
                        break
                    }
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
                case 0x98: break  // READONLY_BUFFER
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
                    let v = try pop("SETITEM")
                    let k = try pop("SETITEM")
                    try Self.setItems([(k, v)], on: try top("SETITEM"), at)
                case UInt8(ascii: "u"):
                    let items = try popToMark("SETITEMS")
                    guard items.count % 2 == 0 else { throw PayloadError("SETITEMS with an odd number of items", at: at) }
                    try Self.setItems(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }, on: try top("SETITEMS"), at)
                case UInt8(ascii: "c"):
                    let module = String(decoding: try line(), as: UTF8.self)
                    let name = String(decoding: try line(), as: UTF8.self)
                    try push(.global(module + "." + name))
                case 0x93:
                    let name = try pop("STACK_GLOBAL")
                    let module = try pop("STACK_GLOBAL")
                    guard case .value(let n) = name.kind, let ns = n.text, case .value(let m) = module.kind, let ms = m.text else {
                        throw PayloadError("STACK_GLOBAL needs two strings", at: at)
                    }
                    try push(.global(ms + "." + ns))
                case 0x82, 0x83, 0x84:
                    let code = try r.littleEndian(op == 0x82 ? 1 : op == 0x83 ? 2 : 4)
                    try push(.global("copyreg extension \(code)"))
                case UInt8(ascii: "R"), 0x81:
                    let args = try pop("REDUCE")
                    let callable = try pop("REDUCE")
                    try push(Self.call(callable, args))
                case 0x92:
                    _ = try pop("NEWOBJ_EX")  // keyword arguments
                    let args = try pop("NEWOBJ_EX")
                    let cls = try pop("NEWOBJ_EX")
                    try push(Self.call(cls, args))
                case UInt8(ascii: "i"):
                    let module = String(decoding: try line(), as: UTF8.self)
                    let name = String(decoding: try line(), as: UTF8.self)
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
    }
}
