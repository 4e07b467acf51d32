#if canImport(Glibc)
    import Glibc
#endif

/// One value bound to a statement's placeholder or read from a result: every engine's text and
/// integers, and SQL's NULL. Bytes stay bytes (ids are binary until proven otherwise).
public enum SQLValue: Equatable, Hashable, Sendable {
    case null
    case int(Int64)
    case text([UInt8])

    /// Text from a Swift string.
    public static func string(_ s: String) -> SQLValue { .text(Array(s.utf8)) }

    /// The bytes of a text value, an integer written in decimal; `nil` for NULL.
    public var bytes: [UInt8]? {
        switch self {
        case .null: return nil
        case .int(let i): return Array(String(i).utf8)
        case .text(let b): return b
        }
    }

    /// The value as a 64-bit integer, when it is one or is text that spells one.
    public var integer: Int64? {
        switch self {
        case .null: return nil
        case .int(let i): return i
        case .text(let b): return Int64(String(decoding: b, as: UTF8.self).trimmingSpaces)
        }
    }

    /// The value as a string (lossy for bytes that are not UTF-8).
    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
}

/// The rows a query returned, with the column names in order.
public struct SQLRows: Sendable {
    /// Column names, as the engine spells them.
    public var columns: [String]
    /// One array of values per row, in column order.
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// A table's column: its name and the engine's name for its type (lowercased).
public struct SQLColumn: Equatable, Sendable {
    public var name: String
    public var type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }

    /// Whether the column holds integers (`bigint`, `int(10) unsigned`, `INTEGER`).
    public var isInteger: Bool { type.contains("int") }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// A point in time on the monotonic clock, for deadlines.
public struct SQLDeadline: Sendable {
    let nanos: UInt64

    /// `seconds` from now.
    public static func after(_ seconds: Double) -> SQLDeadline {
        SQLDeadline(nanos: now() + UInt64(max(0, seconds) * 1e9))
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Milliseconds left, at least 0 (for `poll`).
    var millisecondsLeft: Int32 {
        let n = Self.now()
        return n >= nanos ? 0 : Int32(min((nanos - n) / 1_000_000 + 1, UInt64(Int32.max)))
    }

    /// Whether it has passed.
    var passed: Bool { Self.now() >= nanos }
}
