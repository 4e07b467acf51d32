import RedisClient

/// Redis glob patterns: escaping data so it matches only itself, and matching on the client.
public enum Glob {
    /// The bytes that mean something in a Redis glob: `* ? [ ] \`.
    public static let metacharacters: Set<UInt8> = [0x2A, 0x3F, 0x5B, 0x5D, 0x5C]

    /// `bytes` with every glob metacharacter preceded by a backslash, so the pattern matches exactly `bytes`.
    public static func escape(_ bytes: Bytes) -> Bytes {
        var out = Bytes()
        out.reserveCapacity(bytes.count + 4)
        for b in bytes {
            if metacharacters.contains(b) { out.append(0x5C) }
            out.append(b)
        }
        return out
    }

    /// Whether `string` matches `pattern` with the semantics of Redis's `stringmatchlen`
    /// (`*`, `?`, `[abc]`, `[^a-z]`, `\x`), case-sensitively.
    public static func matches(_ pattern: Bytes, _ string: Bytes) -> Bool {
        pattern.withUnsafeBufferPointer { p in
            string.withUnsafeBufferPointer { s in match(p[...], s[...]) }
        }
    }

    private static func match(_ pattern: Slice<UnsafeBufferPointer<UInt8>>, _ string: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var p = pattern
        var s = string
        while let c = p.first {
            switch c {
            case 0x2A: // *
                while p.first == 0x2A { p = p.dropFirst() }
                if p.isEmpty { return true }
                while true {
                    if match(p, s) { return true }
                    if s.isEmpty { return false }
                    s = s.dropFirst()
                }
            case 0x3F: // ?
                if s.isEmpty { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            case 0x5B: // [
                guard let ch = s.first else { return false }
                p = p.dropFirst()
                let negate = p.first == 0x5E
                if negate { p = p.dropFirst() }
                var matched = false
                while let pc = p.first, pc != 0x5D {
                    if pc == 0x5C, p.count >= 2 {
                        p = p.dropFirst()
                        if p.first == ch { matched = true }
                        p = p.dropFirst()
                    } else if p.count >= 3, p[p.startIndex + 1] == 0x2D { // a-z
                        var lo = pc
                        var hi = p[p.startIndex + 2]
                        if lo > hi { swap(&lo, &hi) }
                        if ch >= lo && ch <= hi { matched = true }
                        p = p.dropFirst(3)
                    } else {
                        if pc == ch { matched = true }
                        p = p.dropFirst()
                    }
                }
                if !p.isEmpty { p = p.dropFirst() } // the closing ]
                if negate { matched = !matched }
                if !matched { return false }
                s = s.dropFirst()
            case 0x5C where p.count >= 2: // \x
                p = p.dropFirst()
                if s.first != p.first { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            default:
                if s.first != c { return false }
                s = s.dropFirst()
                p = p.dropFirst()
            }
        }
        return s.isEmpty
    }
}
