import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// One real application and its Redis, started once per test class, and the story every
/// framework must pass: users log in over HTTP, sessionctl lists, shows (decoded) and revokes
/// them by id, by cookie and by user, and the application is then asked over HTTP whether each
/// cookie still works.
final class FrameworkScenario {
    let redis: RedisServer
    let app: WebApp
    let framework: String
    /// Options every run gets (Laravel's `--app-key-file`).
    var options: [String] = []

    init(framework: String, redis: RedisServer, app: WebApp) {
        self.framework = framework
        self.redis = redis
        self.app = app
    }

    /// Runs sessionctl against the app's Redis with `--framework`.
    func run(_ args: [String], env: [String: String] = [:]) throws -> Sessionctl.Run {
        try Sessionctl.run(["--framework", framework] + options + args, environment: ["SESSIONCTL_URL": redis.url].merging(env) { _, b in b })
    }

    /// `list USER -o json`'s sessions.
    func sessions(of user: String) throws -> [[String: Any]] {
        let r = try run(["list", "-o", "json", "--", user])
        XCTAssertEqual(r.status, 0, "\(r)")
        return try r.json()["sessions"] as? [[String: Any]] ?? []
    }

    /// The whole story; `format` is the payload format `show` must name. User ids are what the
    /// app stores (Django and Rails use database ids), as `/me` tells.
    func story(format: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let alice1 = try app.login("alice")
        let alice2 = try app.login("alice")
        let bob = try app.login("bob")
        let alice = try XCTUnwrap(try alice1.userId(), file: file, line: line)
        let bobId = try XCTUnwrap(try bob.userId(), file: file, line: line)

        // list: both of alice's sessions, with the fields the payload holds.
        let listed = try sessions(of: alice)
        XCTAssertEqual(listed.count, 2, "\(listed)", file: file, line: line)
        for s in listed {
            let f = s["fields"] as? [String: Any] ?? [:]
            XCTAssertEqual(f["user"] as? String, alice, "\(s)", file: file, line: line)
            XCTAssertEqual(f["ip"] as? String, "127.0.0.1", "\(s)", file: file, line: line)
            XCTAssertEqual(f["user_agent"] as? String, "sessionctl-test/1.0", "\(s)", file: file, line: line)
            XCTAssertNotNil(f["created_at"] as? String, "\(s)", file: file, line: line)
            XCTAssertEqual(s["exists"] as? Bool, true, file: file, line: line)
        }
        let wide = try run(["list", "-o", "wide", "--", alice])
        XCTAssertEqual(wide.status, 0, "\(wide)", file: file, line: line)
        XCTAssertTrue(
            wide.stdout.contains("IP") && wide.stdout.contains("127.0.0.1") && wide.stdout.contains("sessionctl-test/1.0"), wide.stdout, file: file,
            line: line)

        // show: the decoded payload and its fields.
        let id = try XCTUnwrap(listed.first?["session"] as? String, file: file, line: line)
        let shown = try run(["show", "-o", "json", "--", id])
        XCTAssertEqual(shown.status, 0, "\(shown)", file: file, line: line)
        let detail = try XCTUnwrap((try shown.json()["sessions"] as? [[String: Any]])?.first, file: file, line: line)
        XCTAssertEqual(detail["payload_format"] as? String, format, "\(detail)", file: file, line: line)
        XCTAssertNotNil(detail["payload_decoded"], "\(detail)", file: file, line: line)
        XCTAssertNil(detail["payload_error"], "\(detail)", file: file, line: line)
        XCTAssertEqual((detail["fields"] as? [String: Any])?["user"] as? String, alice, file: file, line: line)
        let table = try run(["show", "--", id])
        XCTAssertTrue(table.stdout.contains("decoded") && table.stdout.contains("payload user  \(alice)"), table.stdout, file: file, line: line)

        // revoke by cookie: that browser is logged out, the other still in.
        let cookie = try XCTUnwrap(alice1.session, file: file, line: line)
        // Ids and cookies may start with "-" (Flask-Session's token_urlsafe, 1 in 64): after "--".
        let byCookie = try run(["revoke", "--cookie", "--yes", "--", cookie])
        XCTAssertEqual(byCookie.status, 0, "\(byCookie)", file: file, line: line)
        XCTAssertFalse(try alice1.isLoggedIn(), "the revoked cookie still authenticates", file: file, line: line)
        XCTAssertTrue(try alice2.isLoggedIn(), "a session that was not revoked was logged out", file: file, line: line)

        // revoke-user: every session of alice ends, bob's stays.
        let all = try run(["revoke-user", "--yes", "-o", "json", "--", alice])
        XCTAssertEqual(all.status, 0, "\(all)", file: file, line: line)
        XCTAssertEqual((try all.json()["revoked"] as? [Any])?.count, 1, "\(all)", file: file, line: line)
        XCTAssertFalse(try alice2.isLoggedIn(), "alice's second cookie still authenticates after revoke-user", file: file, line: line)
        XCTAssertTrue(try bob.isLoggedIn(), "bob was logged out by alice's revocation", file: file, line: line)

        // revoke by id: bob's session, then his cookie is refused.
        let bobSession = try XCTUnwrap(try sessions(of: bobId).first?["session"] as? String, file: file, line: line)
        let byId = try run(["revoke", "--yes", "--", bobSession])
        XCTAssertEqual(byId.status, 0, "\(byId)", file: file, line: line)
        XCTAssertFalse(try bob.isLoggedIn(), "bob's cookie still authenticates after revoke by id", file: file, line: line)
        XCTAssertEqual(try sessions(of: bobId).count, 0, file: file, line: line)
    }
}

