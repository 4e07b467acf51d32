import SessionBasics
import XCTest

@testable import RedisClient

/// The routing decisions, without a socket or a clock (rule 16): what goes where each round, and
/// what a reply, a redirect, a lost node or Ctrl-C means next. `ScriptedRoutingTests` drives the
/// same decisions through the router's I/O.
final class RoutingStateMachineTests: XCTestCase {
    private let a = RedisEndpoint.Address.tcp(host: "10.0.0.1", port: 7000)
    private let b = RedisEndpoint.Address.tcp(host: "10.0.0.2", port: 7000)
    private let c = RedisEndpoint.Address.tcp(host: "10.0.0.3", port: 7000)
    private let policy = RetryPolicy(budgetSeconds: 2)
    private let second: UInt64 = 1_000_000_000

    private var cluster: Topology {
        Topology(shards: [
            .init(primary: a, replicas: [], slots: [0...5460]), .init(primary: b, replicas: [], slots: [5461...10922]),
            .init(primary: c, replicas: [], slots: [10923...16383]),
        ])
    }

    /// A key whose slot `owner` serves in ``cluster``.
    private func key(on owner: RedisEndpoint.Address, _ n: Int = 0) -> String {
        // Every third key or so lands on each of the three primaries: the search always ends.
        let topology = cluster
        var keys = (0...).lazy.map { "k\($0)" }.filter { topology.primary(forSlot: HashSlot.of(Bytes($0.utf8))) == owner }.makeIterator()
        for _ in 0..<n { _ = keys.next() }
        return keys.next()!
    }

    private func get(_ k: String) -> [Bytes] { [Bytes("GET".utf8), Bytes(k.utf8)] }
    private func bulk(_ s: String) -> RESPValue { .bulk(Bytes(s.utf8)) }
    private func error(_ s: String) -> RESPValue { .error(RedisError(message: s)) }

    private func machine(_ keys: [String], topology: Topology? = nil, lost: [RedisEndpoint.Address: PartialFailure] = [:]) -> RoutingStateMachine {
        RoutingStateMachine(commands: keys.map(get), topology: topology ?? cluster, lost: lost, policy: policy, seedHost: "10.0.0.1")
    }

    /// The failure a result holds, read through what it throws.
    private func failure(_ r: CommandResult) -> PartialFailure? {
        guard case .failure(.failed(let f)) = Result(catching: { () throws(CommandFailure) in try r.get() }) else { return nil }
        return f
    }

    func testOneRoundGroupsPerOwnerInTheOrderFirstMet() throws {
        let keys = [key(on: b), key(on: a), key(on: b, 1), key(on: c)]
        var m = machine(keys)
        XCTAssertFalse(m.wantsTopologyFirst)
        let round = try XCTUnwrap(m.startRound(cancelled: false, now: 0))
        XCTAssertEqual(round.map(\.node), [b, a, c])
        XCTAssertEqual(round[0].commands, [get(keys[0]), get(keys[2])])
        try m.received(b, [bulk("0"), bulk("2")])
        try m.received(a, [bulk("1")])
        try m.received(c, [.null])
        XCTAssertEqual(m.endRound(), .init(backoff: nil, refreshTopology: false, wait: nil))
        m.finishRound()
        XCTAssertNil(m.startRound(cancelled: false, now: 0), "every command has its result")
        XCTAssertEqual(m.results, [.reply(bulk("0")), .reply(bulk("1")), .reply(bulk("2")), .reply(.null)])
    }

    func testMovedUpdatesTheMapAsksForTheShardsAndGoesToTheNewOwner() throws {
        let k = key(on: a)
        let slot = HashSlot.of(Bytes(k.utf8))
        var m = machine([k])
        _ = m.startRound(cancelled: false, now: 0)
        try m.received(a, [error("MOVED \(slot) 10.0.0.2:7000")])
        XCTAssertEqual(m.topology.primary(forSlot: slot), b, "the move is in the map at once")
        XCTAssertEqual(m.endRound(), .init(backoff: nil, refreshTopology: true, wait: nil))
        m.finishRound()
        let round = try XCTUnwrap(m.startRound(cancelled: false, now: 0))
        XCTAssertEqual(round.map(\.node), [b])
        XCTAssertEqual(round[0].commands, [get(k)])
    }

