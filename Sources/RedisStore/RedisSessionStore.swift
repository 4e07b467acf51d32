import RedisClient
import SessionBasics
import SessionCore

/// The sessions in one keyspace under one layout: the domain operations run over a ``RedisKeyspace``.
///
/// Every operation scans with SCAN MATCH (never KEYS), re-checks each returned key exactly,
/// and sends its per-key follow-ups in pipelined batches.
public final class RedisSessionStore {
    /// Where the keys live.
    public let keyspace: RedisKeyspace
    /// How keys are named.
    public let layout: SessionLayout
    /// What it was made with: scan pace, batch sizes, payload reading, filters, the watch.
    public let configuration: Configuration

    /// Everything a Redis store is given when it is made: nothing about it changes afterwards.
    public struct Configuration {
        /// SCAN's COUNT hint.
        public var scanCount = 1000
        /// Called as scans advance, for progress on a terminal.
        public var progress: ((ScanProgress) -> Void)?
        /// Keys examined per second per node, at most (`--rate`); `nil` for as fast as the server answers.
        public var scanRate: Int?
        /// Keys per pipelined batch of follow-ups.
        public var batchSize = 1000
        /// The most payload bytes `show` reads and returns per session (`--max-payload`).
        public var maxPayload = 64 * 1024
        /// Replicas per primary that must acknowledge the deletion of session keys before their
        /// mappings are deleted (`WAIT`): `nil` for every replica the server reports, 0 for none.
        public var waitReplicas: Int?
        /// `--settle`: after a revocation, how long a quiet window the deleted keys are watched for
        /// write-backs (0: not watched).
        public var settleWindow: Double = 0
        /// Called as the watch goes on, for a progress line on a terminal.
        public var settleProgress: ((SettleProgress) -> Void)?
        /// Rack public ids the operator gave as cookies, by private id (`2::<sha256>`): their legacy
        /// keys (the layout before redis-rack 2.1) are deleted with the sessions.
        public var rackPublicIds: [Bytes: Bytes] = [:]
        /// `--cached-db-url`: Django's `django_session` table. With it a `cached_db` session is revoked
        /// by deleting its row first, then its cache key (Django reloads a missing key from the row).
        public var cachedDBRows: (any SessionBackend)?
        /// The memory `users`, `audit` and `snapshot` may spend on what they count (`--memory-limit`),
        /// and where they spill past it.
        public var memory = MemoryLimit()
        /// How payloads are decoded (`show`, `list -o wide`).
        public var payloadReader = PayloadReader()
        /// Where a decoded payload keeps the user, times, IP and user agent.
        public var fieldPaths = FieldPaths.generic
        /// `--index`: a per-user set of session ids, read instead of scanning for mapping keys.
        public var index: IndexTemplate?
        /// `--idle-over`, `--older-than`, `--ttl-over`, `--ip`, `--except`: which sessions `list`,
        /// `revoke-user` and `revoke-all` keep.
        public var filter = SessionFilter()
        /// Where a session id's data lives when no mapping names it (the preset's template, such
        /// as `laravel_database_laravel_cache:<session>`): the sessions `--verify-url`'s requests started.
        public var sessionKeyOfId: KeyTemplate?

        /// The defaults: every session, no index, no watch, 64 MiB.
        public init() {}
    }

    /// A store over `keyspace` with `layout`, configured once.
    public init(keyspace: RedisKeyspace, layout: SessionLayout, configuration: Configuration = Configuration()) {
        self.keyspace = keyspace
        self.layout = layout
        self.configuration = configuration
    }

    // MARK: The configuration, where the operations read it

    var scanCount: Int { configuration.scanCount }
    var progress: ((ScanProgress) -> Void)? { configuration.progress }
    var scanRate: Int? { configuration.scanRate }
    var batchSize: Int { configuration.batchSize }
    var maxPayload: Int { configuration.maxPayload }
    var waitReplicas: Int? { configuration.waitReplicas }
    var settleWindow: Double { configuration.settleWindow }
    var settleProgress: ((SettleProgress) -> Void)? { configuration.settleProgress }
    var rackPublicIds: [Bytes: Bytes] { configuration.rackPublicIds }
    var cachedDBRows: (any SessionBackend)? { configuration.cachedDBRows }
    var memory: MemoryLimit { configuration.memory }
    var payloadReader: PayloadReader { configuration.payloadReader }
    var fieldPaths: FieldPaths { configuration.fieldPaths }
    var index: IndexTemplate? { configuration.index }
    public var filter: SessionFilter { configuration.filter }

