import Foundation
import TestSupport
import XCTest

/// Laravel 8.83 (Debian's php-laravel-framework) on its Redis session driver over phpredis,
/// with EncryptCookies and the session guard.
final class LaravelAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()
    nonisolated(unsafe) static var encrypted = ClassFixture()

    /// A Laravel app; `encrypt` sets SESSION_ENCRYPT. Its APP_KEY is in `<app dir>/.env`, as `--app-key-file` reads it.
    static func start(encrypt: Bool) -> ClassFixture {
        ClassFixture.start {
            let redis = try RedisServer()
            let key = "base64:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let app = try WebApp(
                name: "laravel", program: "php",
                arguments: ["-S", "127.0.0.1:{port}", WebApp.sources.appendingPathComponent("laravel/public/index.php").path],
                environment: [
                    "REDIS_PORT": String(redis.port), "APP_KEY": key, "SESSION_ENCRYPT": encrypt ? "1" : "",
                    "APP_SERVICES_CACHE": "services.php", "APP_PACKAGES_CACHE": "packages.php",
                    // Requests at once: a slow one in flight must not hold up the rest.
                    "PHP_CLI_SERVER_WORKERS": "4",
                ],
                cookieName: "laravel_session", installHint: "apt-get install php-cli php-redis php-laravel-framework")
            let env = app.directory.appendingPathComponent(".env")
            try "APP_NAME=laravel\nAPP_KEY=\(key)\n".write(to: env, atomically: true, encoding: .utf8)
            let scenario = FrameworkScenario(framework: "laravel", redis: redis, app: app)
            scenario.options = ["--app-key-file", env.path]
            return scenario
        }
    }

    override class func setUp() {
        fixture = start(encrypt: false)
        encrypted = start(encrypt: true)
    }

    override class func tearDown() {
        fixture.stop()
        encrypted.stop()
    }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testARequestInFlightWritesTheSessionBackAndTheSettleDeletesItAgain() throws {
        try Self.fixture.get().writeBackStory()
    }

    func testVerifyURLAsksTheAppWhetherEachRevokedCookieStillLogsIn() throws {
        try Self.fixture.get().verifyStory()
    }

    /// A cookie given as an id: `revoke 'eyJpdiI6…' --yes` answered "not found", exit 3, the code of
    /// "already gone", while the session still logged in. Now a usage error that says to add --cookie.
    func testACookieGivenAsAnIdIsSaidToBeACookie() throws {
        let s = try Self.fixture.get()
        let erin = try s.app.login("erin")
        let cookie = try XCTUnwrap(erin.session)
        for command in ["revoke", "show"] {
            let r = try s.run([command, "--yes", "--", cookie].filter { command == "revoke" || $0 != "--yes" })
            assertExitStatus(r, 2)
            XCTAssertTrue(r.stderr.contains("looks like a laravel cookie, not a session id") && r.stderr.contains("add --cookie"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
        }
        XCTAssertTrue(try erin.isLoggedIn(), "nothing was revoked")
        let byCookie = try s.run(["revoke", "--cookie", "--yes", "--", cookie])
        assertExitStatus(byCookie, 0)
        XCTAssertFalse(try erin.isLoggedIn())
    }

    /// Laravel's session driver shares the cache's namespace: `index build` mapped the cache entry
    /// `dashboard_42` (its value `serialize(['user_id'=>42])`) to user 42, `revoke-user 42` then
    /// deleted it as a session, and the preset's globs made `revoke-all` delete other applications'
    /// keys. A Laravel session is now 40 letters and digits holding `_token`, under the app's own
    /// prefixes; what fails that is counted as "not a session" and left alone.
    func testWhatIsNotALaravelSessionIsNeverMappedOrDeleted() throws {
        let s = try Self.fixture.get()
        let b = try s.app.login("cachey")
        let id = try XCTUnwrap(try b.userId())
        let entry = try PostgresServer.run(["/usr/bin/php", "-r", "echo serialize(['user_id' => '\(id)']);"])
        XCTAssertEqual(entry.status, 0, entry.output)
        let foreign = ["nginx-page-cache-home", "rails_cache_views:42", "sidekiq_cache_stats"]
        _ = try s.redis.run([["SET", "laravel_database_laravel_cache:dashboard_\(id)", entry.output]] + foreign.map { ["SET", $0, "x"] })
        let built = try s.run(["index", "build", "-o", "json"])
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertGreaterThanOrEqual(try built.json()["not_sessions"] as? Int ?? 0, 1, built.stdout)
        XCTAssertEqual(try s.redis.run([["EXISTS", "laravel_database_user:\(id):dashboard_\(id)"]])[0], .integer(0), "the cache entry is not mapped")
        let user = try s.run(["revoke-user", "--yes", "--settle", "0", "--", id])
        assertExitStatus(user, 0)
        XCTAssertFalse(try b.isLoggedIn())
        let all = try s.run(["revoke-all", "--yes", "--settle", "0", "-o", "json"])
        assertExitStatus(all, 0)
        XCTAssertGreaterThanOrEqual(try all.json()["not_sessions"] as? Int ?? 0, 1, all.stdout)
        for key in foreign + ["laravel_database_laravel_cache:dashboard_\(id)"] {
            XCTAssertEqual(try s.redis.run([["EXISTS", key]])[0], .integer(1), "\(key) is not a Laravel session and stays")
        }
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        try Self.fixture.get().story(format: "php-serialize+php-serialize")
    }

    func testEncryptedSessionsNeedTheAppKeyAndAWrongKeyRevokesNothing() throws {
        let s = try Self.encrypted.get()
        let dave = try s.app.login("dave")
        let id = try XCTUnwrap(try s.sessions(of: "dave").first?["session"] as? String)
        // Without the key: shown, and said to be encrypted; never guessed.
        let blind = try Sessionctl.run(["--framework", "laravel", "show", "-o", "json", "--", id], environment: ["SESSIONCTL_URL": s.redis.url])
        XCTAssertEqual(blind.status, 0, "\(blind)")
        let d0 = try XCTUnwrap((try blind.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertTrue((d0["payload_error"] as? String)?.contains("--app-key-file") == true, "\(d0)")
        XCTAssertNil(d0["payload_decoded"])
        // With the key: decoded through the envelope.
        let shown = try s.run(["show", "-o", "json", "--", id])
        let d1 = try XCTUnwrap((try shown.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(d1["payload_format"] as? String, "php-serialize+laravel-encrypted+php-serialize+php-serialize", "\(d1)")
        XCTAssertEqual((d1["fields"] as? [String: Any])?["user"] as? String, "dave", "\(d1)")
        // A wrong key: the cookie cannot be opened, a usage error that says so, and nothing is revoked.
        let wrong = s.app.directory.appendingPathComponent("wrong.env")
        try "APP_KEY=base64:\(Data(repeating: 7, count: 32).base64EncodedString())\n".write(to: wrong, atomically: true, encoding: .utf8)
        let bad = try Sessionctl.run(
            ["--framework", "laravel", "--app-key-file", wrong.path, "revoke", "--cookie", "--yes", "--", try XCTUnwrap(dave.session)],
            environment: ["SESSIONCTL_URL": s.redis.url])
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("MAC does not match"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, "one line: \(bad.stderr)")
        XCTAssertTrue(try dave.isLoggedIn())
        // No key at all for a Laravel cookie: a usage error naming the option.
        let none = try Sessionctl.run(
            ["--framework", "laravel", "revoke", "--cookie", "--yes", "--", try XCTUnwrap(dave.session)],
            environment: ["SESSIONCTL_URL": s.redis.url])
        XCTAssertEqual(none.status, 2, "\(none)")
        XCTAssertTrue(none.stderr.contains("--app-key-file"), none.stderr)
        // The right key: revoked, and the app refuses the cookie.
        let good = try s.run([
            "revoke", "--cookie", "--yes", "-o", "json", "--verify-url", "http://127.0.0.1:\(s.app.port)/me", "--", try XCTUnwrap(dave.session),
        ])
        XCTAssertEqual(good.status, 0, "\(good)")
        XCTAssertEqual((try good.json()["verified"] as? [[String: Any]])?.first?["answer"] as? String, "refused", good.stdout)
        XCTAssertFalse(try dave.isLoggedIn())
    }
}
