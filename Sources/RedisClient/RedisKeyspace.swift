import SessionBasics

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
/// SessionKit talks to this type only. It is a front for three parts: a ``NodePool`` of
/// connections, a ``Router`` that owns the topology (a standalone server is a one-node
/// topology) and the retry policy, and a ``Scanner``.
public final class RedisKeyspace {
    /// The endpoint the operator named.
    public let endpoint: RedisEndpoint
    /// Credentials, TLS, deadlines and the cancellation, for every connection, redirect targets included.
    public let options: ConnectionOptions
    let router: Router
    /// Things the operator should know about the connection (shown on stderr).
    public private(set) var warnings: [String] = []

    /// Connects to `endpoint`, authenticates, and finds out whether it is a cluster.
    /// `connector` opens every connection (tests pass scripted transports); by default, real sockets.
    public init(
        endpoint: RedisEndpoint, options: ConnectionOptions, mode: ClusterMode = .detect,
        connector: Connector? = nil
    ) throws {
        let connector = connector ?? { try Connection(address: $0, options: $1, selectDatabase: $2) }
        self.endpoint = endpoint
        self.options = options
        let pool = NodePool(options: options, connector: connector, selectsDatabase: mode == .standalone)
        let seed = try connector(endpoint.address, options, mode == .standalone)
        pool.adopt(seed)
        var topology: Topology?
        let seedHost: String
        if case .tcp(let h, _) = endpoint.address { seedHost = h } else { seedHost = "127.0.0.1" }
        if mode != .standalone {
            topology = try Router.discover(using: seed, seedHost: seedHost, tls: options.tls != nil, required: mode == .cluster)
        } else if let info = try? seed.execute("INFO", "cluster").text, ServerInfo.fields(info)["cluster_enabled"] == "1" {
            warnings.append("\(endpoint) is a Redis Cluster node; with --no-cluster only its own keys are scanned")
        }
        if topology != nil, options.database != 0 {
            throw RedisClientError.misconfigured(
                "\(endpoint) is a Redis Cluster, which has only database 0", hint: "drop the /\(options.database) from the URL")
        }
        if topology == nil {
            pool.selectsDatabase = true
            if mode != .standalone, options.database != 0 {
                // The seed connection skipped SELECT until the mode was known.
                let reply = try seed.execute("SELECT", String(options.database))
                if let err = reply.redisError {
                    throw RedisClientError.connectFailed(endpoint: endpoint.description, reason: "SELECT: \(err.message)")
                }
            }
        }
        router = Router(pool: pool, seed: endpoint.address, topology: topology ?? .standalone(endpoint.address))
    }

    /// A connection of its own to the standalone server, subscribed to `patterns` of keyspace
    /// notifications (`PSUBSCRIBE`): its messages say that a key matching one changed.
    public func subscribe(patterns: [Bytes]) throws -> Connection {
        let connection = try Connection(address: endpoint.address, options: options, selectDatabase: false)
        try connection.subscribe([Bytes("PSUBSCRIBE".utf8)] + patterns)
        return connection
    }

    /// Whether the keyspace is a Redis Cluster.
    public var isCluster: Bool { router.topology.isCluster }

    /// Which primary serves which slot (one node serving all for a standalone server).
    public var topology: Topology { router.topology }

    /// The request to stop that every wait honours.
    public var cancellation: Cancellation { options.cancellation }

    // MARK: Commands

    /// Sends commands pipelined and returns one result each: a reply, or a typed failure when
    /// the owning node could not be reached (the others still count), or cancelled on Ctrl-C.
    /// Each command's key is its second argument. Throws only when the options do not fit the server.
    public func send(_ commands: [[Bytes]]) throws -> [CommandResult] {
        if commands.isEmpty { return [] }
        return try router.send(commands)
    }

