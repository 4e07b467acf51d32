import RedisClient
import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// The domain operations against a real redis-server.
final class SessionStoreTests: XCTestCase {
    func testListFindsExactlyTheUsersSessions() throws {
        let f = try StoreFixture()
        try f.add("alice", "s1")
        try f.add("alice", "s2", ttl: nil)
        for user in ["a", "a:b", "a*", "A", "alice2", "[alice]"] { try f.add(user, "x-\(user.count)") }
        try f.server.run((0..<500).map { ["SET", "noise:\($0)", "x"] })
        let result = try f.store.list(users: [b("alice")])
        XCTAssertTrue(result.completeness.isComplete)
        XCTAssertEqual(result.sessions.map { s($0.ref.session) }, ["s1", "s2"])
        XCTAssertEqual(result.sessions[0].ttl.map { $0 > 3590 }, true)
        XCTAssertNil(result.sessions[1].ttl)
        // Redis 7.0 has no CLIENT NO-TOUCH: STRLEN would reset the idle time, so the size is the key's memory.
        XCTAssertTrue(result.bytesAreMemory)
        XCTAssertGreaterThan(result.sessions[0].bytes ?? 0, 9)
        XCTAssertEqual(try f.store.show(sessions: [b("s1")]).sessions.first?.record.bytes, 9, "show reads the payload: its length")
        XCTAssertEqual(s(result.sessions[0].ref.sessionKey), "session:s1")
        for (user, expected) in [("a", 1), ("a:b", 1), ("a*", 1), ("A", 1), ("[alice]", 1), ("nobody", 0)] {
            let r = try f.store.list(users: [b(user)])
            XCTAssertEqual(r.sessions.count, expected, user)
            XCTAssertTrue(r.sessions.allSatisfy { $0.ref.user == b(user) }, user)
        }
    }

    func testRefusalsAreReportedNeverFollowed() throws {
        let f = try StoreFixture()
        try f.add("alice", "s1")
        try f.server.run([
            ["SET", "user:alice:evil", "config:main"], ["SET", "config:main", "keep"],
            ["HSET", "user:alice:hash", "f", "v"], ["SET", "user:alice:empty", ""],
        ])
        let list = try f.store.list(users: [b("alice")])
        XCTAssertEqual(list.sessions.map { s($0.ref.session) }, ["s1"])
        let reasons = Dictionary(uniqueKeysWithValues: list.refused.map { (s($0.session), $0.reason) })
        XCTAssertEqual(reasons["evil"], .outsideGlob)
        XCTAssertEqual(reasons["hash"], .mappingNotString)
        XCTAssertEqual(reasons["empty"], .emptyMappingValue)

        let plan = try f.store.planRevoke(users: [b("alice")])
        let result = try f.store.revoke(plan)
        XCTAssertEqual(result.revoked.map { s($0.session) }, ["s1"])
        XCTAssertTrue(try f.exists("config:main"), "a key outside --session-glob is never deleted")
        XCTAssertTrue(try f.exists("user:alice:evil"), "a refused mapping stays")
        XCTAssertTrue(try f.exists("user:alice:hash"))
    }

    func testRevokeDeletesSessionThenMappingAndIsIdempotent() throws {
        let f = try StoreFixture()
        try f.add("alice", "s1")
        try f.add("alice", "s2")
        try f.add("bob", "s3")
        try f.server.run([["DEL", "session:s2"]])  // s2 already expired: its mapping is still cleaned up, as stale
        let plan = try f.store.planRevoke(users: [b("alice")])
        XCTAssertEqual(plan.targets.count, 2)
        let result = try f.store.revoke(plan)
        XCTAssertTrue(result.completeness.isComplete)
        XCTAssertEqual(result.revoked.map(\.session), [b("s1")], "a session key that was not there is not a revocation")
        XCTAssertEqual(result.stale.map(\.session), [b("s2")])
        XCTAssertEqual(result.sessionKeysDeleted, 1)
        XCTAssertEqual(result.mappingKeysDeleted, 2)
        for key in ["session:s1", "user:alice:s1", "user:alice:s2"] { XCTAssertFalse(try f.exists(key), key) }
        XCTAssertTrue(try f.exists("session:s3"))
        XCTAssertTrue(try f.exists("user:bob:s3"))
        // Running the same plan again deletes nothing more and fails nothing.
        let again = try f.store.revoke(plan)
        XCTAssertTrue(again.completeness.isComplete)
        XCTAssertEqual(again.sessionKeysDeleted + again.mappingKeysDeleted, 0)
        XCTAssertEqual(try f.store.planRevoke(users: [b("alice")]).targets.count, 0)
    }

    func testRevokeBySessionIdWithAndWithoutUser() throws {
        let f = try StoreFixture()
        try f.add("alice", "s1")
        try f.add("bob", "s2")
        let wrongUser = try f.store.planRevoke(sessions: [b("s2")], user: b("alice"))
        XCTAssertEqual(wrongUser.targets.count, 0)
        XCTAssertEqual(wrongUser.notFound, [b("s2")])
        let plan = try f.store.planRevoke(sessions: [b("s1"), b("s2"), b("nope")])
        XCTAssertEqual(plan.targets.map { s($0.user) }, ["alice", "bob"])
        XCTAssertEqual(plan.notFound, [b("nope")])
        _ = try f.store.revoke(plan)
        XCTAssertFalse(try f.exists("session:s1"))
        XCTAssertFalse(try f.exists("session:s2"))
    }

