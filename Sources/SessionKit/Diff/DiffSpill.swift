import RedisClient
#if canImport(Glibc)
import Glibc
#endif

/// Which of the two stores an entry came from.
public enum DiffSide: Int, Sendable {
    case a = 0, b = 1
}

/// One user's differences between the stores.
public struct UserDifference: Equatable, Sendable {
    public var user: Bytes
    /// Sessions only the first store (`--url`) has: lost by the second.
    public var onlyInA: [Bytes] = []
    /// Sessions only the second store (`--against`) has.
    public var onlyInB: [Bytes] = []
    /// Sessions both have with different data.
    public var differ: [Bytes] = []

    public init(user: Bytes) { self.user = user }
}

/// The totals of a comparison.
public struct DiffSummary: Equatable, Sendable {
    public var sessionsA = 0, sessionsB = 0
    public var usersA = 0, usersB = 0
    public var onlyInA = 0, onlyInB = 0, differ = 0
    /// Users with at least one difference, and users present on either side with none.
    public var usersDiffering = 0, usersIdentical = 0

    public init() {}

    /// Whether the stores hold the same sessions with the same data.
    public var identical: Bool { onlyInA == 0 && onlyInB == 0 && differ == 0 }
}

/// A failure of the spill files (a full disk, a temporary directory that cannot be made).
public struct DiffError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Compares two stores of any size in bounded memory: each side's entries are spilled, as they
/// are read, into one of ``partitions`` files by a hash of the user, in a private temporary
/// directory (mode 0700, removed when this value goes away: after success, failure or Ctrl-C);
/// then each partition pair is read back and compared alone. Memory is the write buffers
/// (2 × partitions × 32 KiB = 4 MiB) plus one partition pair, about (A + B) / 64 entries of
/// ~120 bytes: ~4 MiB for a million sessions a side.
public final class DiffSpill {
    public static let partitions = 64
    static let bufferSize = 32 << 10
    /// The directory, `<tmp>/sessionctl-diff-XXXXXX`.
    public let directory: String
    /// One writer per side, so that the two stores can be read at once, each on its own thread.
    private let sides: [Side]

    /// One side's partition files and their write buffers; used by one thread at a time.
    final class Side: @unchecked Sendable {
        var fds: [Int32] = []
        var buffers: [[UInt8]] = Array(repeating: [], count: DiffSpill.partitions)
        var count = 0
        var paths: [String] = []
    }

    /// Makes the directory under `temporaryDirectory` (`$TMPDIR`, else `/tmp`).
    public init(temporaryDirectory: String) throws {
        var template = Array((temporaryDirectory + "/sessionctl-diff-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw DiffError("cannot make a temporary directory in \(temporaryDirectory): \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        sides = [Side(), Side()]
        for (s, side) in sides.enumerated() {
            for p in 0..<Self.partitions {
                let path = "\(directory)/\(s == 0 ? "a" : "b")\(p)"
                let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw DiffError("cannot create a spill file in \(directory): \(String(cString: strerror(errno)))") }
                side.fds.append(fd)
                side.paths.append(path)
            }
        }
    }

    deinit {
        for side in sides {
            for (fd, path) in zip(side.fds, side.paths) {
                close(fd)
                unlink(path)
            }
        }
        rmdir(directory)
    }

    /// The partition of a user: FNV-1a, 64 bits.
    static func partition(_ user: Bytes) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in user { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(partitions))
    }

    /// Adds entries of one side (each side from one thread at a time; the two sides may be filled at once).
    public func add(_ entries: [SnapshotEntry], side: DiffSide) throws {
        let w = sides[side.rawValue]
        for e in entries {
            let p = Self.partition(e.user)
            Self.put(UInt32(e.user.count), &w.buffers[p])
            w.buffers[p] += e.user
            Self.put(UInt32(e.session.count), &w.buffers[p])
            w.buffers[p] += e.session
            w.buffers[p] += e.digest.count == 32 ? e.digest : Array(e.digest.prefix(32)) + Array(repeating: 0, count: max(0, 32 - e.digest.count))
            w.count += 1
            if w.buffers[p].count >= Self.bufferSize { try Self.flush(w, p) }
        }
    }

