import SessionBasics

/// An encoding of tuples of fields whose byte order is the tuple's order, for records given to
/// ``ExternalSorter``: a byte string is escaped (`00` → `00 FF`) and ends with `00 00`, so no
/// field is a prefix of another and bytes compare as the ids do; a number is eight bytes big-endian.
package enum OrderedBytes {
    /// Appends a byte-string field.
    package static func append(_ field: Bytes, to out: inout [UInt8]) {
        if !field.contains(0) {
            out += field
        } else {
            for b in field {
                out.append(b)
                if b == 0 { out.append(0xff) }
            }
        }
        out.append(0)
        out.append(0)
    }

    /// Appends a number, so that larger numbers sort later.
    package static func append(_ n: UInt64, to out: inout [UInt8]) {
        for i in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: n >> UInt64(i))) }
    }

    /// Reads fields back from a record.
    package struct Reader {
        let bytes: UnsafeRawBufferPointer
        package var at = 0

        package init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// The next byte-string field (`nil` when the record is malformed: spill files are ours,
        /// so that would be a bug, reported rather than trusted).
        package mutating func field() -> Bytes? {
            var out: Bytes = []
            while at < bytes.count {
                let b = bytes[at]
                at += 1
                guard b == 0 else {
                    out.append(b)
                    continue
                }
                guard at < bytes.count else { return nil }
                let next = bytes[at]
                at += 1
                if next == 0 { return out }
                guard next == 0xff else { return nil }
                out.append(0)
            }
            return nil
        }

        /// Skips a byte-string field, returning its encoded bytes (terminator included).
        package mutating func rawField() -> UnsafeRawBufferPointer? {
            let start = at
            while at + 1 < bytes.count {
                if bytes[at] == 0 {
                    if bytes[at + 1] == 0 {
                        at += 2
                        return UnsafeRawBufferPointer(rebasing: bytes[start..<at])
                    }
                    at += 2
                } else {
                    at += 1
                }
            }
            return nil
        }

        mutating func number() -> UInt64? {
            guard at + 8 <= bytes.count else { return nil }
            var n: UInt64 = 0
            for _ in 0..<8 {
                n = n << 8 | UInt64(bytes[at])
                at += 1
            }
            return n
        }

        package mutating func byte() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }

        /// What is left of the record.
        var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[at...]) }
    }
}
