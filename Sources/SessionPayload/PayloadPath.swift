/// A place in a decoded payload, written as a dot path: `_auth_user_id`,
/// `warden.user.admin.key.0.0`, `passport.user`.
///
/// Map keys may themselves hold dots (Warden's `warden.user.user.key` is one key), so at each
/// map every way of taking the next part of the path up to a dot is tried against the keys.
/// A `*` in a part matches any run of characters within one key (`warden.user.*.key`,
/// `login_*_59ba36addc2b2f9401580f014c7f58ea4e30989d`); numeric parts index lists.
/// Object fields are looked up like map keys (a Ruby ivar is `@value`).
public struct PayloadPath: Sendable, Equatable, CustomStringConvertible {
    /// The path as written.
    public let text: String
    private let bytes: [UInt8]
    /// Where each dot stands, and the end: the places a part may end.
    private let ends: [Int]
    private let hasStar: Bool

    /// The most parts a path may have (each dot may or may not split, so the search is bounded by this).
    public static let maxParts = 12

    /// A path; `nil` when empty or longer than ``maxParts`` parts.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard !bytes.isEmpty, dots.count < Self.maxParts else { return nil }
        self.text = text
        self.bytes = bytes
        ends = dots + [bytes.count]
        hasStar = bytes.contains(UInt8(ascii: "*"))
    }

    public var description: String { text }

    public static func == (a: PayloadPath, b: PayloadPath) -> Bool { a.text == b.text }

    /// The first value the path reaches in `root`, if any.
    public func lookup(_ root: PayloadValue) -> PayloadValue? {
        find(from: 0, in: root, depth: 0)
    }

    /// The value the rest of the path from byte `start` reaches in `value`.
    private func find(from start: Int, in value: PayloadValue, depth: Int) -> PayloadValue? {
        if start >= bytes.count { return value }
        guard depth < 64 else { return nil }
        // The first place the next part may end, at or after `start`.
        var first = 0
        while ends[first] < start { first += 1 }
        switch value {
        case .list(let items):
            let end = ends[first]
            var i = 0
            for b in bytes[start..<end] {
                guard b >= 0x30 && b <= 0x39, i < 1 << 40 else { return nil }
                i = i * 10 + Int(b - 0x30)
            }
            guard end > start, i < items.count else { return nil }
            return find(from: end + 1, in: items[i], depth: depth + 1)
        case .map(let entries), .object(_, let entries):
            for k in first..<ends.count {
                let part = bytes[start..<ends[k]]
                for e in entries {
                    guard keyMatches(part, e.key) else { continue }
                    if let found = find(from: ends[k] + 1, in: e.value, depth: depth + 1) { return found }
                }
            }
            return nil
        default:
            return nil
        }
    }

    private func keyMatches(_ part: ArraySlice<UInt8>, _ key: PayloadValue) -> Bool {
        switch key {
        case .string(let b), .symbol(let b):
            return hasStar ? Self.matches(part, b[...]) : part.elementsEqual(b)
        case .int(let i):
            return Self.matches(part, Array(String(i).utf8)[...])
        default:
            return false
        }
    }

    /// `*` matches any run of bytes; everything else matches itself (one resume point: linear).
    static func matches(_ pattern: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var i = s.startIndex
        var star: Int?
        var resume = s.startIndex
        while i < s.endIndex {
            if p < pattern.endIndex && pattern[p] == UInt8(ascii: "*") {
                star = p
                p += 1
                resume = i
            } else if p < pattern.endIndex && pattern[p] == s[i] {
                p += 1
                i += 1
            } else if let st = star {
                p = st + 1
                resume += 1
                i = resume
            } else {
                return false
            }
        }
        while p < pattern.endIndex && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}
