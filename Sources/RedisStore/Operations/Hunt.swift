import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Every session the filter keeps, across every user, a SCAN page at a time: through the index
    /// keys with `--index` (each user's members), else the mapping keys. Each page's sessions are
    /// read as `list` reads them (idle time first, then TTL, then the payload when a filter needs
    /// it) and filtered before the next page is asked for, so memory holds a page, not the keyspace.
    public func hunt(details: Bool, payloadMarkers: [String]? = nil, _ page: (ListResult) throws -> Void) throws -> HuntSummary {
        if let payloadMarkers { return try huntByPayloads(markers: payloadMarkers, page) }
        let pattern = index?.pattern ?? layout.mapping.pattern(user: nil, session: nil)
        var summary = HuntSummary(
            method: index == nil ? "mappings" : "index",
            walked: "one SCAN pass over \(Escape.visible(pattern))"
                + (filter.needsPayload || details
                    ? ", reading each session's idle time, TTL and payload" : ", reading each session's idle time and TTL"))
        let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
            var part = ListResult()
            let refs: [SessionRef]
            if let index {
                let users = keys.compactMap { index.user(of: $0) }
                guard !users.isEmpty else { return }
                let found = try indexedSessions(users: users, index: index, completeness: &part.completeness)
                refs = found.refs
                part.refused = found.refused
            } else {
                let mappings = keys.compactMap { key in
                    layout.mapping.parse(key, user: nil, session: nil).map { Mapping(key: key, user: $0.user, session: $0.session) }
                }
                guard !mappings.isEmpty else { return }
                let resolved = try resolve(mappings, completeness: &part.completeness)
                refs = resolved.refs
                part.refused = resolved.refused
            }
            part.bytesAreMemory = !details && !filter.needsPayload && keyspace.readsTouchKeys
            part.sessions = try inspect(refs, idle: true, memory: part.bytesAreMemory, completeness: &part.completeness)
            if details { try readDetails(&part.sessions, completeness: &part.completeness) }
            (part.sessions, part.filteredOut) = try applyFilter(part.sessions, completeness: &part.completeness)
            summary.examined += refs.count
            summary.matched += part.sessions.count
            summary.completeness.merge(part.completeness)
            try page(part)
        }
        summary.completeness.merge(outcome.completeness)
        return summary
    }

    /// The hunt over every session's payload (`--scan-payloads`): one SCAN pass over the session
    /// glob, each page's payloads read and decoded in one pipeline, the user from the payload. Idle
    /// times are not read here, so an idle filter cannot decide (its sessions are counted undecided).
    private func huntByPayloads(markers: [String], _ page: (ListResult) throws -> Void) throws -> HuntSummary {
        var summary = HuntSummary(
            method: "payloads",
            walked: "one SCAN pass over \(layout.sessionGlobs.map { Escape.visible($0) }.joined(separator: ", ")), decoding every session's payload")
        var reads = Completeness()
        let now = Double(WallClock.nowMillis()) / 1000
        let outcome = try scanPayloads(markers: markers.map { Bytes($0.utf8) }, completeness: &reads) { sessions, _ in
            var part = ListResult()
            var records: [SessionRecord] = []
            for s in sessions {
                switch s.outcome {
                case .user(let user, let fields):
                    let id = s.session ?? s.key
                    let ref = SessionRef(
                        user: user, session: id, mappingKey: layout.mapping.acceptsSession(id) ? layout.mapping.key(user: user, session: id) : [],
                        sessionKey: s.key)
                    records.append(SessionRecord(ref: ref, exists: true, ttl: s.ttl, bytes: s.bytes, idleSeconds: nil, fields: fields))
                case .undecodable(let why):
                    part.refused.append(Refusal(user: [], session: s.session ?? s.key, mappingKey: [], sessionKey: s.key, reason: .undecodable(why)))
                    part.completeness.record(PartialFailure(.undecodable, node: nil, cause: "session data that does not decode: its user is unknown"))
                default: continue
                }
            }
            summary.examined += records.count
            (part.sessions, part.filteredOut) = filter.split(records, now: now)
            summary.matched += part.sessions.count
            summary.completeness.merge(part.completeness)
            try page(part)
        }
        summary.completeness.merge(reads)
        summary.completeness.merge(outcome.completeness)
        return summary
    }
}
