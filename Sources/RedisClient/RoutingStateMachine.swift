import SessionBasics

/// What a pipeline of key commands should do next, decided without sockets (rule 16): which
/// commands go to which node this round, what a reply, a redirect or a lost node means, when to
/// wait and read the topology again, and when it is over. ``Router/send(_:)`` carries the actions
/// out; this type never touches a connection or a clock (the caller passes the time in).
///
/// A round: ``startRound(cancelled:now:)`` groups the pending commands per owning primary (those
/// with no reachable owner, or whose node was given up on, end at once); the caller sends each
/// group and reports ``unreachable(_:_:now:)`` or ``received(_:_:now:)`` per node; then
/// ``endRound()`` says whether to back off, read the topology again (then ``adopt(_:)``) and wait;
/// ``finishRound()`` sends what is left to each slot's owner in the next round.
struct RoutingStateMachine {
    /// One command on its way: where it goes, how it got there, how its retries stand.
    struct Pending: Equatable {
        var index: Int
        var target: RedisEndpoint.Address?
        var asking = false
        var redirects = 0
        var attempts = 0
        var firstFailure: UInt64?
    }

    /// What to do between two rounds.
    struct RoundEnd: Equatable {
        /// Nanoseconds to wait before anything else: a node failed this round.
        var backoff: UInt64?
        /// Read the cluster's shards again (a node failed, or a slot moved), then ``adopt(_:)`` them.
        var refreshTopology: Bool
        /// Nanoseconds to wait after: the cluster asked to retry (`TRYAGAIN`, `LOADING`, …).
        var wait: UInt64?
    }

    private let commands: [[Bytes]]
    let policy: RetryPolicy
    /// The slot map as this exchange knows it (`MOVED` updates it).
    private(set) var topology: Topology
    /// Nodes given up on after the retry policy ran out: later commands for them fail at once.
    private(set) var lost: [RedisEndpoint.Address: PartialFailure]
    /// The host that stands in for an empty or `?` host in a redirect.
    private let seedHost: String
    private var outcomes: [CommandResult?]
    private var queue: [Pending]
    // What this round has decided so far.
    private var next: [Pending] = []
    private var sent: [RedisEndpoint.Address: [Pending]] = [:]
    private var failed = false
    private var refresh = false
    private var wait = 0

    private static let asking: [Bytes] = [Array("ASKING".utf8)]

    /// Commands (each one's key is its second argument) to route over `topology`.
    init(commands: [[Bytes]], topology: Topology, lost: [RedisEndpoint.Address: PartialFailure], policy: RetryPolicy, seedHost: String) {
        self.commands = commands
        self.topology = topology
        self.lost = lost
        self.policy = policy
        self.seedHost = seedHost
        outcomes = Array(repeating: nil, count: commands.count)
        queue = []
        queue = commands.indices.map { Pending(index: $0, target: owner(of: commands[$0])) }
    }

    /// Whether a node given up on earlier is a target: its slots may have a new primary by now
    /// (a failover), so the topology should be read again (and ``adopt(_:)``ed) before the first round.
    var wantsTopologyFirst: Bool { queue.contains { $0.target.map { lost[$0] != nil } ?? false } }

    /// Takes a topology read again: it replaces the map. Before the first round (`retargetAll`),
    /// every command goes to its slot's owner under it; later, ``finishRound()`` routes those left without a node.
    mutating func adopt(_ fresh: Topology, retargetAll: Bool = false) {
        topology = fresh
        if retargetAll {
            for i in queue.indices { queue[i].target = owner(of: commands[queue[i].index]) }
        }
    }

    /// One result per command, in order, once the machine has run (a command never decided is cancelled).
    var results: [CommandResult] { outcomes.map { $0 ?? .cancelled } }

    // MARK: A round

    /// The commands to send this round, grouped per node in the order first met (an `ASK`ed
    /// command preceded by `ASKING`); `nil` when every command has its result. On Ctrl-C the
    /// rest end as cancelled.
    mutating func startRound(cancelled: Bool, now: UInt64) -> [(node: RedisEndpoint.Address, commands: [[Bytes]])]? {
        guard !queue.isEmpty else { return nil }
        if cancelled {
            for p in queue { outcomes[p.index] = .cancelled }
            queue = []
            return nil
        }
        next = []
        sent = [:]
        failed = false
        refresh = false
        wait = 0
        var order: [RedisEndpoint.Address] = []
        for p in queue {
            guard let target = p.target else {
                let slot = HashSlot.of(commands[p.index].count > 1 ? commands[p.index][1] : [])
                let range = topology.uncoveredRanges.first { $0.contains(slot) } ?? slot...slot
                retry(
                    [p], PartialFailure(.noPrimary, node: Topology.describe([range]), cause: "no reachable primary serves them"), node: nil, now: now)
                continue
            }
            if let given = lost[target] {
                outcomes[p.index] = .failed(given)
                continue
            }
            if sent[target] == nil { order.append(target) }
            sent[target, default: []].append(p)
        }
        return order.map { node in (node, sent[node]!.flatMap { $0.asking ? [Self.asking, commands[$0.index]] : [commands[$0.index]] }) }
    }

