import RedisClient

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

/// A 64-bit fingerprint of a key under a secret chosen at random for each run (SipHash, by
/// way of Swift's `Hasher`, keyed again with 128 random bits), for the counts of `users` and
/// `audit`, which keep eight bytes a key instead of the keys.
///
/// Nobody can choose ids that collide without the secret; two keys still collide by chance
/// with odds of about n²/2⁶⁵ (3 × 10⁻⁸ for a million keys), which would count one key as a
/// repeat: a count off by one, never a session left out of a revocation (those paths are exact).
struct KeyFingerprint {
    private let k0: UInt64
    private let k1: UInt64

    /// A fingerprint with a fresh secret.
    init() {
        var rng = SystemRandomNumberGenerator()
        k0 = rng.next()
        k1 = rng.next()
    }

    /// The fingerprint of `key`.
    func callAsFunction(_ key: Bytes) -> UInt64 {
        var h = Hasher()
        h.combine(k0)
        h.combine(k1)
        key.withUnsafeBytes { h.combine(bytes: $0) }
        return UInt64(bitPattern: Int64(h.finalize()))
    }
}

/// De-duplication by ``KeyFingerprint``, in eight bytes a key.
struct FingerprintSet {
    private let fingerprint: KeyFingerprint
    private var seen = Set<UInt64>()

    init(_ fingerprint: KeyFingerprint) {
        self.fingerprint = fingerprint
    }

    /// Whether `key`'s fingerprint is new (and remembers it).
    mutating func insert(_ key: Bytes) -> Bool {
        seen.insert(fingerprint(key)).inserted
    }
}
