import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one pipelined exchange on each of several connections at once, waiting on all
/// their sockets with one `poll(2)`: the cluster's fan-out, without threads.
public enum Multiplexer {
    /// Sends each job's commands on its connection and collects the replies; a failure on
    /// one connection is that job's result and does not stop the others.
    public static func exchange(_ jobs: [(Connection, [[Bytes]])]) -> [Result<[RESPValue], RedisClientError>] {
        var results = [Result<[RESPValue], RedisClientError>?](repeating: nil, count: jobs.count)
        for (i, (connection, commands)) in jobs.enumerated() {
            if commands.isEmpty {
                results[i] = .success([])
                continue
            }
            do { try connection.send(commands) } catch { results[i] = .failure(error as? RedisClientError ?? .interrupted) }
        }
        return collect(jobs.map(\.0), results)
    }

    /// Collects the replies of exchanges already sent (``Connection/send(_:deadline:)``) on each connection.
    public static func collect(_ connections: [Connection]) -> [Result<[RESPValue], RedisClientError>] {
        collect(connections, [Result<[RESPValue], RedisClientError>?](repeating: nil, count: connections.count))
    }

    /// Waits until at least one of the connections has all its replies (or failed) and returns
    /// those that have, by index; the others stay in flight.
    public static func collectAny(_ connections: [Connection]) -> [Int: Result<[RESPValue], RedisClientError>] {
        let results = collect(connections, [Result<[RESPValue], RedisClientError>?](repeating: nil, count: connections.count), any: true)
        var out: [Int: Result<[RESPValue], RedisClientError>] = [:]
        for (i, r) in results.enumerated() { if let r { out[i] = r } }
        return out
    }

    private static func collect(_ connections: [Connection], _ initial: [Result<[RESPValue], RedisClientError>?]) -> [Result<
        [RESPValue], RedisClientError
    >] {
        collect(connections, initial, any: false).map { $0 ?? .failure(.interrupted) }
    }

    private static func collect(
        _ connections: [Connection], _ initial: [Result<[RESPValue], RedisClientError>?],
        any: Bool
    ) -> [Result<[RESPValue], RedisClientError>?] {
        var results = initial
        let jobs = connections.map { ($0, ()) }
        while true {
            let open = jobs.indices.filter { results[$0] == nil }
            if open.isEmpty || (any && open.count < jobs.count) { break }
            if jobs.contains(where: { $0.0.cancellation.isCancelled }) {
                // Keep what the servers already answered (a deletion that happened is reported),
                // then give up on the rest without waiting.
                for i in open {
                    let c = jobs[i].0
                    while results[i] == nil && (c.hasBufferedData || isReadable(c.descriptor)) {
                        do {
                            if let replies = try c.receive() { results[i] = .success(replies) }
                        } catch {
                            results[i] = .failure(error as? RedisClientError ?? .interrupted)
                        }
                    }
                    if results[i] == nil {
                        c.markBroken("interrupted")
                        results[i] = .failure(.interrupted)
                    }
                }
                break
            }
            var ready = open.filter { jobs[$0].0.hasBufferedData }
            if ready.isEmpty {
                var fds = open.map { pollfd(fd: jobs[$0].0.descriptor, events: Int16(POLLIN), revents: 0) }
                let wait = open.map { jobs[$0].0.deadline.remainingMilliseconds }.min() ?? 0
                let rc = poll(&fds, nfds_t(fds.count), min(max(wait, 0), 200))
                if rc > 0 {
                    ready = zip(open, fds).filter { $0.1.revents != 0 }.map(\.0)
                }
                for i in open where !ready.contains(i) && jobs[i].0.deadline.hasPassed {
                    let c = jobs[i].0
                    let error = RedisClientError.timedOut(endpoint: c.address.description, operation: "a command", seconds: c.deadline.seconds)
                    c.markBroken(error.description)
                    results[i] = .failure(error)
                }
            }
            for i in ready where results[i] == nil {
                do {
                    if let replies = try jobs[i].0.receive() { results[i] = .success(replies) }
                } catch {
                    results[i] = .failure(error as? RedisClientError ?? .interrupted)
                }
            }
        }
        return results
    }

    /// Whether `fd` has bytes to read right now (no waiting).
    private static func isReadable(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 0) > 0 && pfd.revents & Int16(POLLIN) != 0
    }
}
