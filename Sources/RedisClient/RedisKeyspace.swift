/// Whether to treat the server as a Redis Cluster.
public enum ClusterMode: Sendable {
    /// Ask the server (`CLUSTER SHARDS`): the default.
    case detect
    /// Standalone, even if the node is in a cluster (`--no-cluster`).
    case standalone
    /// A cluster; an error if the server is not one (`--cluster`).
    case cluster
}

/// The whole keyspace behind an endpoint: SCAN over it, and key commands routed to the right node.
///
/// SessionKit talks to this type only. A standalone server is one node. A cluster is
/// discovered from the endpoint with `CLUSTER SHARDS` (or `CLUSTER SLOTS`); SCAN then fans
/// out to every primary at once and key commands go to the primary owning their slot,
/// following `MOVED` and `ASK`.
public final class RedisKeyspace {
    /// The endpoint the operator named.
    public let endpoint: RedisEndpoint
    /// Credentials, TLS and deadlines for every connection, redirect targets included.
    public let options: ConnectionOptions
    /// The cluster's shards, or `nil` for a standalone server.
    public internal(set) var topology: ClusterTopology?
    var connections: [RedisEndpoint.Address: Connection] = [:]
    /// Connections that carry SCAN only, so a page can be in flight while key commands run.
    var scanConnections: [RedisEndpoint.Address: Connection] = [:]
    let seedHost: String
    /// Redirects allowed per command.
    let maxRedirects = 5
    /// Things the operator should know about the connection (shown on stderr).
    public private(set) var warnings: [String] = []

    /// Connects to `endpoint`, authenticates, and finds out whether it is a cluster.
    public init(endpoint: RedisEndpoint, options: ConnectionOptions, mode: ClusterMode = .detect) throws {
        self.endpoint = endpoint
        self.options = options
        switch endpoint.address {
        case .tcp(let host, _): seedHost = host
        case .unix: seedHost = "127.0.0.1"
        }
        let seed = try Connection(address: endpoint.address, options: options, selectDatabase: mode == .standalone)
        connections[endpoint.address] = seed
        if mode != .standalone {
            topology = try discover(using: seed, required: mode == .cluster)
        } else if let info = try? seed.execute("INFO", "cluster").text, ServerInfo.fields(info)["cluster_enabled"] == "1" {
            warnings.append("\(endpoint) is a Redis Cluster node; with --no-cluster only its own keys are scanned")
        }
        if topology == nil, mode != .standalone, options.database != 0 {
            // The seed connection skipped SELECT until the mode was known.
            let reply = try seed.execute("SELECT", String(options.database))
            if let err = reply.redisError {
                throw RedisClientError.connectFailed(endpoint: endpoint.description, reason: "SELECT: \(err.message)")
            }
        }
        if topology != nil, options.database != 0 {
            throw RedisClientError.invalidURL("\(endpoint) is a Redis Cluster, which has only database 0", hint: "drop the /\(options.database) from the URL")
        }
    }

    /// Whether the keyspace is a Redis Cluster.
    public var isCluster: Bool { topology != nil }

    /// The connection to `address` for key commands, opened (or reopened after a failure) on demand.
    func connection(_ address: RedisEndpoint.Address) throws -> Connection {
        try pooled(&connections, address)
    }

    /// The SCAN connection to `address`, so a page can be in flight while key commands run.
    func scanConnection(_ address: RedisEndpoint.Address) throws -> Connection {
        try pooled(&scanConnections, address)
    }

    private func pooled(_ pool: inout [RedisEndpoint.Address: Connection], _ address: RedisEndpoint.Address) throws -> Connection {
        if let c = pool[address], !c.isBroken { return c }
        pool[address] = nil
        let c = try Connection(address: address, options: options, selectDatabase: topology == nil)
        pool[address] = c
        return c
    }

    // MARK: Topology

