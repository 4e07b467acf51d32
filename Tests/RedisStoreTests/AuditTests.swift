import RedisClient
import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// A keyspace built to hold a known number of each audit finding.
enum AuditKeyspace {
    /// The commands that build it (mapping keys carry a TTL of 20000 s unless said otherwise).
    static var commands: [[String]] {
        var c: [[String]] = []
        func session(_ user: String, _ id: String, sessionTTL: Int?, mappingTTL: Int? = 20_000) {
            c.append(["SET", "user:\(user):\(id)", "session:\(id)"] + (mappingTTL.map { ["EX", String($0)] } ?? []))
            c.append(["SET", "session:\(id)", "payload"] + (sessionTTL.map { ["EX", String($0)] } ?? []))
        }
        // 12 live sessions with a TTL: 5 under 5 min, 4 under 1 h, 3 under 1 d.
        for i in 0..<5 { session("alice", "a\(i)", sessionTTL: 100) }
        for i in 0..<4 { session("bob", "b\(i)", sessionTTL: 1000) }
        for i in 0..<3 { session("carol", "c\(i)", sessionTTL: 50_000) }  // these 3 outlive their mapping (20000 s)
        // 2 sessions that never expire (both outlive their mapping too).
        session("dave", "d0", sessionTTL: nil)
        session("dave", "d1", sessionTTL: nil)
        // 3 mappings without expiry (sessions with a TTL, so not "expiring before").
        for i in 0..<3 { session("erin", "e\(i)", sessionTTL: 600, mappingTTL: nil) }
        // 2 orphaned mappings.
        c.append(["SET", "user:frank:f0", "session:f0", "EX", "20000"])
        c.append(["SET", "user:frank:f1", "session:f1", "EX", "20000"])
        // 4 sessions no mapping points to.
        for i in 0..<4 { c.append(["SET", "session:lost\(i)", "payload", "EX", "500"]) }
        // 3 refused mappings: 2 outside the guard, 1 of the wrong type.
        c.append(["SET", "user:gina:g0", "config:main", "EX", "20000"])
        c.append(["SET", "user:gina:g1", "other:thing", "EX", "20000"])
        c.append(["HSET", "user:gina:g2", "f", "v"])
        c.append(["SET", "config:main", "keep"])
        // Noise outside the namespace.
        for i in 0..<50 { c.append(["SET", "cache:\(i)", "x"]) }
        return c
    }

    static func check(_ r: KeyspaceReport, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(r.completeness.isComplete, "\(r.completeness.failures)", file: file, line: line)
        let expected: [KeyspaceReport.Finding: Int] = [
            .mappings: 22, .users: 7, .liveSessions: 17, .orphanedMappings: 2, .mappingsWithoutTTL: 4,
            .sessionsWithoutTTL: 2, .mappingsExpiringBeforeSession: 5, .unmappedSessions: 4, .refused: 3,
        ]
        for (finding, count) in expected {
            XCTAssertEqual(r.counts[finding], count, finding.rawValue, file: file, line: line)
        }
        XCTAssertEqual(r.ttlBuckets.map(\.sessions), [5, 7, 3, 0, 0, 0], file: file, line: line)
        XCTAssertEqual(r.topUsers.first.map { String(decoding: $0.user, as: UTF8.self) }, "alice", file: file, line: line)
        XCTAssertEqual(r.topUsers.first?.sessions, 5, file: file, line: line)
        XCTAssertEqual(
            Set((r.examples[.orphanedMappings] ?? []).map { String(decoding: $0, as: UTF8.self) }), ["user:frank:f0", "user:frank:f1"], file: file,
            line: line)
        XCTAssertEqual(r.examples[.unmappedSessions]?.count, 3, "a few examples, not all", file: file, line: line)
        XCTAssertTrue(
            (r.examples[.unmappedSessions] ?? []).allSatisfy { String(decoding: $0, as: UTF8.self).hasPrefix("session:lost") }, file: file, line: line
        )
    }
}

/// `audit` and `prune` against real servers.
final class AuditTests: XCTestCase {
    func testAuditCountsEveryFindingOnStandalone() throws {
        let f = try StoreFixture()
        try f.server.run(AuditKeyspace.commands)
        // The wrong-type mapping has no TTL: it counts among mappings without expiry.
        AuditKeyspace.check(try f.store.audit())
    }

