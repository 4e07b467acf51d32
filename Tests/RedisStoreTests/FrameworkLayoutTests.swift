import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// The framework presets' templates and globs, read as Redis key layouts: each key shape the
/// frameworks write is under its preset's glob, and each mapping parses.
final class FrameworkLayoutTests: XCTestCase {

    func testLaravelKeyShapesOfVersions8To12AreUnderItsGlobs() throws {
        let f = try XCTUnwrap(Framework.named("laravel"))
        let layout = try SessionLayout(mapping: f.mapping, sessionKey: "<value>", sessionGlobs: f.sessionGlobs)
        for key in ["laravel_database_laravel_cache:abc", "myapp_database_myapp_cache_abc", "laravel-database-laravel-cache-abc"] {
            XCTAssertTrue(layout.isSessionKey(b(key)), key)
        }
        XCTAssertFalse(layout.isSessionKey(b("laravel_database_user:1:abc")))
        XCTAssertEqual(layout.mapping.parse(b("laravel_database_user:42:abc"))?.user, b("42"))
    }

    func testRackPrivateIdsInMappings() throws {
        let f = try XCTUnwrap(Framework.named("rails"))
        let layout = try SessionLayout(mapping: f.mapping, sessionKey: "<value>", sessionGlobs: f.sessionGlobs, sessionIdPrefix: f.sessionIdPrefix)
        let hex = String(repeating: "ab", count: 32)
        XCTAssertEqual(layout.mapping.parse(b("user:1:2::\(hex)"))?.user, b("1"))
        XCTAssertEqual(layout.mapping.parse(b("user:1:2::\(hex)"))?.session, b("2::\(hex)"))
        XCTAssertEqual(layout.mapping.parse(b("user:a:b:2::\(hex)"))?.user, b("a:b"), "users may hold the separator")
        XCTAssertEqual(layout.mapping.parse(b("user:1:publicid"))?.session, b("publicid"), "public ids (before redis-rack 2.1) still split")
        XCTAssertTrue(layout.mapping.acceptsSession(b("2::\(hex)")))
        XCTAssertFalse(layout.mapping.acceptsSession(b("2::a:b")))
        // The cookie is the public id; the store's key is 2:: + its SHA-256 (checked against OpenSSL's command line).
        let ids = try CookieTransform.rackPrivateId.sessionIds(cookie: b("dc10e4e18b19ac938948e89f935e95f4"), secrets: CookieSecrets())
        let expected = try RealSerializerRun.output(
            "sh", ["-c", "printf %s dc10e4e18b19ac938948e89f935e95f4 | openssl dgst -sha256 -r | cut -d' ' -f1 | tr -d '\\n'"],
            hint: "apt-get install openssl")
        XCTAssertEqual(ids, [b("2::") + expected, b("dc10e4e18b19ac938948e89f935e95f4")])
    }
}
