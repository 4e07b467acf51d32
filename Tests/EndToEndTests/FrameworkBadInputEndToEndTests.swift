import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Framework options given wrong, and mappings that point at nothing: one clear line, the
/// exit status of SPEC.md, and nothing deleted that should not be.
final class FrameworkBadInputEndToEndTests: XCTestCase {
    func testUnknownFrameworksGetADidYouMean() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let flag = try f.run("list", "alice", "--framework", "rials")
        XCTAssertEqual(flag.status, 2, "\(flag)")
        XCTAssertTrue(flag.stderr.contains("did you mean 'rails'?"), flag.stderr)
        let env = try f.run("revoke-user", "alice", "--yes", env: ["SESSIONCTL_FRAMEWORK": "laravell"])
        XCTAssertEqual(env.status, 2, "\(env)")
        XCTAssertTrue(env.stderr.contains("$SESSIONCTL_FRAMEWORK") && env.stderr.contains("did you mean 'laravel'?"), env.stderr)
        XCTAssertEqual(env.stderr.split(separator: "\n").count, 1, env.stderr)
        XCTAssertTrue(try f.exists("session:s1"), "nothing deleted")
    }

    func testCookieOptionsGivenWrong() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let noFramework = try f.run("revoke", "--cookie", "s1", "--yes")
        XCTAssertEqual(noFramework.status, 2, "\(noFramework)")
        XCTAssertTrue(noFramework.stderr.contains("--cookie needs --framework"), noFramework.stderr)
        let dir = FileManager.default.temporaryDirectory.path
        let keyDir = try f.run("show", "s1", "--framework", "laravel", "--app-key-file", dir)
        XCTAssertEqual(keyDir.status, 2, "\(keyDir)")
        XCTAssertTrue(keyDir.stderr.contains("is a directory"), keyDir.stderr)
        let emptyKey = FileManager.default.temporaryDirectory.appendingPathComponent("nokey-\(UUID().uuidString.prefix(6))")
        try "APP_NAME=x\n".write(to: emptyKey, atomically: true, encoding: .utf8)
        let noKey = try f.run("show", "s1", "--framework", "laravel", "--app-key-file", emptyKey.path)
        XCTAssertEqual(noKey.status, 2, "\(noKey)")
        XCTAssertTrue(noKey.stderr.contains("holds no Laravel app key"), noKey.stderr)
        let badBase64 = try f.run("revoke", "--cookie", "%%%", "--framework", "spring", "--yes")
        XCTAssertEqual(badBase64.status, 2, "\(badBase64)")
        XCTAssertTrue(badBase64.stderr.contains("base64"), badBase64.stderr)
        let deep = try f.run("list", "alice", "--user-field", Array(repeating: "a", count: 20).joined(separator: "."))
        XCTAssertEqual(deep.status, 2, "\(deep)")
        XCTAssertTrue(try f.exists("session:s1"))
    }

    func testAStaleMappingIsReportedAsStaleNeverAsRevoked() throws {
        let f = try Fixture()
        try f.seed([("bob", "live")])
        // A mapping written with the wrong prefix: it points at a key the application never wrote.
        try f.server.run([["SET", "user:alice:s1", "session:wrongprefix-s1"], ["SET", "user:alice:s2", "session:wrongprefix-s2"]])
        let r = try f.run("revoke-user", "alice", "--yes", "-o", "json")
        XCTAssertEqual(r.status, 0, "\(r)")
        let json = try r.json()
        XCTAssertEqual((json["revoked"] as? [Any])?.count, 0, r.stdout)
        XCTAssertEqual((json["stale"] as? [Any])?.count, 2, r.stdout)
        XCTAssertEqual((json["deleted"] as? [String: Any])?["session_keys"] as? Int, 0)
        XCTAssertTrue(
            r.stderr.contains("none of the session keys of user 'alice' existed") && r.stderr.contains("no live session was ended"), r.stderr)
        XCTAssertTrue(r.stderr.contains("removed 2 stale mappings"), r.stderr)
        XCTAssertFalse(try f.exists("user:alice:s1"))
        XCTAssertTrue(try f.exists("session:live"))
        // In a table too, and with --quiet the warning still shows.
        try f.server.run([["SET", "user:carol:s3", "session:gone"]])
        let t = try f.run("revoke-user", "carol", "--yes", "-q")
        XCTAssertTrue(t.stdout.contains("stale: session key did not exist"), t.stdout)
        XCTAssertTrue(t.stderr.contains("no live session was ended"), t.stderr)
    }
}

