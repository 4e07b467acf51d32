import Foundation
import TestSupport
import XCTest

/// Django 5.2 (PyPI) with django.contrib.auth on the cache session backend over Django's Redis cache.
final class DjangoAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    static func start(engine: String) -> ClassFixture {
        .redisApp(framework: "django", program: "python3", arguments: [WebApp.sources.appendingPathComponent("django/app.py").path],
                  environment: ["DJANGO_SESSION_ENGINE": engine], cookieName: "sessionid", installHint: "pip install 'django>=5.2,<6' redis")
    }

    override class func setUp() { fixture = start(engine: "django.contrib.sessions.backends.cache") }

    override class func tearDown() { fixture.stop() }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        // django.contrib.auth keeps the primary key in the session (the story asks /me for it).
        try Self.fixture.get().story(format: "pickle")
    }
}

/// Django's cached_db backend: deleting the Redis key does not log the user out (Django reloads
/// the session from its table and writes the key back), so the preset refuses to call it revoked.
final class DjangoCachedDBAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() { fixture = DjangoAppTests.start(engine: "django.contrib.sessions.backends.cached_db") }

    override class func tearDown() { fixture.stop() }

    func testACachedDBSessionIsRefusedNotReportedRevoked() throws {
        let s = try Self.fixture.get()
        let alice = try s.app.login("alice")
        let listed = try s.sessions(of: "1")
        XCTAssertEqual(listed.count, 1, "\(listed)")
        let r = try s.run(["revoke-user", "--yes", "-o", "json", "--", "1"])
        XCTAssertEqual(r.status, 1, "\(r)")
        XCTAssertEqual((try r.json()["revoked"] as? [Any])?.count, 0, r.stdout)
        let refused = try XCTUnwrap(try r.json()["refused"] as? [[String: Any]])
        XCTAssertTrue((refused.first?["reason"] as? String)?.contains("reloaded from the django_session table") == true, r.stdout)
        XCTAssertTrue(r.stderr.contains("nothing was revoked"), r.stderr)
        let table = try s.run(["revoke-user", "--dry-run", "--", "1"])
        XCTAssertTrue(table.stdout.contains("reloaded from the django_session table") || table.stderr.contains("reloaded from the django_session table"), "\(table)")
        XCTAssertTrue(try alice.isLoggedIn())
        // Why: delete the cache key by hand, and the app still lets the cookie in (and writes the key back).
        let key = try XCTUnwrap(listed.first?["session_key"] as? String)
        _ = try s.redis.run([["DEL", key]])
        XCTAssertTrue(try alice.isLoggedIn(), "cached_db no longer reloads from its table: the refusal needs revisiting")
        XCTAssertEqual(try s.redis.run([["EXISTS", key]])[0], .integer(1), "Django wrote the cache key back")
    }
}
