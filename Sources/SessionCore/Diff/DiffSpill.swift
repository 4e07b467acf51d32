import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// Which of the two stores an entry came from.
public enum DiffSide: Int, Sendable {
    case a = 0
    case b = 1
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
public typealias DiffError = SpillError

/// Compares two stores of any size in bounded memory: both sides' entries go, as they are read,
/// into one ``ExternalSorter`` as `[user][session][side][digest]` records (sorted runs in a
/// private temporary directory past the budget, removed when this value goes away: after
/// success, failure or Ctrl-C); reading them back in order puts each session's two sides next
/// to each other, user by user. Memory: the budget, whatever the stores' sizes.
public final class DiffSpill: @unchecked Sendable {
    private let sorter: ExternalSorter
    /// The two sides are read at once, each on its own thread: one lock around the sorter.
    private let lock = Lock()

    public init(memory: MemoryLimit, cancellation: Cancellation? = nil) {
        sorter = ExternalSorter(memory, cancellation: cancellation)
    }

    /// Whether the entries went to disk.
    public var spilled: Bool { sorter.spilled }

    /// Adds entries of one side (the two sides may be filled at once from two threads).
    public func add(_ entries: [SnapshotEntry], side: DiffSide) throws {
        try lock.with {
            for e in entries {
                try sorter.add { out in
                    OrderedBytes.append(e.user, to: &out)
                    OrderedBytes.append(e.session, to: &out)
                    out.append(UInt8(side.rawValue))
                    out += e.digest.prefix(32)
                    if e.digest.count < 32 { out += Array(repeating: 0, count: 32 - e.digest.count) }
                }
            }
        }
    }

    /// Compares the sides: `report` gets each user with a difference, in user order, sessions
    /// sorted. May be called again (a table measures its columns in a first pass).
    public func compare(_ report: (UserDifference) throws -> Void) throws -> DiffSummary {
        var summary = DiffSummary()
        var user: [UInt8] = []
        var session: [UInt8] = []
        var anyUser = false
        var anySession = false
        var digests: [[UInt8]?] = [nil, nil]
        var current = UserDifference(user: [])
        var userIn = [false, false]
        func decode(_ raw: [UInt8]) -> Bytes {
            raw.withUnsafeBytes { p in
                var r = OrderedBytes.Reader(p)
                return r.field() ?? []
            }
        }
        func endSession() {
            guard anySession else { return }
            let id = decode(session)
            switch (digests[0], digests[1]) {
            case (let a?, let b?):
                summary.sessionsA += 1
                summary.sessionsB += 1
                if a != b { current.differ.append(id) }
            case (_?, nil):
                summary.sessionsA += 1
                current.onlyInA.append(id)
            case (nil, _?):
                summary.sessionsB += 1
                current.onlyInB.append(id)
            case (nil, nil): break
            }
            if digests[0] != nil { userIn[0] = true }
            if digests[1] != nil { userIn[1] = true }
            digests = [nil, nil]
        }
        func endUser() throws {
            endSession()
            anySession = false
            guard anyUser else { return }
            if userIn[0] { summary.usersA += 1 }
            if userIn[1] { summary.usersB += 1 }
            if current.onlyInA.isEmpty && current.onlyInB.isEmpty && current.differ.isEmpty {
                summary.usersIdentical += 1
            } else {
                summary.usersDiffering += 1
                summary.onlyInA += current.onlyInA.count
                summary.onlyInB += current.onlyInB.count
                summary.differ += current.differ.count
                try report(current)
            }
            userIn = [false, false]
        }
        let malformed = SpillError("a spill record of the diff is malformed")
        try sorter.forEachRecord { r in
            var reader = OrderedBytes.Reader(r)
            guard let rawUser = reader.rawField(), let rawSession = reader.rawField(), let side = reader.byte(), side < 2 else { throw malformed }
            if !anyUser || user.withUnsafeBytes({ ExternalSorter.compare($0, rawUser) }) != 0 {
                try endUser()
                user.removeAll(keepingCapacity: true)
                user.append(contentsOf: rawUser)
                current = UserDifference(user: decode(user))
                anyUser = true
            }
            if !anySession || session.withUnsafeBytes({ ExternalSorter.compare($0, rawSession) }) != 0 {
                endSession()
                session.removeAll(keepingCapacity: true)
                session.append(contentsOf: rawSession)
                anySession = true
            }
            // A session given twice by one side: its first digest in byte order.
            if digests[Int(side)] == nil { digests[Int(side)] = Array(reader.rest) }
        }
        try endUser()
        return summary
    }
}
