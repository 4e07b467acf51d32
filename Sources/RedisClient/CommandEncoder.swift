import CHiredis

/// Formats commands as RESP multi-bulk requests with hiredis's `redisFormatCommandArgv`.
public enum CommandEncoder {
    /// Appends the RESP encoding of `arguments` to `buffer`.
    public static func append(_ arguments: [Bytes], to buffer: inout Bytes) {
        precondition(!arguments.isEmpty, "a command needs a name")
        let count = arguments.count
        // One contiguous copy of every argument, so hiredis reads pinned memory.
        var flat = Bytes()
        flat.reserveCapacity(arguments.reduce(0) { $0 + $1.count })
        var lengths = [Int](repeating: 0, count: count)
        for (i, arg) in arguments.enumerated() {
            lengths[i] = arg.count
            flat.append(contentsOf: arg)
        }
        var target: UnsafeMutablePointer<CChar>?
        let n = flat.withUnsafeBufferPointer { flatBuf -> Int32 in
            let base = UnsafeRawPointer(flatBuf.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            var offset = 0
            var pointers = [UnsafePointer<CChar>?](repeating: nil, count: count)
            for i in 0..<count {
                pointers[i] = (base + offset).assumingMemoryBound(to: CChar.self)
                offset += lengths[i]
            }
            return pointers.withUnsafeMutableBufferPointer { ptrs in
                lengths.withUnsafeBufferPointer { lens in
                    redisFormatCommandArgv(&target, Int32(count), ptrs.baseAddress, lens.baseAddress)
                }
            }
        }
        guard n > 0, let target else { preconditionFailure("out of memory formatting a command") }
        defer { redisFreeCommand(target) }
        buffer.append(contentsOf: UnsafeRawBufferPointer(start: target, count: Int(n)))
    }

    /// The RESP encoding of one command.
    public static func encode(_ arguments: [Bytes]) -> Bytes {
        var out = Bytes()
        append(arguments, to: &out)
        return out
    }
}
