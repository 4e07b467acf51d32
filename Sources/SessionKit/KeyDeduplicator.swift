import RedisClient

/// Remembers which keys were seen in a scan, in eight bytes a key: SCAN may return a key
/// twice, and a shard restarted after a failover returns its keys again.
///
/// Keys are remembered by a 64-bit hash, so a million keys take about 16 MiB rather than the
/// keys themselves; two different keys collide with odds of about n²/2⁶⁵ (5 × 10⁻⁸ for a
/// million), and a collision would count one key as a repeat.
struct KeyDeduplicator {
    private var seen = Set<UInt64>()

    /// Whether `key` is new (and remembers it).
    mutating func insert(_ key: Bytes) -> Bool {
        seen.insert(Self.hash(key)).inserted
    }

    /// FNV-1a over the bytes, then a 64-bit finaliser (splitmix64) to spread short keys.
    static func hash(_ key: Bytes) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 30
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27
        h = h &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h
    }
}