extension FrameworkScenario {
    /// Every key matching `pattern`, by SCAN.
    func scanKeys(_ pattern: String) throws -> [String] {
        var cursor = "0"
        var out: [String] = []
        repeat {
            let page = try redis.run([["SCAN", cursor, "MATCH", pattern, "COUNT", "1000"]])[0].array ?? []
            cursor = page.first?.text ?? "0"
            out += page.last?.array?.compactMap(\.text) ?? []
        } while cursor != "0"
        return out
    }

    /// An app with no mapping: its mapping keys are deleted, `index build` writes them from the
    /// payloads, `list` through them equals `list --scan-payloads`, and revoking through them logs the user out.
    func indexBuildStory(file: StaticString = #filePath, line: UInt = #line) throws {
        let ivan1 = try app.login("ivan")
        let ivan2 = try app.login("ivan")
        let judy = try app.login("judy")
        let ivan = try XCTUnwrap(try ivan1.userId(), file: file, line: line)
        let judyId = try XCTUnwrap(try judy.userId(), file: file, line: line)
        let anonymous = app.browser()
        _ = try anonymous.get("/me")  // some frameworks store a session for every visitor
        // The application as it was before it wrote mappings.
        let mappings = try scanKeys("*user:*")
        XCTAssertFalse(mappings.isEmpty, file: file, line: line)
        _ = try redis.run(mappings.map { ["DEL", $0] })
        let before = try run(["list", "-o", "json", "--", ivan])
        XCTAssertEqual((try before.json()["sessions"] as? [Any])?.count, 0, "no mapping, nothing found", file: file, line: line)
        let scanned = try run(["list", "--scan-payloads", "-o", "json", "--", ivan, judyId])
        XCTAssertEqual(scanned.status, 0, "\(scanned)", file: file, line: line)
        XCTAssertTrue(scanned.stderr.contains("index build"), scanned.stderr, file: file, line: line)

        let dry = try run(["index", "build", "--dry-run", "-o", "json"])
        XCTAssertEqual(dry.status, 0, "\(dry)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(try dry.json()["mapped"] as? Int ?? 0, 3, dry.stdout, file: file, line: line)
        XCTAssertEqual(try scanKeys("*user:*").count, 0, "a dry run writes nothing", file: file, line: line)
        let built = try run(["index", "build", "-o", "json"])
        XCTAssertEqual(built.status, 0, "\(built)", file: file, line: line)
        let json = try built.json()
        XCTAssertEqual(json["mapped"] as? Int, try dry.json()["mapped"] as? Int, built.stdout, file: file, line: line)
        XCTAssertEqual(json["undecodable"] as? Int, 0, built.stdout, file: file, line: line)
        let again = try run(["index", "build", "-o", "json"])
        XCTAssertEqual(try again.json()["mapped"] as? Int, 0, "idempotent: \(again.stdout)", file: file, line: line)
        XCTAssertEqual(try again.json()["already_mapped"] as? Int, json["mapped"] as? Int, file: file, line: line)

        // list through the new mappings finds what decoding every payload finds.
        let listed = try run(["list", "-o", "json", "--", ivan, judyId])
        func keys(_ r: Sessionctl.Run) throws -> [String] {
            (try r.json()["sessions"] as? [[String: Any]] ?? []).compactMap { $0["session_key"] as? String }.sorted()
        }
        XCTAssertEqual(try keys(listed), try keys(scanned), file: file, line: line)
        XCTAssertEqual(try keys(listed).count, 3, listed.stdout, file: file, line: line)
        // The mapping expires with its session.
        let first = try XCTUnwrap((try listed.json()["sessions"] as? [[String: Any]])?.first, file: file, line: line)
        let mappingTTL = try redis.run([["PTTL", try XCTUnwrap(first["mapping_key"] as? String, file: file, line: line)]])[0].integer ?? -9
        let sessionTTL = try redis.run([["PTTL", try XCTUnwrap(first["session_key"] as? String, file: file, line: line)]])[0].integer ?? -9
        XCTAssertLessThanOrEqual(abs(mappingTTL - sessionTTL), 2000, "mapping \(mappingTTL) ms, session \(sessionTTL) ms", file: file, line: line)

        // And revocation through them works: the app refuses ivan's cookies, judy stays in.
        let revoked = try run(["revoke-user", "--yes", "--", ivan])
        XCTAssertEqual(revoked.status, 0, "\(revoked)", file: file, line: line)
        XCTAssertFalse(try ivan1.isLoggedIn(), file: file, line: line)
        XCTAssertFalse(try ivan2.isLoggedIn(), file: file, line: line)
        XCTAssertTrue(try judy.isLoggedIn(), file: file, line: line)
    }
}

extension FrameworkScenario {
    /// Starts `GET /slow?ms=N` with `browser`'s cookies on another thread: a request in flight
    /// that has read the session and will write it back as it ends. `wait()` returns its answer.
    func slowRequest(_ browser: WebApp.Browser, ms: Int) -> () -> WebApp.Response? {
        let cookies = browser.cookies
        let app = self.app
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var response: WebApp.Response?
        DispatchQueue.global().async {
            response = try? app.request("GET", "/slow?ms=\(ms)", cookies: cookies)
            done.signal()
        }
        // Until the app has read the session (the request is then in flight).
        usleep(600_000)
        return {
            done.wait()
            return response
        }
    }

