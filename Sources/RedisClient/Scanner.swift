import SessionBasics

/// SCAN over the whole keyspace: one node, or every primary of a cluster at once.
///
/// Each node's scan has its own cursor and its own connection; a node that fails is retried
/// under the router's policy, and one that cannot be finished is a typed failure in the
/// outcome, never a silent partial result.
struct Scanner {
    let router: Router
    var pool: NodePool { router.pool }
    var topology: Topology { router.topology }
    var cancellation: Cancellation { router.cancellation }

    /// One node's SCAN: where it runs, its cursor, and how its retries stand.
    private struct NodeScan {
        var address: RedisEndpoint.Address
        /// A slot the node serves, to find its new primary after a failover (nil: standalone).
        var slot: Int?
        var cursor: Bytes = Array("0".utf8)
        /// The cursor of the last page handed to the caller: where a resumed scan starts again.
        var handed: Bytes = Array("0".utf8)
        var done = false
        var failed = false
        var attempts = 0
        var firstFailure: UInt64?
        var notBefore: UInt64 = 0
        var started: UInt64 = Deadline.now()
        var examined = 0
        /// SCAN calls made, and the most this node may take: a cursor that never returns to 0
        /// (a buggy proxy, a hostile server) must not scan forever.
        var calls = 0
        var maxCalls: Int?
    }

    /// Runs `SCAN cursor MATCH pattern COUNT count` to the end on every node, handing each
    /// reply's keys to `body` as they arrive.
    ///
    /// In a cluster every primary is scanned at once, each with its own cursor (only the owner
    /// when the pattern fixes a hash tag). A node that fails is retried with backoff for up to
    /// the retry policy's budget: after a failover its shard is scanned again from cursor 0 on
    /// the new primary. When that does not work, the outcome says so (never a silent partial
    /// result). After the pass, primaries that appeared meanwhile are scanned too.
    /// Keys may repeat (SCAN's guarantee is "at least once", and restarts repeat keys): the
    /// caller de-duplicates. Errors thrown by `body` propagate.
    ///
    /// With `rate`, each node examines at most that many keys a second (COUNT per call), so
    /// an audit does not load a busy primary.
    func scan(
        match pattern: Bytes, count: Int, rate: Int? = nil, progress: ((ScanProgress) -> Void)? = nil,
        from start: [RedisEndpoint.Address: Bytes?] = [:], _ body: ([Bytes]) throws -> Void
    ) throws -> ScanOutcome {
        var outcome = ScanOutcome()
        var scans: [NodeScan]
        let fixedSlot = HashSlot.fixedSlot(ofPattern: pattern)
        if topology.isCluster, let slot = fixedSlot, let owner = topology.primary(forSlot: slot),
            let peers = migrationPeers(slot: slot, owner: owner)
        {
            // Keys of a migrating slot live on both nodes until the migration ends.
            scans = ([owner] + peers).map { NodeScan(address: $0, slot: $0 == owner ? slot : nil) }
        } else {
            scans = topology.shards.map { NodeScan(address: $0.primary, slot: topology.isCluster ? $0.slots.first?.lowerBound : nil) }
        }
        if !start.isEmpty {
            // Resuming: each node from where it stood; a node whose scan had ended is not scanned again.
            for i in scans.indices {
                guard let resumed = start[scans[i].address] else { continue }
                if let cursor = resumed, Self.isCursor(cursor) {
                    scans[i].cursor = cursor
                    scans[i].handed = cursor
                } else {
                    scans[i].done = true
                    scans[i].handed = Self.ended
                }
            }
        }
        reportUncovered(fixedSlot, &outcome)
        if let slot = fixedSlot, topology.isCluster, scans.count == 1, start.isEmpty, !cancellation.isCancelled,
            let keys = slotKeys(slot: slot, owner: scans[0].address, pattern: pattern)
        {
            // The slot's keys straight from its owner: no walk over the node's keyspace.
            outcome.path = .slotKeys
            outcome.keysReturned = keys.count
            try body(keys)
            return outcome
        }
        if fixedSlot != nil && topology.isCluster, let owner = scans.first?.address, router.capabilities(of: owner)?.walksOneSlot(pattern) == true {
            outcome.path = .singleSlotScan
        }
        var scanned = Set<RedisEndpoint.Address>()
        var gaveUp = Set<RedisEndpoint.Address>()  // already reported: not tried again in this scan
        var extraRounds = 0
        var migrationsChecked = false
        // Which node owned each slot when its scan began: a slot that changes hands during the
        // pass (a resharding) may have carried keys from a node not yet scanned to one already scanned.
        var owners = slotOwners()
        while true {
            try run(&scans, pattern: pattern, count: count, rate: rate, outcome: &outcome, owners: &owners, progress: progress, body)
            if outcome.completeness.interrupted || !topology.isCluster { break }
            for s in scans where s.done { scanned.insert(s.address) }
            for s in scans where s.failed { gaveUp.insert(s.address) }
            // Keys of a slot that migrated during the pass may have left a node before it was
            // scanned and reached one already scanned: scan the receiving nodes once more.
            if !migrationsChecked {
                migrationsChecked = true
                var receivers: [RedisEndpoint.Address] = []
                for node in scanned {
                    for m in migrations(on: node) ?? [] where fixedSlot == nil || m.slot == fixedSlot {
                        if !receivers.contains(m.peer) { receivers.append(m.peer) }
                    }
                }
                if !receivers.isEmpty {
                    scans = receivers.map { NodeScan(address: $0, slot: nil) }
                    continue
                }
            }
            // Read the map again: primaries that took over slots during the pass (a failover, a
            // resharding) are scanned again, and so are nodes that were never scanned.
            guard router.refreshTopology() else { break }
            let fresh = topology
            let now = slotOwners()
            let relevant = fixedSlot.map { [$0] } ?? Array(0..<HashSlot.count)
            var again: [RedisEndpoint.Address] = []
            for s in relevant {
                guard let owner = now[s], owner != owners[s] || !scanned.contains(owner), !gaveUp.contains(owner), !again.contains(owner) else {
                    continue
                }
                again.append(owner)
            }
            if again.isEmpty { break }
            if extraRounds >= 3 {
                outcome.completeness.record(
                    PartialFailure(
                        .scanStopped, node: again.map(\.description).joined(separator: ", "),
                        cause: "slots kept changing owner during the scan (a resharding in progress); re-run when it has ended"))
                break
            }
            extraRounds += 1
            for a in again {
                // Slots this node took over from another during the pass (not a node merely never scanned).
                let from = Set((0..<HashSlot.count).compactMap { s in now[s] == a && owners[s] != a ? owners[s] : nil })
                if !from.isEmpty {
                    outcome.completeness.recordRecovery(
                        "slots moved from \(from.map(\.description).sorted().joined(separator: ", ")) to \(a) during the scan (a failover or a resharding): \(a) was scanned again"
                    )
                }
            }
            owners = now
            scans = again.map { a in NodeScan(address: a, slot: fresh.shards.first { $0.primary == a }?.slots.first?.lowerBound) }
        }
        return outcome
    }

