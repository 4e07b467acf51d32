import SessionBasics

/// Shows binary ids and values safely: valid UTF-8 stays readable, everything else is visibly escaped.
public enum Escape {
    /// `bytes` for a table cell: invalid UTF-8 and control bytes as `\xHH`, backslash as `\\`,
    /// and characters that reorder or hide text (bidi controls such as U+202E, zero-width
    /// characters such as U+200B) as `\u{202E}`, so the text shown never moves the cursor,
    /// reads backwards, or hides a byte.
    public static func visible(_ bytes: [UInt8]) -> String {
        // Built as UTF-8 bytes and made a `String` once (appending scalar by scalar to a `String` was
        // a tenth of `show -o json`'s time).
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 4)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x5C {
                out += [0x5C, 0x5C]
                i += 1
                continue
            }
            if b < 0x20 || b == 0x7F {
                hex(b, into: &out)
                i += 1
                continue
            }
            if b < 0x80 {
                out.append(b)
                i += 1
                continue
            }
            if let (scalar, length) = decodeScalar(bytes, at: i), !(0x80...0x9F).contains(scalar.value) {
                if hidesOrReorders(scalar) {
                    out += ("\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}").utf8
                } else {
                    // Checked by decodeScalar (no overlong form, no surrogate): the bytes are the scalar's UTF-8.
                    out += bytes[i..<(i + length)]
                }
                i += length
            } else {
                hex(b, into: &out)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bidi embeddings, overrides and isolates, marks, zero-width characters, line and
    /// paragraph separators, the byte-order mark: invisible, yet they change what is shown.
    static func hidesOrReorders(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF: return true
        default: return false
        }
    }

    private static func hex(_ b: UInt8, into out: inout [UInt8]) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { d in out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), d[Int(b >> 4)], d[Int(b & 0xF)]] }
    }

    /// Decodes one UTF-8 scalar starting at `i`, rejecting overlong forms and surrogates.
    public static func decodeScalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let b0 = bytes[i]
        let length: Int
        var value: UInt32
        switch b0 {
        case 0xC2...0xDF:
            length = 2
            value = UInt32(b0 & 0x1F)
        case 0xE0...0xEF:
            length = 3
            value = UInt32(b0 & 0x0F)
        case 0xF0...0xF4:
            length = 4
            value = UInt32(b0 & 0x07)
        default: return nil
        }
        guard i + length <= bytes.count else { return nil }
        for k in 1..<length {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(b & 0x3F)
        }
        let minimum: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }
}
