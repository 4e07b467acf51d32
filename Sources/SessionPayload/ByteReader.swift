/// Reads an input front to back; every length is checked against what is left before use.
struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - position }
    var atEnd: Bool { position >= bytes.count }

    /// An error at the current position.
    func error(_ reason: String) -> PayloadError { PayloadError(reason, at: position) }

    mutating func u8() throws(PayloadError) -> UInt8 {
        guard position < bytes.count else { throw error("input ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    /// `count` bytes; a count larger than the input is an error, never an allocation.
    mutating func take(_ count: Int) throws(PayloadError) -> [UInt8] {
        guard count >= 0 else { throw error("negative length \(count)") }
        guard count <= remaining else { throw error("length \(count) is past the end of the input (\(remaining) bytes left)") }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    /// An unsigned big-endian integer of `count` bytes (at most 8).
    mutating func bigEndian(_ count: Int) throws(PayloadError) -> UInt64 {
        var v: UInt64 = 0
        for b in try take(count) { v = v << 8 | UInt64(b) }
        return v
    }

    /// An unsigned little-endian integer of `count` bytes (at most 8).
    mutating func littleEndian(_ count: Int) throws(PayloadError) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(count).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    /// Bytes up to (not including) `terminator`, which is consumed; at most `max` bytes.
    mutating func until(_ terminator: UInt8, max: Int = 4096) throws(PayloadError) -> [UInt8] {
        let start = position
        var i = position
        while i < bytes.count && bytes[i] != terminator {
            i += 1
            if i - start > max { throw PayloadError("no '\(Character(Unicode.Scalar(terminator)))' within \(max) bytes", at: start) }
        }
        guard i < bytes.count else { throw PayloadError("expected '\(Character(Unicode.Scalar(terminator)))' before the end", at: start) }
        position = i + 1
        return Array(bytes[start..<i])
    }

    /// Consumes `byte` or fails.
    mutating func expect(_ byte: UInt8) throws(PayloadError) {
        let b = try u8()
        guard b == byte else {
            position -= 1
            throw error("expected '\(Character(Unicode.Scalar(byte)))', found byte 0x\(String(b, radix: 16))")
        }
    }
}

/// Counts values and depth against the limits as a tree is built.
struct Budget {
    let limits: PayloadLimits
    var nodes = 0
    var depth = 0

    init(_ limits: PayloadLimits) { self.limits = limits }

    /// One more value (or `n`, for a copied subtree).
    mutating func spend(_ n: Int = 1, at offset: Int) throws(PayloadError) {
        nodes += n
        guard nodes <= limits.maxNodes else { throw PayloadError("more than \(limits.maxNodes) values", at: offset) }
    }

    /// Into a container.
    mutating func enter(at offset: Int) throws(PayloadError) {
        depth += 1
        guard depth <= limits.maxDepth else { throw PayloadError("nested deeper than \(limits.maxDepth) levels", at: offset) }
    }

    mutating func leave() { depth -= 1 }
}

/// Decimal text of a non-negative magnitude given as little-endian bytes (bounded by the caller).
func decimal(littleEndianMagnitude bytes: [UInt8]) -> String {
    var words = bytes.reversed().map { UInt32($0) }  // big-endian digits in base 256
    while words.first == 0 { words.removeFirst() }
    if words.isEmpty { return "0" }
    var digits: [UInt8] = []
    while !words.isEmpty {
        var rest: UInt32 = 0
        var next: [UInt32] = []
        next.reserveCapacity(words.count)
        for w in words {
            let cur = rest << 8 | w
            let q = cur / 10
            rest = cur % 10
            if !(next.isEmpty && q == 0) { next.append(q) }
        }
        digits.append(UInt8(48 + rest))
        words = next
    }
    return String(decoding: digits.reversed(), as: UTF8.self)
}