    /// No connection to `node` could be had (or the exchange with it failed): its commands are
    /// retried under the policy, or given up on with the node; Ctrl-C cancels them.
    mutating func unreachable(_ node: RedisEndpoint.Address, _ error: any Error, now: UInt64) {
        guard let group = sent.removeValue(forKey: node) else { return }
        if error as? RedisClientError == .interrupted {
            for p in group { outcomes[p.index] = .cancelled }
            return
        }
        retry(group, PartialFailure(.nodeUnreachable, node: node.description, cause: "\(error)"), node: node, now: now)
    }

    /// What `node` answered to its group, one reply per command sent (`ASKING`'s included). A
    /// standalone server that answers `MOVED` is a misconfiguration, thrown: the options do not fit it.
    mutating func received(_ node: RedisEndpoint.Address, _ replies: [RESPValue]) throws {
        guard let group = sent.removeValue(forKey: node) else { return }
        var k = 0
        for p in group {
            if p.asking { k += 1 }  // the ASKING reply
            guard k < replies.count else {
                outcomes[p.index] = .failed(PartialFailure(.nodeUnreachable, node: node.description, cause: "fewer replies than commands"))
                continue
            }
            let reply = replies[k]
            k += 1
            guard let err = reply.redisError else {
                outcomes[p.index] = .reply(reply)
                continue
            }
            if !topology.isCluster && err.code == "MOVED" {
                throw RedisClientError.misconfigured("\(node) is a Redis Cluster node and answered MOVED", hint: "drop --no-cluster")
            }
            guard let redirect = Redirect(err, fromHost: host(of: node)), topology.isCluster || redirect.isRetry else {
                if topology.isCluster && (err.code == "MOVED" || err.code == "ASK") {
                    // A redirect that names no valid slot or address: never followed, never taken for an answer.
                    outcomes[p.index] = .failed(
                        PartialFailure(.commandFailed, node: node.description, cause: "unreadable redirect '\(err.message.prefix(80))'"))
                } else {
                    outcomes[p.index] = .reply(reply)
                }
                continue
            }
            var q = p
            q.redirects += 1
            if q.redirects > policy.maxRedirects {
                outcomes[p.index] = .failed(PartialFailure(.redirectLimit, node: node.description, cause: err.message))
                continue
            }
            switch redirect {
            case .moved(let slot, let to):
                topology.move(slot: slot, to: to)
                refresh = true
                q.target = to
                q.asking = false
            case .ask(_, let to):
                q.target = to
                q.asking = true
            case .retry:
                q.asking = false
                wait = max(wait, q.redirects)
            }
            next.append(q)
        }
    }

    /// What to do before the next round. After a node failed: back off, read the topology again,
    /// and send each retried command to its slot's owner (an `ASK`ed one keeps its node).
    mutating func endRound() -> RoundEnd {
        var end = RoundEnd(backoff: nil, refreshTopology: refresh, wait: nil)
        if failed {
            end.backoff = RetryPolicy.delay(attempt: next.map(\.attempts).max() ?? 1)
            end.refreshTopology = true
            for i in next.indices where next[i].attempts > 0 && !next[i].asking { next[i].target = nil }
        }
        if wait > 0 { end.wait = RetryPolicy.delay(attempt: wait) }
        return end
    }

    /// Ends the round: what is left goes to its slot's owner (under the topology adopted, if any) next round.
    mutating func finishRound() {
        for i in next.indices where next[i].target == nil { next[i].target = owner(of: commands[next[i].index]) }
        queue = next
        next = []
        sent = [:]
    }

    // MARK: Helpers

    private mutating func retry(_ group: [Pending], _ failure: PartialFailure, node: RedisEndpoint.Address?, now: UInt64) {
        failed = true
        for var p in group {
            let since = p.firstFailure ?? now
            p.firstFailure = since
            p.attempts += 1
            guard policy.allows(attempts: p.attempts, since: since, now: now) else {
                outcomes[p.index] = .failed(failure)
                if let node { lost[node] = failure }
                continue
            }
            p.asking = false
            next.append(p)
        }
    }

    /// The primary serving a command's key (its second argument).
    private func owner(of command: [Bytes]) -> RedisEndpoint.Address? {
        guard command.count > 1 else { return topology.primaries.first }
        return topology.primary(forSlot: HashSlot.of(command[1]))
    }

    private func host(of address: RedisEndpoint.Address) -> String {
        if case .tcp(let h, _) = address { return h }
        return seedHost
    }

    // MARK: A standalone server's fast path

    /// The results of one exchange with a standalone server's one node, or `nil` when a reply asks
    /// to wait and retry (the general path then sends everything again: every command is idempotent).
    static func onlyNodeResults(_ replies: [RESPValue], node: RedisEndpoint.Address, seedHost: String) throws -> [CommandResult]? {
        var out: [CommandResult] = []
        out.reserveCapacity(replies.count)
        for reply in replies {
            if let err = reply.redisError {
                if err.code == "MOVED" {
                    throw RedisClientError.misconfigured("\(node) is a Redis Cluster node and answered MOVED", hint: "drop --no-cluster")
                }
                if Redirect(err, fromHost: seedHost)?.isRetry == true { return nil }
            }
            out.append(.reply(reply))
        }
        return out
    }
}
