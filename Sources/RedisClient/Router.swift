import SessionBasics

/// Routes key commands to the node that owns their slot, under one retry policy.
///
/// A standalone server is a one-node topology: every command goes to it, and only the retry
/// policy applies. In a cluster, commands are grouped per owning primary and sent to all at
/// once; `MOVED` updates the map (and the topology is read again), `ASK` sends `ASKING` then
/// the command to the named node once, `TRYAGAIN`/`CLUSTERDOWN`/`LOADING` wait with backoff.
/// A command whose node stays unreachable past the policy ends as a typed failure naming the
/// node and the cause; Ctrl-C ends the rest as cancelled. Nothing is thrown for those.
final class Router {
    let pool: NodePool
    let policy: RetryPolicy
    /// Where the operator pointed us; asked first when the topology is read again.
    let seed: RedisEndpoint.Address
    /// The host that stands in for an empty or `?` host in replies.
    let seedHost: String
    /// Which primary serves which slot.
    private(set) var topology: Topology
    /// Nodes given up on after the retry policy ran out: later commands for them fail at once
    /// (unless the topology sends their slots elsewhere), so a lost primary costs one budget, not one per batch.
    private var lost: [RedisEndpoint.Address: PartialFailure] = [:]
    /// What each node's key iteration can do, read once per node (``capabilities(of:)``).
    private var scanCapabilities: [RedisEndpoint.Address: ScanCapabilities] = [:]

    init(pool: NodePool, seed: RedisEndpoint.Address, topology: Topology) {
        self.pool = pool
        self.seed = seed
        self.topology = topology
        policy = RetryPolicy(budgetSeconds: pool.options.commandTimeout)
        switch seed {
        case .tcp(let host, _): seedHost = host
        case .unix: seedHost = "127.0.0.1"
        }
    }

    var cancellation: Cancellation { pool.options.cancellation }

    /// The node's ``ScanCapabilities`` from `INFO server`, `INFO cluster` and `COMMAND INFO
    /// CLUSTERSCAN`, asked once; `nil` when the node cannot say (nothing cheaper is assumed).
    func capabilities(of node: RedisEndpoint.Address) -> ScanCapabilities? {
        if let known = scanCapabilities[node] { return known }
        guard let c = try? pool.connection(node),
            let replies = try? c.pipeline(
                [["INFO", "server"], ["INFO", "cluster"], ["COMMAND", "INFO", "CLUSTERSCAN"]].map { $0.map { Array($0.utf8) } }),
            replies.count == 3, let server = replies[0].text
        else { return nil }
        var fields = ServerInfo.fields(server)
        fields.merge(ServerInfo.fields(replies[1].text ?? ""), uniquingKeysWith: { a, _ in a })
        let caps = ScanCapabilities(info: fields, knowsClusterScan: ScanCapabilities.namesCommand(replies[2]))
        scanCapabilities[node] = caps
        return caps
    }

    // MARK: Topology

    /// Asks a node for the cluster's shards: `nil` when it is not in cluster mode.
    static func discover(using c: Connection, seedHost: String, tls: Bool, required: Bool) throws -> Topology? {
        let host: String
        if case .tcp(let h, _) = c.address { host = h } else { host = seedHost }
        let shards = try c.execute("CLUSTER", "SHARDS")
        guard let err = shards.redisError else {
            guard let topology = Topology.parseShards(shards, seedHost: host, tls: tls) else {
                throw RedisClientError.protocolError(
                    endpoint: c.address.description,
                    reason: "CLUSTER SHARDS named no usable primary (or more than \(Topology.maxShards) shards)")
            }
            return topology
        }
        let text = err.message.lowercased()
        if text.contains("cluster support disabled") || text.contains("cluster mode is not enabled") || text.contains("not in cluster mode") {
            if required {
                throw RedisClientError.misconfigured("--cluster was given but \(c.address) is not in cluster mode", hint: "drop --cluster")
            }
            return nil
        }
        if err.code == "NOPERM" {
            throw RedisClientError.permissionDenied(
                endpoint: c.address.description, command: "CLUSTER SHARDS",
                reason: "\(err.message); grant +cluster|shards +cluster|slots, or pass --no-cluster for a standalone server")
        }
        // Older than 7.0: CLUSTER SLOTS.
        let slots = try c.execute("CLUSTER", "SLOTS")
        if let e2 = slots.redisError {
            if required { throw RedisClientError.protocolError(endpoint: c.address.description, reason: "CLUSTER SLOTS: \(e2.message)") }
            return nil
        }
        guard let topology = Topology.parseSlots(slots, seedHost: host) else {
            throw RedisClientError.protocolError(
                endpoint: c.address.description,
                reason: "CLUSTER SLOTS named no usable primary (or more than \(Topology.maxShards) shards)")
        }
        return topology
    }

    /// Asks the known nodes, the seed first, for the current shards (a cluster only).
    @discardableResult
    func refreshTopology() -> Bool {
        guard topology.isCluster else { return false }
        var candidates = [seed]
        for shard in topology.shards {
            for a in [shard.primary] + shard.replicas where !candidates.contains(a) { candidates.append(a) }
        }
        for address in candidates {
            if cancellation.isCancelled { return false }
            guard let c = try? pool.connection(address),
                let t = try? Self.discover(using: c, seedHost: seedHost, tls: pool.options.tls != nil, required: true)
            else { continue }
            topology = t
            return true
        }
        return false
    }

    // MARK: Sending

