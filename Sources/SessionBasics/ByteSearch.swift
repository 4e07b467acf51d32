/// Byte-string searches the stores and the core share.
package func firstOccurrence(of needle: Bytes, in hay: Bytes) -> Int? {
    guard !needle.isEmpty, hay.count >= needle.count else { return nil }
    var i = 0
    while i + needle.count <= hay.count {
        if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += 1
    }
    return nil
}

package func lastOccurrence(of needle: Bytes, in hay: Bytes) -> Int? {
    guard !needle.isEmpty, hay.count >= needle.count else { return nil }
    var i = hay.count - needle.count
    while i >= 0 {
        if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i -= 1
    }
    return nil
}

extension Array where Element == UInt8 {
    package func contains(subsequence s: Bytes) -> Bool { firstOccurrence(of: s, in: self) != nil }
}

extension Collection where Element == UInt8 {
    /// The longest suffix whose elements all pass `test`.
    package func suffix(while test: (UInt8) -> Bool) -> [UInt8] {
        var out: [UInt8] = []
        for b in reversed() {
            guard test(b) else { break }
            out.insert(b, at: 0)
        }
        return out
    }
}
