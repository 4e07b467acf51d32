import Foundation
import TestSupport
import XCTest

/// Flask with Flask-Session (Redis, msgpack) and Flask-Login, from PyPI.
final class FlaskAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = .redisApp(
            framework: "flask", program: "python3", arguments: [WebApp.sources.appendingPathComponent("flask/app.py").path],
            cookieName: "session", installHint: "pip install flask-session flask-login")
    }

    override class func tearDown() { fixture.stop() }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testARequestInFlightWritesTheSessionBackAndTheSettleDeletesItAgain() throws {
        try Self.fixture.get().writeBackStory()
    }

    func testVerifyURLAsksTheAppWhetherEachRevokedCookieStillLogsIn() throws {
        try Self.fixture.get().verifyStory()
    }

    /// The lockout window: the user logs in again while `watch --revoke` runs; the new session is
    /// reported and ended as it appears (the app refuses its cookie), the session there before is
    /// not touched, and the window ends with a summary.
    func testAWatchEndsALoginDuringTheWindow() throws {
        let s = try Self.fixture.get()
        let before = try s.app.login("lockedout")
        let id = try XCTUnwrap(try before.userId())
        let watch = try Sessionctl.start(
            ["--framework", "flask", "watch", id, "--for", "8s", "--interval", "0.3s", "--revoke", "--yes", "--settle", "0", "-o", "ndjson"],
            environment: ["SESSIONCTL_URL": s.redis.url])
        Thread.sleep(forTimeInterval: 2)
        let again = try s.app.login("lockedout")
        XCTAssertEqual(try again.userId(), id)
        let ended = watch.wait()
        let (stdout, stderr) = (ended.stdoutBytes, ended.stderr)
        XCTAssertEqual(ended.status, 0, stderr)
        let lines = try String(decoding: stdout, as: UTF8.self).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let events = lines.filter { $0["summary"] == nil }
        XCTAssertEqual(events.count, 1, "\(lines)")
        XCTAssertEqual(events.first?["result"] as? String, "revoked")
        XCTAssertEqual(events.first?["user"] as? String, id)
        XCTAssertFalse(try again.isLoggedIn(), "the app refuses the session started during the window")
        XCTAssertTrue(try before.isLoggedIn(), "the session there at the start is not touched")
        XCTAssertTrue(stderr.contains("reading their mapping keys every 0.3s") && stderr.contains("1 new session, 1 revoked"), stderr)
        XCTAssertEqual((lines.last?["summary"] as? [String: Any])?["exit_code"] as? Int, 0)
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        try Self.fixture.get().story(format: "msgpack")
    }

    /// Flask-Session shares `session:*` with whatever else an operator's Redis holds: a key there
    /// whose data names a user as Flask-Login would is a session only when its id is Flask-Session's
    /// (43 URL-safe characters). The rest is never mapped, revoked or deleted, and is counted apart.
    func testWhatIsNotAFlaskSessionIsNeverMappedOrDeleted() throws {
        let s = try Self.fixture.get()
        let b = try s.app.login("cachey")
        let id = try XCTUnwrap(try b.userId())
        let entry = #"{"_user_id":"\#(id)"}"#
        let foreign = ["session:cache_stats", "session:\(id)", "session:" + String(repeating: "a", count: 42), "session:a:b"]
        _ = try s.redis.run(foreign.map { ["SET", $0, entry] })

        let detect = try s.run(["detect", "-o", "json"])
        assertExitStatus(detect, 0)
        let globs = try XCTUnwrap(try detect.json()["sessions"] as? [[String: Any]], detect.stdout)
        let flaskGlob = try XCTUnwrap(globs.first { $0["glob"] as? String == "session:*" }, detect.stdout)
        XCTAssertGreaterThanOrEqual(flaskGlob["not_sessions"] as? Int ?? 0, foreign.count, detect.stdout)
        XCTAssertTrue(try s.run(["detect"]).stdout.contains("not sessions"))

        let built = try s.run(["index", "build", "-o", "json"])
        assertExitStatus(built, 0)
        XCTAssertGreaterThanOrEqual(try built.json()["not_sessions"] as? Int ?? 0, foreign.count, built.stdout)
        XCTAssertEqual(try s.redis.run([["EXISTS", "user:\(id):cache_stats"]])[0], .integer(0), "another app's key is not mapped")

        // A mapping that points at one (written by hand, or by a bug) is refused, not followed.
        _ = try s.redis.run([["SET", "user:\(id):cache_stats", "session:cache_stats"]])
        let user = try s.run(["revoke-user", "--yes", "--settle", "0", "-o", "json", "--", id])
        let refused = try XCTUnwrap(try user.json()["refused"] as? [[String: Any]], user.stdout)
        XCTAssertEqual(refused.compactMap { $0["session"] as? String }, ["cache_stats"], user.stdout)
        XCTAssertTrue((refused.first?["reason"] as? String)?.contains("not a session: the preset's sessions are 43 URL-safe") == true, user.stdout)
        XCTAssertEqual((try user.json()["revoked"] as? [Any])?.count, 1, user.stdout)
        XCTAssertFalse(try b.isLoggedIn(), "the Flask session is revoked")

        let other = try s.app.login("cachey2")
        let all = try s.run(["revoke-all", "--yes", "--settle", "0", "-o", "json"])
        assertExitStatus(all, 0)
        XCTAssertGreaterThanOrEqual(try all.json()["not_sessions"] as? Int ?? 0, foreign.count, all.stdout)
        XCTAssertFalse(try other.isLoggedIn())
        for key in foreign {
            XCTAssertEqual(try s.redis.run([["EXISTS", key]])[0], .integer(1), "\(key) is not a Flask session and stays")
        }
        let audit = try s.run(["audit", "-o", "json"])
        XCTAssertGreaterThanOrEqual((try audit.json()["counts"] as? [String: Int])?["not_sessions"] ?? 0, foreign.count, audit.stdout)
    }
}