    func testAskSendsAskingThenTheCommandOnceAndLeavesTheMap() throws {
        let k = key(on: a)
        let slot = HashSlot.of(Bytes(k.utf8))
        var m = machine([k])
        _ = m.startRound(cancelled: false, now: 0)
        try m.received(a, [error("ASK \(slot) :7001")])
        XCTAssertEqual(m.endRound().refreshTopology, false)
        m.finishRound()
        let round = try XCTUnwrap(m.startRound(cancelled: false, now: 0))
        XCTAssertEqual(round.map(\.node), [.tcp(host: "10.0.0.1", port: 7001)], "an empty host is the node's that answered")
        XCTAssertEqual(round[0].commands, [[Bytes("ASKING".utf8)], get(k)])
        XCTAssertEqual(m.topology.primary(forSlot: slot), a)
        try m.received(.tcp(host: "10.0.0.1", port: 7001), [.status("OK"), bulk("migrating")])
        _ = m.endRound()
        m.finishRound()
        XCTAssertEqual(m.results, [.reply(bulk("migrating"))], "ASKING's own reply is not the command's")
    }

    func testTryAgainWaitsAndEndlessRedirectsEndAsATypedFailure() throws {
        var m = machine([key(on: c)])
        for round in 1...(policy.maxRedirects + 1) {
            _ = m.startRound(cancelled: false, now: 0)
            try m.received(c, [error("TRYAGAIN Multiple keys request during rehashing of slot")])
            let end = m.endRound()
            if round <= policy.maxRedirects { XCTAssertNotNil(end.wait, "round \(round) waits before retrying") }
            m.finishRound()
        }
        XCTAssertNil(m.startRound(cancelled: false, now: 0))
        XCTAssertEqual(failure(m.results[0])?.kind, .redirectLimit)
        XCTAssertEqual(failure(m.results[0])?.node, c.description)
    }

    func testALostNodeIsRetriedWithinTheBudgetThenGivenUpOnOnce() throws {
        let keys = [key(on: a), key(on: b), key(on: b, 1)]
        var m = machine(keys)
        var now: UInt64 = 0
        var rounds = 0
        while let round = m.startRound(cancelled: false, now: now) {
            rounds += 1
            for (node, _) in round {
                if node == b {
                    m.unreachable(b, RedisClientError.connectionLost(endpoint: "10.0.0.2:7000", reason: "reset"), now: now)
                } else {
                    try m.received(node, [bulk("v")])
                }
            }
            let end = m.endRound()
            if round.contains(where: { $0.node == b }) {
                XCTAssertNotNil(end.backoff, "a failed node is backed off from")
                XCTAssertTrue(end.refreshTopology, "and the shards are read again (a failover may have moved them)")
            }
            m.finishRound()
            now += second / 2
        }
        XCTAssertEqual(rounds, 5, "retried until the 2 s budget ran out")
        XCTAssertEqual(m.results[0], .reply(bulk("v")))
        XCTAssertEqual(failure(m.results[1])?.kind, .nodeUnreachable)
        XCTAssertEqual(failure(m.results[2])?.node, b.description)
        XCTAssertNotNil(m.lost[b])
        // The next exchange fails the lost node's commands at once, and first asks whether its slots moved.
        var later = machine([key(on: b, 2), key(on: a, 1)], lost: m.lost)
        XCTAssertTrue(later.wantsTopologyFirst)
        let round = try XCTUnwrap(later.startRound(cancelled: false, now: 0))
        XCTAssertEqual(round.map(\.node), [a])
        XCTAssertEqual(failure(later.results[0])?.kind, .nodeUnreachable)
    }

