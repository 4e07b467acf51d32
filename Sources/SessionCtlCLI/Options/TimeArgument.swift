import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// A point in time on the command line (`--created-after`): an RFC 3339 date (`2026-12-07`, midnight
/// UTC) or date and time (`2026-12-07T14:00Z`, `2026-12-07T14:00:30+01:00`; no zone is UTC), or a
/// duration ago (`2h`, `7d`).
enum TimeArgument {
    /// Seconds since 1970, or `nil` when `text` is neither.
    static func seconds(_ text: String, now: Double) -> Double? {
        if let ago = OptionBinding.parseDuration(text) { return now - ago }
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int32? {
            guard range.upperBound <= b.count, b[range].allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int32(String(decoding: b[range], as: UTF8.self))
        }
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), let year = number(0..<4), let month = number(5..<7),
            let day = number(8..<10), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        var i = 10
        var offset = 0
        if i < b.count {
            guard b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: " "), let hour = number(i + 1..<i + 3), i + 3 < b.count,
                b[i + 3] == UInt8(ascii: ":"), let minute = number(i + 4..<i + 6), hour < 24, minute < 60
            else { return nil }
            parts.tm_hour = hour
            parts.tm_min = minute
            i += 6
            if i < b.count && b[i] == UInt8(ascii: ":") {
                guard let second = number(i + 1..<i + 3), second < 61 else { return nil }
                parts.tm_sec = second
                i += 3
                // Fractions of a second are allowed and dropped.
                if i < b.count && b[i] == UInt8(ascii: ".") {
                    i += 1
                    while i < b.count && (0x30...0x39).contains(b[i]) { i += 1 }
                }
            }
            if i < b.count {
                if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                    i += 1
                } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                    guard let h = number(i + 1..<i + 3), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let m = number(i + 4..<i + 6) else {
                        return nil
                    }
                    offset = (Int(h) * 3600 + Int(m) * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
                    i += 6
                }
            }
            guard i == b.count else { return nil }
        }
        let t = timegm(&parts)
        guard t != -1 || (year == 1969 && month == 12 && day == 31) else { return nil }
        return Double(t - offset)
    }
}