    /// A request in flight during `revoke-user` writes the session back. With `--settle 0` the
    /// cookie logs in again once it ends (the write-back is real); with the default watch the key
    /// is deleted again, the JSON counts it, and the app refuses the cookie afterwards.
    func writeBackStory(file: StaticString = #filePath, line: UInt = #line) throws {
        let early = try app.login("mallory")
        let id = try XCTUnwrap(try early.userId(), file: file, line: line)
        let first = slowRequest(early, ms: 2500)
        let off = try run(["revoke-user", "--yes", "--settle", "0", "-o", "json", "--", id])
        XCTAssertEqual(off.status, 0, "\(off)", file: file, line: line)
        XCTAssertEqual(try off.json()["written_back"] as? Int, 0, off.stdout, file: file, line: line)
        XCTAssertEqual(first()?.status, 200, "the slow request began logged in", file: file, line: line)
        XCTAssertTrue(
            try early.isLoggedIn(), "without the watch, the request in flight wrote the session back and the cookie works again",
            file: file, line: line)

        let late = try app.login("trent")
        let trent = try XCTUnwrap(try late.userId(), file: file, line: line)
        let key = try XCTUnwrap(try sessions(of: trent).first?["session_key"] as? String, file: file, line: line)
        let second = slowRequest(late, ms: 2500)
        // The default watch (5 s): SESSIONCTL_SETTLE empty, no --settle.
        let on = try run(["revoke-user", "--yes", "-o", "json", "--", trent], env: ["SESSIONCTL_SETTLE": ""])
        XCTAssertEqual(on.status, 0, "\(on)", file: file, line: line)
        let json = try on.json()
        XCTAssertGreaterThanOrEqual(json["written_back"] as? Int ?? 0, 1, on.stdout, file: file, line: line)
        let settle = try XCTUnwrap(json["settle"] as? [String: Any], file: file, line: line)
        XCTAssertEqual(settle["window_seconds"] as? Double, 5, "\(settle)", file: file, line: line)
        XCTAssertTrue((settle["written_back"] as? [String])?.contains(key) == true, "\(settle)", file: file, line: line)
        XCTAssertTrue(on.stderr.contains("came back while settling"), on.stderr, file: file, line: line)
        XCTAssertEqual(second()?.status, 200, file: file, line: line)
        XCTAssertEqual(try redis.run([["EXISTS", key]])[0], .integer(0), "the written-back key was deleted again", file: file, line: line)
        XCTAssertFalse(try late.isLoggedIn(), "the revoked cookie logs in again after the request in flight ended", file: file, line: line)
    }
}

extension FrameworkScenario {
    /// `--verify-url`: the application is asked about each revoked cookie. It refuses it after a
    /// revocation that held (exit 0, "refused" with its status); a dry run asks before, and the
    /// cookie sessionctl made from the session id logs in; an answer that matches
    /// `--verify-logged-in` is a revocation that did not hold, and no answer is no proof (exit 5).
    func verifyStory(file: StaticString = #filePath, line: UInt = #line) throws {
        let me = "http://127.0.0.1:\(app.port)/me"
        let victor = try app.login("victor")
        let id = try XCTUnwrap(try victor.userId(), file: file, line: line)
        let held = try run(["revoke-user", "--yes", "-o", "json", "--verify-url", me, "--", id])
        XCTAssertEqual(held.status, 0, "\(held)", file: file, line: line)
        let checks = try XCTUnwrap(try held.json()["verified"] as? [[String: Any]], held.stdout, file: file, line: line)
        XCTAssertEqual(checks.count, 1, "\(checks)", file: file, line: line)
        XCTAssertEqual(checks.first?["answer"] as? String, "refused", "\(checks)", file: file, line: line)
        XCTAssertEqual(checks.first?["status"] as? Int, 401, "\(checks)", file: file, line: line)
        XCTAssertTrue(held.stderr.contains("the application refused 1 of 1 revoked cookie"), held.stderr, file: file, line: line)
        // Asking left nothing behind: an app that starts a session for the refused cookie (Laravel
        // keeps the revoked id for it) has it deleted again, while anonymous.
        let revokedKey = try XCTUnwrap((try held.json()["revoked"] as? [[String: Any]])?.first?["session_key"] as? String, file: file, line: line)
        XCTAssertEqual(try redis.run([["EXISTS", revokedKey]])[0], .integer(0), "\(held.stderr)", file: file, line: line)
        XCTAssertNotNil(try held.json()["probe_sessions_deleted"] as? Int, held.stdout, file: file, line: line)
        if framework == "laravel" {
            XCTAssertEqual(
                try held.json()["probe_sessions_deleted"] as? Int, 1, "the revoked id came back as an anonymous session: \(held.stderr)", file: file,
                line: line)
        }
        XCTAssertFalse(try victor.isLoggedIn(), file: file, line: line)

        // A dry run asks first: the cookie sessionctl makes from the session id (Laravel's:
        // encrypted with the app key) logs in now, so a "refused" afterwards means something.
        let wendy = try app.login("wendy")
        let wendyId = try XCTUnwrap(try wendy.userId(), file: file, line: line)
        let before = try run(["revoke-user", "--dry-run", "-o", "json", "--verify-url", me, "--", wendyId])
        XCTAssertEqual(before.status, 0, "\(before)", file: file, line: line)
        let answer = try XCTUnwrap((try before.json()["verified"] as? [[String: Any]])?.first, before.stdout, file: file, line: line)
        XCTAssertEqual(answer["answer"] as? String, "logged_in", "\(answer)", file: file, line: line)
        XCTAssertEqual(answer["status"] as? Int, 200, "\(answer)", file: file, line: line)
        XCTAssertTrue(before.stderr.contains("still lets in 1 of 1 cookie"), before.stderr, file: file, line: line)
        XCTAssertTrue(try wendy.isLoggedIn(), file: file, line: line)
        let after = try run(["revoke-user", "--yes", "-o", "json", "--verify-url", me, "--", wendyId])
        XCTAssertEqual(after.status, 0, "\(after)", file: file, line: line)
        XCTAssertEqual(
            (try after.json()["verified"] as? [[String: Any]])?.first?["answer"] as? String, "refused", after.stdout, file: file, line: line)

        // A body pattern: the app's 401 page says "anonymous"; an app that nobody answers is no proof.
        let xavier = try app.login("xavier")
        let xId = try XCTUnwrap(try xavier.userId(), file: file, line: line)
        let pattern = try run(["revoke-user", "--yes", "-o", "json", "--verify-url", me, "--verify-logged-in", "^anon", "--", xId])
        XCTAssertEqual(pattern.status, 5, "a body matching the pattern means logged in: \(pattern)", file: file, line: line)
        let dead = try FreePort.pick()
        let yves = try app.login("yves")
        let yId = try XCTUnwrap(try yves.userId(), file: file, line: line)
        let nobody = try run(["revoke-user", "--yes", "--verify-url", "http://127.0.0.1:\(dead)/me", "--connect-timeout", "1", "--", yId])
        XCTAssertEqual(nobody.status, 5, "\(nobody)", file: file, line: line)
        XCTAssertTrue(nobody.stderr.contains("could not verify"), nobody.stderr, file: file, line: line)
        XCTAssertFalse(try yves.isLoggedIn(), "the revocation itself held", file: file, line: line)
    }
}

/// A Redis and an app kept for the whole test class; the error that stopped them from starting, if any.
struct ClassFixture {
    var scenario: FrameworkScenario?
    var error: Error?

