import SessionBasics

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
    ///
    /// Greedy with one resume point (the last `*`): at most pattern × string steps, never the
    /// exponential backtracking a recursive matcher does on `*a*a*a*…b` against a run of `a`s.
    public static func matches(_ pattern: Bytes, _ string: Bytes) -> Bool {
        var p = 0
        var s = 0
        var resumePattern = -1
        var resumeString = 0
        while s < string.count {
            if p < pattern.count {
                if pattern[p] == 0x2A {  // *
                    while p < pattern.count && pattern[p] == 0x2A { p += 1 }
                    if p == pattern.count { return true }
                    resumePattern = p
                    resumeString = s
                    continue
                }
                if let next = matchOne(pattern, at: p, string[s]) {
                    p = next
                    s += 1
                    continue
                }
            }
            // Mismatch: let the last `*` take one more byte, or fail if there is none.
            guard resumePattern >= 0 else { return false }
            resumeString += 1
            s = resumeString
            p = resumePattern
        }
        while p < pattern.count && pattern[p] == 0x2A { p += 1 }
        return p == pattern.count
    }

    /// Whether the one-byte token of `pattern` at `p` (`?`, a class, `\x` or a literal) matches
    /// `ch`: the index after the token, or `nil`.
    private static func matchOne(_ pattern: Bytes, at p: Int, _ ch: UInt8) -> Int? {
        switch pattern[p] {
        case 0x3F:  // ?
            return p + 1
        case 0x5B:  // [
            var i = p + 1
            let negate = i < pattern.count && pattern[i] == 0x5E
            if negate { i += 1 }
            var matched = false
            while i < pattern.count, pattern[i] != 0x5D {
                if pattern[i] == 0x5C, i + 1 < pattern.count {
                    if pattern[i + 1] == ch { matched = true }
                    i += 2
                } else if i + 2 < pattern.count, pattern[i + 1] == 0x2D {  // a-z
                    let lo = min(pattern[i], pattern[i + 2])
                    let hi = max(pattern[i], pattern[i + 2])
                    if ch >= lo && ch <= hi { matched = true }
                    i += 3
                } else {
                    if pattern[i] == ch { matched = true }
                    i += 1
                }
            }
            if i < pattern.count { i += 1 }  // the closing ]
            return matched != negate ? i : nil
        case 0x5C where p + 1 < pattern.count:  // \x
            return pattern[p + 1] == ch ? p + 2 : nil
        case let c:
            return c == ch ? p + 1 : nil
        }
    }
}
