import RedisClient
import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// The domain operations on a real cluster of three primaries and three replicas.
final class ClusterTests: XCTestCase {
    private func seed(_ cluster: RedisCluster, _ pairs: [(String, String)], template: (String, String) -> String = { "user:\($0):\($1)" }) throws {
        try cluster.write(
            pairs.flatMap { u, s in [["SET", template(u, s), "session:\(s)"], ["SET", "session:\(s)", "{\"u\":\"\(u)\"}", "EX", "600"]] })
    }

    private func store(
        _ cluster: RedisCluster, layout: SessionLayout? = nil, timeout: Double = 10,
        configure: (inout RedisSessionStore.Configuration) -> Void = { _ in }
    ) throws -> RedisSessionStore {
        let keyspace = try RedisKeyspace(
            endpoint: RedisEndpoint.parse(cluster.url),
            options: ConnectionOptions(commandTimeout: timeout, tls: cluster.certificates?.clientContext()))
        XCTAssertTrue(keyspace.isCluster)
        XCTAssertEqual(keyspace.topology.shards.count, 3)
        return RedisSessionStore(keyspace: keyspace, layout: try layout ?? SessionLayout(), scanCount: 100, configure: configure)
    }

    func testSessionsSpreadOverEveryPrimary() throws {
        let cluster = try RedisCluster()
        let pairs = (0..<60).map { ("alice", "s\($0)") } + (0..<20).map { ("bob", "b\($0)") }
        try seed(cluster, pairs)
        // The mapping keys of one user land on all three primaries.
        let owners = Set(try (0..<60).map { try cluster.owner(of: "user:alice:s\($0)").port })
        XCTAssertEqual(owners.count, 3)
        let store = try store(cluster)
        let list = try store.list(users: [b("alice")])
        XCTAssertTrue(list.completeness.isComplete, "\(list.completeness)")
        XCTAssertEqual(list.sessions.count, 60)
        XCTAssertTrue(list.sessions.allSatisfy { $0.exists && $0.ttl != nil })
        XCTAssertEqual(try store.users().all().map { "\(s($0.user))=\($0.sessions)" }, ["alice=60", "bob=20"])
        let result = try store.revoke(try store.planRevoke(users: [b("alice")]))
        XCTAssertTrue(result.completeness.isComplete)
        XCTAssertEqual(result.sessionKeysDeleted, 60)
        XCTAssertEqual(result.mappingKeysDeleted, 60)
        XCTAssertEqual(try store.list(users: [b("alice")]).sessions.count, 0)
        XCTAssertEqual(try store.list(users: [b("bob")]).sessions.count, 20)
        let byID = try store.revoke(try store.planRevoke(sessions: [b("b3"), b("b7")]))
        XCTAssertEqual(byID.revoked.count, 2)
    }

    func testHashTaggedLayoutScansOneShard() throws {
        let cluster = try RedisCluster()
        let layout = try SessionLayout(mapping: "user:{<user>}:<session>")
        try seed(cluster, (0..<30).map { ("carol", "c\($0)") }, template: { "user:{\($0)}:\($1)" })
        let store = try store(cluster, layout: layout)
        let list = try store.list(users: [b("carol")])
        XCTAssertEqual(list.sessions.count, 30)
        XCTAssertTrue(list.completeness.isComplete)
        XCTAssertEqual(HashSlot.fixedSlot(ofPattern: layout.mapping.pattern(user: b("carol"), session: nil)), HashSlot.of(b("carol")))
        // The local server is Redis 7.0, whose SCAN walks the whole node even for one slot: the
        // lookup asks the owner for the slot's keys instead, and finds exactly what SCAN finds.
        let pattern = layout.mapping.pattern(user: b("carol"), session: nil)
        var direct = Set<[UInt8]>()
        var scanned = Set<[UInt8]>()
        let outcome = try store.keyspace.scan(match: pattern, count: 100) { direct.formUnion($0) }
        XCTAssertEqual(outcome.path, .slotKeys)
        XCTAssertEqual(try store.keyspace.serverInfo(pings: 1).first?.scan.singleSlotScan, false)
        let wildcard = Array("user:*".utf8)  // no fixed slot: every primary's SCAN
        let all = try store.keyspace.scan(match: wildcard, count: 100) { page in scanned.formUnion(page.filter { Glob.matches(pattern, $0) }) }
        XCTAssertEqual(all.path, .scan)
        XCTAssertEqual(direct, scanned)
        XCTAssertEqual(direct.count, 30)
        let result = try store.revoke(try store.planRevoke(users: [b("carol")]))
        XCTAssertEqual(result.revoked.count, 30)
    }

    func testPrimaryFailsOverDuringALongScan() throws {
        let cluster = try RedisCluster()
        try seed(cluster, (0..<40).map { ("dave", "d\($0)") })
        // Noise keys make the scan long: thousands of round trips at COUNT 10.
        try cluster.fill(keysPerPrimary: 6000)
        let victim = try cluster.owner(of: "user:dave:d0")
        var batches = 0
        let store = try store(cluster) {
            $0.scanCount = 10
            $0.progress = { _ in
                batches += 1
                if batches == 50 { victim.kill() }
            }
        }
        let list = try store.list(users: [b("dave")])
        XCTAssertTrue(list.completeness.isComplete, "\(list.completeness.failures)")
        XCTAssertEqual(Set(list.sessions.map { s($0.ref.session) }).count, 40)
        XCTAssertEqual(list.sessions.count, 40, "a restarted shard is de-duplicated")
        XCTAssertFalse(victim.isRunning)
    }

