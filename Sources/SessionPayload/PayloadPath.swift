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

    /// The most parts a path may have (each dot may or may not split, so the search is bounded by this).
    public static let maxParts = 12

    /// A path; `nil` when empty or longer than ``maxParts`` parts.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.filter({ $0 == UInt8(ascii: ".") }).count < Self.maxParts else { return nil }
        self.text = text
    }

    public var description: String { text }

    /// The first value the path reaches in `root`, if any.
    public func lookup(_ root: PayloadValue) -> PayloadValue? {
        Self.find(Array(text.utf8)[...], in: root, depth: 0)
    }

    private static func find(_ path: ArraySlice<UInt8>, in value: PayloadValue, depth: Int) -> PayloadValue? {
        if path.isEmpty { return value }
        guard depth < 64 else { return nil }
        // The places the next part may end: each dot, and the end.
        var ends = path.indices.filter { path[$0] == UInt8(ascii: ".") }
        ends.append(path.endIndex)
        switch value {
        case .list(let items):
            let end = ends[0]
            guard let i = Int(String(decoding: path[path.startIndex..<end], as: UTF8.self)), i >= 0, i < items.count else { return nil }
            return find(rest(path, after: end), in: items[i], depth: depth + 1)
        case .map(let entries), .object(_, let entries):
            for end in ends {
                let part = Array(path[path.startIndex..<end])
                for e in entries {
                    guard let key = keyBytes(e.key), matches(part[...], key[...]) else { continue }
                    if let found = find(rest(path, after: end), in: e.value, depth: depth + 1) { return found }
                }
            }
            return nil
        default:
            return nil
        }
    }

    private static func rest(_ path: ArraySlice<UInt8>, after end: Int) -> ArraySlice<UInt8> {
        end < path.endIndex ? path[(end + 1)...] : path[path.endIndex...]
    }

    private static func keyBytes(_ key: PayloadValue) -> [UInt8]? {
        switch key {
        case .string(let b), .symbol(let b): return b
        case .int(let i): return Array(String(i).utf8)
        default: return nil
        }
    }

    /// `*` matches any run of bytes; everything else matches itself (one resume point: linear).
    static func matches(_ pattern: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex, i = s.startIndex
        var star: Int?, resume = s.startIndex
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