/// `detect` on a keyspace with several frameworks' keys, and on one with none.
final class DetectEndToEndTests: XCTestCase {
    func testDetectNamesWhatItSeesAndTheFlags() throws {
        let f = try Fixture()
        let marshal: [UInt8] = [4, 8, 0x7B, 6, 0x49, 0x22, 6, 0x61, 6, 0x3A, 6, 0x45, 0x54, 0x69, 6]
        var commands: [[Data]] = []
        for i in 0..<30 {
            // Rack's private ids (2:: and 64 hex digits), as redis-rack writes them.
            let id = SessionIds.rack("\(i)")
            commands.append([Data("SET".utf8), Data("rack:session:\(id)".utf8), Data(marshal)])
            commands.append([Data("SET".utf8), Data("user:\(i % 5):\(id)".utf8), Data("rack:session:\(id)".utf8)])
        }
        commands.append([Data("SET".utf8), Data("sess:\(SessionIds.express("abc"))".utf8), Data(#"{"passport":{"user":"1"}}"#.utf8)])
        commands.append([
            Data("SADD".utf8),
            Data("spring:session:index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:alice".utf8),
            Data("id1".utf8),
        ])
        commands.append([Data("SET".utf8), Data("cache:page:1".utf8), Data("x".utf8)])
        let admin = try f.server.admin()
        for c in commands { _ = try admin.execute(c.map { Array($0) }) }
        let r = try f.run("detect", "-o", "json")
        XCTAssertEqual(r.status, 0, "\(r)")
        let j = try r.json()
        XCTAssertEqual(j["sampled"] as? Int, 63)
        let sessions = try XCTUnwrap(j["sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.first?["glob"] as? String, "rack:session:*")
        XCTAssertEqual(sessions.first?["keys"] as? Int, 30)
        XCTAssertEqual(sessions.first?["frameworks"] as? [String], ["rails"])
        XCTAssertEqual((sessions.first?["formats"] as? [String: Int])?["ruby-marshal"], 20, "20 payloads read per glob, at most")
        XCTAssertEqual(sessions.first(where: { $0["glob"] as? String == "sess:*" })?["frameworks"] as? [String], ["express"])
        XCTAssertEqual((j["mappings"] as? [[String: Any]])?.first?["keys"] as? Int, 30)
        XCTAssertEqual((j["indexes"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual((j["suggestion"] as? [String: Any])?["flags"] as? [String], ["--framework", "rails", "--session-glob", "'rack:session:*'"])
        let table = try f.run("detect")
        XCTAssertTrue(table.stdout.contains("use: sessionctl --framework rails --session-glob 'rack:session:*'"), table.stdout)
    }

    /// On 6,000 filler keys, 5,000 sampled: "no mapping keys" is a conclusion from a sample, and
    /// says so and how to look further; with a sample as large as the keyspace it does not.
    func testAConclusionFromASampleSaysItIsOne() throws {
        let f = try Fixture()
        try f.server.run((0..<6000).map { ["SET", "filler:\($0)", "x"] })
        let sampled = try f.run("detect")
        assertExitStatus(sampled, 0)
        XCTAssertTrue(sampled.stdout.contains("no mapping keys (user:<user>:<session>) were found in the 5000 keys sampled of 6000"), sampled.stdout)
        XCTAssertTrue(sampled.stdout.contains("a larger --sample"), sampled.stdout)
        XCTAssertEqual(try f.run("detect", "-o", "json").json()["from_sample"] as? Bool, true)
        let whole = try f.run("detect", "--sample", "10000")
        XCTAssertTrue(whole.stdout.contains("were found among the 6000 keys"), whole.stdout)
        XCTAssertFalse(whole.stdout.contains("--sample"), whole.stdout)
        XCTAssertEqual(try f.run("detect", "--sample", "10000", "-o", "json").json()["from_sample"] as? Bool, false)
        assertExitStatus(try f.run("detect", "--sample", "0"), 2)
    }

    func testDetectSaysSoWhenNothingMatches() throws {
        let f = try Fixture()
        try f.server.run([["SET", "cache:1", "x"], ["SET", "queue:2", "y"]])
        let r = try f.run("detect")
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(r.stdout.contains("no framework's session keys were found"), r.stdout)
        XCTAssertTrue(r.stdout.contains("no mapping keys"), r.stdout)
        XCTAssertEqual(try f.dbsize(), 2, "looking changes nothing")
    }
}
