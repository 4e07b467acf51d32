import SessionBasics

/// Counts each user's distinct keys (mapping keys, session ids) exactly, in bounded memory: the
/// pairs go through an ``ExternalSorter`` that keeps each once, and come back grouped by user.
/// Ranking by count sorts the users a second time (or, for a small `top`, keeps only the best).
public final class UserTally {
    private let pairs: ExternalSorter
    private let limit: MemoryLimit
    private let cancellation: Cancellation?
    /// Largest `top` kept in memory rather than sorted on disk.
    static let heapLimit = 1000

    public init(_ limit: MemoryLimit, cancellation: Cancellation? = nil) {
        self.limit = limit
        self.cancellation = cancellation
        pairs = ExternalSorter(limit, share: 0.5, unique: true, cancellation: cancellation)
    }

    /// Whether the pairs went to disk.
    public var spilled: Bool { pairs.spilled }

    /// Counts `key` for `user` (a key given twice counts once; `live: false` counts it as stale,
    /// unless it was also seen live).
    public func add(user: Bytes, key: Bytes, live: Bool = true) throws {
        try pairs.add { out in
            OrderedBytes.append(user, to: &out)
            out.append(0)
            OrderedBytes.append(key, to: &out)
            out.append(live ? 0 : 1)
        }
    }

    /// Counts `count` keys for `user` at once (a per-user index's cardinality); a user given
    /// twice this way counts once, with the smaller count.
    public func add(user: Bytes, count: Int) throws {
        try pairs.add { out in
            OrderedBytes.append(user, to: &out)
            out.append(1)
            OrderedBytes.append(UInt64(max(0, count)), to: &out)
        }
    }

    /// Each user with its live and stale counts, in the order of the pairs (by user).
    fileprivate func eachGroup(_ body: (Bytes, Int, Int) throws -> Void) throws {
        // The encoded fields are compared as they are; the user is decoded once a user.
        var previous: [UInt8] = []
        var previousKey: [UInt8] = []
        var user: Bytes?
        var n = 0
        var stale = 0
        var counted = false
        try pairs.forEachRecord { r in
            var reader = OrderedBytes.Reader(r)
            guard let raw = reader.rawField(), let kind = reader.byte() else { throw SpillError("a spill record is malformed") }
            if user == nil || previous.withUnsafeBytes({ ExternalSorter.compare($0, raw) }) != 0 {
                if let u = user { try body(u, n, stale) }
                var decode = OrderedBytes.Reader(raw)
                user = decode.field()
                previous.removeAll(keepingCapacity: true)
                previous.append(contentsOf: raw)
                previousKey.removeAll(keepingCapacity: true)
                n = 0
                stale = 0
                counted = false
            }
            if kind == 0 {
                guard let key = reader.rawField(), let state = reader.byte() else { throw SpillError("a spill record is malformed") }
                // A key seen live and stale (it expired between two visits): its first, live, record counts.
                if !previousKey.isEmpty, previousKey.withUnsafeBytes({ ExternalSorter.compare($0, key) }) == 0 { return }
                previousKey.removeAll(keepingCapacity: true)
                previousKey.append(contentsOf: key)
                if state == 0 { n += 1 } else { stale += 1 }
            } else if !counted, let c = reader.number() {
                n += Int(c)
                counted = true
            }
        }
        if let u = user { try body(u, n, stale) }
    }

    /// The users with at least `minimum` keys, ranked, the first `top` of them.
    public func ranking(sort: UserSort, minimum: Int = 1, top: Int? = nil) throws -> UserRanking {
        switch sort {
        case .user:
            return UserRanking(source: .byUser(self, minimum: minimum, top: top))
        case .count:
            var distinct = 0
            if let top, top <= Self.heapLimit {
                var best = TopUsers(top)
                try eachGroup { u, n, stale in
                    distinct += 1
                    guard n + stale >= minimum, n + stale > 0 else { return }
                    best.offer(UserCount(user: u, sessions: n, stale: stale))
                }
                return UserRanking(source: .memory(best.users), distinctUsers: distinct)
            }
            let ranked = ExternalSorter(limit, share: 0.5, cancellation: cancellation)
            try eachGroup { u, n, stale in
                distinct += 1
                guard n + stale >= minimum, n + stale > 0 else { return }
                try ranked.add { out in
                    OrderedBytes.append(UInt64.max - UInt64(n), to: &out)
                    OrderedBytes.append(u, to: &out)
                    OrderedBytes.append(UInt64(stale), to: &out)
                }
            }
            return UserRanking(source: .sorted(ranked, top: top), distinctUsers: distinct)
        }
    }
}

/// Users ranked by ``UserTally``: visited as often as wanted (a table measures its columns first).
public struct UserRanking {
    fileprivate enum Source {
        case byUser(UserTally, minimum: Int, top: Int?)
        case memory([UserCount])
        case sorted(ExternalSorter, top: Int?)
    }

    fileprivate let source: Source
    /// Distinct users counted (before `minimum` and `top`); `nil` until a by-user ranking is visited.
    public fileprivate(set) var distinctUsers: Int?

    fileprivate init(source: Source, distinctUsers: Int? = nil) {
        self.source = source
        self.distinctUsers = distinctUsers
    }

    /// Most sessions first, then by user id.
    static func precedes(_ a: UserCount, _ b: UserCount) -> Bool {
        a.sessions != b.sessions ? a.sessions > b.sessions : a.user.lexicographicallyPrecedes(b.user)
    }

    /// Every ranked user, in order.
    public func forEachUser(_ body: (UserCount) throws -> Void) throws {
        struct Enough: Error {}
        switch source {
        case .memory(let users):
            for u in users { try body(u) }
        case .byUser(let tally, let minimum, let top):
            var emitted = 0
            do {
                try tally.eachGroup { u, n, stale in
                    guard n + stale >= minimum, n + stale > 0 else { return }
                    if let top, emitted >= top { throw Enough() }
                    emitted += 1
                    try body(UserCount(user: u, sessions: n, stale: stale))
                }
            } catch is Enough {}
        case .sorted(let sorter, let top):
            var emitted = 0
            do {
                try sorter.forEachRecord { r in
                    if let top, emitted >= top { throw Enough() }
                    var reader = OrderedBytes.Reader(r)
                    guard let inverse = reader.number(), let user = reader.field(), let stale = reader.number() else {
                        throw SpillError("a spill record is malformed")
                    }
                    emitted += 1
                    try body(UserCount(user: user, sessions: Int(UInt64.max - inverse), stale: Int(stale)))
                }
            } catch is Enough {}
        }
    }

    /// The first `n` users, in memory.
    public func prefix(_ n: Int) throws -> [UserCount] {
        var out: [UserCount] = []
        struct Enough: Error {}
        do {
            try forEachUser { u in
                if out.count >= n { throw Enough() }
                out.append(u)
            }
        } catch is Enough {}
        return out
    }
}

/// The most sessions first, then by user id: the `top` best users offered, kept in order.
package struct TopUsers {
    package let limit: Int
    package private(set) var users: [UserCount] = []

    package init(_ limit: Int) { self.limit = max(0, limit) }

    package mutating func offer(_ c: UserCount) {
        guard limit > 0 else { return }
        if users.count == limit, let worst = users.last, !UserRanking.precedes(c, worst) { return }
        users.insert(c, at: users.firstIndex { UserRanking.precedes(c, $0) } ?? users.count)
        if users.count > limit { users.removeLast() }
    }
}
