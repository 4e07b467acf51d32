import RedisClient
import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// Routing, retries, lost nodes and interruption, driven in-process through scripted
/// transports: every reply is chosen by the test, so each path runs exactly.
final class ScriptedStoreTests: XCTestCase {
    /// A scripted cluster whose hook is cleared after the test (hooks often capture the cluster).
    private func scripted(_ primaries: Int, cluster: Bool = true) -> ScriptedCluster {
        let c = ScriptedCluster(primaries: primaries, cluster: cluster)
        addTeardownBlock { c.hook = nil }
        return c
    }

    private func keyspace(_ c: ScriptedCluster, timeout: Double = 1, cancellation: Cancellation = Cancellation()) throws -> RedisKeyspace {
        try c.keyspace(timeout: timeout, cancellation: cancellation)
    }

    private func store(_ k: RedisKeyspace) throws -> RedisSessionStore {
        RedisSessionStore(keyspace: k, layout: try SessionLayout(), scanCount: 50) { $0.batchSize = 100 }
    }

    @discardableResult
    private func seed(_ c: ScriptedCluster, users: [String], sessions: Int, withSessionKeys: Bool = true) -> [String] {
        c.seedSessions(users: users, sessions: sessions, withSessionKeys: withSessionKeys)
    }

    private func get(_ key: String) -> [Bytes] { [Bytes("GET".utf8), Bytes(key.utf8)] }

    // MARK: Redirects and retries

    func testAClientErrorKeepsItsKindThroughTheDomain() throws {
        // Before: the pipeline helper turned any thrown error into "incomplete", losing its code and hint.
        let c = scripted(1, cluster: false)
        seed(c, users: ["u"], sessions: 2)
        c.hook = { _, command in
            String(decoding: command[0], as: UTF8.self) == "GET" ? .reply(.error(RedisError(message: "MOVED 1 10.0.0.9:7000"))) : nil
        }
        let s = try store(try keyspace(c))
        XCTAssertThrowsError(try s.list(users: [Bytes("u".utf8)])) { error in
            guard case RedisClientError.misconfigured = error else { return XCTFail("\(error)") }
        }
    }

    func testAScanOverAClusterWithUncoveredSlotsIsIncompleteAndNamesThem() throws {
        // A shard whose primary failed is dropped from the map: its keys are out of any scan's reach.
        let c = scripted(3)
        seed(c, users: ["a", "b", "c", "d"], sessions: 10)
        let gone = c.nodes[1].slots[0]
        c.nodes[1].slots = []
        let s = try store(try keyspace(c, timeout: 0.3))
        let list = try s.list(users: [Bytes("a".utf8)])
        XCTAssertFalse(list.completeness.isComplete)
        let f = list.completeness.failures.first { $0.kind == .noPrimary }
        XCTAssertEqual(f?.node, "slots \(gone.lowerBound)-\(gone.upperBound)", "\(list.completeness.failures)")
        XCTAssertFalse(try s.users().completeness.isComplete)
    }

