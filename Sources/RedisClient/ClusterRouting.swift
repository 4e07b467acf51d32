/// Key commands in a cluster: grouped per owning primary, sent to all at once, redirects followed.
extension RedisKeyspace {
    /// One command on its way: where it goes and how it got there.
    private struct Pending {
        var index: Int
        var target: RedisEndpoint.Address?
        var asking = false
        var redirects = 0
        var retries = 0
    }

    /// Sends commands to their slots' primaries; `MOVED` updates the map (and the topology is
    /// read again), `ASK` sends `ASKING` then the command to the named node once,
    /// `TRYAGAIN`/`CLUSTERDOWN`/`LOADING` wait with backoff; at most five redirects a command.
    func routed(_ commands: [[Bytes]]) -> [RESPValue] {
        var replies = [RESPValue?](repeating: nil, count: commands.count)
        var queue = commands.indices.map { Pending(index: $0, target: owner(of: commands[$0])) }
        let asking: [Bytes] = [Array("ASKING".utf8)]
        while !queue.isEmpty {
            if Interruption.isRequested {
                for p in queue { replies[p.index] = .error(.unreachable("cluster", "interrupted")) }
                break
            }
            var groups: [RedisEndpoint.Address: [Pending]] = [:]
            var order: [RedisEndpoint.Address] = []
            var next: [Pending] = []
            for p in queue {
                guard let target = p.target else {
                    if p.retries < 3, refreshTopology() {
                        var q = p
                        q.retries += 1
                        q.target = owner(of: commands[p.index])
                        next.append(q)
                    } else {
                        replies[p.index] = .error(.unreachable("cluster", "no primary serves slot \(HashSlot.of(commands[p.index][1]))"))
                    }
                    continue
                }
                if groups[target] == nil { order.append(target) }
                groups[target, default: []].append(p)
            }
            var jobs: [(Connection, [[Bytes]])] = []
            var jobGroups: [[Pending]] = []
            for address in order {
                let group = groups[address]!
                do {
                    let c = try connection(address)
                    jobs.append((c, group.flatMap { $0.asking ? [asking, commands[$0.index]] : [commands[$0.index]] }))
                    jobGroups.append(group)
                } catch {
                    next += retryOrGiveUp(group, commands, "\(error)", &replies)
                }
            }
            var refresh = false
            var wait = 0
            for (group, result) in zip(jobGroups, Multiplexer.exchange(jobs)) {
                guard case .success(let flat) = result else {
                    if case .failure(let error) = result { next += retryOrGiveUp(group, commands, "\(error)", &replies) }
                    continue
                }
                var k = 0
                for p in group {
                    if p.asking { k += 1 } // the ASKING reply
                    let reply = flat[k]
                    k += 1
                    guard let err = reply.redisError, let redirect = Redirect(err, fromHost: host(of: p.target)) else {
                        replies[p.index] = reply
                        continue
                    }
                    var q = p
                    q.redirects += 1
                    if q.redirects > maxRedirects {
                        replies[p.index] = reply
                        continue
                    }
                    switch redirect {
                    case .moved(let slot, let to):
                        topology?.move(slot: slot, to: to)
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
            if refresh { refreshTopology() }
            if wait > 0 { Backoff.sleep(nanoseconds: Backoff.delay(attempt: wait)) }
            queue = next
        }
        return replies.map { $0 ?? .error(.unreachable("cluster", "no reply")) }
    }

    /// The primary serving a command's key (its second argument).
    private func owner(of command: [Bytes]) -> RedisEndpoint.Address? {
        guard command.count > 1 else { return topology?.primaries.first }
        return topology?.primary(forSlot: HashSlot.of(command[1]))
    }

    private func host(of address: RedisEndpoint.Address?) -> String {
        if case .tcp(let h, _)? = address { return h }
        return seedHost
    }

    /// After a node failed: read the topology again and retry each command on its slot's
    /// primary (a few times, with backoff), else give it an `UNREACHABLE` reply.
    private func retryOrGiveUp(_ group: [Pending], _ commands: [[Bytes]], _ reason: String, _ replies: inout [RESPValue?]) -> [Pending] {
        let attempt = (group.map(\.retries).max() ?? 0) + 1
        let deadline = Deadline.after(seconds: max(options.commandTimeout, 1))
        var refreshed = false
        var retried: [Pending] = []
        for p in group {
            guard p.retries < 6, !deadline.hasPassed else {
                replies[p.index] = .error(.unreachable(p.target?.description ?? "cluster", reason))
                continue
            }
            if !refreshed {
                Backoff.sleep(nanoseconds: Backoff.delay(attempt: attempt))
                refreshTopology()
                refreshed = true
            }
            var q = p
            q.retries += 1
            q.asking = false
            q.target = owner(of: commands[p.index])
            retried.append(q)
        }
        return retried
    }
}
