/// A decoded session payload: the one tree every decoder produces.
///
/// Objects of Ruby, PHP, Python or Java keep their class name and fields; what a decoder
/// cannot read as data (a Ruby `_dump`, a PHP `C:` custom object, a Java object with its own
/// writer) stays opaque with its class name. Nothing is ever instantiated or called. Not
/// `indirect`: the containers hold their children in arrays already, so a node is one value, not
/// a box of its own (a heap allocation and reference counting fewer per node).
public enum PayloadValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    /// An integer beyond 64 bits, in decimal.
    case bigInt(String)
    case double(Double)
    /// A string's bytes (text when valid UTF-8; Python and PHP byte strings too).
    case string([UInt8])
    /// A Ruby symbol.
    case symbol([UInt8])
    /// A point in time, seconds since 1970 UTC (MessagePack timestamps, Python datetimes).
    case time(Double)
    case list([PayloadValue])
    case map([PayloadEntry])
    /// An object: its class name and fields (Ruby ivars, PHP properties, a Python object's arguments and state).
    case object(String, [PayloadEntry])
    /// Data kept as bytes: its kind or class name, and the bytes.
    case opaque(String, [UInt8])
    /// A reference back to a value that was still being read (a cycle): not followed.
    case cycle

    /// The value's text, when it is a string or symbol of valid UTF-8.
    public var text: String? {
        switch self {
        case .string(let b), .symbol(let b): return String(validating: b, as: UTF8.self)
        default: return nil
        }
    }

    /// The value as a short scalar text: strings, symbols and numbers; `nil` for containers.
    public var scalarText: String? {
        switch self {
        case .string(let b), .symbol(let b): return String(decoding: b, as: UTF8.self)
        case .int(let i): return String(i)
        case .bigInt(let s): return s
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// The entries of a map or an object's fields.
    public var entries: [PayloadEntry]? {
        switch self {
        case .map(let e), .object(_, let e): return e
        default: return nil
        }
    }

    /// The value under a string, symbol or integer key of a map or object.
    public subscript(key: String) -> PayloadValue? {
        entries?.first { e in
            switch e.key {
            case .string, .symbol: return e.key.text == key
            case .int(let i): return String(i) == key
            default: return false
            }
        }?.value
    }
}

/// One key and value of a map or an object.
public struct PayloadEntry: Sendable, Equatable {
    public var key: PayloadValue
    public var value: PayloadValue

    /// An entry.
    public init(_ key: PayloadValue, _ value: PayloadValue) {
        self.key = key
        self.value = value
    }
}

/// How far a decoder may go: every bound is checked before memory is spent.
public struct PayloadLimits: Sendable {
    /// Containers inside containers, at most.
    public var maxDepth: Int
    /// Values in the whole tree, at most (links and references count what they copy).
    public var maxNodes: Int

    /// Limits: by default 100 levels and 200,000 values.
    public init(maxDepth: Int = 100, maxNodes: Int = 200_000) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }
}

/// Why a payload could not be decoded, and where.
public struct PayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset in the input where the decoder stopped.
    public var offset: Int
    /// What was wrong there.
    public var reason: String

    /// An error at `offset`.
    public init(_ reason: String, at offset: Int) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "\(reason) (at byte \(offset))" }
}

extension PayloadValue {
    /// How many values the tree holds (itself included), counting no further than `limit`.
    func size(limit: Int) -> Int {
        var n = 0
        var stack: [PayloadValue] = [self]
        while let v = stack.popLast() {
            n += 1
            if n > limit { return n }
            switch v {
            case .list(let items): stack += items
            case .map(let e), .object(_, let e):
                for x in e {
                    stack.append(x.key)
                    stack.append(x.value)
                }
            default: break
            }
        }
        return n
    }
}
