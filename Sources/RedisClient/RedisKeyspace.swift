/// The whole keyspace behind an endpoint: SCAN over it, and key commands routed to the right node.
///
/// SessionKit talks to this type only. A standalone server has one node; the cluster
/// topology (one connection per primary, slot routing, redirects) lives behind the same calls.
public final class RedisKeyspace {
    /// The endpoint the operator named.
    public let endpoint: RedisEndpoint
    /// Credentials and deadlines for every connection.
    public let options: ConnectionOptions
    private var connection: Connection?
    private let maxReconnects = 2

    /// Connects to `endpoint` and authenticates.
    public init(endpoint: RedisEndpoint, options: ConnectionOptions) throws {
        self.endpoint = endpoint
        self.options = options
        connection = try Connection(address: endpoint.address, options: options)
    }

    /// The connection, reconnected if a failure left it broken.
    private func liveConnection() throws -> Connection {
        if let c = connection, !c.isBroken { return c }
        connection = nil
        let c = try Connection(address: endpoint.address, options: options)
        connection = c
        return c
    }

    // MARK: SCAN

    /// Runs `SCAN cursor MATCH pattern COUNT count` to the end, handing each reply's keys to `body`.
    ///
    /// A broken connection is reopened and the scan goes on from the same cursor (cursors
    /// are stateless); when that fails too, the outcome says so instead of throwing.
    /// Keys may repeat (SCAN's guarantee is "at least once"): the caller de-duplicates.
    /// Errors thrown by `body` propagate.
    public func scan(match pattern: Bytes, count: Int, progress: ((Int) -> Void)? = nil,
                     _ body: ([Bytes]) throws -> Void) throws -> ScanOutcome {
        var outcome = ScanOutcome()
        var cursor: Bytes = Array("0".utf8)
        var failuresInARow = 0
        let countArg = Array(String(count).utf8)
        repeat {
            if Interruption.isRequested {
                outcome.interrupted = true
                return outcome
            }
            let reply: RESPValue
            do {
                reply = try liveConnection().execute([Array("SCAN".utf8), cursor, Array("MATCH".utf8), pattern, Array("COUNT".utf8), countArg])
                failuresInARow = 0
            } catch RedisClientError.interrupted {
                outcome.interrupted = true
                return outcome
            } catch let error as RedisClientError {
                failuresInARow += 1
                if failuresInARow > maxReconnects || error.isConnectFailure && failuresInARow > 1 {
                    outcome.failures.append("scan of \(endpoint) stopped: \(error)")
                    return outcome
                }
                continue
            }
            if let err = reply.redisError {
                outcome.failures.append("scan of \(endpoint) failed: \(err.message)")
                return outcome
            }
            guard let parts = reply.array, parts.count == 2, let next = parts[0].bytes, let keys = parts[1].array else {
                outcome.failures.append("scan of \(endpoint) failed: unexpected reply shape")
                return outcome
            }
            let batch = keys.compactMap(\.bytes)
            outcome.keysReturned += batch.count
            if !batch.isEmpty { try body(batch) }
            progress?(outcome.keysReturned)
            cursor = next
        } while cursor != Array("0".utf8)
        return outcome
    }

    // MARK: Key commands

    /// Sends commands pipelined (each command's key is its second argument) and returns one reply each.
    ///
    /// Every command sessionctl sends is idempotent (reads, `UNLINK`), so a batch cut off by
    /// a broken connection is sent again once on a new connection.
    public func send(_ commands: [[Bytes]]) throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        do {
            return try liveConnection().pipeline(commands)
        } catch RedisClientError.connectionLost {
            return try liveConnection().pipeline(commands)
        }
    }

    /// Sends one command to the node the keyspace was opened on.
    public func command(_ arguments: [Bytes]) throws -> RESPValue {
        try send([arguments])[0]
    }

    // MARK: Servers

    /// Version, mode, role, key count and latency of every node.
    public func serverInfo(pings: Int = 5) throws -> [ServerInfo] {
        let c = try liveConnection()
        let replies = try c.pipeline([["INFO", "server"], ["INFO", "replication"], ["DBSIZE"]].map { $0.map { Array($0.utf8) } })
        var fields: [String: String] = [:]
        for r in replies.prefix(2) {
            if let err = r.redisError { throw RedisClientError.protocolError(endpoint: endpoint.description, reason: "INFO: \(err.message)") }
            fields.merge(ServerInfo.fields(r.text ?? ""), uniquingKeysWith: { a, _ in a })
        }
        var samples: [Double] = []
        for _ in 0..<max(1, pings) {
            let start = Deadline.now()
            _ = try c.execute("PING")
            samples.append(Double(Deadline.now() - start) / 1_000_000)
        }
        samples.sort()
        return [ServerInfo(address: endpoint.address, version: fields["redis_version"] ?? "unknown",
                           mode: fields["redis_mode"] ?? "standalone", role: fields["role"] ?? "master",
                           keys: replies[2].integer ?? 0, latencyMilliseconds: samples[samples.count / 2])]
    }
}
