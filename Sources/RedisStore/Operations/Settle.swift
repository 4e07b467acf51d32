import RedisClient
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

extension RedisSessionStore {
    /// Watches `keys` (session keys just deleted, and their framework copies) for `window`
    /// seconds with pipelined `EXISTS` (on every node at once), deleting again what comes back:
    /// ``SettleWatch``.
    public func settle(_ keys: [Bytes], window: Double) throws -> SettleReport {
        try settle(count: keys.count, window: window) { body in try body(keys) }
    }

    /// The watch over keys given a batch at a time by `each` (which may read them from a spill file).
    func settle(count: Int, window: Double, each: (([Bytes]) throws -> Void) throws -> Void) throws -> SettleReport {
        let watch = SettleWatch(window: window, count: count, cancellation: keyspace.cancellation, progress: settleProgress)
        return try watch.run(
            each: each,
            present: { keys, completeness in
                let replies = try batched(keys, completeness: &completeness) { [[Verb.exists, $0]] }
                return zip(keys, replies).compactMap { key, reply in completeness.required(reply[0], "EXISTS")?.integer == 1 ? key : nil }
            },
            delete: { keys, completeness in
                // A reply of 0 (someone else deleted it between the two commands) is a return all the same.
                let replies = try batched(keys, completeness: &completeness) { [[Verb.unlink, $0]] }
                return zip(keys, replies).compactMap { key, reply in completeness.required(reply[0], "UNLINK")?.integer != nil ? key : nil }
            })
    }
}