    // MARK: Finding mappings

    /// A mapping key split into its ids.
    public struct Mapping: Equatable, Hashable, Sendable {
        /// The mapping key.
        public var key: Bytes
        /// The user id.
        public var user: Bytes
        /// The session id.
        public var session: Bytes
    }

    /// From this many users on, one pass over every mapping key finds them all, rather than
    /// one SCAN per user (each SCAN walks the whole keyspace on the server).
    public static let usersPerPass = 4

    /// The mapping keys of every user in `users`: a SCAN per user for a few, one pass over all
    /// mapping keys for more.
    func findMappings(users: [Bytes], completeness: inout Completeness) throws -> [Mapping] {
        let users = uniqued(users)
        if users.count < Self.usersPerPass {
            var out: [Mapping] = []
            for user in users {
                if keyspace.cancellation.isCancelled {
                    completeness.recordInterruption()
                    break
                }
                out += try findMappings(user: user, session: nil, completeness: &completeness)
            }
            return out
        }
        let wanted = Set(users)
        let found = try findMappings(user: nil, session: nil, completeness: &completeness) { wanted.contains($0.user) }
        // In the order the users were named.
        let rank = Dictionary(uniqueKeysWithValues: users.enumerated().map { ($1, $0) })
        return found.sorted { rank[$0.user]! != rank[$1.user]! ? rank[$0.user]! < rank[$1.user]! : $0.session.lexicographicallyPrecedes($1.session) }
    }

    /// Scans for the mapping keys of `user` and/or `session` (`nil`: any) and keeps those that
    /// match exactly (and pass `filter`).
    func findMappings(
        user: Bytes?, session: Bytes?, completeness: inout Completeness,
        filter: (Mapping) -> Bool = { _ in true }
    ) throws -> [Mapping] {
        var seen = KeyDeduplicator()
        var found: [Mapping] = []
        let pattern = layout.mapping.pattern(user: user, session: session)
        let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
            for key in keys {
                guard let ids = layout.mapping.parse(key, user: user, session: session) else { continue }
                let m = Mapping(key: key, user: ids.user, session: ids.session)
                if filter(m) && seen.insert(key) { found.append(m) }
            }
        }
        completeness.merge(outcome.completeness)
        found.sort { $0.user != $1.user ? $0.user.lexicographicallyPrecedes($1.user) : $0.session.lexicographicallyPrecedes($1.session) }
        return found
    }

    /// Reads each mapping's value (pipelined) and turns it into a session reference or a refusal.
    /// Mappings that vanished since the scan are dropped.
    func resolve(_ mappings: [Mapping], completeness: inout Completeness) throws -> (refs: [SessionRef], refused: [Refusal]) {
        var refs: [SessionRef] = []
        var refused: [Refusal] = []
        func follow(_ m: Mapping, _ value: Bytes?) {
            switch layout.sessionKey(user: m.user, session: m.session, mappingValue: value) {
            case .success(let key): refs.append(SessionRef(user: m.user, session: m.session, mappingKey: m.key, sessionKey: key))
            case .failure(let why): refuse(m, value, why)
            }
        }
        func refuse(_ m: Mapping, _ value: Bytes?, _ why: Refusal.Reason) {
            refused.append(Refusal(user: m.user, session: m.session, mappingKey: m.key, sessionKey: value, reason: why))
        }
        if !layout.sessionKeyIsMappingValue {
            for m in mappings { follow(m, nil) }
            return (refs, refused)
        }
        let replies = try batched(mappings, completeness: &completeness) { [[Verb.get, $0.key]] }
        for (m, reply) in zip(mappings, replies) {
            switch completeness.value(of: reply[0]) {
            case nil: continue  // not reached: recorded
            case .null?: continue  // expired or deleted since the scan
            case .bulk(let v)?: follow(m, v)
            case .error(let e)? where e.code == "WRONGTYPE": refuse(m, nil, .mappingNotString)
            case .error(let e)?:
                // A refused read (NOPERM, …) is a failure of this run, not a property of the mapping.
                completeness.record(PartialFailure(.commandFailed, node: nil, cause: "GET: \(e.message)"))
            default: refuse(m, nil, .serverError("unexpected reply to GET"))
            }
        }
        return (refs, refused)
    }

    /// TTL and size of each session key, pipelined; non-string payloads are sized with `MEMORY USAGE`.
    /// With `idle`, `OBJECT IDLETIME` is read first, before `STRLEN` (or anything after) resets the key's idle clock.
    /// With `memory`, every key is sized with `MEMORY USAGE` (which, unlike `STRLEN`, leaves its idle time alone).
    func inspect(_ refs: [SessionRef], idle: Bool = false, memory: Bool = false, completeness: inout Completeness) throws -> [SessionRecord] {
        let replies = try batched(refs, completeness: &completeness) { ref in
            (idle ? [[Verb.object, Verb.idletime, ref.sessionKey]] : [])
                + [[Verb.ttl, ref.sessionKey], memory ? [Verb.memory, Verb.usage, ref.sessionKey] : [Verb.strlen, ref.sessionKey]]
        }
        let first = idle ? 1 : 0
        var records: [SessionRecord] = []
        var needsMemory: [Int] = []
        for (ref, reply) in zip(refs, replies) {
            guard let ttl = completeness.required(reply[first], "TTL")?.integer else { continue }
            var record = SessionRecord(ref: ref, exists: ttl != -2, ttl: ttl >= 0 ? ttl : nil, bytes: nil)
            if record.exists {
                if idle { record.idleSeconds = completeness.value(of: reply[0])?.integer }
                if let n = completeness.value(of: reply[first + 1])?.integer { record.bytes = n } else { needsMemory.append(records.count) }
            }
            records.append(record)
        }
        if !needsMemory.isEmpty {
            let sizes = try batched(needsMemory, completeness: &completeness) { [[Verb.memory, Verb.usage, records[$0].ref.sessionKey]] }
            for (i, reply) in zip(needsMemory, sizes) { records[i].bytes = completeness.value(of: reply[0])?.integer }
        }
        return records
    }

    // MARK: Pipelining

    /// Sends `commands(item)` for every item in pipelined batches and returns the results grouped
    /// per item: a reply each, or a typed failure for a command whose node was not reached.
    /// On Ctrl-C the items not sent are left out and `completeness` says so.
    func batched<T>(_ items: [T], completeness: inout Completeness, _ commands: (T) -> [[Bytes]]) throws -> [Replies] {
        var out: [Replies] = []
        out.reserveCapacity(items.count)
        var start = 0
        var flat: [[Bytes]] = []
        var offsets: [Int] = []
        while start < items.count {
            if keyspace.cancellation.isCancelled {
                completeness.recordInterruption()
                break
            }
            let end = min(start + batchSize, items.count)
            flat.removeAll(keepingCapacity: true)
            offsets.removeAll(keepingCapacity: true)
            for item in items[start..<end] {
                offsets.append(flat.count)
                flat += commands(item)
            }
            offsets.append(flat.count)
            let replies = try keyspace.send(flat)
            for k in 0..<(offsets.count - 1) {
                out.append(Replies(all: replies, range: offsets[k]..<offsets[k + 1]))
            }
            start = end
        }
        return out
    }
}