    /// The most keys a slot may hold for them to be asked for at once.
    static let slotFetchLimit = 100_000

    /// A lookup whose pattern fixes a slot, on a server whose SCAN would walk the whole node: the
    /// slot's keys straight from its owner (`CLUSTER COUNTKEYSINSLOT`, `CLUSTER GETKEYSINSLOT`),
    /// matched here. `nil` when SCAN costs no more (the server walks one slot), or when this way
    /// is not open: refused (an ACL, a managed service), too many keys, or the node does not
    /// serve the slot (`EXISTS {tag}` around the read answers MOVED or ASK); SCAN then runs as usual.
    private func slotKeys(slot: Int, owner: RedisEndpoint.Address, pattern: Bytes) -> [Bytes]? {
        guard let caps = router.capabilities(of: owner), caps.clusterEnabled, !caps.walksOneSlot(pattern),
            let probe = HashSlot.keyOfFixedSlot(ofPattern: pattern), let c = try? pool.connection(owner)
        else { return nil }
        let exists = Array("EXISTS".utf8)
        let cluster = Array("CLUSTER".utf8)
        let slotText = Array(String(slot).utf8)
        guard let first = try? c.pipeline([[exists, probe], [cluster, Array("COUNTKEYSINSLOT".utf8), slotText]]),
            first[0].integer != nil, let n = first[1].integer, n >= 0, n <= Int64(Self.slotFetchLimit)
        else { return nil }
        // Room for keys written between the count and the read.
        let wanted = Array(String(n + 1000).utf8)
        guard let second = try? c.pipeline([[cluster, Array("GETKEYSINSLOT".utf8), slotText, wanted], [exists, probe]]),
            second[1].integer != nil, case .array(let items) = second[0]
        else { return nil }
        var keys: [Bytes] = []
        for item in items {
            guard case .bulk(let key) = item else { return nil }
            if Glob.matches(pattern, key) { keys.append(key) }
        }
        return keys
    }

    /// The primary serving each slot now (`nil` where none does).
    private func slotOwners() -> [RedisEndpoint.Address?] {
        (0..<HashSlot.count).map { topology.primary(forSlot: $0) }
    }

