import Foundation
import TestSupport
import XCTest

/// Rails 6.1 with Devise 4.8 and redis-actionpack 5.3 (Debian's ruby-rails, ruby-devise, ruby-redis-actionpack).
final class RailsAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = .redisApp(
            framework: "rails", program: "ruby", arguments: [WebApp.sources.appendingPathComponent("rails/app.rb").path],
            cookieName: "_app_session",
            installHint: "apt-get install ruby-rails ruby-devise ruby-redis-actionpack ruby-sqlite3 ruby-webrick", timeout: 120)
    }

    override class func tearDown() { fixture.stop() }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testARequestInFlightWritesTheSessionBackAndTheSettleDeletesItAgain() throws {
        try Self.fixture.get().writeBackStory()
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        // Devise keeps [[id], salt] under warden.user.user.key.
        try Self.fixture.get().story(format: "ruby-marshal")
    }

    /// Without a preset, Rack's private ids (`2::<sha256>`) hold the mapping's separator: `list 1`
    /// said "no sessions found", exit 0, and `users` listed `1:2:`, with nothing said. Now both say
    /// which --framework the keys look like.
    func testWithoutAPresetTheSplitIsSaidToBeWrong() throws {
        let s = try Self.fixture.get()
        let b = try s.app.login("nopreset")
        let id = try XCTUnwrap(try b.userId())
        let env = ["SESSIONCTL_URL": s.redis.url]
        let list = try Sessionctl.run(["list", id], environment: env)
        assertExitStatus(list, 0)
        XCTAssertTrue(list.stderr.contains("the keys look like rails's") && list.stderr.contains("try --framework rails"), list.stderr)
        let users = try Sessionctl.run(["users"], environment: env)
        assertExitStatus(users, 0)
        XCTAssertTrue(users.stdout.contains("\(id):2:"), users.stdout)
        XCTAssertTrue(users.stderr.contains("end in ':', the mapping's separator") && users.stderr.contains("try --framework rails"), users.stderr)
        // With the preset, nothing to say.
        let right = try s.run(["list", id])
        assertExitStatus(right, 0)
        XCTAssertFalse(right.stderr.contains("try --framework"), right.stderr)
    }

    /// One person, by the app's own users table: `--identity` resolves an email through Devise's
    /// `users` (read-only, parameterised), says so, and the revocation is proven over HTTP.
    func testIdentityResolvesThroughTheAppsOwnUsersTable() throws {
        let s = try Self.fixture.get()
        let b = try s.app.login("ident")
        let id = try XCTUnwrap(try b.userId())
        let bystander = try s.app.login("bystander")
        let database = s.app.directory.appendingPathComponent("db.sqlite3").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("id-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config.yaml").path
        func write(query: String) throws {
            try """
            contexts:
              rails:
                url: \(s.redis.url)
                framework: rails
                identity-url: sqlite://\(database)
                identity-query: "\(query)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write(query: "SELECT id FROM users WHERE email = ?")
        let env = ["SESSIONCTL_CONFIG": config]
        let listed = try Sessionctl.run(["--context", "rails", "list", "--identity", "ident@example.test", "-o", "json"], environment: env)
        assertExitStatus(listed, 0)
        XCTAssertEqual(Set((try listed.json()["sessions"] as? [[String: Any]])?.compactMap { $0["user"] as? String } ?? []), [id])
        XCTAssertTrue(
            listed.stderr.contains("identity 'ident@example.test' in context 'rails': user \(id) (from identity-query on sqlite://\(database))"),
            listed.stderr)
        let nobody = try Sessionctl.run(["--context", "rails", "revoke-user", "--identity", "nobody@example.test", "--yes"], environment: env)
        assertExitStatus(nobody, 3)
        XCTAssertTrue(nobody.stderr.contains("identity 'nobody@example.test' resolves to no user in context 'rails'"), nobody.stderr)
        let r = try Sessionctl.run(
            ["--context", "rails", "revoke-user", "--identity", "ident@example.test", "--yes", "--settle", "0", "-o", "json"], environment: env)
        assertExitStatus(r, 0)
        XCTAssertEqual((try r.json()["revoked"] as? [[String: Any]])?.compactMap { $0["user"] as? String }, [id])
        XCTAssertFalse(try b.isLoggedIn(), "the app refuses the person's cookie")
        XCTAssertTrue(try bystander.isLoggedIn())
        // The lookup only reads: a statement that would write is refused before anything is asked.
        try write(query: "DELETE FROM users WHERE email = ?")
        let writing = try Sessionctl.run(["--context", "rails", "list", "--identity", "bystander@example.test"], environment: env)
        assertExitStatus(writing, 2)
        XCTAssertTrue(writing.stderr.contains("identity-query must be a SELECT"), writing.stderr)
        XCTAssertTrue(try bystander.isLoggedIn())
    }

    /// `show` printed Devise's password salt (`warden.user.user.key` is `[[id], salt]`) and Rails's
    /// CSRF token: now redacted in the table, in JSON and in the raw payload, unless --reveal.
    func testShowRedactsWhatTheSessionKeepsSecret() throws {
        let s = try Self.fixture.get()
        let b = try s.app.login("secretive")
        let id = try XCTUnwrap(try b.userId())
        let session = try XCTUnwrap(try s.sessions(of: id).first?["session"] as? String)
        let revealed = try s.run(["show", "--reveal", "-o", "json", "--", session])
        assertExitStatus(revealed, 0)
        let decoded = try XCTUnwrap((try revealed.json()["sessions"] as? [[String: Any]])?.first?["payload_decoded"] as? [String: Any])
        let key = try XCTUnwrap(decoded["warden.user.user.key"] as? [Any], "\(decoded)")
        let salt = try XCTUnwrap(key.last as? String, "Devise keeps the salt: \(key)")
        XCTAssertGreaterThan(salt.count, 10)
        for args in [["show", "-o", "json", "--", session], ["show", "--", session]] {
            let r = try s.run(args)
            assertExitStatus(r, 0)
            XCTAssertFalse(r.stdout.contains(salt), "\(args) prints the password salt")
            XCTAssertTrue(r.stdout.contains("(redacted; --reveal shows it)"), r.stdout)
            XCTAssertTrue(r.stderr.contains("redacted") && r.stderr.contains("--reveal"), r.stderr)
        }
        let json = try s.run(["show", "-o", "json", "--", session])
        let user = try XCTUnwrap((try json.json()["sessions"] as? [[String: Any]])?.first?["fields"] as? [String: Any])
        XCTAssertEqual(user["user"] as? String, id, "the user is still read")
    }

    /// `--verify-url` with the Rails preset, sessions found by user: their private ids cannot become
    /// cookies. Said once before deleting (not a line a session after), and "could not verify" is
    /// kept apart from "not revoked" in JSON and in the summary.
    func testVerifyingRailsSessionsFoundByUserIsSaidOnce() throws {
        let s = try Self.fixture.get()
        let a = try s.app.login("verify-once")
        _ = try s.app.login("verify-once")
        let id = try XCTUnwrap(try a.userId())
        // A dry run that could try no cookie says so, never "lets in 0 of 2".
        let dry = try s.run([
            "revoke-user", "--dry-run", "--cookie-name", "_app_session", "--verify-url", "http://127.0.0.1:\(s.app.port)/me", "--", id,
        ])
        XCTAssertTrue(dry.stderr.contains("dry run: could not try any of 2 cookies with GET"), dry.stderr)
        XCTAssertFalse(dry.stderr.contains("lets in 0"), dry.stderr)
        let r = try s.run([
            "revoke-user", "--yes", "-o", "json", "--settle", "0", "--cookie-name", "_app_session", "--verify-url",
            "http://127.0.0.1:\(s.app.port)/me",
            "--", id,
        ])
        assertExitStatus(r, 5)
        let answers = try XCTUnwrap(try r.json()["verified"] as? [[String: Any]], r.stdout)
        XCTAssertEqual(answers.map { $0["answer"] as? String }, ["no_cookie", "no_cookie"], "\(answers)")
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("keeps only a hash of each cookie") }.count, 1, r.stderr)
        XCTAssertEqual(
            lines.filter { $0.contains("incomplete:") && $0.contains("could not verify") }.count, 1, "one line for both sessions: \(r.stderr)")
        XCTAssertTrue(
            r.stderr.contains("could not try any of 2 cookies with GET") && r.stderr.contains("no cookie could be made from their session ids")
                && !r.stderr.contains("not revoked"), r.stderr)
        XCTAssertFalse(try a.isLoggedIn(), "revoked all the same")
    }

    /// redis-rack reads `<prefix><public id>` when the private-id key is missing (sessions stored
    /// before 2.1), and its logout deletes both: so must a revocation, or the cookie lives on.
    func testALegacyPublicIdKeyGoesWithThePrivateOne() throws {
        let s = try Self.fixture.get()
        for byCookie in [false, true] {
            let user = byCookie ? "legacy-cookie" : "legacy-user"
            let b = try s.app.login(user)
            let id = try XCTUnwrap(try b.userId())
            let privateKey = try XCTUnwrap(try s.sessions(of: id).first?["session_key"] as? String)
            let cookie = try XCTUnwrap(b.session?.removingPercentEncoding)
            let legacyKey = "session:" + cookie
            _ = try s.redis.run([["COPY", privateKey, legacyKey]])
            // The fallback is real: without the private-id key the legacy copy logs the cookie in.
            _ = try s.redis.run([["DEL", privateKey]])
            XCTAssertTrue(try b.isLoggedIn(), "redis-rack falls back to the public id")
            XCTAssertEqual(try s.redis.run([["EXISTS", privateKey, legacyKey]])[0], .integer(2), "the request wrote the private-id key again")
            let r =
                byCookie
                ? try s.run(["revoke", "--cookie", "--yes", "-o", "json", "--", try XCTUnwrap(b.session)])
                : try s.run(["revoke-user", "--yes", "-o", "json", "--", id])
            XCTAssertEqual(r.status, 0, "\(r)")
            XCTAssertEqual((try r.json()["deleted"] as? [String: Int])?["copies"], 1, r.stdout)
            XCTAssertEqual(
                try s.redis.run([["EXISTS", privateKey, legacyKey]])[0], .integer(0), "both keys gone (\(byCookie ? "by cookie" : "by user"))")
            XCTAssertFalse(try b.isLoggedIn())
        }
        // A dry run names the copy and deletes nothing.
        let c = try s.app.login("legacy-dry")
        let cid = try XCTUnwrap(try c.userId())
        let key = try XCTUnwrap(try s.sessions(of: cid).first?["session_key"] as? String)
        let legacy = "session:" + (try XCTUnwrap(c.session?.removingPercentEncoding))
        _ = try s.redis.run([["COPY", key, legacy]])
        let dry = try s.run(["revoke-user", "--dry-run", "--", cid])
        XCTAssertEqual(dry.status, 0, "\(dry)")
        XCTAssertEqual(try s.redis.run([["EXISTS", key, legacy]])[0], .integer(2))
    }

    func testTheMappingHoldsTheRackPrivateIdAndTheCookieIsItsPublicId() throws {
        let s = try Self.fixture.get()
        let carol = try s.app.login("carol")
        let id = try XCTUnwrap(try carol.userId())
        let sessions = try s.sessions(of: id)
        XCTAssertEqual(sessions.count, 1, "\(sessions)")
        let session = try XCTUnwrap(sessions.first?["session"] as? String)
        XCTAssertTrue(session.hasPrefix("2::") && session.count == 67, session)
        XCTAssertEqual(sessions.first?["mapping_key"] as? String, "user:\(id):\(session)", "the mapping splits at the private id, not inside it")
        XCTAssertEqual(sessions.first?["session_key"] as? String, "session:\(session)")
        let shown = try s.run(["show", "--cookie", "-o", "json", "--", try XCTUnwrap(carol.session)])
        XCTAssertEqual(shown.status, 0, "\(shown)")
        let detail = try XCTUnwrap((try shown.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(detail["session"] as? String, session)
        XCTAssertNotNil((detail["fields"] as? [String: Any])?["last_seen_at"], "Devise's timeoutable last_request_at: \(detail)")
        // A cookie the store does not know is not found (exit 3), and nothing is revoked.
        let bad = try s.run(["revoke", "--cookie", "--yes", "--", "%zz"])
        XCTAssertEqual(bad.status, 3, "\(bad)")
        XCTAssertTrue(try carol.isLoggedIn())
    }
}