/// Flask-Session with `SESSION_ID_LENGTH = 64`: its ids are 86 characters, not the preset's 43.
/// Without `--session-id-length` they are not sessions, and nothing is revoked (loudly); with it,
/// the revocation is proven by the app.
final class FlaskLongIdAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = .redisApp(
            framework: "flask", name: "flask-long-ids", program: "python3", arguments: [WebApp.sources.appendingPathComponent("flask/app.py").path],
            environment: ["SESSION_ID_LENGTH": "64"], cookieName: "session", installHint: "pip install flask-session flask-login")
    }

    override class func tearDown() { fixture.stop() }

    func testLongerIdsAreSessionsOnlyWithSessionIdLength() throws {
        let s = try Self.fixture.get()
        let b = try s.app.login("longid")
        let id = try XCTUnwrap(try b.userId())
        XCTAssertEqual(b.session?.count, 86, "Flask-Session's token_urlsafe(64)")

        let refused = try s.run(["revoke-user", "--yes", "--settle", "0", "-o", "json", "--", id])
        XCTAssertNotEqual(refused.status, 0, "nothing was revoked: \(refused)")
        XCTAssertEqual((try refused.json()["revoked"] as? [Any])?.count, 0, refused.stdout)
        XCTAssertTrue(try b.isLoggedIn(), "the preset's shape refused the session: it was not touched")

        let all = try s.run(["revoke-all", "--dry-run", "-o", "json"])
        XCTAssertEqual(try all.json()["revoked"] as? Int, 0, all.stdout)
        XCTAssertGreaterThanOrEqual(try all.json()["not_sessions"] as? Int ?? 0, 1, all.stdout)

        let revoked = try s.run(["revoke-user", "--yes", "--settle", "0", "--session-id-length", "86", "-o", "json", "--", id])
        assertExitStatus(revoked, 0)
        XCTAssertEqual((try revoked.json()["revoked"] as? [Any])?.count, 1, revoked.stdout)
        XCTAssertFalse(try b.isLoggedIn(), "revoked with the application's own id length")

        let bad = try s.run(["list", "--session-id-length", "3", "--", id])
        assertExitStatus(bad, 2)
        let noPreset = try Sessionctl.run(["list", "--session-id-length", "86", "--", id], environment: ["SESSIONCTL_URL": s.redis.url])
        assertExitStatus(noPreset, 2)
        XCTAssertTrue(noPreset.stderr.contains("no --framework names one"), noPreset.stderr)
    }
}
