import SessionBasics

/// Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its hash tag `{…}`, modulo 16384.
public enum HashSlot {
    /// The number of slots.
    public static let count = 16384

    /// The slot of `key`.
    public static func of(_ key: Bytes) -> Int {
        Int(crc16(tag(of: key)[...]) & 0x3FFF)
    }

    /// The part of `key` that is hashed: the bytes between the first `{` and the next `}`,
    /// when that is not empty; otherwise the whole key.
    public static func tag(of key: Bytes) -> ArraySlice<UInt8> {
        if let open = key.firstIndex(of: UInt8(ascii: "{")),
            let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
        {
            return key[(open + 1)..<close]
        }
        return key[...]
    }

    /// The slot every key matching a MATCH pattern hashes to, when the pattern fixes it:
    /// its literal prefix (before the first unescaped `*`, `?` or `[`) holds a complete,
    /// non-empty hash tag. `nil` when keys of the pattern may live in any slot.
    public static func fixedSlot(ofPattern pattern: Bytes) -> Int? {
        var prefix = Bytes()
        var i = 0
        while i < pattern.count {
            let c = pattern[i]
            if c == UInt8(ascii: "\\"), i + 1 < pattern.count {
                prefix.append(pattern[i + 1])
                i += 2
                continue
            }
            if c == UInt8(ascii: "*") || c == UInt8(ascii: "?") || c == UInt8(ascii: "[") { break }
            prefix.append(c)
            i += 1
        }
        guard let open = prefix.firstIndex(of: UInt8(ascii: "{")),
            let close = prefix[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
        else { return nil }
        return of(prefix)
    }

    /// A key of the slot ``fixedSlot(ofPattern:)`` finds: `{tag}`.
    public static func keyOfFixedSlot(ofPattern pattern: Bytes) -> Bytes? {
        guard fixedSlot(ofPattern: pattern) != nil else { return nil }
        var prefix = Bytes()
        var i = 0
        while i < pattern.count, ![UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "[")].contains(pattern[i]) {
            if pattern[i] == UInt8(ascii: "\\"), i + 1 < pattern.count { i += 1 }
            prefix.append(pattern[i])
            i += 1
        }
        guard let open = prefix.firstIndex(of: UInt8(ascii: "{")), let close = prefix[(open + 1)...].firstIndex(of: UInt8(ascii: "}")) else {
            return nil
        }
        return Array(prefix[open...close])
    }

    private static let table: [UInt16] = (0..<256).map { i -> UInt16 in
        var crc = UInt16(i) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }

    /// CRC16-CCITT (XMODEM), as the cluster specification defines it.
    public static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for b in bytes { crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(b))] }
        return crc
    }
}
