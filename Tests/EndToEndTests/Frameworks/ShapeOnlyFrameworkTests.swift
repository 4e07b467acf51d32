import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Express (express-session + connect-redis + passport) and Spring Session cannot be installed
/// here (npm and Maven Central are out of reach), so these tests write keys and payloads of the
/// exact shape those frameworks write: the express cookie signed by Python's hmac (an
/// implementation independent of sessionctl's), the Spring hash values serialized by Java's own
/// ObjectOutputStream.
final class ShapeOnlyFrameworkTests: XCTestCase {
    private func sessionctl(_ server: RedisServer, _ args: [String]) throws -> Sessionctl.Run {
        try Sessionctl.run(args, environment: ["SESSIONCTL_URL": server.url])
    }

    // MARK: express-session

    /// express-session's cookie: `s:` + sid + `.` + base64(HMAC-SHA256(secret, sid)) without padding, percent-encoded.
    private func expressCookie(_ sid: String, secret: String) throws -> String {
        let out = try RealSerializerRun.python(
            """
            import base64, hashlib, hmac, sys, urllib.parse
            sig = base64.b64encode(hmac.new(b"\(secret)", b"\(sid)", hashlib.sha256).digest()).decode().rstrip("=")
            sys.stdout.write(urllib.parse.quote("s:\(sid)." + sig, safe=""))
            """)
        return String(decoding: out, as: UTF8.self)
    }