    /// Slots no primary serves hold keys no scan can reach: the result is incomplete, and says which.
    private func reportUncovered(_ fixedSlot: Int?, _ outcome: inout ScanOutcome) {
        guard topology.isCluster else { return }
        var ranges = topology.uncoveredRanges
        if let slot = fixedSlot { ranges = ranges.filter { $0.contains(slot) }.map { _ in slot...slot } }
        if ranges.isEmpty { return }
        outcome.completeness.record(
            PartialFailure(
                .noPrimary, node: Topology.describe(ranges),
                cause: "no primary serves them (a failed shard, or a failover in progress)"))
    }

    /// The slots `node` is migrating away or importing, with the node on the other side, as
    /// its `CLUSTER NODES` says (`[slot->-id]`, `[slot-<-id]`); `nil` when that cannot be told.
    private func migrations(on node: RedisEndpoint.Address) -> [(slot: Int, peer: RedisEndpoint.Address)]? {
        guard let c = try? pool.connection(node), let text = (try? c.execute("CLUSTER", "NODES"))?.text else { return nil }
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.split(separator: " ") }
        guard let myself = lines.first(where: { $0.count > 2 && $0[2].contains("myself") }) else { return nil }
        var out: [(Int, RedisEndpoint.Address)] = []
        for field in myself.dropFirst(8) where field.hasPrefix("[") {
            // [slot->-id] or [slot-<-id]
            let body = field.dropFirst().dropLast()
            guard let dash = body.firstIndex(of: "-"), let slot = Int(body[..<dash]), let idDash = body.lastIndex(of: "-") else { continue }
            let id = body[body.index(after: idDash)...]
            guard let line = lines.first(where: { $0.first == id }), line.count > 1 else { return nil }
            // ip:port@cport[,hostname]
            let addr = line[1].split(separator: "@")[0]
            guard let colon = addr.lastIndex(of: ":"), let port = Int(addr[addr.index(after: colon)...]), port > 0, port <= 65_535,
                slot >= 0, slot < HashSlot.count
            else { return nil }
            var host = line[1].split(separator: ",").dropFirst().first.map(String.init) ?? String(addr[..<colon])
            if host.isEmpty { host = router.seedHost }
            out.append((slot, .tcp(host: host, port: port)))
        }
        return out
    }

    /// The nodes on the other side of `slot`'s migration, if it migrates; `nil` when unknown.
    private func migrationPeers(slot: Int, owner: RedisEndpoint.Address) -> [RedisEndpoint.Address]? {
        migrations(on: owner).map { $0.filter { $0.slot == slot }.map(\.peer) }
    }

    private func run(
        _ scans: inout [NodeScan], pattern: Bytes, count: Int, rate: Int?, outcome: inout ScanOutcome,
        owners: inout [RedisEndpoint.Address?], progress: ((ScanProgress) -> Void)?, _ body: ([Bytes]) throws -> Void
    ) throws {
        let countArg = Array(String(count).utf8)
        let scanWord = Array("SCAN".utf8)
        let matchWord = Array("MATCH".utf8)
        let countWord = Array("COUNT".utf8)
        // Scans that have a SCAN on the wire, on connections of their own: the next page is
        // asked for before the caller works on this one, so the server and the client overlap.
        var inflight: [Int: Connection] = [:]
        defer {
            // Left early (an error, Ctrl-C, the caller stopping): those replies will never be read.
            for c in inflight.values { c.markBroken("scan abandoned") }
            // Where to start again: each node's last page handed over is seen again, none is missed.
            outcome.resume = scans.map { ($0.address, $0.done && $0.handed == Self.ended ? nil : $0.handed) }
        }
        func send(_ i: Int) {
            guard !scans[i].done, !scans[i].failed, inflight[i] == nil, scans[i].notBefore <= Deadline.now() else { return }
            do {
                if scans[i].maxCalls == nil { scans[i].maxCalls = callLimit(scans[i].address, count: count) }
                if scans[i].calls >= scans[i].maxCalls! {
                    scans[i].failed = true
                    outcome.completeness.record(
                        PartialFailure(
                            .scanStopped, node: scans[i].address.description,
                            cause:
                                "the cursor did not return to 0 within \(scans[i].calls) SCAN calls (far more than DBSIZE and COUNT allow): a proxy or server that never ends its scan"
                        ))
                    return
                }
                scans[i].calls += 1
                let c = try pool.scanConnection(scans[i].address)
                try c.send([[scanWord, scans[i].cursor, matchWord, pattern, countWord, countArg]])
                inflight[i] = c
            } catch {
                failed(&scans[i], error, &outcome, &owners)
            }
        }
        while true {
            if cancellation.isCancelled {
                outcome.completeness.recordInterruption()
                return
            }
            for i in scans.indices { send(i) }
            if inflight.isEmpty {
                let waiting = scans.filter { !$0.done && !$0.failed }
                guard let next = waiting.map(\.notBefore).min() else { return }
                let now = Deadline.now()
                if next > now { cancellation.sleep(nanoseconds: next - now) }
                continue
            }
            // Each node's next page is asked for as soon as its reply is in, not when the slowest node's is.
            let order = inflight.keys.sorted()
            let done = Multiplexer.collectAny(order.map { inflight[$0]! })
            let finished = done.keys.sorted().map { order[$0] }
            let results = done.keys.sorted().map { done[$0]! }
            for i in finished { inflight[i] = nil }
            var pages: [(scan: Int, cursor: Bytes, keys: [Bytes])] = []
            for (i, result) in zip(finished, results) {
                switch result {
                case .failure(.interrupted):
                    outcome.completeness.recordInterruption()
                    return
                case .failure(let error):
                    failed(&scans[i], error, &outcome, &owners)
                case .success(let replies):
                    let reply = replies[0]
                    if let err = reply.redisError {
                        failed(
                            &scans[i], RedisClientError.protocolError(endpoint: scans[i].address.description, reason: err.message), &outcome, &owners,
                            retryable: Redirect(err, fromHost: router.seedHost) != nil)
                        continue
                    }
                    guard let parts = reply.array, parts.count == 2, let next = parts[0].bytes, Self.isCursor(next),
                        let items = parts[1].array, case let keys = items.compactMap(\.bytes), keys.count == items.count
                    else {
                        failed(
                            &scans[i], RedisClientError.protocolError(endpoint: scans[i].address.description, reason: "unexpected SCAN reply"),
                            &outcome, &owners, retryable: false)
                        continue
                    }
                    scans[i].attempts = 0
                    scans[i].firstFailure = nil
                    outcome.keysExamined += count
                    scans[i].examined += count
                    if let rate, rate > 0 {
                        // Pace: this node may have examined `examined` keys after examined/rate seconds.
                        scans[i].notBefore = scans[i].started + UInt64(Double(scans[i].examined) / Double(rate) * 1e9)
                    }
                    let requested = scans[i].cursor
                    scans[i].cursor = next
                    if next == Array("0".utf8) { scans[i].done = true }
                    send(i)
                    pages.append((i, requested, keys))
                }
            }
            for page in pages {
                scans[page.scan].handed = page.cursor
                outcome.keysReturned += page.keys.count
                if !page.keys.isEmpty { try body(page.keys) }
                progress?(ScanProgress(examined: outcome.keysExamined, matched: outcome.keysReturned))
            }
        }
    }

    /// The most SCAN calls a full pass over `address` can need, with a wide margin: a hash table
    /// has at most about twice DBSIZE buckets, COUNT of them visited a call.
    private func callLimit(_ address: RedisEndpoint.Address, count: Int) -> Int {
        let keys = (try? pool.connection(address).execute("DBSIZE").integer) ?? nil
        let size = Int(clamping: max(0, keys ?? 1_000_000))
        return 1_000 + 16 * (size / max(count, 1) + 1)
    }

    /// A `handed` cursor that says no page was handed since the node was marked ended (resumed as ended).
    static let ended = Array("ended".utf8)

    /// Whether `bytes` is a SCAN cursor: an unsigned decimal number.
    static func isCursor(_ bytes: Bytes) -> Bool {
        !bytes.isEmpty && bytes.count <= 20 && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Records a node's failure: retry later (on the slot's new primary, from cursor 0, if it
    /// changed), or give up when the retry policy says so.
    private func failed(
        _ scan: inout NodeScan, _ error: any Error, _ outcome: inout ScanOutcome, _ owners: inout [RedisEndpoint.Address?],
        retryable: Bool = true
    ) {
        let now = Deadline.now()
        scan.attempts += 1
        let since = scan.firstFailure ?? now
        scan.firstFailure = since
        guard retryable, router.policy.allows(attempts: scan.attempts, since: since) else {
            scan.failed = true
            outcome.completeness.record(PartialFailure(.scanStopped, node: scan.address.description, cause: "\(error)"))
            return
        }
        scan.notBefore = now + RetryPolicy.delay(attempt: scan.attempts)
        guard let slot = scan.slot, router.refreshTopology(), let owner = topology.primary(forSlot: slot) else { return }
        if owner != scan.address {
            // The shard is scanned again from cursor 0 on its new primary: what that node owns now is covered.
            outcome.completeness.recordRecovery(
                "\(scan.address) was lost during the scan (\(error)); its shard was scanned again from the start on \(owner), its new primary")
            scan.address = owner
            scan.cursor = Array("0".utf8)
            for s in 0..<HashSlot.count where topology.primary(forSlot: s) == owner { owners[s] = owner }
        }
    }
}
