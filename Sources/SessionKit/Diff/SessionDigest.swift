import RedisClient
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
            let forms = entries.map { e -> ([UInt8], [UInt8]) in
                var k: [UInt8] = [], val: [UInt8] = []
                canonical(e.key, into: &k)
                canonical(e.value, into: &val)
                return (k, val)
            }.sorted { $0.0.lexicographicallyPrecedes($1.0) }
            for (k, val) in forms { out += k; out += val }
        case .opaque(let name, let b):
            bytes("o", Array(name.utf8))
            bytes("x", b)
        case .cycle: out.append(UInt8(ascii: "c"))
        }
    }
}
