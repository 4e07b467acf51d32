import RedisClient

/// What `audit` found in one pass over the keyspace. Only aggregates and a few examples are kept.
public struct AuditReport: Equatable, Sendable {
    /// A finding, named as in the JSON `counts` object.
    public enum Finding: String, CaseIterable, Sendable {
        case mappings, users
        case liveSessions = "live_sessions"
        case orphanedMappings = "orphaned_mappings"
        case mappingsWithoutTTL = "mappings_without_ttl"
        case sessionsWithoutTTL = "sessions_without_ttl"
        case mappingsExpiringBeforeSession = "mappings_expiring_before_session"
        case unmappedSessions = "unmapped_sessions"
        case refused
        case indexKeys = "index_keys"
        case staleIndexMembers = "stale_index_members"
        case indexesWithoutTTL = "indexes_without_ttl"
        // SQL tables:
        case anonymousSessions = "anonymous_sessions"
        case expiredSessions = "expired_sessions"
        case undecodablePayloads = "undecodable_payloads"

        /// Whether it is a problem to show examples of (not a plain tally).
        public var isProblem: Bool { ![.mappings, .users, .liveSessions, .indexKeys, .anonymousSessions].contains(self) }

        /// What a Redis keyspace is audited for.
        public static let redis: [Finding] = [.mappings, .users, .liveSessions, .orphanedMappings, .mappingsWithoutTTL, .sessionsWithoutTTL,
                                              .mappingsExpiringBeforeSession, .unmappedSessions, .refused, .indexKeys, .staleIndexMembers,
                                              .indexesWithoutTTL]

        /// How the table names it.
        public var title: String {
            switch self {
            case .mappings: return "mapping keys"
            case .users: return "distinct users"
            case .liveSessions: return "live sessions"
            case .orphanedMappings: return "orphaned mappings (session gone)"
            case .mappingsWithoutTTL: return "mappings without expiry"
            case .sessionsWithoutTTL: return "sessions without expiry"
            case .mappingsExpiringBeforeSession: return "mappings expiring before their session"
            case .unmappedSessions: return "sessions no mapping points to"
            case .refused: return "mappings refused by the guard"
            case .indexKeys: return "index keys (--index)"
            case .staleIndexMembers: return "index members whose session is gone"
            case .indexesWithoutTTL: return "index keys without expiry"
            case .anonymousSessions: return "sessions of no user (anonymous)"
            case .expiredSessions: return "rows past their lifetime (prune deletes them)"
            case .undecodablePayloads: return "session data that does not decode"
            }
        }
    }

    /// Upper bounds of the TTL buckets of live sessions, in seconds; the last bucket has none.
    public static let bucketBounds: [Int64] = [300, 3600, 86_400, 604_800, 2_592_000]

    /// The findings that apply to the store audited, in the order they are shown.
    public var applicable: [Finding] = Finding.redis
    /// Every finding's count.
    public var counts: [Finding: Int] = Dictionary(uniqueKeysWithValues: Finding.allCases.map { ($0, 0) })
    /// Users with the most sessions.
    public var topUsers: [UserCount] = []
    /// Live sessions with an expiry, per bucket: `(bound, count)`, the last bound `nil`.
    public var ttlBuckets: [(maxSeconds: Int64?, sessions: Int)] = (bucketBounds.map { Optional($0) } + [nil]).map { ($0, 0) }
    /// A few keys per problem found.
    public var examples: [Finding: [Bytes]] = [:]
    /// Whether every node was scanned.
    public var completeness = Completeness()

    public static func == (a: AuditReport, b: AuditReport) -> Bool {
        a.counts == b.counts && a.topUsers == b.topUsers && a.examples == b.examples && a.completeness == b.completeness
            && a.ttlBuckets.map(\.sessions) == b.ttlBuckets.map(\.sessions)
    }

    mutating func note(_ finding: Finding, _ key: Bytes, examples limit: Int) {
        counts[finding, default: 0] += 1
        if examples[finding, default: []].count < limit { examples[finding, default: []].append(key) }
    }

