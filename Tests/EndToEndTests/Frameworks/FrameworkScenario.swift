import Foundation
import RedisClient
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
        let alice1 = try app.login("alice"), alice2 = try app.login("alice"), bob = try app.login("bob")
        let alice = try XCTUnwrap(try alice1.userId(), file: file, line: line), bobId = try XCTUnwrap(try bob.userId(), file: file, line: line)

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
        XCTAssertTrue(wide.stdout.contains("IP") && wide.stdout.contains("127.0.0.1") && wide.stdout.contains("sessionctl-test/1.0"), wide.stdout, file: file, line: line)

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
        var cursor = "0", out: [String] = []
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
        let ivan1 = try app.login("ivan"), ivan2 = try app.login("ivan"), judy = try app.login("judy")
        let ivan = try XCTUnwrap(try ivan1.userId(), file: file, line: line), judyId = try XCTUnwrap(try judy.userId(), file: file, line: line)
        let anonymous = app.browser()
        _ = try anonymous.get("/me") // some frameworks store a session for every visitor
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
        func keys(_ r: Sessionctl.Run) throws -> [String] { (try r.json()["sessions"] as? [[String: Any]] ?? []).compactMap { $0["session_key"] as? String }.sorted() }
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

/// A Redis and an app kept for the whole test class; the error that stopped them from starting, if any.
struct ClassFixture {
    var scenario: FrameworkScenario?
    var error: Error?

    static func start(_ make: () throws -> FrameworkScenario) -> ClassFixture {
        do { return ClassFixture(scenario: try make()) } catch { return ClassFixture(error: error) }
    }

    /// A real Redis and the framework's app on it, started once for a test class: the server's port
    /// is in the app's `$REDIS_PORT` and replaces `{redis}` in its arguments.
    static func redisApp(framework: String, name: String? = nil, program: String, arguments: [String], environment: [String: String] = [:],
                         cookieName: String, installHint: String, timeout: TimeInterval = 60) -> ClassFixture {
        start {
            let redis = try RedisServer()
            let app = try WebApp(name: name ?? framework, program: program,
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
