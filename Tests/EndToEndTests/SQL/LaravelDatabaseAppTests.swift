import Foundation
import TestSupport
import XCTest

/// Laravel 8 (Debian's php-laravel-framework) on its database session driver, with the table made
/// by Laravel's own migration: on a real MariaDB server and on a real PostgreSQL server, both
/// started for this class in a temporary folder.
final class LaravelDatabaseAppTests: XCTestCase {
    struct Apps {
        var mariadb: MariaDBServer
        var postgres: PostgresServer
        var onMariaDB: SQLAppScenario
        var onPostgres: SQLAppScenario
        var appKeyFile: String
        var certificates: TestCertificates
    }
    nonisolated(unsafe) static var apps: Result<Apps, Error>?

    static func laravel(connection: String, port: Int, key: String) throws -> WebApp {
        let env = [
            "APP_KEY": key, "SESSION_DRIVER": "database", "DB_CONNECTION": connection, "DB_PORT": String(port),
            "DB_DATABASE": "app", "DB_USERNAME": "app", "DB_PASSWORD": "app-pw",
            "APP_SERVICES_CACHE": "services.php", "APP_PACKAGES_CACHE": "packages.php",
        ]
        // The sessions table, by Laravel's own migration (php artisan session:table's stub).
        var migrateEnv = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }
        for (k, v) in env { migrateEnv[k] = v }
        migrateEnv["APP_DIR"] = FileManager.default.temporaryDirectory.path
        let argv =
            ["/usr/bin/env"] + migrateEnv.map { "\($0.key)=\($0.value)" } + [
                "php", WebApp.sources.appendingPathComponent("laravel/migrate.php").path,
            ]
        let migrated = try PostgresServer.run(argv)
        guard migrated.status == 0, migrated.output.contains("ok") else {
            throw TestSupportError("Laravel's sessions migration failed: \(migrated.output.suffix(1500))")
        }
        return try WebApp(
            name: "laravel-\(connection)", program: "php",
            arguments: ["-S", "127.0.0.1:{port}", WebApp.sources.appendingPathComponent("laravel/public/index.php").path],
            environment: env, cookieName: "laravel_session",
            installHint: "apt-get install php-cli php-laravel-framework php-mysql php-pgsql")
    }

    override class func setUp() {
        apps = Result {
            let key = "base64:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let certs = try TestCertificates()
            let my = try MariaDBServer(tls: certs)
            try my.sql(
                "CREATE DATABASE app; CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'; GRANT ALL ON app.* TO 'app'@'127.0.0.1';"
                    + "CREATE USER 'reader'@'127.0.0.1' IDENTIFIED BY 'reader-pw'; GRANT SELECT ON app.* TO 'reader'@'127.0.0.1';"
                    + "CREATE USER 'partial'@'127.0.0.1' IDENTIFIED BY 'partial-pw';")
            let pg = try PostgresServer(tls: certs)
            try pg.psql(
                "CREATE ROLE app LOGIN PASSWORD 'app-pw'; CREATE ROLE reader LOGIN PASSWORD 'reader-pw'; CREATE ROLE partial LOGIN PASSWORD 'partial-pw';"
            )
            try pg.psql("CREATE DATABASE app OWNER app")
            let onMy = try laravel(connection: "mysql", port: my.port, key: key)
            let onPg = try laravel(connection: "pgsql", port: pg.port, key: key)
            try pg.psql("GRANT SELECT ON sessions TO reader;", database: "app")
            // A role that sees the table's columns but may read only their ids: every read of a session is refused.
            try pg.psql("GRANT SELECT (id), UPDATE ON sessions TO partial;", database: "app")
            try my.sql("GRANT SELECT (id), UPDATE ON app.sessions TO 'partial'@'127.0.0.1';")
            let keyFile = onMy.directory.appendingPathComponent(".env")
            try "APP_KEY=\(key)\n".write(to: keyFile, atomically: true, encoding: .utf8)
            let a = SQLAppScenario(
                app: onMy, url: "mysql://app@127.0.0.1:\(my.port)/app", framework: "laravel", environment: ["MYSQL_PWD": "app-pw"],
                table: "sessions"
            ) { try my.sql($0, database: "app") }
            let b = SQLAppScenario(
                app: onPg, url: "postgres://app@127.0.0.1:\(pg.port)/app", framework: "laravel", environment: ["PGPASSWORD": "app-pw"],
                table: "sessions"
            ) { try pg.psql($0, database: "app") }
            // The app's lifetime is 60 minutes (config/session.php).
            a.options = ["--lifetime", "60m"]
            b.options = ["--lifetime", "60m"]
            return Apps(mariadb: my, postgres: pg, onMariaDB: a, onPostgres: b, appKeyFile: keyFile.path, certificates: certs)
        }
    }

    override class func tearDown() {
        if case .success(let a)? = apps {
            a.onMariaDB.app.stop()
            a.onPostgres.app.stop()
        }
        apps = nil
    }

    private func get() throws -> Apps { try XCTUnwrap(Self.apps).get() }

    /// Ages a row past the 60-minute lifetime, as an idle browser would.
    private static func age(_ id: String) -> String { "UPDATE sessions SET last_activity = last_activity - 4000 WHERE id = '\(id)'" }

    func testTheStoryOnMariaDB() throws {
        try get().onMariaDB.story(age: Self.age)
    }

    func testTheStoryOnPostgreSQL() throws {
        try get().onPostgres.story(age: Self.age)
    }

    func testRevokeAllEndsEveryRowAndPingReportsTheTable() throws {
        let a = try get()
        for s in [a.onPostgres, a.onMariaDB] {
            let browsers = try ["61", "62", "63"].map { try s.app.login($0) }
            let rows = try s.rowCount()
            let ping = try s.run(["ping", "-o", "json"])
            XCTAssertEqual(ping.status, 0, "\(ping)")
            let node = try XCTUnwrap((try ping.json()["nodes"] as? [[String: Any]])?.first)
            XCTAssertEqual(node["keys"] as? Int, rows, "\(ping)")
            XCTAssertEqual(node["role"] as? String, "laravel table sessions", "\(ping)")
            // A filter that keeps everything: nothing deleted, every row counted as kept.
            let kept = try s.run(["revoke-all", "--yes", "--ip", "10.0.0.0/8", "-o", "json"])
            XCTAssertEqual(kept.status, 0, "\(kept)")
            XCTAssertEqual(try kept.json()["revoked"] as? Int, 0, "\(kept)")
            XCTAssertEqual(try s.rowCount(), rows)
            let dry = try s.run(["revoke-all", "--dry-run", "-o", "json"])
            XCTAssertEqual(try dry.json()["revoked"] as? Int, rows, "\(dry)")
            XCTAssertEqual(try s.rowCount(), rows, "a dry run deletes nothing")
            // Typed confirmation in a terminal: the wrong host aborts, the right one ends every session.
            func typed(_ answer: String) throws -> Sessionctl.Run {
                try inPseudoTerminal(
                    ["--framework", "laravel", "revoke-all"], url: s.url, answer: answer, prompt: "to confirm: ", env: s.environment)
            }
            let wrong = try typed("db.example")
            XCTAssertTrue(wrong.stdout.contains("every row of the table sessions") && wrong.stdout.contains("aborted"), wrong.stdout)
            XCTAssertEqual(try s.rowCount(), rows)
            let right = try typed("127.0.0.1")
            XCTAssertTrue(right.stdout.contains("revoked \(rows) sessions of \(rows) (deleted \(rows) rows)"), right.stdout)
            XCTAssertEqual(try s.rowCount(), 0)
            for b in browsers { XCTAssertFalse(try b.isLoggedIn(), "every cookie is refused (\(s.url))") }
        }
    }

    /// One person in Laravel's own users table (its default migration's columns, on the same
    /// MariaDB): `--identity` resolves the email to user 42 through a parameterised, read-only query,
    /// and the revocation of 42's rows is proven over HTTP; the lookup role may only read.
    func testIdentityResolvesThroughTheUsersTable() throws {
        let apps = try XCTUnwrap(Self.apps).get()
        let s = apps.onMariaDB
        try apps.mariadb.sql(
            "CREATE TABLE IF NOT EXISTS app.users (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(255) NOT NULL,"
                + " email varchar(255) NOT NULL UNIQUE, email_verified_at timestamp NULL, password varchar(255) NOT NULL,"
                + " remember_token varchar(100) NULL, created_at timestamp NULL, updated_at timestamp NULL);"
                + "REPLACE INTO app.users (id, name, email, password) VALUES (71, 'Alice', 'alice@example.com', 'x'), (72, 'Bob', 'bob@example.com', 'x');"
        )
        let alice = try s.app.login("71")
        let bob = try s.app.login("72")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lid-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config.yaml").path
        try """
        contexts:
          laravel:
            url: \(s.url)
            framework: laravel
            identity-url: mysql://reader@127.0.0.1:\(apps.mariadb.port)/app
            identity-query: SELECT id FROM users WHERE email = ?
        """.write(toFile: config, atomically: true, encoding: .utf8)
        // The sessions table's password and the reader's: each from its own place (MYSQL_PWD serves both here, as one app user).
        let env = ["SESSIONCTL_CONFIG": config, "MYSQL_PWD": "app-pw"]
        let wrongReader = try Sessionctl.run(["--context", "laravel", "list", "--identity", "alice@example.com"], environment: env)
        assertExitStatus(wrongReader, 4)
        XCTAssertTrue(wrongReader.stderr.contains("identity-url:"), wrongReader.stderr)
        try """
        contexts:
          laravel:
            url: \(s.url)
            framework: laravel
            identity-url: mysql://reader:reader-pw@127.0.0.1:\(apps.mariadb.port)/app
            identity-query: SELECT id FROM users WHERE email = ?
        """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let r = try Sessionctl.run(
            ["--context", "laravel", "revoke-user", "--identity", "alice@example.com", "--yes", "--settle", "0", "-o", "json"] + s.options,
            environment: env)
        assertExitStatus(r, 0)
        XCTAssertTrue(r.stderr.contains("identity 'alice@example.com' in context 'laravel': user 71"), r.stderr)
        XCTAssertEqual(Set((try r.json()["revoked"] as? [[String: Any]])?.compactMap { $0["user"] as? String } ?? []), ["71"])
        XCTAssertFalse(try alice.isLoggedIn())
        XCTAssertTrue(try bob.isLoggedIn())
    }

    func testRevokeByCookieOpensLaravelsEncryptedCookie() throws {
        let a = try get()
        for s in [a.onMariaDB, a.onPostgres] {
            let carol = try s.app.login("31")
            let r = try s.run(["--app-key-file", a.appKeyFile, "revoke", "--cookie", "--yes", "--", try XCTUnwrap(carol.session)])
            XCTAssertEqual(r.status, 0, "\(r)")
            XCTAssertFalse(try carol.isLoggedIn(), "the app refuses the revoked cookie (\(s.url))")
        }
    }

    /// `--verify-url` on Laravel's database driver: each probe with a revoked cookie made Laravel
    /// start an anonymous session, a row left behind per question (27 per dry run). The rows the
    /// answers' Set-Cookie name are deleted again (only while anonymous): asking changes nothing.
    func testVerifyingLeavesNoRowBehind() throws {
        let a = try get()
        for s in [a.onMariaDB, a.onPostgres] {
            let me = "http://127.0.0.1:\(s.app.port)/me"
            let b1 = try s.app.login("41")
            let b2 = try s.app.login("41")
            let bystander = try s.app.login("42")
            let before = try s.rowCount()
            // A dry run asks with cookies that still log in: Laravel re-encrypts the same session's cookie, nothing is started.
            let dry = try s.run(["--app-key-file", a.appKeyFile, "revoke-user", "--dry-run", "-o", "json", "--verify-url", me, "--", "41"])
            XCTAssertEqual(dry.status, 0, "\(dry)")
            XCTAssertEqual(try dry.json()["probe_sessions_deleted"] as? Int, 0, dry.stdout)
            XCTAssertEqual(try s.rowCount(), before, "a dry run leaves no row behind (\(s.url))")
            let r = try s.run(["--app-key-file", a.appKeyFile, "revoke-user", "--yes", "-o", "json", "--verify-url", me, "--", "41"])
            XCTAssertEqual(r.status, 0, "\(r)")
            XCTAssertEqual((try r.json()["verified"] as? [[String: Any]])?.compactMap { $0["answer"] as? String }, ["refused", "refused"], r.stdout)
            XCTAssertEqual(try r.json()["probe_sessions_deleted"] as? Int, 2, "each refused question started an anonymous session: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--verify-url's requests started 2 sessions in the application: deleted 2"), r.stderr)
            XCTAssertEqual(try s.rowCount(), before - 2, "only the two revoked rows went; no probe's row is left (\(s.url))")
            XCTAssertFalse(try b1.isLoggedIn() || b2.isLoggedIn())
            XCTAssertTrue(try bystander.isLoggedIn(), "another user's session is untouched")
        }
    }

    /// The blue/green story: a green deployment with another APP_KEY logs every user out, while
    /// `diff` on the table says "identical" (the rows are intact). `verify` asks the application
    /// with each key: the app accepts the cookies made with its own key and refuses the others,
    /// which names the cause; nothing is revoked, and the sessions the questions started are
    /// deleted again.
    func testVerifyAsksWithEachKeyAndRevokesNothing() throws {
        let a = try get()
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("green-\(UUID().uuidString.prefix(6)).env")
        try ("APP_KEY=base64:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() + "\n").write(
            to: other, atomically: true, encoding: .utf8)
        for s in [a.onMariaDB, a.onPostgres] {
            let me = "http://127.0.0.1:\(s.app.port)/me"
            let b1 = try s.app.login("51")
            let b2 = try s.app.login("51")
            let before = try s.rowCount()
            let r = try s.run([
                "--app-key-file", a.appKeyFile, "--app-key-file", other.path, "verify", "--verify-url", me, "-o", "json", "--", "51",
            ])
            XCTAssertEqual(r.status, 0, "\(r.stderr) \(r.stdout)")
            let answers = try XCTUnwrap(try r.json()["verified"] as? [[String: Any]], r.stdout)
            XCTAssertEqual(answers.count, 4, "two sessions, two keys")
            XCTAssertEqual(
                answers.filter { $0["app_key_file"] as? String == a.appKeyFile }.compactMap { $0["answer"] as? String }, ["logged_in", "logged_in"])
            XCTAssertEqual(
                answers.filter { $0["app_key_file"] as? String == other.path }.compactMap { $0["answer"] as? String }, ["refused", "refused"])
            XCTAssertEqual((try r.json()["summary"] as? [String: Int])?["logged_in"], 2)
            XCTAssertEqual(try r.json()["probe_sessions_deleted"] as? Int, 2, "each refused question started a session, deleted again: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("with \(a.appKeyFile) at \(me): 2 logged in, 0 refused"), r.stderr)
            XCTAssertTrue(r.stderr.contains("with \(other.path) at \(me): 0 logged in, 2 refused"), r.stderr)
            XCTAssertEqual(try s.rowCount(), before, "asking changes nothing (\(s.url))")
            XCTAssertTrue(try b1.isLoggedIn() && b2.isLoggedIn(), "nothing is revoked")
            let table = try s.run(["--app-key-file", a.appKeyFile, "verify", "--verify-url", me, "--", "51"])
            XCTAssertEqual(table.status, 0, "\(table)")
            XCTAssertTrue(table.stdout.contains("logged_in"), table.stdout)
            // Without users: every session of the table, paced by --rate (the bystanders' too).
            let all = try s.run(["--app-key-file", a.appKeyFile, "verify", "--verify-url", me, "--rate", "20", "-o", "json"])
            XCTAssertEqual(all.status, 0, "\(all.stderr)")
            let everyone = try XCTUnwrap(try all.json()["verified"] as? [[String: Any]], all.stdout)
            let usersRows = Int(
                try s.admin("SELECT count(*) FROM sessions WHERE user_id IS NOT NULL").trimmingCharacters(in: .whitespacesAndNewlines))
            XCTAssertEqual(everyone.count, usersRows, "a question per session of a user (anonymous rows are no one's to ask about)")
            XCTAssertTrue(everyone.contains { $0["user"] as? String == "51" && $0["answer"] as? String == "logged_in" }, all.stdout)
            XCTAssertTrue(all.stderr.contains("at most 20 questions a second"), all.stderr)
            XCTAssertEqual(try s.rowCount(), before, "asking changes nothing (\(s.url))")
            // Without --verify-url there is nothing to ask; several keys are verify's alone.
            assertExitStatus(try s.run(["verify", "--", "51"]), 2)
            assertExitStatus(try s.run(["--app-key-file", a.appKeyFile, "--app-key-file", other.path, "list", "--", "51"]), 2)
        }
    }

    /// Looking never writes, proven by the server's own log: a role that may write, whose every
    /// statement PostgreSQL logs (`log_statement = all`), runs list, show, users, audit and every
    /// dry run; the log holds their reads and no write. A real revocation by the same role is
    /// logged as a DELETE (the control that shows the log would catch one).
    func testLookingIsLoggedAsReadsOnly() throws {
        let a = try get()
        let pg = a.postgres
        _ = try pg.psql(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'looker') THEN CREATE ROLE looker LOGIN PASSWORD 'looker-pw'; END IF; END $$;"
                + " GRANT ALL ON ALL TABLES IN SCHEMA public TO looker; ALTER ROLE looker SET log_statement = 'all';", database: "app")
        let s = a.onPostgres
        let url = "postgres://looker@127.0.0.1:\(pg.port)/app"
        let b = try s.app.login("61")
        let session = try XCTUnwrap(try s.sessions(of: "61").first?["session"] as? String)
        let log = pg.directory.appendingPathComponent("postgres.log")
        let start = try Data(contentsOf: log).count
        let env = ["PGPASSWORD": "looker-pw"]
        for args in [
            ["list", "--", "61"], ["list", "-o", "wide", "--", "61"], ["show", "--", session], ["users"], ["audit"],
            ["revoke-user", "--dry-run", "--", "61"], ["revoke", "--dry-run", "--", session], ["revoke-all", "--dry-run"], ["prune", "--dry-run"],
        ] {
            let r = try s.run(args, url: url, extraEnvironment: env)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
        }
        let looked = String(decoding: try Data(contentsOf: log).dropFirst(start), as: UTF8.self)
        let statements = looked.split(separator: "\n").filter { $0.contains("LOG:  statement:") || $0.contains("LOG:  execute") }
        XCTAssertGreaterThan(statements.count, 5, "the reads are logged: \(looked.suffix(2000))")
        let writes = statements.filter { line in ["DELETE", "UPDATE", "INSERT"].contains { line.uppercased().contains(" \($0) ") } }
        XCTAssertEqual(writes, [], "no write was attempted")
        XCTAssertTrue(try b.isLoggedIn())
        // The control: a revocation by the same role is logged as a write.
        let before = try Data(contentsOf: log).count
        let real = try s.run(["revoke-user", "--yes", "--", "61"], url: url, extraEnvironment: env)
        XCTAssertEqual(real.status, 0, "\(real)")
        let revoked = String(decoding: try Data(contentsOf: log).dropFirst(before), as: UTF8.self)
        XCTAssertTrue(revoked.uppercased().contains("DELETE FROM"), "the log catches a write: \(revoked.suffix(2000))")
        XCTAssertFalse(try b.isLoggedIn())
    }

    func testAReadOnlyUserCannotRevokeAndNothingIsDeleted() throws {
        let a = try get()
        for (s, url, env) in [
            (a.onMariaDB, "mysql://reader@127.0.0.1:\(a.mariadb.port)/app", ["MYSQL_PWD": "reader-pw"]),
            (a.onPostgres, "postgres://reader@127.0.0.1:\(a.postgres.port)/app", ["PGPASSWORD": "reader-pw"]),
        ] {
            let dave = try s.app.login("41")
            // Reading works for a read-only user.
            let list = try s.run(["list", "-o", "json", "--", "41"], url: url, extraEnvironment: env)
            XCTAssertEqual((try list.json()["sessions"] as? [Any])?.count, 1, "\(list)")
            let rows = try s.rowCount()
            let r = try s.run(["revoke-user", "--yes", "--", "41"], url: url, extraEnvironment: env)
            XCTAssertNotEqual(r.status, 0, "\(r)")
            XCTAssertTrue([1, 5].contains(r.status), "\(r)")
            XCTAssertTrue(r.stderr.contains("denied") || r.stderr.contains("permission"), r.stderr)
            XCTAssertFalse(r.stdout.contains("revoked") && !r.stdout.contains("failed"), r.stdout)
            XCTAssertEqual(try s.rowCount(), rows, "nothing deleted")
            XCTAssertTrue(try dave.isLoggedIn())
        }
    }

    /// `prune` whose DELETE the server refuses (a SELECT-only role): before, exit 0 and "complete":
    /// true, the dead row still there. Now the run is incomplete (exit 5) and says why.
    func testAPruneWhoseDeleteIsRefusedIsIncomplete() throws {
        let a = try get()
        for (s, url, env) in [
            (a.onMariaDB, "mysql://reader@127.0.0.1:\(a.mariadb.port)/app", ["MYSQL_PWD": "reader-pw"]),
            (a.onPostgres, "postgres://reader@127.0.0.1:\(a.postgres.port)/app", ["PGPASSWORD": "reader-pw"]),
        ] {
            let erin = try s.app.login("43")
            let id = try XCTUnwrap(try s.sessions(of: "43").first?["session"] as? String)
            _ = try s.admin(Self.age(id))
            let rows = try s.rowCount()
            let r = try s.run(["prune", "--yes", "-o", "json"], url: url, extraEnvironment: env)
            assertExitStatus(r, 5)
            XCTAssertEqual(try r.json()["complete"] as? Bool, false, r.stdout)
            XCTAssertTrue(r.stderr.contains("denied"), r.stderr)
            XCTAssertEqual(try s.rowCount(), rows, "the refused row is still there, and the result says so")
            _ = try s.admin("DELETE FROM sessions WHERE id = '\(id)'")
            _ = erin
        }
    }

    /// A statement the server refuses after connecting (a role that may read only the ids) ends with
    /// the server's words and exit 1, through the one exit-code function: never "unexpected error".
    func testARefusedReadEndsWithTheServersWords() throws {
        let a = try get()
        for (s, url, env) in [
            (a.onMariaDB, "mysql://partial@127.0.0.1:\(a.mariadb.port)/app", ["MYSQL_PWD": "partial-pw"]),
            (a.onPostgres, "postgres://partial@127.0.0.1:\(a.postgres.port)/app", ["PGPASSWORD": "partial-pw"]),
        ] {
            for args in [["list", "--", "41"], ["users"], ["audit"], ["snapshot"], ["revoke-user", "--yes", "--", "41"]] {
                let r = try s.run(args, url: url, extraEnvironment: env)
                XCTAssertTrue([1, 5].contains(r.status), "\(args): \(r)")
                XCTAssertFalse(r.stderr.contains("unexpected error"), "\(args): \(r.stderr)")
                XCTAssertTrue(r.stderr.lowercased().contains("denied"), "\(args): \(r.stderr)")
            }
        }
    }

    func testTLSVerifiesTheServerAndAPasswordFileWorks() throws {
        let a = try get()
        let s = a.onPostgres
        let erin = try s.app.login("51")
        let verified = "postgres://app@localhost:\(a.postgres.port)/app?sslmode=verify-full&sslrootcert=\(a.certificates.path("ca.crt"))"
        let ok = try s.run(["list", "-o", "json", "--", "51"], url: verified)
        XCTAssertEqual((try ok.json()["sessions"] as? [Any])?.count, 1, "\(ok)")
        // A CA that did not sign the server's certificate: refused, exit 4, one line.
        let other = "postgres://app@localhost:\(a.postgres.port)/app?sslmode=verify-full&sslrootcert=\(a.certificates.path("other-ca.crt"))"
        let refused = try s.run(["list", "--", "51"], url: other)
        XCTAssertEqual(refused.status, 4, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("certificate"), refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        // MariaDB: the same, with ssl-mode=VERIFY_IDENTITY.
        let m = a.onMariaDB
        let frank = try m.app.login("52")
        let myVerified = "mysql://app@127.0.0.1:\(a.mariadb.port)/app?ssl-mode=VERIFY_IDENTITY&ssl-ca=\(a.certificates.path("ca.crt"))"
        let myOK = try m.run(["list", "-o", "json", "--", "52"], url: myVerified)
        XCTAssertEqual((try myOK.json()["sessions"] as? [Any])?.count, 1, "\(myOK)")
        let myOther = "mysql://app@127.0.0.1:\(a.mariadb.port)/app?ssl-mode=VERIFY_IDENTITY&ssl-ca=\(a.certificates.path("other-ca.crt"))"
        let myRefused = try m.run(["list", "--", "52"], url: myOther)
        XCTAssertEqual(myRefused.status, 4, "\(myRefused)")
        XCTAssertEqual(myRefused.stderr.split(separator: "\n").count, 1, myRefused.stderr)
        XCTAssertTrue(try frank.isLoggedIn())
        // The password from --password-file ranks above $PGPASSWORD (here wrong).
        let file = s.app.directory.appendingPathComponent("pgpass").path
        try "app-pw\n".write(toFile: file, atomically: true, encoding: .utf8)
        let byFile = try s.run(
            ["--password-file", file, "revoke-user", "--yes", "--", "51"], url: verified, extraEnvironment: ["PGPASSWORD": "wrong"])
        XCTAssertEqual(byFile.status, 0, "\(byFile)")
        XCTAssertFalse(try erin.isLoggedIn())
    }

    func testAServerThatNeverAnswersIsAConnectErrorWithinTheDeadline() throws {
        let a = try get()
        // A listening socket that accepts and never speaks.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = FreePort.loopback(port: 0)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(fd, 8)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        for url in ["postgres://app@127.0.0.1:\(port)/app", "mysql://app@127.0.0.1:\(port)/app"] {
            let start = Date()
            let r = try a.onMariaDB.run(["--connect-timeout", "1", "list", "--", "7"], url: url)
            XCTAssertEqual(r.status, 4, "\(url): \(r)")
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, url)
        }
    }

    func testWrongPasswordsAndMissingTablesAreClearErrors() throws {
        let a = try get()
        let s = a.onMariaDB
        let wrong = try s.run(["list", "--", "7"], extraEnvironment: ["MYSQL_PWD": "nope"])
        XCTAssertEqual(wrong.status, 4, "\(wrong)")
        XCTAssertFalse(wrong.stderr.contains("nope"), wrong.stderr)
        let pgWrong = try a.onPostgres.run(["list", "--", "7"], extraEnvironment: ["PGPASSWORD": "nope"])
        XCTAssertEqual(pgWrong.status, 4, "\(pgWrong)")
        XCTAssertEqual(pgWrong.stderr.split(separator: "\n").count, 1, pgWrong.stderr)
        let missing = try s.run(["--table", "nosuch", "list", "--", "7"])
        XCTAssertEqual(missing.status, 2, "\(missing)")
        XCTAssertTrue(missing.stderr.contains("no table 'nosuch'"), missing.stderr)
        _ = try s.admin("CREATE TABLE IF NOT EXISTS notsessions (id varchar(10), payload text)")
        let shape = try s.run(["--table", "notsessions", "users"])
        XCTAssertEqual(shape.status, 2, "\(shape)")
        XCTAssertTrue(shape.stderr.contains("lacks user_id, ip_address, user_agent, last_activity"), shape.stderr)
        let injected = try s.run(["--table", "sessions; DROP TABLE sessions", "users"])
        XCTAssertEqual(injected.status, 2, "\(injected)")
        XCTAssertGreaterThanOrEqual(try s.rowCount(), 0, "the table is still there")
        // Options that need Redis say so.
        let index = try s.run(["--index", "user_sessions:<user>", "list", "--", "7"])
        XCTAssertEqual(index.status, 2, "\(index)")
        XCTAssertTrue(index.stderr.contains("--index works on Redis stores"), index.stderr)
        let detect = try s.run(["detect"])
        XCTAssertEqual(detect.status, 2, "\(detect)")
        XCTAssertTrue(detect.stderr.contains("works on Redis stores"), detect.stderr)
    }
}
