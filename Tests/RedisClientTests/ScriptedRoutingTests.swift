import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Routing, retries, lost nodes and interruption, driven in-process through scripted
/// transports: every reply is chosen by the test, so each path runs exactly.
final class ScriptedRoutingTests: XCTestCase {
    /// A scripted cluster whose hook is cleared after the test (hooks often capture the cluster).
    private func scripted(_ primaries: Int, cluster: Bool = true) -> ScriptedCluster {
        let c = ScriptedCluster(primaries: primaries, cluster: cluster)
        addTeardownBlock { c.hook = nil }
        return c
    }

    private func keyspace(_ c: ScriptedCluster, timeout: Double = 1, cancellation: Cancellation = Cancellation()) throws -> RedisKeyspace {
        try c.keyspace(timeout: timeout, cancellation: cancellation)
    }

    @discardableResult
    private func seed(_ c: ScriptedCluster, users: [String], sessions: Int, withSessionKeys: Bool = true) -> [String] {
        c.seedSessions(users: users, sessions: sessions, withSessionKeys: withSessionKeys)
    }

    private func get(_ key: String) -> [Bytes] { [Bytes("GET".utf8), Bytes(key.utf8)] }

    // MARK: Redirects and retries

    func testMovedUpdatesTheMapAndTheCommandIsAnswered() throws {
        let c = scripted(3)
        c.set("k1", "v1")
        let k = try keyspace(c)
        // The slot moves from its owner to another node after the map was read.
        let slot = HashSlot.of(Bytes("k1".utf8))
        let from = c.owner(of: "k1")
        let to = c.nodes.first { $0 !== from }!
        to.keys[Bytes("k1".utf8)] = from.keys.removeValue(forKey: Bytes("k1".utf8))
        from.slots = from.slots.flatMap { r -> [ClosedRange<Int>] in
            guard r.contains(slot) else { return [r] }
            return [r.lowerBound...(slot - 1), (slot + 1)...r.upperBound].filter { !$0.isEmpty }
        }
        to.slots.append(slot...slot)
        XCTAssertEqual(try k.send([get("k1")]), [.reply(.bulk(Bytes("v1".utf8)))])
        XCTAssertEqual(k.topology.primary(forSlot: slot), to.address)
        XCTAssertEqual(c.log.filter { $0.command == "GET k1" }.map(\.node), [from.address, to.address])
    }

    func testAskSendsAskingThenTheCommandOnce() throws {
        let c = scripted(2)
        let k = try keyspace(c)
        let owner = c.owner(of: "k2")
        let other = c.nodes.first { $0 !== owner }!
        guard case .tcp(let h, let p) = other.address else { return XCTFail() }
        c.hook = { node, command in
            guard String(decoding: command[0], as: UTF8.self) == "GET" else { return nil }
            if node === owner { return .reply(.error(RedisError(message: "ASK \(HashSlot.of(command[1])) \(h):\(p)"))) }
            let before = c.log.filter { $0.node == other.address }.dropLast().last?.command
            return .reply(before == "ASKING" ? .bulk(Bytes("migrating".utf8)) : .error(RedisError(message: "ERR no ASKING")))
        }
        XCTAssertEqual(try k.send([get("k2")]), [.reply(.bulk(Bytes("migrating".utf8)))])
        XCTAssertEqual(k.topology.primary(forSlot: HashSlot.of(Bytes("k2".utf8))), owner.address, "ASK does not change the map")
    }

    func testTryAgainIsRetriedWithBackoff() throws {
        let c = scripted(3)
        c.set("k3", "v3")
        var refusals = 2
        c.hook = { _, command in
            guard String(decoding: command[0], as: UTF8.self) == "GET", refusals > 0 else { return nil }
            refusals -= 1
            return .reply(.error(RedisError(message: "TRYAGAIN Multiple keys request during rehashing of slot")))
        }
        let k = try keyspace(c)
        XCTAssertEqual(try k.send([get("k3")]), [.reply(.bulk(Bytes("v3".utf8)))])
        XCTAssertEqual(c.count("GET"), 3)
    }

    func testEndlessRedirectsEndAsATypedFailure() throws {
        let c = scripted(2)
        c.hook = { _, command in
            String(decoding: command[0], as: UTF8.self) == "GET" ? .reply(.error(RedisError(message: "TRYAGAIN busy"))) : nil
        }
        let k = try keyspace(c)
        guard let f = failure(of: try k.send([get("k4")])[0]) else { return XCTFail("expected a failure") }
        XCTAssertEqual(f.kind, .redirectLimit)
        XCTAssertEqual(c.count("GET"), RetryPolicy(budgetSeconds: 1).maxRedirects + 1)
    }

    func testStandaloneServerAnsweringMovedIsAUsageError() throws {
        let c = scripted(1, cluster: false)
        c.hook = { _, command in
            String(decoding: command[0], as: UTF8.self) == "GET" ? .reply(.error(RedisError(message: "MOVED 1 10.0.0.9:7000"))) : nil
        }
        let k = try keyspace(c)
        XCTAssertFalse(k.isCluster)
        XCTAssertEqual(k.topology.shards.count, 1, "a standalone server is a one-node topology")
        XCTAssertThrowsError(try k.send([get("k")])) { error in
            guard case RedisClientError.misconfigured(_, let hint) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(hint, "drop --no-cluster")
        }
    }

    func testSlotsWithoutAPrimaryAreTypedFailures() throws {
        let c = scripted(3)
        c.nodes[2].slots = []  // its slots are served by nobody
        let k = try keyspace(c, timeout: 0.3)
        let lost = (0..<200).map { "key\($0)" }.first { HashSlot.of(Bytes($0.utf8)) >= c.nodes[1].slots[0].upperBound + 1 }!
        guard let f = failure(of: try k.send([get(lost)])[0]) else { return XCTFail("expected a failure") }
        XCTAssertEqual(f.kind, .noPrimary)
        XCTAssertEqual(f.node, "slots \(c.nodes[1].slots[0].upperBound + 1)-16383", "the uncovered range, once for all its slots")
    }

    func testCancellationStopsAScanAndPendingCommands() throws {
        let c = scripted(3)
        seed(c, users: ["a"], sessions: 300)
        let cancel = Cancellation()
        c.hook = { _, command in
            if String(decoding: command[0], as: UTF8.self) == "SCAN", c.count("SCAN") == 4 { cancel.cancel() }
            return nil
        }
        let k = try keyspace(c, cancellation: cancel)
        let outcome = try k.scan(match: Bytes("*".utf8), count: 10) { _ in }
        XCTAssertTrue(outcome.completeness.interrupted)
        XCTAssertFalse(outcome.isComplete)
        XCTAssertEqual(try k.send([get("user:a:a-1")]), [.cancelled])
    }
}

/// The failure a command result holds, read as every caller must: through what ``CommandResult/get()`` throws.
private func failure(of result: CommandResult) -> PartialFailure? {
    guard case .failure(.failed(let f)) = Result(catching: { () throws(CommandFailure) in try result.get() }) else { return nil }
    return f
}