    func testTheSameFindingsWhenTheFactsSpillToDisk() throws {
        let f = try StoreFixture()
        try f.server.run(AuditKeyspace.commands)
        let inMemory = try f.store.audit()
        let directory = try TemporaryDirectory()
        f.reconfigure { $0.memory = MemoryLimit(bytes: MemoryLimit.minimumBytes, temporaryDirectory: directory.path) }
        let spilled = try f.store.audit()
        AuditKeyspace.check(spilled)
        XCTAssertEqual(spilled, inMemory, "the same counts, top users and examples")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [], "the spill directory is gone")
    }

    func testAuditCountsEveryFindingOnACluster() throws {
        let cluster = try RedisCluster()
        try cluster.write(AuditKeyspace.commands)
        let keyspace = try RedisKeyspace(endpoint: RedisEndpoint.parse(cluster.url), options: ConnectionOptions())
        let store = RedisSessionStore(keyspace: keyspace, layout: try SessionLayout(), scanCount: 100)
        AuditKeyspace.check(try store.audit())
    }

    func testPruneDeletesExactlyTheOrphans() throws {
        let f = try StoreFixture()
        try f.server.run(AuditKeyspace.commands)
        let before = try f.server.run([["DBSIZE"]])[0].integer ?? 0
        let plan = try f.store.planPrune()
        XCTAssertEqual(Set(plan.targets.map { s($0.mappingKey) }), ["user:frank:f0", "user:frank:f1"])
        XCTAssertEqual(plan.refused.count, 3)
        // A session written after the plan (the application writes the mapping first) is spared.
        try f.server.run([["SET", "session:f1", "back"]])
        let result = try f.store.prune(plan)
        XCTAssertEqual(result.revoked.map { s($0.mappingKey) }, ["user:frank:f0"])
        XCTAssertEqual(result.mappingKeysDeleted, 1)
        XCTAssertEqual(result.sessionKeysDeleted, 0)
        XCTAssertEqual(try f.server.run([["DBSIZE"]])[0].integer, before, "one mapping gone, one session key added")
        XCTAssertTrue(try f.exists("user:frank:f1"))
        XCTAssertTrue(try f.exists("user:gina:g0"))
        XCTAssertTrue(try f.exists("config:main"))
    }

    func testManyUsersShareOneScanPass() throws {
        let f = try StoreFixture()
        let c = try f.server.admin()
        _ = try c.pipeline(
            (0..<300).flatMap { i in
                [["SET", "user:u\(i):s\(i)", "session:s\(i)"], ["SET", "session:s\(i)", "x"]].map { $0.map { Array($0.utf8) } }
            })
        let wanted = (0..<300).filter { $0 % 3 == 0 }.map { b("u\($0)") } + [b("nobody")]
        let plan = try f.store.planRevoke(users: wanted)
        XCTAssertEqual(plan.targets.count, 100)
        XCTAssertEqual(plan.targets.first.map { s($0.user) }, "u0", "in the order named")
        XCTAssertEqual(try f.store.revoke(plan).revoked.count, 100)
        XCTAssertEqual(try f.store.users().all().count, 200)
    }

    func testWriteAheadHookStopsDeletion() throws {
        let f = try StoreFixture()
        try f.add("alice", "s1")
        let result = try f.store.revoke(try f.store.planRevoke(users: [b("alice")])) { _ throws(AuditTrailError) in throw AuditTrailError("refused") }
        XCTAssertNotNil(result.stoppedBy)
        XCTAssertEqual(result.revoked.count, 0)
        XCTAssertTrue(try f.exists("session:s1"))
    }

    func testRateLimitedScanStillCompletes() throws {
        let f = try StoreFixture()
        try f.add("alice", "s1")
        try f.server.run((0..<400).map { ["SET", "noise:\($0)", "x"] })
        var progress: [ScanProgress] = []
        f.reconfigure {
            $0.scanRate = 2000
            $0.progress = { progress.append($0) }
        }
        let list = try f.store.list(users: [b("alice")])
        XCTAssertEqual(list.sessions.count, 1)
        XCTAssertTrue(list.completeness.isComplete)
        XCTAssertGreaterThan(progress.count, 3)
        XCTAssertEqual(progress.last?.examined, progress.count * 50)
    }
}