    func testASlotThatChangesHandsDuringTheScanIsScannedOnItsNewOwner() throws {
        // The victim's mapping sits late on a slow node; its slot moves, keys and all, to a node whose
        // scan has already finished. Before: complete, and the session was never found.
        let c = scripted(3)
        let slow = c.nodes[0]
        let done = c.nodes[2]
        for i in 0..<400 { slow.keys[Bytes("noise:\(i)".utf8)] = Bytes("x".utf8) }
        let key = (0..<5000).map { "user:victim:s\($0)" }.first { slow.owns(HashSlot.of(Bytes($0.utf8))) }!
        let slot = HashSlot.of(Bytes(key.utf8))
        c.set(key, "session:late")
        c.set("session:late", "payload")
        var scansOfSlow = 0
        c.hook = { node, command in
            guard String(decoding: command[0], as: UTF8.self) == "SCAN", node === slow else { return nil }
            scansOfSlow += 1
            if scansOfSlow == 5 {
                // Resharding: the slot and its keys move to the node that has finished its scan.
                slow.slots = slow.slots.flatMap { r -> [ClosedRange<Int>] in
                    r.contains(slot) ? [r.lowerBound...(slot - 1), (slot + 1)...r.upperBound].filter { !$0.isEmpty } : [r]
                }
                done.slots.append(slot...slot)
                done.keys[Bytes(key.utf8)] = slow.keys.removeValue(forKey: Bytes(key.utf8))
            }
            return nil
        }
        let s = RedisSessionStore(keyspace: try keyspace(c), layout: try SessionLayout(), scanCount: 20)
        let list = try s.list(users: [Bytes("victim".utf8)])
        XCTAssertTrue(list.completeness.isComplete, "\(list.completeness.failures)")
        XCTAssertEqual(list.sessions.map { String(decoding: $0.ref.mappingKey, as: UTF8.self) }, [key])
        XCTAssertGreaterThanOrEqual(c.log.filter { $0.node == done.address && $0.command.hasPrefix("SCAN 0 ") }.count, 2, "scanned again")
    }

    // MARK: A node lost mid-pipeline

    func testPruneKeepsAndReportsOrphansOfALostNode() throws {
        // Orphaned mappings on every node; the plan sees them all, then one node is lost before the deletion.
        let c = scripted(3)
        seed(c, users: ["a", "b", "c", "d", "e", "f"], sessions: 20, withSessionKeys: false)
        let k = try keyspace(c, timeout: 0.5)
        let s = try store(k)
        let plan = try s.planPrune()
        XCTAssertTrue(plan.completeness.isComplete)
        XCTAssertEqual(plan.targets.count, 120)
        let victim = c.nodes[1]
        let onVictim = plan.targets.filter { c.owner(of: String(decoding: $0.sessionKey, as: UTF8.self)) === victim }.count
        XCTAssertGreaterThan(onVictim, 0)
        victim.down = true
        c.hook = { node, _ in node === victim ? .close : nil }
        let result = try s.prune(plan)
        XCTAssertFalse(result.completeness.isComplete, "a node's orphans could not be checked: never complete")
        XCTAssertTrue(result.completeness.failures.allSatisfy { $0.node == victim.address.description }, "\(result.completeness.failures)")
        XCTAssertLessThan(result.revoked.count, 120)
        // Nothing whose session could not be checked was deleted.
        for t in plan.targets where c.owner(of: String(decoding: t.sessionKey, as: UTF8.self)) === victim {
            XCTAssertTrue(
                c.exists(String(decoding: t.mappingKey, as: UTF8.self)) || c.owner(of: String(decoding: t.mappingKey, as: UTF8.self)) !== victim)
        }
    }

    func testRevocationFailuresOfALostNodeAreSummarisedOnce() throws {
        let c = scripted(3)
        seed(c, users: ["victim"], sessions: 600)
        let k = try keyspace(c, timeout: 0.5)
        let s = try store(k)
        let plan = try s.planRevoke(users: [Bytes("victim".utf8)])
        XCTAssertEqual(plan.targets.count, 600)
        let lost = c.nodes[2]
        lost.down = true
        c.hook = { node, _ in node === lost ? .close : nil }
        let result = try s.revoke(plan)
        XCTAssertFalse(result.completeness.isComplete)
        let failed = result.completeness.counts.reduce(0, +)
        XCTAssertGreaterThan(failed, 100, "one failure per session key on the lost node")
        XCTAssertLessThanOrEqual(result.completeness.failures.count, 2, "\(result.completeness.failures)")
        // Each says where, and is of a kind whose advice is to re-run once the node is back (SessionCtlCLI words it).
        XCTAssertTrue(
            result.completeness.failures.allSatisfy {
                $0.description.contains(lost.address.description) && [.nodeUnreachable, .noPrimary, .redirectLimit].contains($0.kind)
            })
        // No session on the lost node lost its mapping: each either is gone with its mapping or keeps both.
        for t in plan.targets {
            let session = c.exists(String(decoding: t.sessionKey, as: UTF8.self))
            let mapping = c.exists(String(decoding: t.mappingKey, as: UTF8.self))
            XCTAssertFalse(session && !mapping, "session \(String(decoding: t.session, as: UTF8.self)) alive without its mapping")
        }
    }