    func testAFailedOverShardIsFoundInTheTopologyReadAgain() throws {
        let k = key(on: b)
        var m = machine([k])
        _ = m.startRound(cancelled: false, now: 0)
        m.unreachable(b, RedisClientError.connectionLost(endpoint: "10.0.0.2:7000", reason: "reset"), now: 0)
        XCTAssertTrue(m.endRound().refreshTopology)
        let promoted = RedisEndpoint.Address.tcp(host: "10.0.0.4", port: 7000)
        m.adopt(
            Topology(shards: [
                .init(primary: a, replicas: [], slots: [0...5460]), .init(primary: promoted, replicas: [], slots: [5461...10922]),
                .init(primary: c, replicas: [], slots: [10923...16383]),
            ]))
        m.finishRound()
        let round = try XCTUnwrap(m.startRound(cancelled: false, now: 1))
        XCTAssertEqual(round.map(\.node), [promoted])
    }

    func testSlotsWithoutAPrimaryAreNamedAsARange() throws {
        let partial = Topology(shards: [.init(primary: a, replicas: [], slots: [0...5460])])
        let k = key(on: c)
        var m = machine([k], topology: partial)
        var now: UInt64 = 0
        while let round = m.startRound(cancelled: false, now: now) {
            XCTAssertTrue(round.isEmpty, "nothing is sent for a slot no primary serves")
            _ = m.endRound()
            m.finishRound()
            now += second
        }
        XCTAssertEqual(failure(m.results[0])?.kind, .noPrimary)
        XCTAssertEqual(failure(m.results[0])?.node, "slots 5461-16383")
    }

    func testCtrlCCancelsWhatIsLeft() throws {
        var m = machine([key(on: a), key(on: b)])
        _ = m.startRound(cancelled: false, now: 0)
        try m.received(a, [bulk("done")])
        m.unreachable(b, RedisClientError.interrupted, now: 0)
        _ = m.endRound()
        m.finishRound()
        XCTAssertNil(m.startRound(cancelled: true, now: 0))
        XCTAssertEqual(m.results, [.reply(bulk("done")), .cancelled])
        var pending = machine([key(on: c)])
        XCTAssertNil(pending.startRound(cancelled: true, now: 0))
        XCTAssertEqual(pending.results, [.cancelled])
    }

    func testRepliesThatAreNotRedirectsAreAnswers() throws {
        var m = machine([key(on: a), key(on: a, 1), key(on: a, 2)])
        _ = m.startRound(cancelled: false, now: 0)
        try m.received(
            a, [error("WRONGTYPE Operation against a key holding the wrong kind of value"), error("MOVED 99999 nowhere"), error("NOPERM no")])
        _ = m.endRound()
        m.finishRound()
        XCTAssertEqual(m.results[0], .reply(error("WRONGTYPE Operation against a key holding the wrong kind of value")))
        XCTAssertEqual(failure(m.results[1])?.kind, .commandFailed, "an unreadable redirect is never followed, nor taken for an answer")
        XCTAssertEqual(m.results[2], .reply(error("NOPERM no")))
    }

    func testAStandaloneServerThatAnswersMovedIsMisconfigured() throws {
        var m = machine([key(on: a)], topology: .standalone(a))
        _ = m.startRound(cancelled: false, now: 0)
        XCTAssertThrowsError(try m.received(a, [error("MOVED 12 10.0.0.9:7000")])) { e in
            guard case .misconfigured(_, let hint)? = e as? RedisClientError else { return XCTFail("\(e)") }
            XCTAssertEqual(hint, "drop --no-cluster")
        }
        XCTAssertThrowsError(try RoutingStateMachine.onlyNodeResults([error("MOVED 12 10.0.0.9:7000")], node: a, seedHost: "10.0.0.1"))
        XCTAssertNil(
            try RoutingStateMachine.onlyNodeResults(
                [bulk("x"), error("LOADING Redis is loading the dataset in memory")], node: a, seedHost: "10.0.0.1"),
            "a reply that asks to wait takes the general path")
        XCTAssertEqual(
            try RoutingStateMachine.onlyNodeResults([bulk("x"), error("ERR no")], node: a, seedHost: "10.0.0.1"),
            [.reply(bulk("x")), .reply(error("ERR no"))])
    }
}
