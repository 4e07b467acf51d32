import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// `--index`: a per-user SET or ZSET of session ids, read with SSCAN/ZSCAN instead of a keyspace
/// scan, through the binary on a real server.
final class IndexLayoutEndToEndTests: XCTestCase {
    func testListRevokeUserAndUsersThroughSetAndSortedSetIndexes() throws {
        let f = try Fixture()
        var commands: [[String]] = []
        for i in 0..<1500 { commands += [["SET", "sess:a\(i)", "{}", "EX", "600"], ["SADD", "idx:alice", "a\(i)"]] }
        commands += [["SET", "sess:b1", "{}", "EX", "600"], ["ZADD", "idx:bob", "1700000000", "b1"], ["ZADD", "idx:bob", "1700000001", "bgone"]]
        commands += [
            ["SET", "idx:mallory", "not a set"], ["SADD", "idx:eve", "e:1"], ["SET", "config:main", "keep"], ["SADD", "idx:carl", "../config:main"],
        ]
        try f.server.run(commands)
        let layout = ["--index", "idx:<user>", "--session-key", "sess:<session>", "--session-glob", "sess:*"]
        // SET: 1,500 members in pages; no keyspace scan.
        try f.server.run([["CONFIG", "RESETSTAT"]])
        let alice = try f.run(args: layout + ["list", "alice", "-o", "json"])
        XCTAssertEqual(alice.status, 0, "\(alice)")
        XCTAssertEqual((try alice.json()["sessions"] as? [Any])?.count, 1500)
        let stats = try f.server.run([["INFO", "commandstats"]])[0].text ?? ""
        XCTAssertFalse(stats.contains("cmdstat_scan:"), "an index lookup never scans the keyspace: \(stats)")
        XCTAssertTrue(stats.contains("cmdstat_sscan:"), stats)
        // ZSET, with a member whose session is gone (listed as gone, revoked as stale).
        let bob = try f.run(args: layout + ["list", "bob", "-o", "json"])
        let bobs = try XCTUnwrap(try bob.json()["sessions"] as? [[String: Any]])
        XCTAssertEqual(bobs.map { $0["exists"] as? Bool }, [true, false])
        // A WRONGTYPE index key and members that are not session ids of the layout: refused, said why.
        let odd = try f.run(args: layout + ["list", "mallory", "eve", "carl", "-o", "json"])
        let refused = try XCTUnwrap(try odd.json()["refused"] as? [[String: Any]])
        XCTAssertEqual(refused.count, 3, "\(refused)")
        XCTAssertTrue(refused.contains { ($0["reason"] as? String)?.contains("not a set or sorted set") == true })
        XCTAssertTrue(refused.contains { ($0["reason"] as? String)?.contains("not a session id") == true })
        XCTAssertEqual(
            refused.filter { ($0["reason"] as? String)?.contains("not a session id") == true }.count, 2, "e:1 and ../config:main hold the separator")
        // A user with no index key: the message names the index key, not "no mapping key matched".
        let nobody = try f.run(args: layout + ["revoke-user", "nobody", "--yes"])
        assertExitStatus(nobody, 3)
        XCTAssertTrue(nobody.stderr.contains("the index key idx:nobody is missing or empty"), nobody.stderr)
        XCTAssertFalse(nobody.stderr.contains("no mapping key matched"), nobody.stderr)
        // users: SCAN over the index keys, SCARD/ZCARD.
        let users = try f.run(args: layout + ["users", "-o", "json"])
        let counts = Dictionary(
            uniqueKeysWithValues: (try users.json()["users"] as? [[String: Any]] ?? []).map { ($0["user"] as! String, $0["sessions"] as! Int) })
        XCTAssertEqual(counts["alice"], 1500)
        XCTAssertEqual(counts["bob"], 2)
        // show --user and revoke --user read the index's membership, not a mapping.
        let shown = try f.run(args: layout + ["show", "a7", "--user", "alice", "-o", "json"])
        XCTAssertEqual((try shown.json()["sessions"] as? [[String: Any]])?.first?["session_key"] as? String, "sess:a7", "\(shown)")
        let stranger = try f.run(args: layout + ["show", "a7", "--user", "bob"])
        XCTAssertEqual(stranger.status, 3, "a7 is not in bob's index: \(stranger)")
        let one = try f.run(args: layout + ["revoke", "a8", "--user", "alice", "--yes", "-o", "json"])
        XCTAssertEqual((try one.json()["deleted"] as? [String: Int])?["index_members"], 1, "\(one)")
        XCTAssertEqual(try f.server.run([["SISMEMBER", "idx:alice", "a8"]])[0], .integer(0))
        // revoke-user: session keys first, then the members; counts from the replies.
        let r = try f.run(args: layout + ["revoke-user", "alice", "bob", "--yes", "-o", "json"])
        XCTAssertEqual(r.status, 0, "\(r)")
        let j = try r.json()
        XCTAssertEqual((j["revoked"] as? [Any])?.count, 1500)
        XCTAssertEqual((j["stale"] as? [Any])?.count, 1)
        XCTAssertEqual((j["deleted"] as? [String: Int])?["session_keys"], 1500)
        XCTAssertEqual((j["deleted"] as? [String: Int])?["index_members"], 1501)
        XCTAssertEqual(try f.server.run([["EXISTS", "idx:alice", "idx:bob", "sess:a7", "sess:b1"]])[0], .integer(0))
        XCTAssertTrue(try f.exists("config:main"), "nothing outside the glob is touched")
        XCTAssertTrue(try f.exists("idx:mallory"))
    }