/// The results of one item's commands: a window on a batch's results, without a copy.
struct Replies: RandomAccessCollection {
    let all: [CommandResult]
    let range: Range<Int>
    var startIndex: Int { 0 }
    var endIndex: Int { range.count }
    subscript(i: Int) -> CommandResult { all[range.lowerBound + i] }
}

/// Command names, made once.
enum Verb {
    static let get = Bytes("GET"), ttl = Bytes("TTL"), pttl = Bytes("PTTL"), strlen = Bytes("STRLEN")
    static let exists = Bytes("EXISTS"), unlink = Bytes("UNLINK"), type = Bytes("TYPE"), object = Bytes("OBJECT")
    static let idletime = Bytes("IDLETIME"), memory = Bytes("MEMORY"), usage = Bytes("USAGE"), hscan = Bytes("HSCAN")
    static let getrange = Bytes("GETRANGE"), count = Bytes("COUNT"), zero = Bytes("0")
    static let pexpiretime = Bytes("PEXPIRETIME"), set = Bytes("SET"), pxat = Bytes("PXAT"), sadd = Bytes("SADD")
    static let pexpireat = Bytes("PEXPIREAT"), nx = Bytes("NX"), gt = Bytes("GT"), hgetall = Bytes("HGETALL")
    static let sscan = Bytes("SSCAN"), zscan = Bytes("ZSCAN"), scard = Bytes("SCARD"), zcard = Bytes("ZCARD")
    static let srem = Bytes("SREM"), zrem = Bytes("ZREM"), sismember = Bytes("SISMEMBER"), zscore = Bytes("ZSCORE")
}
