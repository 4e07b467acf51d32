import SessionBasics

/// One RESP2 reply, decoded from hiredis's reader into Swift values at once.
///
/// A server error reply (`-ERR …`) is a value, ``RedisError``, not a thrown error:
/// in a pipeline one command may fail while the others succeed.
public enum RESPValue: Equatable, Sendable {
    /// `+OK`-style status reply.
    case status(String)
    /// `-ERR`-style error reply.
    case error(RedisError)
    /// `:42` integer reply.
    case integer(Int64)
    /// `$n` bulk string, binary-safe.
    case bulk(Bytes)
    /// `$-1` or `*-1`: the null bulk string or null array.
    case null
    /// `*n` array.
    case array([RESPValue])
}

// MARK: - Accessors

extension RESPValue {
    /// The bytes of a bulk or status reply, else `nil`.
    public var bytes: Bytes? {
        switch self {
        case .bulk(let b): return b
        case .status(let s): return Array(s.utf8)
        default: return nil
        }
    }

    /// The reply as text (lossy for non-UTF-8 bulk strings), for status and bulk replies.
    public var text: String? {
        bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The integer of an integer reply, or of a bulk string holding a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulk(let b): return Int64(String(decoding: b, as: UTF8.self))
        default: return nil
        }
    }

    /// The elements of an array reply, else `nil`.
    public var array: [RESPValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The server error carried by an error reply, else `nil`.
    public var redisError: RedisError? {
        if case .error(let e) = self { return e }
        return nil
    }
}
