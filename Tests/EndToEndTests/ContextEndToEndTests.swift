import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Contexts in the configuration file, through the binary: two contexts (TLS with a CA, and a
/// cluster), precedence flag > environment > context, and files that are refused.
final class ContextEndToEndTests: XCTestCase {
    private func configFile(_ text: String, mode: mode_t = 0o600) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ctx-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("config.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode)
        return path
    }

    func testTwoContextsTLSAndClusterAndPrecedence() throws {
        let certs = try TestCertificates()
        let tls = try RedisServer(tls: certs)
        _ = try tls.run([["SET", "user:alice:t1", "session:t1"], ["SET", "session:t1", "{}", "EX", "600"]])
        let cluster = try RedisCluster()
        // The production context names the flask preset: its sessions have Flask-Session's ids.
        let c1 = SessionIds.flask("c1")
        let p1 = SessionIds.flask("p1")
        try cluster.write([["SET", "user:alice:\(c1)", "session:\(c1)"], ["SET", "session:\(c1)", "{}", "EX", "600"]])
        let plain = try Fixture()
        try plain.seed([("alice", p1)])
        let config = try configFile(
            """
            current-context: staging
            contexts:
              staging:
                url: rediss://localhost:\(tls.port)
                cacert: \(certs.path("ca.crt"))
              production:
                url: \(cluster.url)
                cluster: true
                framework: flask
                actor: oncall
            """)
        let env = ["SESSIONCTL_CONFIG": config]
        // The current context: TLS verified against the context's CA.
        let staging = try Sessionctl.run(["list", "alice", "-o", "json"], environment: env)
        XCTAssertEqual(staging.status, 0, "\(staging)")
        XCTAssertEqual((try staging.json()["sessions"] as? [[String: Any]])?.first?["session"] as? String, "t1")
        // --context and $SESSIONCTL_CONTEXT pick another.
        let prod = try Sessionctl.run(["--context", "production", "list", "alice", "-o", "json"], environment: env)
        XCTAssertEqual((try prod.json()["sessions"] as? [[String: Any]])?.first?["session"] as? String, c1, "\(prod)")
        let byEnv = try Sessionctl.run(["ping", "-o", "json"], environment: env.merging(["SESSIONCTL_CONTEXT": "production"]) { _, b in b })
        XCTAssertEqual(try byEnv.json()["mode"] as? String, "cluster", "\(byEnv)")
        // Precedence: the environment beats the context, a flag beats both.
        let envWins = try Sessionctl.run(
            ["list", "alice", "-o", "json"], environment: env.merging(["SESSIONCTL_URL": plain.server.url]) { _, b in b })
        XCTAssertEqual((try envWins.json()["sessions"] as? [[String: Any]])?.first?["session"] as? String, p1, "\(envWins)")
        let flagWins = try Sessionctl.run(
            ["--context", "production", "--url", plain.server.url, "--no-cluster", "list", "alice", "-o", "json"],
            environment: env.merging(["SESSIONCTL_URL": tls.url]) { _, b in b })
        XCTAssertEqual((try flagWins.json()["sessions"] as? [[String: Any]])?.first?["session"] as? String, p1, "\(flagWins)")
        // A connection error says where the target came from.
        let gone = try configFile("current-context: x\ncontexts:\n  x:\n    url: redis://127.0.0.1:1\n")
        let refused = try Sessionctl.run(["ping"], environment: ["SESSIONCTL_CONFIG": gone])
        XCTAssertEqual(refused.status, 4, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("(target from context 'x')"), refused.stderr)
        // context list, show, use.
        let list = try Sessionctl.run(["context", "list"], environment: env)
        XCTAssertTrue(
            list.stdout.contains("*        staging") || list.stdout.contains("*  staging") || list.stdout.contains("* staging")
                || list.stdout.split(separator: "\n").contains { $0.hasPrefix("*") && $0.contains("staging") }, list.stdout)
        let use = try Sessionctl.run(["context", "use", "production"], environment: env)
        XCTAssertEqual(use.status, 0, "\(use)")
        XCTAssertTrue(try String(contentsOfFile: config, encoding: .utf8).hasPrefix("current-context: production\n"))
        let show = try Sessionctl.run(["context", "show", "-o", "json"], environment: env)
        XCTAssertEqual(try show.json()["name"] as? String, "production", "\(show)")
        // show merges as a command does: the environment over the context, the rest from the context.
        let merged = try Sessionctl.run(
            ["context", "show", "-o", "json"],
            environment: env.merging(["SESSIONCTL_URL": plain.server.url, "SESSIONCTL_FRAMEWORK": "rails", "USER": "ops"]) { _, b in b })
        let effective = Dictionary(
            uniqueKeysWithValues: ((try merged.json()["effective"] as? [[String: Any]]) ?? []).map {
                ($0["option"] as? String ?? "", ($0["value"] as? String ?? "", $0["source"] as? String ?? ""))
            })
        XCTAssertEqual(effective["url"]?.0, plain.server.url, "\(merged)")
        XCTAssertEqual(effective["url"]?.1.hasPrefix("$SESSIONCTL_URL (context: "), true, "\(merged)")
        XCTAssertEqual(effective["framework"]?.0, "rails", "\(merged)")
        XCTAssertEqual(effective["framework"]?.1, "$SESSIONCTL_FRAMEWORK (context: flask)", "\(merged)")
        XCTAssertEqual(effective["cluster"]?.1, "context", "\(merged)")
        XCTAssertEqual(effective["actor"]?.0, "oncall", "the context's actor ranks above $USER: \(merged)")
        let mergedTable = try Sessionctl.run(["context", "show", "staging"], environment: env)
        XCTAssertTrue(mergedTable.stdout.contains("FROM") && mergedTable.stdout.contains("cacert"), mergedTable.stdout)
        let typo = try Sessionctl.run(["--context", "prodution", "ping"], environment: env)
        XCTAssertEqual(typo.status, 2, "\(typo)")
        XCTAssertTrue(typo.stderr.contains("did you mean 'production'?"), typo.stderr)
    }

    func testPasswordsAreNeverShownAndAReadableFileIsRefused() throws {
        let f = try Fixture(extraConfig: ["requirepass s3cret"], password: "s3cret")
        try f.seed([("alice", "s1")])
        let text = "current-context: prod\ncontexts:\n  prod:\n    url: \(f.server.url)\n    password: s3cret\n"
        let good = try configFile(text)
        let run = try Sessionctl.run(["list", "alice", "-o", "json"], environment: ["SESSIONCTL_CONFIG": good])
        XCTAssertEqual(run.status, 0, "\(run)")
        let show = try Sessionctl.run(["context", "show"], environment: ["SESSIONCTL_CONFIG": good])
        XCTAssertFalse(show.stdout.contains("s3cret"), show.stdout)
        XCTAssertTrue(show.stdout.contains("(set; not shown)"), show.stdout)
        let open = try configFile(text, mode: 0o644)
        let refused = try Sessionctl.run(["list", "alice"], environment: ["SESSIONCTL_CONFIG": open])
        XCTAssertEqual(refused.status, 2, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("chmod 600"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("s3cret"))
    }

    func testMalformedFilesAreOneLineErrors() throws {
        let unknown = try configFile("contexts:\n  a:\n    url: redis://127.0.0.1:1\n    cacertt: x\n")
        let u = try Sessionctl.run(["ping"], environment: ["SESSIONCTL_CONFIG": unknown])
        XCTAssertEqual(u.status, 2, "\(u)")
        XCTAssertTrue(
            u.stderr.contains("line 4") && u.stderr.contains("unknown key 'cacertt'") && u.stderr.contains("did you mean 'cacert'?"), u.stderr)
        let broken = try configFile("contexts:\n  a: [unclosed\n")
        let b = try Sessionctl.run(["ping"], environment: ["SESSIONCTL_CONFIG": broken])
        XCTAssertEqual(b.status, 2, "\(b)")
        XCTAssertTrue(b.stderr.contains("not valid YAML"), b.stderr)
        XCTAssertEqual(b.stderr.split(separator: "\n").count, 1, b.stderr)
        let dir = FileManager.default.temporaryDirectory.path
        let d = try Sessionctl.run(["ping"], environment: ["SESSIONCTL_CONFIG": dir])
        XCTAssertEqual(d.status, 2, "\(d)")
        XCTAssertTrue(d.stderr.contains("not a regular file"), d.stderr)
        // Anchors and aliases (a "billion laughs" file hung the YAML parser): one line, exit 2, at once.
        var bomb = "current-context: a\nx: &x [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        var previous = "x"
        for n in 1...12 {
            bomb += "l\(n): &l\(n) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
            previous = "l\(n)"
        }
        let bombFile = try configFile(bomb)
        let started = Date()
        let laughs = try Sessionctl.run(["ping"], environment: ["SESSIONCTL_CONFIG": bombFile])
        XCTAssertEqual(laughs.status, 2, "\(laughs)")
        XCTAssertTrue(laughs.stderr.contains("line 2: YAML anchors and aliases"), laughs.stderr)
        XCTAssertEqual(laughs.stderr.split(separator: "\n").count, 1, laughs.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        let badValue = try configFile("current-context: a\ncontexts:\n  a:\n    timeout: -1\n")
        let v = try Sessionctl.run(["ping"], environment: ["SESSIONCTL_CONFIG": badValue])
        XCTAssertEqual(v.status, 2, "\(v)")
        XCTAssertTrue(v.stderr.contains("line 4"), v.stderr)
        let missing = try Sessionctl.run(["--context", "x", "ping"], environment: ["SESSIONCTL_CONFIG": "/nonexistent/config.yaml"])
        XCTAssertEqual(missing.status, 2, "\(missing)")
    }

    /// `context current` names the context a command would use and what chose it; with no file,
    /// the error points to `help context`, which shows an example file.
    func testContextCurrentAndTheWayToAFirstFile() throws {
        let config = try configFile("current-context: a\ncontexts:\n  a:\n    url: redis://127.0.0.1:1\n  b:\n    url: redis://127.0.0.1:2\n")
        let env = ["SESSIONCTL_CONFIG": config]
        let current = try Sessionctl.run(["context", "current"], environment: env)
        XCTAssertEqual(current.status, 0, "\(current)")
        XCTAssertEqual(current.stdout, "a\n")
        let chosen = try Sessionctl.run(["context", "current", "-o", "json"], environment: env.merging(["SESSIONCTL_CONTEXT": "b"]) { $1 })
        XCTAssertEqual(try chosen.json()["name"] as? String, "b")
        XCTAssertEqual(try chosen.json()["source"] as? String, "$SESSIONCTL_CONTEXT")
        let flag = try Sessionctl.run(["--context", "b", "context", "current", "-o", "json"], environment: env)
        XCTAssertEqual(try flag.json()["source"] as? String, "--context")
        let unknown = try Sessionctl.run(["--context", "c", "context", "current"], environment: env)
        XCTAssertEqual(unknown.status, 2, "\(unknown)")
        let none = try configFile("contexts:\n  a:\n    url: redis://127.0.0.1:1\n")
        let unset = try Sessionctl.run(["context", "current"], environment: ["SESSIONCTL_CONFIG": none])
        XCTAssertEqual(unset.status, 1, "\(unset)")
        XCTAssertTrue(unset.stderr.contains("has no current-context") && unset.stderr.contains("context use NAME"), unset.stderr)
        // No file at the default place: the error says where an example is, and that place has one.
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID().uuidString.prefix(6))").path
        let missing = try Sessionctl.run(["--context", "prod", "ping"], environment: ["HOME": home])
        XCTAssertEqual(missing.status, 2, "\(missing)")
        XCTAssertTrue(missing.stderr.contains("'sessionctl help context' shows an example file"), missing.stderr)
        let help = try Sessionctl.run(["help", "context"], environment: ["HOME": home])
        XCTAssertTrue(help.stdout.contains("An example file (sessionctl reads \(home)/.config/sessionctl/config.yaml):"), help.stdout)
        XCTAssertTrue(help.stdout.contains("    contexts:\n      production:\n"), help.stdout)
    }

    /// `identities:` maps a person to the user ids a context's app knows them by; a context with
    /// half a lookup, or a command given --identity with no way to resolve it, is a usage error.
    func testIdentitiesResolvePeopleToTheContextsUserIds() throws {
        let f = try Fixture()
        try f.seed([("5", "s5"), ("6", "s6"), ("9", "s9")])
        let config = try configFile(
            """
            contexts:
              app:
                url: \(f.server.url)
                identities:
                  dave@example.com: ["5", "6"]
                  erin@example.com: "7"
              bare:
                url: \(f.server.url)
              half:
                url: \(f.server.url)
                identity-url: sqlite:///nonexistent.db
            """)
        let env = ["SESSIONCTL_CONFIG": config]
        let dave = try Sessionctl.run(["--context", "app", "list", "--identity", "dave@example.com", "-o", "json"], environment: env)
        assertExitStatus(dave, 0)
        XCTAssertEqual((try dave.json()["sessions"] as? [[String: Any]])?.compactMap { $0["user"] as? String }, ["5", "6"])
        XCTAssertTrue(dave.stderr.contains("identity 'dave@example.com' in context 'app': users 5, 6 (from identities:)"), dave.stderr)
        // One person found, one not: said, and the found one is acted on.
        let two = try Sessionctl.run(
            ["--context", "app", "list", "--identity", "erin@example.com", "--identity", "zed@example.com", "9"], environment: env)
        assertExitStatus(two, 0)
        XCTAssertTrue(two.stderr.contains("identity 'zed@example.com' resolves to no user in context 'app' (looked in identities:)"), two.stderr)
        XCTAssertTrue(two.stdout.contains("s9"), two.stdout)
        let bare = try Sessionctl.run(["--context", "bare", "list", "--identity", "dave@example.com"], environment: env)
        assertExitStatus(bare, 2)
        XCTAssertTrue(bare.stderr.contains("--identity needs the context's identities:"), bare.stderr)
        let half = try Sessionctl.run(["--context", "half", "list", "--identity", "dave@example.com"], environment: env)
        assertExitStatus(half, 2)
        XCTAssertTrue(half.stderr.contains("needs identity-url and identity-query together"), half.stderr)
        let shown = try Sessionctl.run(["context", "show", "app"], environment: env)
        XCTAssertTrue(shown.stdout.contains("dave@example.com: 5"), shown.stdout)
    }

    /// One person across every app: `--context a,b,c` and `--all-contexts` run in each context at
    /// once (Redis, another Redis, a SQL table), each resolving the person its own way; one question
    /// names every target and its count; a context out of reach leaves the others done and the run
    /// incomplete; an unknown context is refused before anything connects.
    func testOnePersonAcrossEveryContext() throws {
        let rails = try Fixture()
        let flask = try Fixture()
        try rails.seed([("1", "r1"), ("1", "r2"), ("2", "r3")])
        try flask.seed([("alice", "f1"), ("bob", "f2")])
        let now = Int(Date().timeIntervalSince1970)
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("fan-\(UUID().uuidString.prefix(6)).sqlite").path
        try Sessionctl.sqlite(
            db,
            "CREATE TABLE sessions (id varchar(255) PRIMARY KEY, user_id integer, ip_address varchar(45), user_agent text, payload text NOT NULL, last_activity integer NOT NULL);"
                + "CREATE TABLE users (id integer PRIMARY KEY, email text);"
                + "INSERT INTO users VALUES (42, 'alice@example.com'), (7, 'bob@example.com');"
                + "INSERT INTO sessions VALUES ('l-1', 42, '203.0.113.7', 'x', 'YTowOnt9', \(now)), ('l-2', 7, '10.1.1.1', 'y', 'YTowOnt9', \(now));")
        let config = try configFile(
            """
            contexts:
              rails:
                url: \(rails.server.url)
                identities:
                  alice@example.com: "1"
              flask:
                url: \(flask.server.url)
                identities:
                  alice@example.com: alice
              laravel:
                url: sqlite://\(db)
                framework: laravel
                identity-url: sqlite://\(db)
                identity-query: SELECT id FROM users WHERE email = ?
              down:
                url: redis://127.0.0.1:1
                connect-timeout: 1
                identities:
                  alice@example.com: "9"
            """)
        let env = ["SESSIONCTL_CONFIG": config]
        // An unknown name: a usage error, nothing connected, nothing deleted.
        let unknown = try Sessionctl.run(["revoke-user", "--identity", "alice@example.com", "--context", "rails,nope", "--yes"], environment: env)
        assertExitStatus(unknown, 2)
        XCTAssertTrue(unknown.stderr.contains("nope"), unknown.stderr)
        XCTAssertTrue(try rails.exists("session:r1"))
        assertExitStatus(try Sessionctl.run(["show", "r1", "--context", "rails,flask"], environment: env), 2)
        assertExitStatus(try Sessionctl.run(["revoke-user", "--identity", "alice@example.com", "--context", "rails,flask"], environment: env), 2)

        // Looking: one table with a CONTEXT column; JSON grouped by context, each with its target.
        let listed = try Sessionctl.run(["list", "--identity", "alice@example.com", "--context", "rails,flask,laravel"], environment: env)
        assertExitStatus(listed, 0)
        XCTAssertTrue(listed.stdout.hasPrefix("CONTEXT  USER   SESSION"), listed.stdout)
        for row in ["rails    1      r1", "rails    1      r2", "flask    alice  f1", "laravel  42     l-1"] {
            XCTAssertTrue(listed.stdout.contains(row), "\(row): \(listed.stdout)")
        }
        XCTAssertFalse(listed.stdout.contains("r3") || listed.stdout.contains("f2") || listed.stdout.contains("l-2"), listed.stdout)
        XCTAssertTrue(listed.stderr.contains("[laravel] identity 'alice@example.com' in context 'laravel': user 42"), listed.stderr)
        let grouped = try Sessionctl.run(["users", "--all-contexts", "-o", "json"], environment: env)
        assertExitStatus(grouped, 5)
        let contexts = try XCTUnwrap(try grouped.json()["contexts"] as? [[String: Any]])
        XCTAssertEqual(contexts.compactMap { $0["context"] as? String }, ["down", "flask", "laravel", "rails"])
        XCTAssertEqual(contexts.first?["complete"] as? Bool, false)
        XCTAssertEqual(contexts.first?["exit_code"] as? Int, 4)
        XCTAssertEqual(contexts.last?["target"] as? String, rails.server.url)
        XCTAssertEqual(((contexts.last?["result"] as? [String: Any])?["users"] as? [Any])?.count, 2)
        XCTAssertEqual(try grouped.json()["complete"] as? Bool, false)

        // Revoking: one question, every target named with its count; then each context revokes.
        let asked = try inPseudoTerminal(
            ["revoke-user", "--identity", "alice@example.com", "--all-contexts", "--settle", "0"], url: "-", columns: 200, answer: "y",
            env: env)
        let text = asked.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        XCTAssertEqual(asked.status, 5, text)
        XCTAssertTrue(text.contains("Revoke 4 sessions in 3 contexts (each on its own target above)? [y/N]"), text)
        XCTAssertTrue(text.contains("cannot reach (exit 4): not asked again"), text)
        XCTAssertTrue(text.contains("rails    \(rails.server.url)"), text)
        XCTAssertTrue(text.contains("context 'down' (redis://127.0.0.1:1) was not reached"), text)
        XCTAssertFalse(try rails.exists("session:r1") || rails.exists("session:r2") || flask.exists("session:f1"))
        XCTAssertTrue(try rails.exists("session:r3") && flask.exists("session:f2"), "nobody else's")
        let left = try Sessionctl.run(["--url", "sqlite://" + db, "--framework", "laravel", "list", "42", "7", "-o", "json"])
        XCTAssertEqual((try left.json()["sessions"] as? [[String: Any]])?.compactMap { $0["session"] as? String }, ["l-2"])
        // Again: nothing anywhere is exit 3 only when no reachable context found anyone.
        let again = try Sessionctl.run(
            ["revoke-user", "--identity", "alice@example.com", "--context", "rails,flask,laravel", "--yes", "-o", "ndjson"], environment: env)
        assertExitStatus(again, 3)
        XCTAssertEqual(try again.ndjson().summary["exit_code"] as? Int, 3)
    }

    /// `-o json context show prod` printed `redis://:s3cr3tPW@…` and `postgres://app:pgS3cret@…` in
    /// clear (the table masked them), and a 0644 file was refused with a `password:` key but
    /// accepted with the password inside a `url:`. Every password is masked in every output format,
    /// and a file readable by others is refused wherever its password stands.
    func testPasswordsInURLsAreNeverShownAndKeepTheFilePrivate() throws {
        let text = """
            current-context: prod
            contexts:
              prod:
                url: redis://:s3cr3tPW@127.0.0.1:1
                cached-db-url: postgres://app:pgS3cret@127.0.0.1:5432/app
              sql:
                url: postgres://app:pgS3cret@127.0.0.1:5432/app
            """
        let config = try configFile(text)
        let env = ["SESSIONCTL_CONFIG": config]
        for args in [
            ["-o", "json", "context", "show", "prod"], ["context", "show", "prod"], ["-o", "json", "context", "show", "sql"],
            ["-o", "json", "context", "list"], ["context", "list"], ["-o", "ndjson", "context", "show", "prod"],
        ] {
            let r = try Sessionctl.run(args, environment: env)
            assertExitStatus(r, 0)
            for secret in ["s3cr3tPW", "pgS3cret"] {
                XCTAssertFalse(r.stdout.contains(secret) || r.stderr.contains(secret), "\(args) shows a password: \(r)")
            }
        }
        XCTAssertTrue(try Sessionctl.run(["-o", "json", "context", "show", "sql"], environment: env).stdout.contains("postgres://***@127.0.0.1"))
        // A file others can read is refused when a URL holds a password, as it is for a password: key.
        let open = try configFile(text, mode: 0o644)
        let refused = try Sessionctl.run(["context", "list"], environment: ["SESSIONCTL_CONFIG": open])
        assertExitStatus(refused, 2)
        XCTAssertTrue(refused.stderr.contains("holds a password") && refused.stderr.contains("chmod 600"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("s3cr3tPW"), refused.stderr)
        let noSecret = try configFile("current-context: x\ncontexts:\n  x:\n    url: redis://127.0.0.1:1\n", mode: 0o644)
        assertExitStatus(try Sessionctl.run(["context", "list"], environment: ["SESSIONCTL_CONFIG": noSecret]), 0)
    }

    /// With `$REDIS_URL` pointing at production (as on many application hosts), `--context staging
    /// revoke-user alice --yes` revoked the production session. A context the operator named wins
    /// over the environment's URL, framework and password, and one stderr line says what was
    /// overridden; the current-context (not named) still ranks below the environment.
    func testANamedContextWinsOverTheEnvironmentsURL() throws {
        // The staging context names the flask preset: the sessions have Flask-Session's ids.
        let prod1 = SessionIds.flask("prod1")
        let stag1 = SessionIds.flask("stag1")
        let production = try Fixture()
        try production.seed([("alice", prod1)])
        let staging = try Fixture()
        try staging.seed([("alice", stag1)])
        try staging.server.run([["ACL", "SETUSER", "oncall", "on", ">staging-pw", "~*", "&*", "+@all"]])
        let config = try configFile(
            """
            current-context: staging
            contexts:
              staging:
                url: redis://oncall@127.0.0.1:\(staging.server.port)
                password: staging-pw
                framework: flask
            """)
        let env = [
            "SESSIONCTL_CONFIG": config, "REDIS_URL": production.server.url, "REDISCLI_AUTH": "production-pw", "SESSIONCTL_FRAMEWORK": "rails",
        ]
        for chosen in [["--context", "staging"], []] {
            let r = try Sessionctl.run(
                chosen + ["revoke-user", "alice", "--yes", "--settle", "0"],
                environment: chosen.isEmpty ? env.merging(["SESSIONCTL_CONTEXT": "staging"]) { _, b in b } : env)
            assertExitStatus(r, 0)
            XCTAssertTrue(try production.exists("session:\(prod1)"), "production is not the target: \(r)")
            XCTAssertTrue(
                r.stderr.contains("$REDIS_URL is set (redis://127.0.0.1:\(production.server.port)) but the context 'staging' you named wins"),
                r.stderr)
            XCTAssertTrue(r.stderr.contains("$SESSIONCTL_FRAMEWORK is set (rails) but the context 'staging' you named wins"), r.stderr)
            try staging.seed([("alice", stag1)])
        }
        XCTAssertFalse(try production.exists("session:never-written"))
        // The current-context, not named: the environment still ranks above it (and nothing is said).
        let ambient = try Sessionctl.run(
            ["list", "alice", "-o", "json"], environment: ["SESSIONCTL_CONFIG": config, "REDIS_URL": production.server.url])
        assertExitStatus(ambient, 0)
        XCTAssertEqual((try ambient.json()["sessions"] as? [[String: Any]])?.first?["session"] as? String, prod1, "\(ambient)")
        XCTAssertFalse(ambient.stderr.contains("you named wins"), ambient.stderr)
    }
}
