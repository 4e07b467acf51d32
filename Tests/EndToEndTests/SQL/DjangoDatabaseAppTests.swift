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
}