    static func start(_ make: () throws -> FrameworkScenario) -> ClassFixture {
        do { return ClassFixture(scenario: try make()) } catch { return ClassFixture(error: error) }
    }

    /// A real Redis and the framework's app on it, started once for a test class: the server's port
    /// is in the app's `$REDIS_PORT` and replaces `{redis}` in its arguments.
    static func redisApp(
        framework: String, name: String? = nil, program: String, arguments: [String], environment: [String: String] = [:],
        cookieName: String, installHint: String, timeout: TimeInterval = 60
    ) -> ClassFixture {
        start {
            let redis = try RedisServer()
            let app = try WebApp(
                name: name ?? framework, program: program,
                arguments: arguments.map { $0.replacingOccurrences(of: "{redis}", with: String(redis.port)) },
                environment: environment.merging(["REDIS_PORT": String(redis.port)]) { own, _ in own },
                cookieName: cookieName, installHint: installHint, timeout: timeout)
            return FrameworkScenario(framework: framework, redis: redis, app: app)
        }
    }

    /// Stops the app and lets its servers go (a class's tearDown).
    mutating func stop() {
        scenario?.app.stop()
        self = ClassFixture()
    }

    /// The scenario, or the failure that says how to install what is missing.
    func get(file: StaticString = #filePath, line: UInt = #line) throws -> FrameworkScenario {
        if let scenario { return scenario }
        XCTFail("\(error.map { "\($0)" } ?? "not started")", file: file, line: line)
        throw TestSupportError("app not started")
    }
}
