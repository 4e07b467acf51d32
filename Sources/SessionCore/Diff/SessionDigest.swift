import SessionBasics
import SessionCrypto
import SessionPayload

/// One session as a snapshot holds it: whose, which, and a digest of its data.
public struct SnapshotEntry: Equatable, Sendable {
    public var user: Bytes
    public var session: Bytes
    /// SHA-256 of the decoded payload in a canonical form (so the same session stored by two
    /// stores in two encodings, a Laravel session in Redis and in a table, has one digest), or of
    /// the raw bytes when they do not decode.
    public var digest: [UInt8]

    public init(user: Bytes, session: Bytes, digest: [UInt8]) {
        self.user = user
        self.session = session
        self.digest = digest
    }
}

/// The digest of a session's data.
public enum SessionDigest {
    /// Of what `decoded` holds, else of `raw`.
    public static func of(_ decoded: DecodedPayload, raw: Bytes) -> [UInt8] {
        var out: [UInt8] = []
        if let v = decoded.value {
            out.append(UInt8(ascii: "v"))
            canonical(v, into: &out)
        } else {
            out.append(UInt8(ascii: "r"))
            out += raw
        }
        return Digest.sha256(out)
    }

    /// A string or integer key's tag and bytes, which order its form (tag, eight-byte length,
    /// bytes) without writing it; `nil` for other keys.
    static func scalarForm(_ v: PayloadValue) -> (tag: UInt8, bytes: [UInt8])? {
        switch v {
        case .string(let s), .symbol(let s): return (UInt8(ascii: "s"), s)
        case .int(let i): return (UInt8(ascii: "i"), Array(String(i).utf8))
        default: return nil
        }
    }

    /// A tagged, length-prefixed form of the tree; maps sorted by their keys' forms, so that the
    /// order a serializer wrote them in does not count.
    static func canonical(_ v: PayloadValue, into out: inout [UInt8]) {
        func bytes(_ tag: Character, _ b: [UInt8]) {
            out.append(tag.asciiValue!)
            length(b.count)
            out += b
        }
        func length(_ n: Int) {
            withUnsafeBytes(of: UInt64(n).bigEndian) { out += $0 }
        }
        switch v {
        case .null: out.append(UInt8(ascii: "n"))
        case .bool(let b): out += [UInt8(ascii: "b"), b ? 1 : 0]
        case .int(let i): bytes("i", Array(String(i).utf8))
        case .bigInt(let s): bytes("i", Array(s.utf8))
        case .double(let d): bytes("d", Array(String(d).utf8))
        case .string(let s), .symbol(let s): bytes("s", s)
        case .time(let t): bytes("t", Array(String(t).utf8))
        case .list(let items):
            out.append(UInt8(ascii: "l"))
            length(items.count)
            for i in items { canonical(i, into: &out) }
        case .map(let entries), .object(_, let entries):
            if case .object(let name, _) = v { bytes("o", Array(name.utf8)) }
            out.append(UInt8(ascii: "m"))
            length(entries.count)
            // The common case, string and integer keys: the entries sorted by their keys' forms
            // without writing them first, then written straight out.
            let keys = entries.map { scalarForm($0.key) }
            if keys.allSatisfy({ $0 != nil }) {
                let order = entries.indices.sorted { i, j in
                    let x = keys[i]!
                    let y = keys[j]!
                    if x.tag != y.tag { return x.tag < y.tag }
                    if x.bytes.count != y.bytes.count { return x.bytes.count < y.bytes.count }
                    return x.bytes.lexicographicallyPrecedes(y.bytes)
                }
                for i in order {
                    canonical(entries[i].key, into: &out)
                    canonical(entries[i].value, into: &out)
                }
                return
            }
            // Otherwise each entry's form into one scratch buffer, the spans sorted by the key's form
            // and copied out in that order.
            var scratch: [UInt8] = []
            var spans: [(key: Range<Int>, end: Int)] = []
            spans.reserveCapacity(entries.count)
            for e in entries {
                let start = scratch.count
                canonical(e.key, into: &scratch)
                let keyEnd = scratch.count
                canonical(e.value, into: &scratch)
                spans.append((start..<keyEnd, scratch.count))
            }
            for span in spans.sorted(by: { scratch[$0.key].lexicographicallyPrecedes(scratch[$1.key]) }) {
                out += scratch[span.key.lowerBound..<span.end]
            }
        case .opaque(let name, let b):
            bytes("o", Array(name.utf8))
            bytes("x", b)
        case .cycle: out.append(UInt8(ascii: "c"))
        }
    }
}
