import SessionCore

/// A point in time on the command line (`--created-after`): an RFC 3339 date (`2026-12-07`, midnight
/// UTC) or date and time (`2026-12-07T14:00Z`, `2026-12-07T14:00:30+01:00`; no zone is UTC), or a
/// duration ago (`2h`, `7d`). The text is read by ``Timestamp/parse(_:)``, the payloads' own reader,
/// once the shorter forms an operator types are written out in full.
enum TimeArgument {
    /// Seconds since 1970, or `nil` when `text` is neither.
    static func seconds(_ text: String, now: Double) -> Double? {
        if let ago = OptionBinding.parseDuration(text) { return now - ago }
        var full = text
        // A date alone is its midnight.
        if full.utf8.count == 10 { full += "T00:00:00" }
        // Hours and minutes without seconds (`2026-12-07T14:00Z`).
        let b = Array(full.utf8)
        if b.count >= 16, b[13] == UInt8(ascii: ":"), b.count == 16 || b[16] != UInt8(ascii: ":") {
            full = String(decoding: b[..<16], as: UTF8.self) + ":00" + String(decoding: b[16...], as: UTF8.self)
        }
        // No zone is UTC.
        let tail = Array(full.utf8).dropFirst(19).drop { $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) }
        if tail.isEmpty { full += "Z" }
        return Timestamp.parse(full)
    }
}
