import Foundation
import TestSupport
import XCTest

/// The incident the README walks through, one command per step, against two real applications:
/// alice is user `N` in the Rails app (Devise's users table, looked up by email) and `alice` in the
/// Flask app (a context's identities map); an attacker with the user agent EvilBot/2.1 is logged in
/// to both. Resolve, hunt, evidence and revoke, then a lockout window while the attacker logs in
/// again: every revocation is proven by asking the applications over HTTP.
final class IncidentAcrossAppsTests: XCTestCase {
    nonisolated(unsafe) static var rails = ClassFixture()
    nonisolated(unsafe) static var flask = ClassFixture()

    override class func setUp() {
        rails = .redisApp(
            framework: "rails", program: "ruby", arguments: [WebApp.sources.appendingPathComponent("rails/app.rb").path],
            cookieName: "_app_session",
            installHint: "apt-get install ruby-rails ruby-devise ruby-redis-actionpack ruby-sqlite3 ruby-webrick", timeout: 120)
        flask = .redisApp(
            framework: "flask", program: "python3", arguments: [WebApp.sources.appendingPathComponent("flask/app.py").path],
            cookieName: "session", installHint: "pip install flask-session flask-login")
    }

    override class func tearDown() {
        rails.stop()
        flask.stop()
    }

    func testTheIncidentOneCommandPerStep() throws {
        let r = try Self.rails.get()
        let f = try Self.flask.get()
        // The victim and the attacker in both apps, and a bystander.
        let victimRails = try r.app.login("alice")
        let attackerRails = try r.app.login("alice", userAgent: "EvilBot/2.1")
        let victimFlask = try f.app.login("alice")
        let attackerFlask = try f.app.login("alice", userAgent: "EvilBot/2.1")
        let bystander = try r.app.login("bob")
        let railsId = try XCTUnwrap(try victimRails.userId())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("incident-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config.yaml").path
        try """
        contexts:
          rails:
            url: \(r.redis.url)
            framework: rails
            identity-url: sqlite://\(r.app.directory.appendingPathComponent("db.sqlite3").path)
            identity-query: SELECT id FROM users WHERE email = ?
          flask:
            url: \(f.redis.url)
            framework: flask
            identities:
              alice@example.test: alice
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let env = ["SESSIONCTL_CONFIG": config]
        // With $INCIDENT_TRANSCRIPT set, each step's command and output are kept there (the README's worked incident).
        let transcript = ProcessInfo.processInfo.environment["INCIDENT_TRANSCRIPT"]
        func run(_ args: [String]) throws -> Sessionctl.Run {
            let result = try Sessionctl.run(args, environment: env)
            if let transcript {
                let text = "$ sessionctl " + args.joined(separator: " ") + "\n" + result.stdout + result.stderr + "\n"
                if let h = FileHandle(forWritingAtPath: transcript) {
                    h.seekToEndOfFile()
                    h.write(Data(text.utf8))
                    h.closeFile()
                } else {
                    try text.write(toFile: transcript, atomically: true, encoding: .utf8)
                }
            }
            return result
        }

        // 1. Resolve: who alice is in each app, and her sessions there.
        assertExitStatus(try run(["--all-contexts", "list", "--identity", "alice@example.test", "-o", "wide"]), 0)
        let resolved = try run(["--all-contexts", "list", "--identity", "alice@example.test", "-o", "json"])
        assertExitStatus(resolved, 0)
        let byContext = try XCTUnwrap(try resolved.json()["contexts"] as? [[String: Any]])
        let counts = Dictionary(
            uniqueKeysWithValues: byContext.map {
                ($0["context"] as? String ?? "", (($0["result"] as? [String: Any])?["sessions"] as? [Any])?.count ?? -1)
            })
        XCTAssertEqual(counts, ["rails": 2, "flask": 2], resolved.stdout)
        XCTAssertTrue(resolved.stderr.contains("[rails] identity 'alice@example.test' in context 'rails': user \(railsId)"), resolved.stderr)

        // 2. Hunt: what the attacker's user agent reached, in every app, with no user given.
        let hunted = try run(["--all-contexts", "list", "--user-agent", "evilbot"])
        assertExitStatus(hunted, 0)
        let rows = hunted.stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, 2, hunted.stdout)
        XCTAssertTrue(rows.contains { $0.hasPrefix("rails") && $0.contains(" \(railsId) ") }, hunted.stdout)
        XCTAssertTrue(rows.contains { $0.hasPrefix("flask") && $0.contains(" alice ") }, hunted.stdout)
        let reached = try run(["--all-contexts", "users", "--user-agent", "evilbot", "-o", "json"])
        assertExitStatus(reached, 0)

        // 3 and 4. Evidence first, then the revocation, in both apps at once.
        let revoked = try run([
            "--all-contexts", "revoke-user", "--identity", "alice@example.test", "--yes", "--settle", "0", "--reason", "INC-7",
            "--evidence", dir.appendingPathComponent("evidence-<context>.ndjson").path, "--audit-log", dir.appendingPathComponent("audit.log").path,
        ])
        assertExitStatus(revoked, 0)
        for context in ["rails", "flask"] {
            let evidence = try String(contentsOf: dir.appendingPathComponent("evidence-\(context).ndjson"), encoding: .utf8)
            XCTAssertEqual(evidence.split(separator: "\n").count, 2, "\(context): \(evidence)")
            XCTAssertTrue(evidence.contains("EvilBot/2.1"), "the attacker's user agent is kept: \(evidence)")
        }
        for b in [victimRails, attackerRails, victimFlask, attackerFlask] { XCTAssertFalse(try b.isLoggedIn(), "revoked, as the app says") }
        XCTAssertTrue(try bystander.isLoggedIn())
        let verdict = try Sessionctl.run(["audit-log", "verify", dir.appendingPathComponent("audit.log").path])
        assertExitStatus(verdict, 0)

        // 5. The lockout window: the attacker logs in again to both apps, and is logged out again.
        let arguments = [
            "--all-contexts", "watch", "--identity", "alice@example.test", "--for", "8s", "--interval", "0.3s", "--revoke", "--yes", "--settle",
            "0", "-o", "json",
        ]
        let watch = try Sessionctl.start(arguments, environment: env)
        Thread.sleep(forTimeInterval: 2.5)
        let again = [try r.app.login("alice", userAgent: "EvilBot/2.1"), try f.app.login("alice", userAgent: "EvilBot/2.1")]
        let ended = watch.wait()
        let (stdout, stderr) = (ended.stdoutBytes, ended.stderr)
        XCTAssertEqual(ended.status, 0, stderr)
        if let transcript, let h = FileHandle(forWritingAtPath: transcript) {
            h.seekToEndOfFile()
            h.write(Data(("$ sessionctl " + arguments.joined(separator: " ") + "\n").utf8) + stdout + Data(stderr.utf8))
            h.closeFile()
        }
        let windows = try XCTUnwrap(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])["contexts"] as? [[String: Any]]
        let events = (windows ?? []).flatMap { (($0["result"] as? [String: Any])?["events"] as? [[String: Any]]) ?? [] }
        XCTAssertEqual(events.compactMap { $0["result"] as? String }, ["revoked", "revoked"], "\(windows ?? []) \(stderr)")
        for b in again { XCTAssertFalse(try b.isLoggedIn(), "a login during the window is ended, as the app says") }
        XCTAssertTrue(try bystander.isLoggedIn())
    }
}