    /// Sends commands pipelined to their slots' owners and returns one result each, in order.
    /// Each command's key is its second argument. What to send where, and what each answer means,
    /// is ``RoutingStateMachine``'s to decide; this carries its actions out.
    ///
    /// Every command sessionctl sends is idempotent (reads, `UNLINK`, `SET` of the same value),
    /// so a batch cut off by a broken connection is sent again. Throws only when the options do
    /// not fit the server (a standalone connection answered `MOVED`).
    func send(_ commands: [[Bytes]]) throws -> [CommandResult] {
        if let fast = try sendToTheOnlyNode(commands) { return fast }
        var machine = RoutingStateMachine(commands: commands, topology: topology, lost: lost, policy: policy, seedHost: seedHost)
        defer { lost = machine.lost }
        if machine.wantsTopologyFirst, refreshTopology() { machine.adopt(topology, retargetAll: true) }
        while let round = machine.startRound(cancelled: cancellation.isCancelled, now: Deadline.now()) {
            var jobs: [(Connection, [[Bytes]])] = []
            var nodes: [RedisEndpoint.Address] = []
            for (node, batch) in round {
                do {
                    jobs.append((try pool.connection(node), batch))
                    nodes.append(node)
                } catch {
                    machine.unreachable(node, error, now: Deadline.now())
                }
            }
            for (node, outcome) in zip(nodes, Multiplexer.exchange(jobs)) {
                switch outcome {
                case .success(let replies): try machine.received(node, replies)
                case .failure(let error): machine.unreachable(node, error, now: Deadline.now())
                }
            }
            topology = machine.topology
            let end = machine.endRound()
            if let backoff = end.backoff { cancellation.sleep(nanoseconds: backoff) }
            if end.refreshTopology, refreshTopology() { machine.adopt(topology) }
            machine.finishRound()
            if let wait = end.wait { cancellation.sleep(nanoseconds: wait) }
        }
        topology = machine.topology
        return machine.results
    }

    /// A standalone server's common case without per-command routing: one exchange with its one
    /// node. `nil` when anything needs the general path (a failure, a reply asking to retry), which
    /// then sends the commands again: every command sessionctl sends is idempotent.
    private func sendToTheOnlyNode(_ commands: [[Bytes]]) throws -> [CommandResult]? {
        guard !topology.isCluster, let node = topology.primaries.first, lost[node] == nil,
            !cancellation.isCancelled, let c = try? pool.connection(node),
            case .success(let replies) = Multiplexer.exchange([(c, commands)])[0]
        else { return nil }
        return try RoutingStateMachine.onlyNodeResults(replies, node: node, seedHost: seedHost)
    }

    // MARK: Replication

    /// Replicas a standalone primary reports (`INFO replication`), read once.
    private var standaloneReplicas: Int?

    /// Waits until the replicas of every primary owning one of `keys` acknowledge the writes sent
    /// to it so far on its command connection (`WAIT n timeout`, all primaries at once), and
    /// returns per key `nil` when confirmed, else the failure. `wanted` replicas a primary (`nil`:
    /// every replica the topology knows; 0: no check).
    func confirmReplication(of keys: [Bytes], wanted: Int?) -> [PartialFailure?] {
        var out = [PartialFailure?](repeating: nil, count: keys.count)
        if wanted == 0 || keys.isEmpty { return out }
        var byOwner: [RedisEndpoint.Address: [Int]] = [:]
        var order: [RedisEndpoint.Address] = []
        for (i, key) in keys.enumerated() {
            guard let owner = topology.primary(forSlot: HashSlot.of(key)) else {
                out[i] = PartialFailure(.replicationUnconfirmed, node: nil, cause: "no primary serves the key's slot")
                continue
            }
            if byOwner[owner] == nil { order.append(owner) }
            byOwner[owner, default: []].append(i)
        }
        let milliseconds = max(100, Int(pool.options.commandTimeout * 500))
        var jobs: [(Connection, [[Bytes]])] = []
        var asked: [(RedisEndpoint.Address, Int)] = []
        for owner in order {
            let n = wanted ?? replicas(of: owner)
            if n == 0 { continue }
            do {
                jobs.append((try pool.connection(owner), [[Bytes("WAIT".utf8), Bytes(String(n).utf8), Bytes(String(milliseconds).utf8)]]))
                asked.append((owner, n))
            } catch {
                for i in byOwner[owner]! { out[i] = PartialFailure(.replicationUnconfirmed, node: owner.description, cause: "\(error)") }
            }
        }
        for ((owner, n), result) in zip(asked, Multiplexer.exchange(jobs)) {
            var failure: PartialFailure?
            switch result {
            case .success(let replies):
                if case .integer(let acks) = replies[0], acks >= n { continue }
                let said = replies[0].integer.map { "\($0) of \(n)" } ?? replies[0].redisError?.message ?? "an unexpected reply"
                failure = PartialFailure(
                    .replicationUnconfirmed, node: owner.description,
                    cause: "WAIT: \(said) replicas acknowledged within \(milliseconds) ms")
            case .failure(let error):
                failure = PartialFailure(.replicationUnconfirmed, node: owner.description, cause: "\(error)")
            }
            for i in byOwner[owner]! { out[i] = failure }
        }
        return out
    }

    /// How many replicas `primary` has: from the topology in a cluster, from `INFO replication` standalone.
    private func replicas(of primary: RedisEndpoint.Address) -> Int {
        if topology.isCluster { return topology.shards.first { $0.primary == primary }?.replicas.count ?? 0 }
        if let known = standaloneReplicas { return known }
        let info = (try? pool.connection(primary).execute("INFO", "replication"))?.text ?? ""
        let n = Int(ServerInfo.fields(info)["connected_slaves"] ?? "") ?? 0
        standaloneReplicas = n
        return n
    }

}

extension Redirect {
    /// Whether it asks to wait and retry on the same node (also meaningful outside a cluster: `LOADING`).
    var isRetry: Bool {
        if case .retry = self { return true }
        return false
    }
}