    func testShowDoesNotCallASessionWhoseTypeWasNotReadGone() throws {
        let c = scripted(1, cluster: false)
        seed(c, users: ["u"], sessions: 1)
        let k = try keyspace(c, timeout: 0.3)
        let s = try store(k)
        c.hook = { node, command in
            guard String(decoding: command[0], as: UTF8.self) == "TYPE" else { return nil }
            node.down = true
            return .close
        }
        let result = try s.show(sessions: [Bytes("u-0".utf8)], user: Bytes("u".utf8))
        XCTAssertTrue(result.sessions.isEmpty, "\(result.sessions)")
        XCTAssertTrue(result.notFound.isEmpty)
        XCTAssertFalse(result.completeness.isComplete)
        XCTAssertEqual(result.completeness.failures.first?.kind, .nodeUnreachable)
    }

    // MARK: Replies out of step

    func testAReplyAnsweredTwiceDeletesNothingOnItsWord() throws {
        // A proxy answers one GET twice: every later reply of the batch would be shifted by one,
        // pairing user:alice:a2 with a1's session key. The batch is discarded instead.
        let c = scripted(1, cluster: false)
        seed(c, users: ["alice"], sessions: 3)
        c.hook = { _, command in
            let text = command.map { String(decoding: $0, as: UTF8.self) }
            guard text == ["GET", "user:alice:alice-0"] else { return nil }
            return .replies([.bulk(Bytes("session:alice-0".utf8)), .bulk(Bytes("session:alice-0".utf8))])
        }
        let s = try store(try keyspace(c, timeout: 0.3))
        let plan = try s.planRevoke(users: [Bytes("alice".utf8)])
        XCTAssertFalse(plan.completeness.isComplete)
        XCTAssertTrue(plan.completeness.failures.contains { $0.cause.contains("out of step") }, "\(plan.completeness.failures)")
        let result = try s.revoke(plan)
        XCTAssertFalse(result.completeness.isComplete)
        for i in 0..<3 {
            XCTAssertTrue(c.exists("session:alice-\(i)"))
            XCTAssertTrue(c.exists("user:alice:alice-\(i)"))
        }
    }

    // MARK: Interruption

    func testCancellationBetweenBatchesLeavesTheRestUntouched() throws {
        let c = scripted(3)
        seed(c, users: ["v"], sessions: 250)
        let cancel = Cancellation()
        let k = try keyspace(c, cancellation: cancel)
        let s = try store(k)
        let plan = try s.planRevoke(users: [Bytes("v".utf8)])
        c.hook = { _, command in
            // Inside the first batch's session keys (its mappings go after the watch).
            if String(decoding: command[0], as: UTF8.self) == "UNLINK", c.count("UNLINK") == 50 { cancel.cancel() }
            return nil
        }
        let result = try s.revoke(plan)
        XCTAssertTrue(result.completeness.interrupted)
        XCTAssertEqual(result.completeness.failures, [], "an interruption is not a failure")
        XCTAssertEqual(result.revoked.count, 100, "the first batch, whole: replies already in are counted")
        XCTAssertEqual(result.sessionKeysDeleted, 100)
        XCTAssertEqual(plan.targets.filter { c.exists(String(decoding: $0.sessionKey, as: UTF8.self)) }.count, 150)
    }
}

/// The failure a command result holds, read as every caller must: through what ``CommandResult/get()`` throws.
private func failure(of result: CommandResult) -> PartialFailure? {
    guard case .failure(.failed(let f)) = Result(catching: { () throws(CommandFailure) in try result.get() }) else { return nil }
    return f
}
