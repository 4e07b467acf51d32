import Foundation
import TestSupport
import XCTest

/// Django 5.2 (PyPI) with django.contrib.auth on the cache session backend over Django's Redis cache.
final class DjangoAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    static func start(engine: String) -> ClassFixture {
        .redisApp(
            framework: "django", program: "python3", arguments: [WebApp.sources.appendingPathComponent("django/app.py").path],
            environment: ["DJANGO_SESSION_ENGINE": engine], cookieName: "sessionid", installHint: "pip install 'django>=5.2,<6' redis")
    }

    override class func setUp() { fixture = start(engine: "django.contrib.sessions.backends.cache") }

    override class func tearDown() { fixture.stop() }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    /// Django's cache backend checks that the key is still there before it saves (else
    /// SessionInterrupted, a 400): a request in flight does not write a revoked session back, even
    /// with the watch off.
    func testARequestInFlightDoesNotWriteTheSessionBack() throws {
        let s = try Self.fixture.get()
        let b = try s.app.login("mallory")
        let id = try XCTUnwrap(try b.userId())
        let key = try XCTUnwrap(try s.sessions(of: id).first?["session_key"] as? String)
        let slow = s.slowRequest(b, ms: 1500)
        let r = try s.run(["revoke-user", "--yes", "--settle", "0", "--", id])
        XCTAssertEqual(r.status, 0, "\(r)")
        let answer = slow()
        XCTAssertEqual(answer?.status, 400, "Django refuses to save a session deleted under it: \(answer.map { "\($0)" } ?? "no answer")")
        XCTAssertEqual(try s.redis.run([["EXISTS", key]])[0], .integer(0))
        XCTAssertFalse(try b.isLoggedIn())
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
        XCTAssertTrue(
            table.stdout.contains("reloaded from the django_session table") || table.stderr.contains("reloaded from the django_session table"),
            "\(table)")
        XCTAssertTrue(try alice.isLoggedIn())
        // Why: delete the cache key by hand, and the app still lets the cookie in (and writes the key back).
        let key = try XCTUnwrap(listed.first?["session_key"] as? String)
        _ = try s.redis.run([["DEL", key]])
        XCTAssertTrue(try alice.isLoggedIn(), "cached_db no longer reloads from its table: the refusal needs revisiting")
        XCTAssertEqual(try s.redis.run([["EXISTS", key]])[0], .integer(1), "Django wrote the cache key back")
    }

    /// With Django's database (`--cached-db-url`), the row goes first, then the cache key: the
    /// app then has nothing to reload, and refuses the cookie.
    func testWithItsDatabaseACachedDBSessionIsRevoked() throws {
        let s = try Self.fixture.get()
        let bob = try s.app.login("bob-cached")
        let id = try XCTUnwrap(try bob.userId())
        let db = "sqlite://" + s.app.directory.appendingPathComponent("db.sqlite3").path
        let listed = try s.sessions(of: id)
        XCTAssertEqual(listed.count, 1, "\(listed)")
        let session = try XCTUnwrap(listed.first?["session"] as? String)
        let bad = try s.run(["revoke-user", "--yes", "--cached-db-url", "redis://127.0.0.1:1", "--", id])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        let r = try s.run(["revoke-user", "--yes", "-o", "json", "--cached-db-url", db, "--", id])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual((try r.json()["revoked"] as? [Any])?.count, 1, r.stdout)
        XCTAssertEqual((try r.json()["deleted"] as? [String: Int])?["cached_db_rows"], 1, r.stdout)
        XCTAssertFalse(try bob.isLoggedIn(), "the row and the cache key are gone: nothing to reload")
        let rows = try Sessionctl.run(["--framework", "django", "show", "-o", "json", "--url", db, "--", session])
        XCTAssertEqual(rows.status, 3, "the row is gone: \(rows)")
    }
}