    /// Runs `SCAN cursor MATCH pattern COUNT count` to the end on every primary, handing each
    /// page of keys to `body` as it arrives. Keys may repeat: the caller de-duplicates.
    /// `start` resumes an interrupted scan (its outcome's `resume`): a node's cursor, `nil` for a
    /// node whose scan had ended; a primary it does not name starts from 0.
    public func scan(
        match pattern: Bytes, count: Int, rate: Int? = nil, progress: ((ScanProgress) -> Void)? = nil,
        from start: [RedisEndpoint.Address: Bytes?] = [:], _ body: ([Bytes]) throws -> Void
    ) throws -> ScanOutcome {
        try Scanner(router: router).scan(match: pattern, count: count, rate: rate, progress: progress, from: start, body)
    }

    /// Waits until the replicas of the primaries owning `keys` acknowledge the writes sent so far
    /// (`WAIT`), all primaries at once; per key `nil` when confirmed, else why not.
    /// `wanted` replicas per primary: `nil` for every replica the server reports, 0 for no check.
    public func confirmReplication(of keys: [Bytes], wanted: Int?) -> [PartialFailure?] {
        router.confirmReplication(of: keys, wanted: wanted)
    }

    // MARK: Servers

    /// Version, mode, role, key count and latency of every node (primaries and replicas in a cluster).
    public func serverInfo(pings: Int = 5) throws -> [ServerInfo] {
        let nodes = router.topology.shards.flatMap { [$0.primary] + $0.replicas }
        return try nodes.map { try info(of: $0, pings: pings) }
    }

    /// Whether reading a key's value or length resets its idle time on some primary (a server
    /// older than Redis 7.2, which has no `CLIENT NO-TOUCH`): then sizes are read with `MEMORY
    /// USAGE`, which does not touch, rather than `STRLEN`.
    public var readsTouchKeys: Bool {
        router.topology.primaries.contains { a in (try? router.pool.connection(a))?.noTouch != true }
    }

    /// Keys in every primary (`DBSIZE` summed), for progress.
    public func totalKeys() -> Int64 {
        router.topology.primaries.reduce(0) { sum, a in
            let n = (try? router.pool.connection(a).execute("DBSIZE").integer) ?? nil
            return sum &+ max(0, n ?? 0)
        }
    }

    private func info(of address: RedisEndpoint.Address, pings: Int) throws -> ServerInfo {
        let c = try router.pool.connection(address)
        let replies = try c.pipeline(
            [["INFO", "server"], ["INFO", "replication"], ["DBSIZE"], ["INFO", "cluster"], ["COMMAND", "INFO", "CLUSTERSCAN"]]
                .map { $0.map { Array($0.utf8) } })
        var fields: [String: String] = [:]
        for r in replies.prefix(2) {
            if let err = r.redisError { throw RedisClientError.protocolError(endpoint: address.description, reason: "INFO: \(err.message)") }
            fields.merge(ServerInfo.fields(r.text ?? ""), uniquingKeysWith: { a, _ in a })
        }
        // INFO cluster and COMMAND INFO may be refused (an ACL, a proxy): then no capability is assumed.
        fields.merge(ServerInfo.fields(replies[3].text ?? ""), uniquingKeysWith: { a, _ in a })
        let scan = ScanCapabilities(info: fields, knowsClusterScan: ScanCapabilities.namesCommand(replies[4]))
        var samples: [Double] = []
        for _ in 0..<max(1, pings) {
            let start = Deadline.now()
            _ = try c.execute("PING")
            samples.append(Double(Deadline.now() - start) / 1_000_000)
        }
        samples.sort()
        let valkey = fields["server_name"] == "valkey"
        var info = ServerInfo(
            address: address, version: (valkey ? fields["valkey_version"] : nil) ?? fields["redis_version"] ?? "unknown",
            mode: fields["redis_mode"] ?? "standalone", role: fields["role"] ?? "master",
            keys: replies[2].integer ?? 0, latencyMilliseconds: samples[samples.count / 2], scan: scan)
        info.server = valkey ? "valkey" : "redis"
        return info
    }
}
