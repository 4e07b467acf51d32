import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Which way a lookup by a hash-tagged user finds its keys, told from the server's version reply:
/// single-slot SCAN on Redis ≥ 7.4 and Valkey ≥ 8, the slot's keys asked directly on older ones,
/// and plain SCAN whenever the direct way is closed. The answers are the same every way.
final class ScanPathTests: XCTestCase {
    func testCapabilitiesFromTheVersionReply() {
        func caps(_ info: String, clusterScan: Bool = false) -> ScanCapabilities {
            ScanCapabilities(info: ServerInfo.fields(info), knowsClusterScan: clusterScan)
        }
        XCTAssertFalse(caps("redis_version:7.0.15\r\nredis_mode:cluster").singleSlotScan, "the local server")
        XCTAssertFalse(caps("redis_version:7.2.4\r\ncluster_enabled:1").singleSlotScan)
        XCTAssertTrue(caps("redis_version:7.4.0\r\ncluster_enabled:1").singleSlotScan)
        XCTAssertTrue(caps("redis_version:8.2.1\r\nredis_mode:cluster").singleSlotScan)
        XCTAssertFalse(caps("redis_version:7.4.0\r\nredis_mode:standalone\r\ncluster_enabled:0").singleSlotScan, "only in cluster mode")
        // Valkey reports redis_version 7.2.4 for compatibility: its own version decides.
        let valkey8 = caps("server_name:valkey\r\nredis_version:7.2.4\r\nvalkey_version:8.0.1\r\ncluster_enabled:1")
        XCTAssertEqual(valkey8.server, .valkey)
        XCTAssertEqual(valkey8.version, [8, 0, 1])
        XCTAssertTrue(valkey8.singleSlotScan)
        XCTAssertFalse(caps("server_name:valkey\r\nredis_version:7.2.4\r\nvalkey_version:7.2.5\r\ncluster_enabled:1").singleSlotScan)
        XCTAssertTrue(caps("server_name:valkey\r\nvalkey_version:9.1.0\r\ncluster_enabled:1", clusterScan: true).clusterScan)
        XCTAssertFalse(caps("redis_version:garbage\r\ncluster_enabled:1").singleSlotScan, "an unreadable version assumes nothing")
        XCTAssertEqual(caps("redis_version:7.4.0\r\ncluster_enabled:1").description, "Redis 7.4.0: single-slot SCAN")
        // COMMAND INFO: an unknown command is [nil].
        XCTAssertFalse(ScanCapabilities.namesCommand(.array([.null])))
        XCTAssertTrue(ScanCapabilities.namesCommand(.array([.array([.bulk(Array("clusterscan".utf8)), .integer(-2)])])))
        XCTAssertFalse(ScanCapabilities.namesCommand(.error(RedisError(message: "NOPERM"))))
    }

    func testTheServersOwnRuleForASingleSlotPattern() {
        func slot(_ p: String) -> Int? { ScanCapabilities.serverSlot(ofPattern: Array(p.utf8)) }
        XCTAssertEqual(slot("user:{alice}:*"), HashSlot.of(Array("alice".utf8)))
        XCTAssertEqual(slot("user:{alice}*"), HashSlot.of(Array("alice".utf8)), "wildcards after the tag are fine")
        XCTAssertNil(slot("user:*:{alice}"), "a wildcard before the tag")
        XCTAssertNil(slot("user:{al\\*ice}:*"), "an escape in the tag: the server walks the node")
        XCTAssertNil(slot("user:{}:*"))
        XCTAssertNil(slot("user:alice:*"))
    }

    private func cluster(info: String) throws -> (ScriptedCluster, RedisKeyspace) {
        let c = ScriptedCluster.hashTaggedUsers(info: info)
        addTeardownBlock { c.hook = nil }
        return (c, try c.keyspace())
    }

    private func keys(_ k: RedisKeyspace, _ pattern: String) throws -> (Set<String>, ScanOutcome) {
        var found = Set<String>()
        let outcome = try k.scan(match: Array(pattern.utf8), count: 10) { page in
            for key in page { found.insert(String(decoding: key, as: UTF8.self)) }
        }
        return (found, outcome)
    }

    private let alice = Set((0..<20).map { "user:{alice}:s\($0)" })

    func testAnOlderServerIsAskedForTheSlotsKeys() throws {
        let (c, k) = try cluster(info: "redis_version:7.0.15")
        let (found, outcome) = try keys(k, "user:{alice}:*")
        XCTAssertEqual(found, alice)
        XCTAssertEqual(outcome.path, .slotKeys)
        XCTAssertTrue(outcome.completeness.isComplete)
        XCTAssertEqual(c.count("SCAN"), 0, "no walk over the node's keyspace")
        XCTAssertEqual(c.log.filter { $0.command.hasPrefix("CLUSTER GETKEYSINSLOT") }.count, 1)
    }

    func testANewerServerScansTheOneSlot() throws {
        for info in ["redis_version:7.4.1", "server_name:valkey\nredis_version:7.2.4\nvalkey_version:8.1.0"] {
            let (c, k) = try cluster(info: info)
            let (found, outcome) = try keys(k, "user:{alice}:*")
            XCTAssertEqual(found, alice)
            XCTAssertEqual(outcome.path, .singleSlotScan, info)
            XCTAssertGreaterThan(c.count("SCAN"), 0)
            XCTAssertEqual(c.log.filter { $0.command.hasPrefix("CLUSTER GETKEYSINSLOT") }.count, 0, info)
        }
    }

    func testAClosedDirectWayFallsBackToScan() throws {
        // Refused by an ACL (a managed service), a node that no longer serves the slot, too many keys.
        let refusals: [(String, ScriptedAnswer)] = [
            ("GETKEYSINSLOT", .reply(.error(RedisError(message: "NOPERM this user has no permissions to run the 'cluster|getkeysinslot' command")))),
            ("EXISTS", .reply(.error(RedisError(message: "MOVED 1 127.0.0.1:1")))),
            ("COUNTKEYSINSLOT", .reply(.integer(5_000_000))),
        ]
        for (word, answer) in refusals {
            let (c, k) = try cluster(info: "redis_version:7.0.15")
            c.hook = { _, command in
                command.map { String(decoding: $0, as: UTF8.self).uppercased() }.contains(word) ? answer : nil
            }
            let (found, outcome) = try keys(k, "user:{alice}:*")
            XCTAssertEqual(found, alice, word)
            XCTAssertEqual(outcome.path, .scan, word)
            XCTAssertTrue(outcome.completeness.isComplete, word)
            XCTAssertGreaterThan(c.count("SCAN"), 0, word)
        }
    }

    func testAPatternWithoutAFixedSlotScansEveryPrimary() throws {
        let (c, k) = try cluster(info: "redis_version:7.0.15")
        let (found, outcome) = try keys(k, "user:*")
        XCTAssertEqual(found.count, 60)
        XCTAssertEqual(outcome.path, .scan)
        XCTAssertEqual(Set(c.log.filter { $0.command.hasPrefix("SCAN") }.map(\.node)).count, 3)
    }
}
