import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Every user with a mapping key, counted in one SCAN over all mapping keys.
    ///
    /// Exact at any size in bounded memory: each mapping key is counted once, however often SCAN
    /// returns it, by a ``UserTally`` that spills sorted runs past ``memory``. Keys are split as
    /// ``MappingTemplate`` documents (the session id is taken not to contain the separator).
    /// A fast count of mappings; with `live`, each page's session keys are checked (pipelined
    /// `GET` of the mapping where its value names the session key, then `EXISTS`), and mappings
    /// whose session is gone are counted apart as stale (ranked by live sessions).
    public func users(sort: UserSort = .count, minimum: Int = 1, top: Int? = nil, live: Bool = false) throws -> UsersResult {
        var completeness = Completeness()
        let tally = UserTally(memory, cancellation: keyspace.cancellation)
        if let index {
            try eachIndexUser(index, completeness: &completeness) { user, n in try tally.add(user: user, count: n) }
        } else {
            let pattern = layout.mapping.pattern(user: nil, session: nil)
            var inner = Completeness()
            let outcome = try keyspace.scan(match: pattern, count: scanCount, rate: scanRate, progress: progress) { keys in
                if !live {
                    for key in keys {
                        guard let ids = layout.mapping.parse(key) else { continue }
                        try tally.add(user: ids.user, key: ids.session)
                    }
                    return
                }
                let mappings = keys.compactMap { key in layout.mapping.parse(key).map { Mapping(key: key, user: $0.user, session: $0.session) } }
                let (refs, _) = try resolve(mappings, completeness: &inner)
                let exists = try batched(refs, completeness: &inner) { [[Verb.exists, $0.sessionKey]] }
                for (ref, reply) in zip(refs, exists) {
                    guard let n = inner.required(reply[0], "EXISTS")?.integer else { continue }
                    try tally.add(user: ref.user, key: ref.session, live: n == 1)
                }
            }
            completeness.merge(inner)
            completeness.merge(outcome.completeness)
        }
        return UsersResult(ranking: try tally.ranking(sort: sort, minimum: minimum, top: top), completeness: completeness)
    }
}