    func testExpressSessionsWithSignedCookies() throws {
        let server = try RedisServer()
        let sid = "Jm1Fq0D2nXK8wVb3yLhT4sP9uZcR7eAa"
        let payload =
            #"{"cookie":{"originalMaxAge":86400000,"expires":"2030-01-02T03:04:05.000Z","secure":false,"httpOnly":true,"path":"/"},"passport":{"user":"42"},"ip":"10.9.8.7","created_at":"2026-11-30T12:00:00.000Z"}"#
        _ = try server.run([
            ["SET", "sess:\(sid)", payload, "EX", "86400"], ["SET", "user:42:\(sid)", "sess:\(sid)"],
            ["SET", "sess:other", #"{"cookie":{},"passport":{"user":"7"}}"#], ["SET", "user:7:other", "sess:other"],
        ])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("express-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let secrets = dir.appendingPathComponent("secrets")
        try "old-secret\nkeyboard cat\n".write(to: secrets, atomically: true, encoding: .utf8)
        let cookie = try expressCookie(sid, secret: "keyboard cat")

        let list = try sessionctl(server, ["--framework", "express", "list", "42", "-o", "json"])
        let s = try XCTUnwrap((try list.json()["sessions"] as? [[String: Any]])?.first, "\(list)")
        let fields = try XCTUnwrap(s["fields"] as? [String: Any])
        XCTAssertEqual(fields["user"] as? String, "42")
        XCTAssertEqual(fields["ip"] as? String, "10.9.8.7")
        XCTAssertEqual(fields["created_at"] as? String, "2026-11-30T12:00:00Z")

        let shown = try sessionctl(server, ["--framework", "express", "--secret-file", secrets.path, "show", "--cookie", "-o", "json", cookie])
        XCTAssertEqual(shown.status, 0, "\(shown)")
        let d = try XCTUnwrap((try shown.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(d["session"] as? String, sid)
        XCTAssertEqual(d["payload_format"] as? String, "json")
        XCTAssertEqual(((d["payload_decoded"] as? [String: Any])?["passport"] as? [String: Any])?["user"] as? String, "42")

        // A cookie signed with another secret, and a cookie of the wrong shape: usage errors, nothing deleted.
        let forged = try expressCookie(sid, secret: "not the secret")
        let bad = try sessionctl(server, ["--framework", "express", "--secret-file", secrets.path, "revoke", "--cookie", "--yes", forged])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("signature does not match"), bad.stderr)
        let shape = try sessionctl(server, ["--framework", "express", "revoke", "--cookie", "--yes", sid])
        XCTAssertEqual(shape.status, 2, "\(shape)")
        XCTAssertTrue(shape.stderr.contains("s:<id>.<signature>"), shape.stderr)
        XCTAssertEqual(try server.run([["EXISTS", "sess:\(sid)"]])[0], .integer(1))

        let revoked = try sessionctl(server, ["--framework", "express", "--secret-file", secrets.path, "revoke", "--cookie", "--yes", cookie])
        XCTAssertEqual(revoked.status, 0, "\(revoked)")
        XCTAssertEqual(
            try server.run([["EXISTS", "sess:\(sid)"], ["EXISTS", "user:42:\(sid)"], ["EXISTS", "sess:other"]]),
            [.integer(0), .integer(0), .integer(1)])
    }

    // MARK: Spring Session

    func testSpringSessionHashesDecodedFromJavaSerialization() throws {
        let server = try RedisServer()
        let created: Int64 = 1_700_000_000_000
        let lines = try RealSerializerRun.output(
            "java", [WebApp.sources.appendingPathComponent("spring/SpringValues.java").path, String(created)],
            hint: "apt-get install openjdk-17-jdk-headless")
        let id = "8b2d6c0e-1f4a-4c5e-9d3b-2a7f6e1c0b9d"
        let key = "spring:session:sessions:\(id)"
        var hset: [Data] = [Data("HSET".utf8), Data(key.utf8)]
        for line in String(decoding: lines, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            hset.append(Data(parts[0].utf8))
            hset.append(Self.bytes(fromHex: String(parts[1])))
        }
        let admin = try server.admin()
        _ = try admin.execute(hset.map { Array($0) })
        _ = try server.run([["EXPIRE", key, "2100"], ["SET", "user:alice:\(id)", key]])

        let shown = try sessionctl(server, ["--framework", "spring", "show", "-o", "json", id])
        XCTAssertEqual(shown.status, 0, "\(shown)")
        let d = try XCTUnwrap((try shown.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(d["payload_format"] as? String, "hash")
        let f = try XCTUnwrap(d["fields"] as? [String: Any], "\(d)")
        XCTAssertEqual(f["user"] as? String, "alice")
        XCTAssertEqual(f["created_at"] as? String, "2023-11-14T22:13:20Z")
        XCTAssertEqual(f["last_seen_at"] as? String, "2023-11-14T22:14:20Z")
        XCTAssertEqual(f["ip"] as? String, "10.1.2.3")
        let decoded = try XCTUnwrap(d["payload_decoded"] as? [String: Any])
        XCTAssertEqual(decoded["maxInactiveInterval"] as? Int, 1800)
        XCTAssertEqual((decoded["sessionAttr:SPRING_SECURITY_CONTEXT"] as? [String: Any])?["$class"] as? String, "SpringValues$SecurityContext")
        XCTAssertEqual((decoded["sessionAttr:prefs"] as? [String: Any])?["$class"] as? String, "java.util.HashMap")

        // Spring's principal index is the preset's index: list and revoke-user read it, no mapping needed.
        let index = "spring:session:index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:bob"
        let bob1 = SessionIds.uuid("bob-1")
        let bobKey = "spring:session:sessions:\(bob1)"
        _ = try admin.execute([Array("HSET".utf8), Array(bobKey.utf8)] + hset.dropFirst(2).map { Array($0) })
        _ = try server.run([["SADD", index, bob1], ["EXPIRE", bobKey, "2100"]])
        let viaIndex = try sessionctl(server, ["--framework", "spring", "list", "bob", "-o", "json"])
        let listed = try XCTUnwrap(try viaIndex.json()["sessions"] as? [[String: Any]], "\(viaIndex)")
        XCTAssertEqual(listed.map { $0["session_key"] as? String }, [bobKey])
        // What Spring writes beside the hash: the expires key (its TTL is the session's), the
        // expirations entry under the minute it ends in (rounded up), and 3.2's sorted set of ids.
        let expiresKey = "spring:session:sessions:expires:\(bob1)"
        let ends = Int64(Date().timeIntervalSince1970 * 1000) + 1_800_000
        let minute = (ends + 59_999) / 60_000 * 60_000
        let bucket = "spring:session:expirations:\(minute)"
        _ = try server.run([
            ["SET", expiresKey, ""], ["PEXPIRE", expiresKey, "1800000"], ["SADD", bucket, "expires:\(bob1)", "expires:other"],
            ["ZADD", "spring:session:sessions:expirations", String(ends), bob1],
            ["ZADD", "spring:session:sessions:expirations", String(ends), "other"],
        ])
        let dry = try sessionctl(server, ["--framework", "spring", "revoke-user", "bob", "--dry-run"])
        XCTAssertEqual(try server.run([["EXISTS", expiresKey]])[0], .integer(1), "a dry run deletes nothing: \(dry)")
        let revokedBob = try sessionctl(server, ["--framework", "spring", "revoke-user", "bob", "--yes", "-o", "json"])
        let deleted = try XCTUnwrap(try revokedBob.json()["deleted"] as? [String: Int], "\(revokedBob)")
        XCTAssertEqual(deleted["index_members"], 1, "\(revokedBob)")
        XCTAssertEqual(deleted["copies"], 1, "the expires key: \(revokedBob)")
        XCTAssertEqual(deleted["expiration_entries"], 2, "the expirations set's and the sorted set's entries: \(revokedBob)")
        XCTAssertEqual(try server.run([["EXISTS", bobKey, index, expiresKey]])[0], .integer(0))
        XCTAssertEqual(try server.run([["SMEMBERS", bucket]])[0], .array([.bulk(Array("expires:other".utf8))]), "only bob's entry goes")
        XCTAssertEqual(try server.run([["ZRANGE", "spring:session:sessions:expirations", "0", "-1"]])[0], .array([.bulk(Array("other".utf8))]))

        // The SESSION cookie is the id in base64.
        let cookie = Data(id.utf8).base64EncodedString()
        let revoked = try sessionctl(server, ["--framework", "spring", "revoke", "--cookie", "--yes", cookie])
        XCTAssertEqual(revoked.status, 0, "\(revoked)")
        XCTAssertEqual(try server.run([["EXISTS", key]])[0], .integer(0))
    }

    static func bytes(fromHex hex: String) -> Data {
        var out = Data()
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }
}