    private static func put(_ n: UInt32, _ out: inout [UInt8]) {
        withUnsafeBytes(of: n.littleEndian) { out += $0 }
    }

    private static func flush(_ w: Side, _ p: Int) throws {
        var offset = 0
        let data = w.buffers[p]
        while offset < data.count {
            let n = data[offset...].withUnsafeBytes { write(w.fds[p], $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DiffError("cannot write the spill file \(w.paths[p]): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        w.buffers[p].removeAll(keepingCapacity: true)
    }

    /// Compares partition by partition; `report` gets each user with a difference (users grouped
    /// by partition, sorted within one), as soon as the partition is done.
    public func compare(_ report: (UserDifference) throws -> Void) throws -> DiffSummary {
        for side in sides { for p in 0..<Self.partitions { try Self.flush(side, p) } }
        var summary = DiffSummary()
        summary.sessionsA = sides[0].count
        summary.sessionsB = sides[1].count
        struct Key: Hashable {
            var user: Bytes
            var session: Bytes
            // The bytes hashed in bulk (an array's own hash feeds the hasher a byte at a time).
            func hash(into h: inout Hasher) {
                user.withUnsafeBytes { h.combine(bytes: $0) }
                h.combine(user.count)
                session.withUnsafeBytes { h.combine(bytes: $0) }
            }
        }
        for p in 0..<Self.partitions {
            var inA: [Key: [UInt8]] = [:]
            var usersA = Set<Bytes>(), usersB = Set<Bytes>()
            try read(0, p) { u, s, d in inA[Key(user: u, session: s)] = d; usersA.insert(u) }
            var diffs: [Bytes: UserDifference] = [:]
            var seenB = Set<Key>()
            try read(1, p) { u, s, d in
                let k = Key(user: u, session: s)
                guard seenB.insert(k).inserted else { return }
                usersB.insert(u)
                if let other = inA.removeValue(forKey: k) {
                    if other != d { diffs[u, default: UserDifference(user: u)].differ.append(s) }
                } else {
                    diffs[u, default: UserDifference(user: u)].onlyInB.append(s)
                }
            }
            for k in inA.keys { diffs[k.user, default: UserDifference(user: k.user)].onlyInA.append(k.session) }
            summary.usersA += usersA.count
            summary.usersB += usersB.count
            summary.usersIdentical += usersA.union(usersB).count - diffs.count
            summary.usersDiffering += diffs.count
            for u in diffs.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                var d = diffs[u]!
                d.onlyInA.sort { $0.lexicographicallyPrecedes($1) }
                d.onlyInB.sort { $0.lexicographicallyPrecedes($1) }
                d.differ.sort { $0.lexicographicallyPrecedes($1) }
                summary.onlyInA += d.onlyInA.count
                summary.onlyInB += d.onlyInB.count
                summary.differ += d.differ.count
                try report(d)
            }
        }
        return summary
    }

    /// Reads one partition file back.
    private func read(_ s: Int, _ p: Int, _ body: (Bytes, Bytes, [UInt8]) throws -> Void) throws {
        let fd = sides[s].fds[p]
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0, lseek(fd, 0, SEEK_SET) == 0 else { throw DiffError("cannot read the spill file \(sides[s].paths[p])") }
        var data = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < data.count {
            let n = data[offset...].withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw DiffError("cannot read the spill file \(sides[s].paths[p]): \(String(cString: strerror(errno)))") }
            offset += n
        }
        var i = 0
        func u32() -> Int {
            let v = Int(data[i]) | Int(data[i + 1]) << 8 | Int(data[i + 2]) << 16 | Int(data[i + 3]) << 24
            i += 4
            return v
        }
        while i < data.count {
            let ul = u32()
            let user = Array(data[i..<i + ul]); i += ul
            let sl = u32()
            let session = Array(data[i..<i + sl]); i += sl
            let digest = Array(data[i..<i + 32]); i += 32
            try body(user, session, digest)
        }
    }
}
