import RedisClient
import SessionBasics
import SessionCore

/// The facts one pass of `audit` writes down, as records of an ``ExternalSorter``: sorted, the
/// repeats SCAN gives collapse and each finding is counted once, exactly, in bounded memory.
private enum KeyspaceFact {
    /// `[1][user][mapping key][flags][bucket]`
    static let mapping: UInt8 = 1
    /// `[2][session key][0 = seen by the scan, 1 = a mapping or index member points to it][1 = no expiry]`
    static let session: UInt8 = 2
    /// `[3][index key][flags]`
    static let index: UInt8 = 3
    /// `[4][index key][session id]`: an index member whose session is gone.
    static let staleMember: UInt8 = 4
    /// `[5][key]`: a key under the session globs that is not of the preset's sessions' shape.
    static let notSession: UInt8 = 5

    struct Flags: OptionSet {
        let rawValue: UInt8
        static let withoutTTL = Flags(rawValue: 1)
        static let refused = Flags(rawValue: 2)
        static let orphaned = Flags(rawValue: 4)
        static let live = Flags(rawValue: 8)
        static let sessionWithoutTTL = Flags(rawValue: 16)
        static let expiresBeforeSession = Flags(rawValue: 32)
    }
}

extension RedisSessionStore {
    /// One SCAN over the mapping keys and the session keys together (the server walks the
    /// keyspace once), with pipelined `PTTL` and `GET` of each mapping and `PTTL` of its session.
    ///
    /// Exact and bounded at any size: what each key shows is written down as a record, and the
    /// records are sorted in ``memory`` (spilled to disk past it) and counted at the end, each
    /// key once however often SCAN returned it; a session key no mapping points to is one whose
    /// record has no reference beside it. Examples are the first keys of each finding in byte
    /// order. A session created during the audit may be reported as unmapped.
    public func audit(top: Int = 10, examples: Int = 3) throws -> KeyspaceReport {
        var report = KeyspaceReport()
        let facts = ExternalSorter(memory, cancellation: keyspace.cancellation)
        do {
            var pending: [Mapping] = []
            var sessions: [Bytes] = []
            func flush() throws {
                try auditBatch(pending, into: facts, completeness: &report.completeness)
                pending.removeAll(keepingCapacity: true)
                try auditSessions(sessions, into: facts, completeness: &report.completeness)
                sessions.removeAll(keepingCapacity: true)
            }
            let pattern = SessionLayout.commonPattern(layout.mapping.pattern(user: nil, session: nil), layout.sessionScanPattern)
            let globs = globLiterals()
            if layout.shape != nil { report.applicable.append(.notSessions) }
            let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
                for key in keys {
                    if let ids = layout.mapping.parse(key) {
                        pending.append(Mapping(key: key, user: ids.user, session: ids.session))
                    } else if layout.isSessionKey(key) {
                        if isNotASession(key, globs: globs) {
                            // Counted apart (once, however often SCAN returns it), never as a session.
                            try facts.add { out in
                                out.append(KeyspaceFact.notSession)
                                OrderedBytes.append(key, to: &out)
                            }
                        } else {
                            sessions.append(key)
                        }
                    }
                }
                if pending.count >= batchSize || sessions.count >= batchSize { try flush() }
            }
            try flush()
            report.completeness.merge(outcome.completeness)
        }
        if let index { try auditIndex(index, into: facts, completeness: &report.completeness) }
        try count(facts, into: &report, top: top, examples: examples)
        return report
    }

    /// The session keys the scan saw, with their expiry (`PTTL`): every session under the glob is
    /// counted for "without expiry", mapped or not. One gone since the scan is no longer a session.
    private func auditSessions(_ keys: [Bytes], into facts: ExternalSorter, completeness: inout Completeness) throws {
        if keys.isEmpty { return }
        let ttls = try batched(keys, completeness: &completeness) { [[Verb.pttl, $0]] }
        for (key, reply) in zip(keys, ttls) {
            guard let ttl = completeness.required(reply[0], "PTTL")?.integer, ttl != -2 else { continue }
            try facts.add { out in
                out.append(KeyspaceFact.session)
                OrderedBytes.append(key, to: &out)
                out.append(0)
                out.append(ttl == -1 ? 1 : 0)
            }
        }
    }

    /// With a framework preset: whose each unmapped session is, from its payload (anonymous
    /// visitors, or a user's session that `list` and `revoke-user` cannot find), or undecodable.
    private func classifyUnmapped(_ keys: [Bytes], into report: inout KeyspaceReport, examples: Int) throws {
        if keys.isEmpty { return }
        let limit = Bytes(String(max(maxPayload, 1) - 1).utf8)
        let replies = try batched(keys, completeness: &report.completeness) { [[Verb.getrange, $0, Verb.zero, limit]] }
        for (key, reply) in zip(keys, replies) {
            var decoded: DecodedPayload?
            switch report.completeness.readable(reply[0], "GETRANGE", expecting: ["WRONGTYPE"]) {
            case .bulk(let b)? where !b.isEmpty: decoded = payloadReader.decode(b)
            case .error(let e)? where e.code == "WRONGTYPE":
                if let (pairs, cut) = try hashFields(key, &report.completeness), !cut { decoded = payloadReader.decode(hash: pairs) }
            default: break  // gone since, or not read (recorded)
            }
            guard let decoded else { continue }
            if let v = decoded.value {
                if fieldPaths.extract(from: v).user != nil {
                    report.note(.unmappedUserSessions, key, examples: examples)
                } else {
                    report.note(.anonymousSessions, key, examples: examples)
                }
            } else {
                report.note(.undecodablePayloads, key, examples: examples)
            }
        }
    }

    /// Reads the sorted records back and counts each finding once.
    private func count(_ facts: ExternalSorter, into report: inout KeyspaceReport, top: Int, examples: Int) throws {
        var best = TopUsers(top)
        var users = 0
        var user: [UInt8] = []
        var userSessions = 0
        var previousMapping: [UInt8] = []
        var anyMapping = false
        var session: [UInt8] = []
        var seen = false
        var referenced = false
        var noTTL = false
        var anySession = false
        var unmapped: [Bytes] = []
        let classify = payloadReader.kind != .sniff
        if classify { report.applicable += [.unmappedUserSessions, .anonymousSessions, .undecodablePayloads] }
        var previousIndex: [UInt8] = []
        var previousStale: [UInt8] = []
        var previousNotSession: [UInt8] = []
        func decode(_ raw: UnsafeRawBufferPointer) -> Bytes {
            var r = OrderedBytes.Reader(raw)
            return r.field() ?? []
        }
        func endUser() {
            if anyMapping && userSessions > 0 {
                users += 1
                best.offer(UserCount(user: user.withUnsafeBytes { decode($0) }, sessions: userSessions))
            }
        }
        func endSession() throws {
            guard anySession else { return }
            let key = session.withUnsafeBytes { decode($0) }
            if noTTL && (seen || referenced) { report.note(.sessionsWithoutTTL, key, examples: examples) }
            if seen && !referenced {
                report.note(.unmappedSessions, key, examples: examples)
                if classify { unmapped.append(key) }
                if unmapped.count >= batchSize {
                    try classifyUnmapped(unmapped, into: &report, examples: examples)
                    unmapped.removeAll(keepingCapacity: true)
                }
            }
        }
        let malformed = SpillError("a spill record of the audit is malformed")
        func same(_ kept: inout [UInt8], _ raw: UnsafeRawBufferPointer) -> Bool {
            if !kept.isEmpty, kept.withUnsafeBytes({ ExternalSorter.compare($0, raw) }) == 0 { return true }
            kept.removeAll(keepingCapacity: true)
            kept.append(contentsOf: raw)
            return false
        }
        try facts.forEachRecord { r in
            var reader = OrderedBytes.Reader(r)
            guard let kind = reader.byte() else { throw malformed }
            switch kind {
            case KeyspaceFact.mapping:
                guard let rawUser = reader.rawField(), let rawKey = reader.rawField(), let flagByte = reader.byte(), let bucket = reader.byte() else {
                    throw malformed
                }
                let start = UnsafeRawBufferPointer(rebasing: r[0..<(reader.at - 2)])
                // One record per mapping key: the first of its repeats.
                if same(&previousMapping, start) { return }
                if !anyMapping || user.withUnsafeBytes({ ExternalSorter.compare($0, rawUser) }) != 0 {
                    endUser()
                    user.removeAll(keepingCapacity: true)
                    user.append(contentsOf: rawUser)
                    userSessions = 0
                    anyMapping = true
                }
                userSessions += 1
                let key = decode(rawKey)
                let flags = KeyspaceFact.Flags(rawValue: flagByte)
                report.counts[.mappings, default: 0] += 1
                if flags.contains(.withoutTTL) { report.note(.mappingsWithoutTTL, key, examples: examples) }
                if flags.contains(.refused) { report.note(.refused, key, examples: examples) }
                if flags.contains(.orphaned) { report.note(.orphanedMappings, key, examples: examples) }
                if flags.contains(.live) {
                    report.counts[.liveSessions, default: 0] += 1
                    if bucket != 0xff { report.ttlBuckets[Int(bucket)].sessions += 1 }
                }
                if flags.contains(.expiresBeforeSession) { report.note(.mappingsExpiringBeforeSession, key, examples: examples) }
            case KeyspaceFact.session:
                guard let raw = reader.rawField(), let mark = reader.byte() else { throw malformed }
                if !anySession || session.withUnsafeBytes({ ExternalSorter.compare($0, raw) }) != 0 {
                    try endSession()
                    session.removeAll(keepingCapacity: true)
                    session.append(contentsOf: raw)
                    seen = false
                    referenced = false
                    noTTL = false
                    anySession = true
                }
                if mark == 0 { seen = true } else { referenced = true }
                if reader.byte() == 1 { noTTL = true }
            case KeyspaceFact.index:
                guard let raw = reader.rawField(), let flagByte = reader.byte() else { throw malformed }
                if same(&previousIndex, raw) { return }
                report.counts[.indexKeys, default: 0] += 1
                if KeyspaceFact.Flags(rawValue: flagByte).contains(.withoutTTL) { report.note(.indexesWithoutTTL, decode(raw), examples: examples) }
            case KeyspaceFact.notSession:
                guard let raw = reader.rawField() else { throw malformed }
                if same(&previousNotSession, raw) { return }
                report.note(.notSessions, decode(raw), examples: examples)
            case KeyspaceFact.staleMember:
                guard let key = reader.field(), let id = reader.field() else { throw malformed }
                if same(&previousStale, UnsafeRawBufferPointer(rebasing: r[1...])) { return }
                report.note(.staleIndexMembers, key + Bytes(" ".utf8) + id, examples: examples)
            default:
                throw malformed
            }
        }
        endUser()
        try endSession()
        try classifyUnmapped(unmapped, into: &report, examples: examples)
        report.counts[.users] = users
        report.topUsers = best.users
    }

    /// The index keys, their members whose session is gone, and those with no expiry, a page of
    /// index keys at a time; every member's session counts as referenced (so a session an index
    /// names is not "unmapped").
    private func auditIndex(_ index: IndexTemplate, into facts: ExternalSorter, completeness: inout Completeness) throws {
        var users: [Bytes] = []
        var c = Completeness()
        func flush() throws {
            defer { users.removeAll(keepingCapacity: true) }
            if users.isEmpty { return }
            let ttls = try batched(users, completeness: &c) { [[Verb.pttl, index.key(user: $0)]] }
            for (user, reply) in zip(users, ttls) {
                guard let ttl = c.required(reply[0], "PTTL")?.integer, ttl != -2 else { continue }
                try facts.add { out in
                    out.append(KeyspaceFact.index)
                    OrderedBytes.append(index.key(user: user), to: &out)
                    out.append(ttl == -1 ? KeyspaceFact.Flags.withoutTTL.rawValue : 0)
                }
            }
            let found = try indexedSessions(users: users, index: index, completeness: &c)
            for ref in found.refs {
                try facts.add { out in
                    out.append(KeyspaceFact.session)
                    OrderedBytes.append(ref.sessionKey, to: &out)
                    out.append(1)
                    out.append(0)
                }
            }
            for ref in try orphans(found.refs, &c) {
                try facts.add { out in
                    out.append(KeyspaceFact.staleMember)
                    OrderedBytes.append(found.members[ref]?.key ?? index.key(user: ref.user), to: &out)
                    OrderedBytes.append(ref.session, to: &out)
                }
            }
        }
        try eachIndexUser(index, completeness: &completeness) { user, _ in
            users.append(user)
            if users.count >= batchSize { try flush() }
        }
        try flush()
        completeness.merge(c)
    }

    /// The facts of a batch of mappings: `PTTL` (and `GET`) of each, then `PTTL` of its session.
    private func auditBatch(_ mappings: [Mapping], into facts: ExternalSorter, completeness: inout Completeness) throws {
        if mappings.isEmpty { return }
        typealias Flags = KeyspaceFact.Flags
        func record(_ m: Mapping, _ flags: Flags, bucket: UInt8 = 0xff, sessionKey: Bytes? = nil) throws {
            try facts.add { out in
                out.append(KeyspaceFact.mapping)
                OrderedBytes.append(m.user, to: &out)
                OrderedBytes.append(m.key, to: &out)
                out.append(flags.rawValue)
                out.append(bucket)
                if let sessionKey { OrderedBytes.append(sessionKey, to: &out) }
            }
        }
        func referenced(_ key: Bytes, withoutTTL: Bool = false) throws {
            try facts.add { out in
                out.append(KeyspaceFact.session)
                OrderedBytes.append(key, to: &out)
                out.append(1)
                out.append(withoutTTL ? 1 : 0)
            }
        }
        let readsValue = layout.sessionKeyIsMappingValue
        let first = try batched(mappings, completeness: &completeness) { m in
            readsValue ? [[Verb.pttl, m.key], [Verb.get, m.key]] : [[Verb.pttl, m.key]]
        }
        var live: [(Mapping, Bytes, Int64, Flags)] = []
        for (m, reply) in zip(mappings, first) {
            // A node that could not be reached, or a refused PTTL: never taken for an expired key.
            guard let mappingTTL = completeness.required(reply[0], "PTTL")?.integer else { continue }
            if mappingTTL == -2 { continue }  // expired since the scan
            var flags: Flags = mappingTTL == -1 ? .withoutTTL : []
            var value: Bytes?
            if readsValue {
                switch completeness.value(of: reply[1]) {
                case .bulk(let v)?: value = v
                case .null?, nil:
                    try record(m, flags)
                    continue
                default:
                    try record(m, flags.union(.refused))
                    continue
                }
            }
            switch layout.sessionKey(user: m.user, session: m.session, mappingValue: value) {
            case .success(let key):
                try referenced(key)
                live.append((m, key, mappingTTL, flags))
            case .failure:
                flags.insert(.refused)
                try record(m, flags)
            }
        }
        let second = try batched(live, completeness: &completeness) { [[Verb.pttl, $0.1]] }
        for ((m, sessionKey, mappingTTL, mappingFlags), reply) in zip(live, second) {
            var flags = mappingFlags
            guard let ttl = completeness.required(reply[0], "PTTL")?.integer else {
                try record(m, flags)
                continue
            }
            var bucket: UInt8 = 0xff
            switch ttl {
            case -2:
                flags.insert(.orphaned)
                try record(m, flags)
                continue
            case -1:
                flags.formUnion([.live, .sessionWithoutTTL])
                try referenced(sessionKey, withoutTTL: true)
            default:
                flags.insert(.live)
                let seconds = ttl / 1000 + (ttl % 1000 > 0 ? 1 : 0)
                bucket = UInt8(KeyspaceReport.bucketBounds.firstIndex { seconds <= $0 } ?? KeyspaceReport.bucketBounds.count)
            }
            if mappingTTL >= 0 && (ttl == -1 || ttl > mappingTTL) { flags.insert(.expiresBeforeSession) }
            try record(m, flags, bucket: bucket)
        }
    }
}
