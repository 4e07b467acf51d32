import Foundation
import RedisClient
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
        XCTAssertTrue(r.stderr.contains("none of the session keys of user 'alice' existed") && r.stderr.contains("no live session was ended"), r.stderr)
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