    func testIndexBuildWritesMembersWithTheLongestExpiry() throws {
        let f = try Fixture()
        let (s1, s2, s3) = (SessionIds.flask("s1"), SessionIds.flask("s2"), SessionIds.flask("s3"))
        try f.server.run([
            ["SET", "session:\(s1)", #"{"_user_id":"u1"}"#, "EX", "100"], ["SET", "session:\(s2)", #"{"_user_id":"u1"}"#, "EX", "900"],
            ["SET", "session:\(s3)", #"{"_user_id":"u2"}"#, "EX", "50"],
        ])
        let b = try f.run("--framework", "flask", "--index", "user_sessions:<user>", "index", "build", "-o", "json")
        XCTAssertEqual(b.status, 0, "\(b)")
        XCTAssertEqual(try b.json()["mapped"] as? Int, 3)
        let members = try f.server.run([["SMEMBERS", "user_sessions:u1"]])[0].array?.compactMap(\.text).sorted()
        XCTAssertEqual(members, [s1, s2])
        let ttl = try f.server.run([["TTL", "user_sessions:u1"], ["TTL", "user_sessions:u2"]])
        XCTAssertGreaterThan(ttl[0].integer ?? 0, 850, "the index lives as long as its longest session")
        XCTAssertLessThanOrEqual(ttl[1].integer ?? 0, 50)
        let list = try f.run("--framework", "flask", "--index", "user_sessions:<user>", "list", "u1", "-o", "json")
        XCTAssertEqual((try list.json()["sessions"] as? [Any])?.count, 2, "\(list)")
        let bad = try f.run("--index", "<user>", "list", "u1")
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("literal prefix"), bad.stderr)
    }
}

/// `audit` and `prune` with an index: members whose session is gone (Spring's known leak), index
/// keys without expiry, and sessions an index names are not "unmapped".
final class IndexAuditEndToEndTests: XCTestCase {
    func testAuditReportsAndPruneRemovesStaleMembers() throws {
        let f = try Fixture()
        try f.server.run([
            ["SET", "sess:1", "{}", "EX", "600"], ["SET", "sess:2", "{}", "EX", "600"], ["SET", "sess:lonely", "{}", "EX", "600"],
            ["SADD", "idx:ann", "1", "gone1", "gone2"], ["EXPIRE", "idx:ann", "600"], ["SADD", "idx:ben", "2"],
        ])
        let layout = ["--index", "idx:<user>", "--session-key", "sess:<session>", "--session-glob", "sess:*"]
        let a = try f.run(args: layout + ["audit", "-o", "json"])
        XCTAssertEqual(a.status, 0, "\(a)")
        let counts = try XCTUnwrap(try a.json()["counts"] as? [String: Int])
        XCTAssertEqual(counts["index_keys"], 2)
        XCTAssertEqual(counts["stale_index_members"], 2)
        XCTAssertEqual(counts["indexes_without_ttl"], 1)
        XCTAssertEqual(counts["unmapped_sessions"], 1, "only sess:lonely: the index names the others")
        XCTAssertEqual((try a.json()["examples"] as? [String: [String]])?["indexes_without_ttl"], ["idx:ben"])
        let table = try f.run(args: layout + ["audit"])
        XCTAssertTrue(table.stdout.contains("index members whose session is gone"), table.stdout)
        XCTAssertFalse(try f.run("audit").stdout.contains("index keys"), "no index rows without --index")
        let dry = try f.run(args: layout + ["prune", "--dry-run", "--grace", "0", "-o", "json"])
        XCTAssertEqual((try dry.json()["revoked"] as? [Any])?.count, 2, "\(dry)")
        let p = try f.run(args: layout + ["prune", "--yes", "--grace", "0", "-o", "json"])
        XCTAssertEqual(p.status, 0, "\(p)")
        XCTAssertEqual((try p.json()["deleted"] as? [String: Int])?["index_members"], 2)
        XCTAssertEqual(try f.server.run([["SMEMBERS", "idx:ann"]])[0].array?.compactMap(\.text), ["1"])
        XCTAssertTrue(try f.exists("sess:1") && f.exists("sess:lonely"), "prune never deletes a session")
    }
}