    /// Asks a node for the cluster's shards: `nil` when it is not in cluster mode.
    func discover(using c: Connection, required: Bool) throws -> ClusterTopology? {
        let host: String
        if case .tcp(let h, _) = c.address { host = h } else { host = seedHost }
        let shards = try c.execute("CLUSTER", "SHARDS")
        if let err = shards.redisError {
            let text = err.message.lowercased()
            if text.contains("cluster support disabled") || text.contains("cluster mode is not enabled") || text.contains("not in cluster mode") {
                if required {
                    throw RedisClientError.invalidURL("--cluster was given but \(c.address) is not in cluster mode", hint: "drop --cluster")
                }
                return nil
            }
            if err.code == "NOPERM" {
                throw RedisClientError.authenticationFailed(endpoint: c.address.description,
                    reason: "the ACL user may not run CLUSTER SHARDS or CLUSTER SLOTS (\(err.message)); grant +cluster|shards +cluster|slots, or pass --no-cluster for a standalone server")
            }
            // Older than 7.0: CLUSTER SLOTS.
            let slots = try c.execute("CLUSTER", "SLOTS")
            if let e2 = slots.redisError {
                if required { throw RedisClientError.protocolError(endpoint: c.address.description, reason: "CLUSTER SLOTS: \(e2.message)") }
                return nil
            }
            return ClusterTopology.parseSlots(slots, seedHost: host)
        }
        guard let topology = ClusterTopology.parseShards(shards, seedHost: host, tls: options.tls != nil) else {
            throw RedisClientError.protocolError(endpoint: c.address.description, reason: "CLUSTER SHARDS named no primary")
        }
        return topology
    }

    /// Asks the known nodes, the endpoint first, for the current shards. Host names are
    /// resolved again on every reconnect, so a replaced node is found under its name.
    @discardableResult
    func refreshTopology() -> Bool {
        var candidates = [endpoint.address]
        for shard in topology?.shards ?? [] {
            for a in [shard.primary] + shard.replicas where !candidates.contains(a) { candidates.append(a) }
        }
        for address in candidates {
            if Interruption.isRequested { return false }
            guard let c = try? connection(address), let t = try? discover(using: c, required: true) else { continue }
            topology = t
            return true
        }
        return false
    }

    // MARK: Key commands

    /// Sends commands pipelined and returns one reply each. Each command's key is its second
    /// argument; in a cluster, commands are grouped per owning primary and sent to all at once.
    ///
    /// Every command sessionctl sends is idempotent (reads, `UNLINK`), so a batch cut off by a
    /// broken connection is sent again. A command whose node stays unreachable gets an
    /// `UNREACHABLE` error reply (see ``RedisError/isUnreachable``) instead of failing the others.
    public func send(_ commands: [[Bytes]]) throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        if topology != nil { return routed(commands) }
        let replies: [RESPValue]
        do {
            replies = try connection(endpoint.address).pipeline(commands)
        } catch RedisClientError.connectionLost {
            replies = try connection(endpoint.address).pipeline(commands)
        }
        if replies.contains(where: { $0.redisError?.code == "MOVED" }) {
            throw RedisClientError.invalidURL("\(endpoint) is a Redis Cluster node and answered MOVED", hint: "drop --no-cluster")
        }
        return replies
    }

    /// Sends one command to the node owning its key (or the endpoint's node).
    public func command(_ arguments: [Bytes]) throws -> RESPValue {
        try send([arguments])[0]
    }

    // MARK: Servers

    /// Version, mode, role, key count and latency of every node (primaries and replicas in a cluster).
    public func serverInfo(pings: Int = 5) throws -> [ServerInfo] {
        var nodes = [endpoint.address]
        if let topology {
            nodes = topology.shards.flatMap { [$0.primary] + $0.replicas }
        }
        return try nodes.map { try info(of: $0, pings: pings) }
    }

    /// Keys in every primary (`DBSIZE` summed), for progress.
    public func totalKeys() -> Int64 {
        let primaries = topology?.primaries ?? [endpoint.address]
        return primaries.reduce(0) { sum, a in sum + ((try? connection(a).execute("DBSIZE").integer) ?? 0) ?? 0 }
    }

    private func info(of address: RedisEndpoint.Address, pings: Int) throws -> ServerInfo {
        let c = try connection(address)
        let replies = try c.pipeline([["INFO", "server"], ["INFO", "replication"], ["DBSIZE"]].map { $0.map { Array($0.utf8) } })
        var fields: [String: String] = [:]
        for r in replies.prefix(2) {
            if let err = r.redisError { throw RedisClientError.protocolError(endpoint: address.description, reason: "INFO: \(err.message)") }
            fields.merge(ServerInfo.fields(r.text ?? ""), uniquingKeysWith: { a, _ in a })
        }
        var samples: [Double] = []
        for _ in 0..<max(1, pings) {
            let start = Deadline.now()
            _ = try c.execute("PING")
            samples.append(Double(Deadline.now() - start) / 1_000_000)
        }
        samples.sort()
        return ServerInfo(address: address, version: fields["redis_version"] ?? "unknown",
                          mode: fields["redis_mode"] ?? "standalone", role: fields["role"] ?? "master",
                          keys: replies[2].integer ?? 0, latencyMilliseconds: samples[samples.count / 2])
    }
}