    mutating func bucket(ttlSeconds: Int64) {
        let i = Self.bucketBounds.firstIndex { ttlSeconds <= $0 } ?? Self.bucketBounds.count
        ttlBuckets[i].sessions += 1
    }
}

extension SessionStore {
    /// One SCAN over the mapping keys and the session keys together (the server walks the
    /// keyspace once), with pipelined `PTTL` and `GET` of each mapping and `PTTL` of its session.
    /// Session keys no mapping points to are found by comparing keyed fingerprints at the end.
    ///
    /// Memory stays bounded: per-user counts, eight bytes per key, a sample of session-key
    /// names for examples. A session created during the audit may be reported as unmapped.
    public func audit(top: Int = 10, examples: Int = 3) throws -> AuditReport {
        var report = AuditReport()
        var perUser: [Bytes: Int] = [:]
        var referenced: [UInt64] = []
        var sessions: [UInt64] = []
        var sample: [UInt64: Bytes] = [:]
        // Keep the names of about `auditSample` session keys, chosen by fingerprint, for examples.
        let sampleMask = Self.sampleMask(forKeys: keyspace.totalKeys(), sample: auditSample)
        // Keyed, so no chosen ids can make an unmapped session look mapped.
        let fingerprint = KeyFingerprint()
        do {
            var seenMappings = FingerprintSet(fingerprint)
            var pending: [Mapping] = []
            func flush() throws {
                try auditBatch(pending, into: &report, perUser: &perUser, referenced: &referenced, examples: examples, fingerprint: fingerprint)
                pending.removeAll(keepingCapacity: true)
            }
            let pattern = SessionLayout.commonPattern(layout.mapping.pattern(user: nil, session: nil), layout.sessionScanPattern)
            let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
                for key in keys {
                    if let ids = layout.mapping.parse(key) {
                        if seenMappings.insert(key) { pending.append(Mapping(key: key, user: ids.user, session: ids.session)) }
                    } else if layout.isSessionKey(key) {
                        let h = fingerprint(key)
                        sessions.append(h)
                        if h & sampleMask == 0 && sample.count < 8192 { sample[h] = key }
                    }
                }
                if pending.count >= batchSize { try flush() }
            }
            try flush()
            report.completeness.merge(outcome.completeness)
        }
        if let index { try auditIndex(index, &report, referenced: &referenced, fingerprint: fingerprint, examples: examples) }
        referenced.sort()
        sessions.sort()
        var unmapped: [UInt64] = []
        var last: UInt64?
        for h in sessions where h != last {
            last = h
            if !Self.contains(referenced, h) { unmapped.append(h) }
        }
        report.counts[.unmappedSessions] = unmapped.count
        var found = sample.filter { Self.contains(unmapped, $0.key) }.map(\.value).sorted { $0.lexicographicallyPrecedes($1) }.prefix(examples).map { $0 }
        if found.count < min(examples, unmapped.count) && !report.completeness.interrupted && !keyspace.cancellation.isCancelled {
            // Too few unmapped keys fell in the sample: look for examples, stopping when there are enough.
            struct Enough: Error {}
            do {
                _ = try keyspace.scan(match: layout.sessionScanPattern, count: scanCount, rate: scanRate) { keys in
                    for key in keys where layout.isSessionKey(key) && Self.contains(unmapped, fingerprint(key)) && !found.contains(key) {
                        found.append(key)
                        if found.count >= examples { throw Enough() }
                    }
                }
            } catch is Enough {}
        }
        if !found.isEmpty { report.examples[.unmappedSessions] = found }
        report.counts[.users] = perUser.count
        report.topUsers = perUser.map { UserCount(user: $0.key, sessions: $0.value) }
            .sorted { $0.sessions != $1.sessions ? $0.sessions > $1.sessions : $0.user.lexicographicallyPrecedes($1.user) }
            .prefix(top).map { $0 }
        return report
    }

    /// A mask that keeps about one fingerprint in `keys / sample`.
    static func sampleMask(forKeys keys: Int64, sample: Int) -> UInt64 {
        var mask: UInt64 = 0
        while (mask + 1) * UInt64(max(sample, 1)) < UInt64(max(keys, 1)) && mask < UInt64.max >> 1 { mask = mask << 1 | 1 }
        return mask
    }

    /// The index keys, their members whose session is gone, and those with no expiry; every member's
    /// session counts as referenced (so a session an index names is not "unmapped").
    private func auditIndex(_ index: IndexTemplate, _ report: inout AuditReport, referenced: inout [UInt64],
                            fingerprint: KeyFingerprint, examples: Int) throws {
        let counts = try indexUsers(index, completeness: &report.completeness)
        let users = counts.keys.sorted { $0.lexicographicallyPrecedes($1) }
        report.counts[.indexKeys] = users.count
        let ttls = try batched(users, completeness: &report.completeness) { [[Verb.pttl, index.key(user: $0)]] }
        for (user, reply) in zip(users, ttls) where reply[0].value?.integer == -1 {
            report.note(.indexesWithoutTTL, index.key(user: user), examples: examples)
        }
        let found = try indexedSessions(users: users, index: index, completeness: &report.completeness)
        for ref in found.refs { referenced.append(fingerprint(ref.sessionKey)) }
        for ref in try orphans(found.refs, &report.completeness) {
            report.note(.staleIndexMembers, (found.members[ref]?.key ?? []) + Bytes(" ".utf8) + ref.session, examples: examples)
        }
    }

    /// Binary search in a sorted array.
    private static func contains(_ sorted: [UInt64], _ value: UInt64) -> Bool {
        var lo = 0
        var hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == value
    }

    private func auditBatch(_ mappings: [Mapping], into report: inout AuditReport, perUser: inout [Bytes: Int],
                            referenced: inout [UInt64], examples: Int, fingerprint: KeyFingerprint) throws {
        if mappings.isEmpty { return }
        let readsValue = layout.sessionKeyIsMappingValue
        let first = try batched(mappings, completeness: &report.completeness) { m in
            readsValue ? [[Verb.pttl, m.key], [Verb.get, m.key]] : [[Verb.pttl, m.key]]
        }
        var live: [(Mapping, Bytes, Int64)] = []
        for (m, reply) in zip(mappings, first) {
            // A node that could not be reached, or a refused PTTL: never taken for an expired key.
            guard let mappingTTL = report.completeness.required(reply[0], "PTTL")?.integer else { continue }
            if mappingTTL == -2 { continue } // expired since the scan
            report.counts[.mappings, default: 0] += 1
            perUser[m.user, default: 0] += 1
            if mappingTTL == -1 { report.note(.mappingsWithoutTTL, m.key, examples: examples) }
            var value: Bytes?
            if readsValue {
                switch report.completeness.value(of: reply[1]) {
                case .bulk(let v)?: value = v
                case .null?: continue
                case nil: continue
                default:
                    report.note(.refused, m.key, examples: examples)
                    continue
                }
            }
            switch layout.sessionKey(user: m.user, session: m.session, mappingValue: value) {
            case .success(let key):
                referenced.append(fingerprint(key))
                live.append((m, key, mappingTTL))
            case .failure:
                report.note(.refused, m.key, examples: examples)
            }
        }
        let second = try batched(live, completeness: &report.completeness) { [[Verb.pttl, $0.1]] }
        for ((m, sessionKey, mappingTTL), reply) in zip(live, second) {
            guard let ttl = report.completeness.required(reply[0], "PTTL")?.integer else { continue }
            switch ttl {
            case -2:
                report.note(.orphanedMappings, m.key, examples: examples)
                continue
            case -1:
                report.counts[.liveSessions, default: 0] += 1
                report.note(.sessionsWithoutTTL, sessionKey, examples: examples)
            default:
                report.counts[.liveSessions, default: 0] += 1
                report.bucket(ttlSeconds: ttl / 1000 + (ttl % 1000 > 0 ? 1 : 0))
            }
            if mappingTTL >= 0 && (ttl == -1 || ttl > mappingTTL) {
                report.note(.mappingsExpiringBeforeSession, m.key, examples: examples)
            }
        }
    }
}
