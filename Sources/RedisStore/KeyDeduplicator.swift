import RedisClient
import SessionBasics
import SessionCore

/// Remembers which keys a scan has returned, exactly: SCAN may return a key twice, and a
/// shard restarted after a failover returns its keys again.
///
/// Used where the keys are kept anyway (the mappings of `list`, `revoke`, `prune`), so being
/// exact costs nothing: no two keys can ever be taken for one, whoever chooses the ids.
struct KeyDeduplicator {
    private var seen = Set<Bytes>()

    /// Whether `key` is new (and remembers it).
    mutating func insert(_ key: Bytes) -> Bool {
        seen.insert(key).inserted
    }
}