    func testLostShardIsReportedIncomplete() throws {
        let cluster = try RedisCluster()
        try seed(cluster, (0..<30).map { ("erin", "e\($0)") })
        let store = try store(cluster, timeout: 2)
        let victim = try cluster.owner(of: "user:erin:e0")
        // Kill the primary and its replica: no failover can save that shard.
        let victimID = try cluster.id(of: victim)
        for node in cluster.nodes where node.isRunning && node !== victim {
            let nodes = try node.run([["CLUSTER", "NODES"]]).first?.text ?? ""
            let myself = nodes.split(separator: "\n").first { $0.contains("myself") } ?? ""
            if myself.split(separator: " ")[3] == victimID { node.kill() }
        }
        victim.kill()
        let list = try store.list(users: [b("erin")])
        XCTAssertFalse(list.completeness.isComplete)
        XCTAssertTrue(list.completeness.failures.contains { $0.node == "127.0.0.1:\(victim.port)" }, "\(list.completeness.failures)")
        XCTAssertGreaterThan(list.sessions.count, 0, "the other shards are still reported")
    }

    func testSlotMigrationWithAskAndMoved() throws {
        let cluster = try RedisCluster()
        let layout = try SessionLayout(mapping: "user:{<user>}:<session>")
        try seed(cluster, (0..<20).map { ("frank", "f\($0)") }, template: { "user:{\($0)}:\($1)" })
        let slot = HashSlot.of(b("frank"))
        let source = try cluster.owner(of: "{frank}")
        let target = try cluster.primaries().first { $0 !== source }!
        let (sourceID, targetID) = (try cluster.id(of: source), try cluster.id(of: target))
        try target.run([["CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID]])
        try source.run([["CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID]])
        // Move half of the mapping keys: the slot is now split between two nodes.
        let moved = (0..<10).map { "user:{frank}:f\($0)" }
        try source.run([["MIGRATE", "127.0.0.1", String(target.port), "", "0", "5000", "KEYS"] + moved])
        let store = try store(cluster, layout: layout)
        let list = try store.list(users: [b("frank")])
        XCTAssertTrue(list.completeness.isComplete, "\(list.completeness.failures)")
        XCTAssertEqual(list.sessions.count, 20, "keys on both sides of a migrating slot are found (GET follows ASK)")
        // Finish the migration: the client's map is now stale and MOVED corrects it.
        try source.run([["MIGRATE", "127.0.0.1", String(target.port), "", "0", "5000", "KEYS"] + (10..<20).map { "user:{frank}:f\($0)" }])
        for node in try cluster.primaries() { try node.run([["CLUSTER", "SETSLOT", String(slot), "NODE", targetID]]) }
        let result = try store.revoke(try store.planRevoke(users: [b("frank")]))
        XCTAssertTrue(result.completeness.isComplete, "\(result.completeness.failures)")
        XCTAssertEqual(result.mappingKeysDeleted, 20)
        XCTAssertEqual(store.keyspace.topology.primary(forSlot: slot), target.address)
    }

    func testSlotMigratingWhileAScanRuns() throws {
        let cluster = try RedisCluster()
        try seed(cluster, (0..<30).map { ("hank", "h\($0)") })
        try cluster.fill(keysPerPrimary: 3000)
        // Move the slot of one mapping key in the middle of the scan, key by key, as resharding does.
        let key = "user:hank:h7"
        let slot = HashSlot.of(b(key))
        let source = try cluster.owner(of: key)
        let target = try cluster.primaries().first { $0 !== source }!
        let (sourceID, targetID) = (try cluster.id(of: source), try cluster.id(of: target))
        var batches = 0
        var migrated = false
        let store = try store(cluster) {
            $0.scanCount = 10
            $0.progress = { _ in
                batches += 1
                guard batches == 40, !migrated else { return }
                migrated = true
                do {
                    try target.run([["CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceID]])
                    try source.run([["CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetID]])
                    let keys = try source.run([["CLUSTER", "GETKEYSINSLOT", String(slot), "100"]])[0].array?.compactMap(\.text) ?? []
                    try source.run([["MIGRATE", "127.0.0.1", String(target.port), "", "0", "5000", "KEYS"] + keys])
                } catch {
                    XCTFail("migration: \(error)")
                }
            }
        }
        let list = try store.list(users: [b("hank")])
        XCTAssertTrue(migrated)
        XCTAssertTrue(list.completeness.isComplete, "\(list.completeness.failures)")
        XCTAssertEqual(list.sessions.count, 30)
        XCTAssertTrue(list.sessions.first { s($0.ref.session) == "h7" }?.exists ?? false)
        // Revocation while the slot is still migrating: GET and UNLINK follow ASK to the target.
        let result = try store.revoke(try store.planRevoke(sessions: [b("h7")]))
        XCTAssertTrue(result.completeness.isComplete, "\(result.completeness.failures)")
        XCTAssertEqual(result.mappingKeysDeleted, 1)
        XCTAssertEqual(try target.run([["ASKING"], ["EXISTS", key]])[1], .integer(0))
        XCTAssertEqual(try source.run([["EXISTS", key]])[0].redisError?.code, "ASK", "the source no longer has it")
    }
}
