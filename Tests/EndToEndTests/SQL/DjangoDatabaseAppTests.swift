import Foundation
import TestSupport
import XCTest

/// Django (from PyPI) on its database session backend (`django.contrib.sessions.backends.db`),
/// its `django_session` table in the app's SQLite file: signed, zlib-compressed session data.
final class DjangoDatabaseAppTests: XCTestCase {
    nonisolated(unsafe) static var scenario: Result<SQLAppScenario, Error>?

    override class func setUp() {
        scenario = Result {
            let app = try WebApp(
                name: "django-db", program: "python3", arguments: [WebApp.sources.appendingPathComponent("django/app.py").path],
                environment: ["DJANGO_SESSION_ENGINE": "django.contrib.sessions.backends.db"], cookieName: "sessionid",
                installHint: "python3 -m pip install 'django>=5.2,<6' redis")
            let db = app.directory.appendingPathComponent("db.sqlite3").path
            return SQLAppScenario(app: app, url: "sqlite://" + db, framework: "django", environment: [:], table: "django_session") { sql in
                let r = try PostgresServer.run(["/usr/bin/sqlite3", db, sql])
                guard r.status == 0 else { throw TestSupportError("sqlite3: \(r.output)") }
                return r.output
            }
        }
    }

    override class func tearDown() {
        if case .success(let s)? = scenario { s.app.stop() }
        scenario = nil
    }

    func testTheStoryOnSQLite() throws {
        try XCTUnwrap(Self.scenario).get().story(age: { id in
            "UPDATE django_session SET expire_date = '2000-01-01 00:00:00' WHERE session_key = '\(id)'"
        })
    }

    func testTheTableIsFoundWithoutTableOrFramework() throws {
        let s = try XCTUnwrap(Self.scenario).get()
        let b = try s.app.login("erin")
        let id = try XCTUnwrap(try b.userId())
        let r = try Sessionctl.run(["--url", s.url, "list", "-o", "json", "--", id])
        XCTAssertEqual((try r.json()["sessions"] as? [Any])?.count, 1, "django_session is found and read: \(r)")
    }

    /// Django 5.2 writes sessions holding NaN, Infinity, a lone surrogate, lists nested 120 deep or
    /// 210,000 values, and loads them as the user. `revoke-user` said "revoked 1 session", exit 0,
    /// while five still logged in, and `audit` called them anonymous. What Python's json writes is
    /// read now; what passes the decoders' limits belongs to an unknown user: listed, never taken
    /// for another user's or for no user's, and the result is incomplete (exit 5).
    func testSessionsThatDoNotDecodeAreNeverTakenForNoUsers() throws {
        let s = try XCTUnwrap(Self.scenario).get()
        let clean = try s.app.login("poisoned")
        let id = try XCTUnwrap(try clean.userId())
        var browsers: [String: WebApp.Browser] = [:]
        for kind in ["nan", "inf", "surrogate", "deep", "huge"] {
            let b = try s.app.login("poisoned")
            let r = try b.get("/poison?kind=\(kind)")
            XCTAssertEqual(r.status, 200, "\(kind): \(r)")
            XCTAssertTrue(try b.isLoggedIn(), "Django loads a \(kind) session as the user")
            browsers[kind] = b
        }
        let audit = try s.run(["audit", "-o", "json"])
        let counts = try XCTUnwrap(try audit.json()["counts"] as? [String: Int], audit.stdout)
        XCTAssertEqual(counts["undecodable_payloads"], 2, "past the limits (120 deep, 210,000 values): \(counts)")
        let examples = try XCTUnwrap(try audit.json()["examples"] as? [String: [String]])
        XCTAssertFalse(
            (examples["anonymous_sessions"] ?? []).contains { [browsers["deep"]?.session, browsers["huge"]?.session].contains($0) }, "\(examples)")
        let r = try s.run(["revoke-user", "--yes", "-o", "json", "--settle", "0", "--", id])
        assertExitStatus(r, 5)
        let json = try r.json()
        XCTAssertEqual((json["revoked"] as? [Any])?.count, 4, "the clean one and NaN, Infinity, a lone surrogate: \(r.stdout)")
        let refused = try XCTUnwrap(json["refused"] as? [[String: Any]], r.stdout)
        XCTAssertEqual(
            Set(refused.compactMap { $0["session"] as? String }), Set([browsers["deep"]?.session, browsers["huge"]?.session].compactMap { $0 }))
        XCTAssertTrue(r.stderr.contains("does not decode"), r.stderr)
        for kind in ["nan", "inf", "surrogate"] { XCTAssertFalse(try browsers[kind]!.isLoggedIn(), kind) }
        XCTAssertFalse(try clean.isLoggedIn())
        // Not revoked, and said so: they still log in, and the result is incomplete, not "revoked".
        XCTAssertTrue(try browsers["deep"]!.isLoggedIn() && browsers["huge"]!.isLoggedIn())
        let byId = try s.run(["revoke", "--yes", "--settle", "0", "--", browsers["deep"]!.session!, browsers["huge"]!.session!])
        assertExitStatus(byId, 0)
        XCTAssertFalse(try browsers["deep"]!.isLoggedIn() || browsers["huge"]!.isLoggedIn(), "revoked by id, as the advice says")
    }
}