    func testBatchesLargerThanOnePipeline() throws {
        let f = try StoreFixture()
        f.reconfigure { $0.batchSize = 100 }
        let c = try f.server.admin()
        _ = try c.pipeline(
            (0..<1234).flatMap { i in
                [["SET", "user:big:s\(i)", "session:s\(i)"], ["SET", "session:s\(i)", "p"]].map { $0.map { Array($0.utf8) } }
            })
        let list = try f.store.list(users: [b("big")])
        XCTAssertEqual(list.sessions.count, 1234)
        let result = try f.store.revoke(try f.store.planRevoke(users: [b("big")]))
        XCTAssertEqual(result.revoked.count, 1234)
        XCTAssertEqual(result.sessionKeysDeleted, 1234)
        XCTAssertEqual(try c.execute("DBSIZE"), .integer(0))
    }

    func testShowReadsStringAndHashPayloads() throws {
        let f = try StoreFixture()
        try f.add("alice", "s1", payload: "hello")
        try f.server.run([["SET", "user:bob:h1", "session:h1"], ["HSET", "session:h1", "uid", "7", "ip", "10.0.0.1"]])
        let shown = try f.store.show(sessions: [b("s1"), b("h1"), b("missing")])
        XCTAssertEqual(shown.sessions.count, 2)
        XCTAssertEqual(shown.sessions[0].payload, .string(b("hello")))
        XCTAssertEqual(shown.sessions[0].type, "string")
        XCTAssertNotNil(shown.sessions[0].idleSeconds)
        guard case .hash(let pairs) = shown.sessions[1].payload else { return XCTFail("\(shown.sessions[1].payload)") }
        XCTAssertEqual(Set(pairs.map { s($0.field) }), ["uid", "ip"])
        XCTAssertEqual(shown.notFound, [b("missing")])
    }

    func testUsersCountsAndSorts() throws {
        let f = try StoreFixture()
        for i in 0..<3 { try f.add("carol", "c\(i)") }
        try f.add("alice", "a1")
        try f.add("a:b", "x1")
        try f.add("bob", "b1")
        try f.add("bob", "b2")
        let byCount = try f.store.users()
        XCTAssertEqual(try byCount.all().map { "\(s($0.user))=\($0.sessions)" }, ["carol=3", "bob=2", "a:b=1", "alice=1"])
        XCTAssertEqual(try f.store.users(sort: .user).all().map { s($0.user) }, ["a:b", "alice", "bob", "carol"])
        XCTAssertEqual(try f.store.users(minimum: 2).all().count, 2)
        XCTAssertEqual(try f.store.users(top: 1).all().map { s($0.user) }, ["carol"])
    }

    func testNonUTF8IdsRoundTrip() throws {
        let f = try StoreFixture()
        let user: [UInt8] = [0x61, 0xFF, 0xFE]
        let session: [UInt8] = [0x73, 0xC3, 0x28]
        try f.add(user, session)
        let list = try f.store.list(users: [user])
        XCTAssertEqual(list.sessions.map(\.ref.session), [session])
        let result = try f.store.revoke(try f.store.planRevoke(sessions: [session]))
        XCTAssertEqual(result.revoked.map(\.user), [user])
        XCTAssertEqual(result.sessionKeysDeleted, 1)
    }

    func testDerivedSessionKeyLayoutNeedsNoMappingRead() throws {
        let layout = try SessionLayout(mapping: "idx:{<user>}:<session>", sessionKey: "sess:<session>", sessionGlob: "sess:*")
        let f = try StoreFixture(layout: layout)
        try f.server.run([["SET", "idx:{u1}:abc", "ignored"], ["SET", "sess:abc", "data"]])
        let list = try f.store.list(users: [b("u1")])
        XCTAssertEqual(list.sessions.map { s($0.ref.sessionKey) }, ["sess:abc"])
        XCTAssertTrue(list.sessions[0].exists)
    }

    func testIdsWhoseMappingKeysCollidedUnderTheOldFingerprintAreAllRevoked() throws {
        // These two mapping keys had the same unkeyed FNV-1a/splitmix64 fingerprint, which made
        // the scan drop one as a repeat: `list` showed 2 of 3, `revoke-user` left one alive.
        let pair = ["f4a39c7293e36e04", "1a3e06e64d04717f"]
        XCTAssertEqual(Self.oldFingerprint("user:victim:\(pair[0])"), Self.oldFingerprint("user:victim:\(pair[1])"))
        let f = try StoreFixture()
        for id in pair + ["third"] { try f.add("victim", id) }
        XCTAssertEqual(try f.store.list(users: [b("victim")]).sessions.count, 3)
        XCTAssertEqual(try f.store.users().all().first?.sessions, 3)
        let result = try f.store.revoke(try f.store.planRevoke(users: [b("victim")]))
        XCTAssertEqual(result.revoked.count, 3)
        XCTAssertTrue(result.completeness.isComplete)
        for id in pair + ["third"] { XCTAssertFalse(try f.exists("session:\(id)")) }
    }

    /// The fingerprint scans used before: FNV-1a, then splitmix64's finaliser, with no key.
    private static func oldFingerprint(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in s.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 30
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27
        h = h &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h
    }
}
