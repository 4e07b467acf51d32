import CZlib

/// zlib decompression with a bound on the output, so a small hostile input cannot make it
/// allocate more than `limit` bytes (a decompression bomb ends in an error).
public enum Inflate {
    /// Why decompression failed.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case corrupt(String)
        case tooLarge(Int)

        public var description: String {
            switch self {
            case .corrupt(let why): return "zlib data is corrupt (\(why))"
            case .tooLarge(let limit): return "zlib data expands past \(limit) bytes"
            }
        }
    }

    /// The bytes `data` (a zlib stream) expands to, at most `limit` of them.
    public static func zlib(_ data: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard sessionctl_inflate_init(&stream) == Z_OK else { throw .corrupt("cannot start zlib") }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var input = data
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let rc: Int32 = chunk.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = UInt32(outBuf.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if out.count + produced > limit { return -100 }
                out += chunk[0..<produced]
                if rc == Z_STREAM_END { return Z_STREAM_END }
                if rc != Z_OK { return rc }
                if stream.avail_in == 0 && produced == 0 { return Z_BUF_ERROR }
            }
        }
        switch status {
        case Z_STREAM_END: return out
        case -100: throw .tooLarge(limit)
        case Z_BUF_ERROR: throw .corrupt("truncated")
        default: throw .corrupt(stream.msg.map { String(cString: $0) } ?? "error \(status)")
        }
    }
}
