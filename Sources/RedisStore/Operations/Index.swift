import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// The sessions each user's index names: TYPE, then SSCAN or ZSCAN in pages (never one huge
    /// SMEMBERS), each member turned into a session key by `--session-key`, or by the mapping's
    /// value when it is `<value>`. Members that cannot be session ids are refused, with the reason.
    func indexedSessions(users: [Bytes], index: IndexTemplate, completeness: inout Completeness)
        throws -> (refs: [SessionRef], members: [SessionRef: IndexMember], refused: [Refusal], notFound: [Bytes])
    {
        var refs: [SessionRef] = []
        var refused: [Refusal] = []
        var notFound: [Bytes] = []
        var members: [SessionRef: IndexMember] = [:]
        let types = try batched(users, completeness: &completeness) { [[Verb.type, index.key(user: $0)]] }
        var viaMapping: [StoreMapping] = []
        for (user, reply) in zip(users, types) {
            let key = index.key(user: user)
            guard let type = completeness.required(reply[0], "TYPE")?.text else { continue }
            guard type == "set" || type == "zset" else {
                if type == "none" {
                    notFound.append(user)
                } else {
                    refused.append(
                        Refusal(
                            user: user, session: [], mappingKey: key, sessionKey: nil,
                            reason: .serverError("index key is a \(type), not a set or sorted set (WRONGTYPE)")))
                }
                continue
            }
            let sorted = type == "zset"
            for id in try scanMembers(key, sorted: sorted, &completeness) {
                guard !id.isEmpty, layout.mapping.acceptsSession(id) else {
                    refused.append(
                        Refusal(
                            user: user, session: id, mappingKey: key, sessionKey: nil,
                            reason: .serverError("index member is not a session id of the layout (empty, or holds '\(layout.mapping.separatorText)')")
                        ))
                    continue
                }
                let mappingKey = layout.mapping.key(user: user, session: id)
                if layout.sessionKeyIsMappingValue {
                    viaMapping.append(StoreMapping(key: mappingKey, user: user, session: id, index: IndexMember(key: key, sorted: sorted)))
                    continue
                }
                switch layout.sessionKey(user: user, session: id, mappingValue: nil) {
                case .success(let sessionKey):
                    let ref = SessionRef(user: user, session: id, mappingKey: mappingKey, sessionKey: sessionKey)
                    refs.append(ref)
                    members[ref] = IndexMember(key: key, sorted: sorted)
                case .failure(let why):
                    refused.append(Refusal(user: user, session: id, mappingKey: key, sessionKey: nil, reason: why))
                }
            }
        }
        if !viaMapping.isEmpty {
            // --session-key <value>: the mapping says where each member's session lives.
            let (found, why) = try resolve(viaMapping.map { Mapping(key: $0.key, user: $0.user, session: $0.session) }, completeness: &completeness)
            let byKey = Dictionary(viaMapping.map { ($0.key, $0.index) }, uniquingKeysWith: { a, _ in a })
            for ref in found {
                refs.append(ref)
                members[ref] = byKey[ref.mappingKey]
            }
            refused += why
            let resolved = Set(found.map(\.mappingKey) + why.map(\.mappingKey))
            for m in viaMapping where !resolved.contains(m.key) {
                refused.append(
                    Refusal(
                        user: m.user, session: m.session, mappingKey: m.index.key, sessionKey: nil,
                        reason: .serverError(
                            "index member has no mapping to say where its session lives; give --session-key (e.g. session:<session>)")))
            }
        }
        return (refs, members, refused, notFound)
    }

    private struct StoreMapping {
        var key: Bytes, user: Bytes, session: Bytes, index: IndexMember
    }

    /// `show --user`, `revoke --user` with an index: the ids that are members of the user's index
    /// (SISMEMBER or ZSCORE, pipelined), as sessions; the others are not found.
    func indexedSessions(ids: [Bytes], user: Bytes, index: IndexTemplate, completeness: inout Completeness)
        throws -> (refs: [SessionRef], members: [SessionRef: IndexMember], refused: [Refusal], notFound: [Bytes])
    {
        let key = index.key(user: user)
        guard let type = completeness.required(try keyspace.send([[Verb.type, key]])[0], "TYPE")?.text else { return ([], [:], [], []) }
        guard type == "set" || type == "zset" else {
            if type == "none" { return ([], [:], [], ids) }
            return (
                [], [:],
                [
                    Refusal(
                        user: user, session: [], mappingKey: key, sessionKey: nil,
                        reason: .serverError("index key is a \(type), not a set or sorted set (WRONGTYPE)"))
                ], []
            )
        }
        let sorted = type == "zset"
        let replies = try batched(ids, completeness: &completeness) { [[sorted ? Verb.zscore : Verb.sismember, key, $0]] }
        var refs: [SessionRef] = []
        var members: [SessionRef: IndexMember] = [:]
        var refused: [Refusal] = []
        var notFound: [Bytes] = []
        for (id, reply) in zip(ids, replies) {
            guard let v = completeness.required(reply[0], sorted ? "ZSCORE" : "SISMEMBER") else { continue }
            guard sorted ? v != .null : v.integer == 1 else {
                notFound.append(id)
                continue
            }
            switch layout.sessionKey(user: user, session: id, mappingValue: nil) {
            case .success(let sessionKey):
                let ref = SessionRef(user: user, session: id, mappingKey: layout.mapping.key(user: user, session: id), sessionKey: sessionKey)
                refs.append(ref)
                members[ref] = IndexMember(key: key, sorted: sorted)
            case .failure(let why):
                refused.append(Refusal(user: user, session: id, mappingKey: key, sessionKey: nil, reason: why))
            }
        }
        return (refs, members, refused, notFound)
    }

    /// A set's or sorted set's members by SSCAN/ZSCAN (COUNT 5000 a page), bounded like every scan here.
    func scanMembers(_ key: Bytes, sorted: Bool, _ completeness: inout Completeness) throws -> [Bytes] {
        var out: [Bytes] = []
        var cursor = Bytes("0".utf8)
        var pages = 0
        let verb = sorted ? Verb.zscan : Verb.sscan
        repeat {
            pages += 1
            if pages > 100_000 {
                completeness.record(PartialFailure(.scanStopped, node: nil, cause: "the cursor of \(Escape.visible(key)) did not return to 0"))
                break
            }
            let reply = try keyspace.send([[verb, key, cursor, Verb.count, Bytes("5000".utf8)]])[0]
            guard let page = completeness.required(reply, sorted ? "ZSCAN" : "SSCAN")?.array, page.count == 2, let next = page[0].bytes,
                let items = page[1].array
            else { break }
            if sorted {
                var i = 0
                while i < items.count {
                    if let m = items[i].bytes { out.append(m) }
                    i += 2
                }
            } else {
                out += items.compactMap(\.bytes)
            }
            cursor = next
        } while cursor != Bytes("0".utf8)
        return out
    }

    /// Every user with an index key, counted with SCARD/ZCARD (one SCAN over the index keys).
    func indexUsers(_ index: IndexTemplate, completeness: inout Completeness) throws -> [Bytes: Int] {
        var counts: [Bytes: Int] = [:]
        try eachIndexUser(index, completeness: &completeness) { user, n in counts[user] = n }
        return counts
    }

    /// Each index key's user and member count, a page of the scan at a time (a key SCAN returns
    /// twice is given twice).
    func eachIndexUser(_ index: IndexTemplate, completeness: inout Completeness, _ body: (Bytes, Int) throws -> Void) throws {
        var c = Completeness()
        let outcome = try keyspace.scan(match: index.pattern, count: scanCount, rate: scanRate, progress: progress) { page in
            let keys = page.filter { index.user(of: $0) != nil }
            let replies = try batched(keys, completeness: &c) { [[Verb.scard, $0], [Verb.zcard, $0]] }
            for (key, reply) in zip(keys, replies) {
                // One of the two answers WRONGTYPE: the other is the count.
                let n = c.value(of: reply[0])?.integer ?? c.value(of: reply[1])?.integer
                if let n, n > 0, let user = index.user(of: key) { try body(user, Int(n)) }
            }
        }
        completeness.merge(c)
        completeness.merge(outcome.completeness)
    }
}
