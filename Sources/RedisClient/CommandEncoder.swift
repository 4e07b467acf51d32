import SessionBasics

/// Formats commands as RESP multi-bulk requests (`*N\r\n$len\r\narg\r\n…`).
///
/// This is the format hiredis's `redisFormatCommandArgv` produces, and the tests check the
/// two byte for byte. It is written out here because hiredis 0.14 formats each length with
/// `sprintf`, which profiling showed to be a sixth of the client's work in an audit.
public enum CommandEncoder {
    /// Appends the RESP encoding of `arguments` to `buffer`.
    public static func append(_ arguments: [Bytes], to buffer: inout Bytes) {
        precondition(!arguments.isEmpty, "a command needs a name")
        var size = 16
        for a in arguments { size += a.count + 16 }
        // Grow geometrically: reserving exactly what one more command needs would copy the
        // whole buffer for every command of a pipeline (quadratic on long ids).
        let needed = buffer.count + size
        if buffer.capacity < needed { buffer.reserveCapacity(max(needed, buffer.capacity * 2)) }
        buffer.append(UInt8(ascii: "*"))
        appendDecimal(arguments.count, to: &buffer)
        buffer.append(0x0D)
        buffer.append(0x0A)
        for a in arguments {
            buffer.append(UInt8(ascii: "$"))
            appendDecimal(a.count, to: &buffer)
            buffer.append(0x0D)
            buffer.append(0x0A)
            buffer.append(contentsOf: a)
            buffer.append(0x0D)
            buffer.append(0x0A)
        }
    }

    /// The RESP encoding of one command.
    public static func encode(_ arguments: [Bytes]) -> Bytes {
        var out = Bytes()
        append(arguments, to: &out)
        return out
    }

    @inline(__always)
    private static func appendDecimal(_ n: Int, to buffer: inout Bytes) {
        if n < 10 {
            buffer.append(UInt8(ascii: "0") + UInt8(n))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = n
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { buffer.append(d[i]) }
        }
    }
}
