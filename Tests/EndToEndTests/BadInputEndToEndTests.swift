import Foundation
import TestSupport
import XCTest

/// Bad input gets one clear line on stderr and the contract's exit status, and loses nothing.
final class BadInputEndToEndTests: XCTestCase {
    private func run(_ args: [String], env: [String: String] = [:]) throws -> Sessionctl.Run {
        try Sessionctl.run(args, environment: env)
    }

    func testUsageErrors() throws {
        let cases: [([String], String)] = [
            (["list", "a", "--outptu", "json"], "sessionctl: unknown option '--outptu': did you mean --output?\n"),
            (["lst", "a"], "sessionctl: unknown command 'lst': did you mean 'list'?\n"),
            (["users", "--scan-count", "abc"], "sessionctl: invalid value 'abc' for --scan-count: expected a whole number from 1 to 1000000\n"),
            (
                ["users", "--timeout", "-1"],
                "sessionctl: invalid value '-1' for --timeout: expected a number of seconds greater than 0, such as 5 or 0.5\n"
            ),
            (["list", ""], "sessionctl: 'list': an id must not be empty\n"),
            (["list"], "sessionctl: 'list' needs at least one user id, or a filter (--ip, --user-agent, …); see 'sessionctl help list'\n"),
            (["-q"], "sessionctl: no command given; see 'sessionctl --help'\n"),
            (["users", "--url", "127.0.0.1:6379"], "sessionctl: malformed URL '127.0.0.1:6379': no scheme (write redis://127.0.0.1:6379)\n"),
            (["users", "--url", "redis://h:99999"], "sessionctl: malformed URL 'redis://h:99999': port '99999' is not a number from 1 to 65535\n"),
            (
                ["users", "--mapping", "user:<user>"],
                "sessionctl: bad key template 'user:<user>': a mapping template names <user> and <session> once each\n"
            ),
        ]
        for (args, expected) in cases {
            let r = try run(args)
            assertExitStatus(r, 2)
            XCTAssertEqual(r.stderr, expected, "\(args)")
            XCTAssertEqual(r.stdout, "")
        }
        // No arguments at all: the help, on stderr, exit 2 (as gh does).
        let bare = try run([])
        assertExitStatus(bare, 2)
        XCTAssertEqual(bare.stdout, "")
        XCTAssertTrue(bare.stderr.hasPrefix("sessionctl \(bare.stderr.split(separator: " ")[1]) find, show and revoke"), bare.stderr)
        XCTAssertTrue(bare.stderr.contains("Commands:") && bare.stderr.contains("revoke-user"), bare.stderr)
    }

    func testALooseMappingTemplateIsRefusedAndNothingIsDeleted() throws {
        let f = try Fixture()
        try f.server.run([["SET", "config:main", "keep"], ["SET", "ratelimit:1.2.3.4", "9"]])
        let r = try f.run("--mapping", "<user>:<session>", "--session-key", "session:<session>", "prune", "--yes")
        assertExitStatus(r, 2)
        XCTAssertTrue(r.stderr.contains("literal prefix"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(try f.exists("config:main"))
        XCTAssertTrue(try f.exists("ratelimit:1.2.3.4"))
    }

    /// `--lifetime 120` was 120 seconds while Laravel's `SESSION_LIFETIME=120` is minutes: `prune`
    /// deleted rows idle 10 and 30 minutes. A bare number is now a usage error that names the unit.
    func testALifetimeWithoutAUnitIsRefusedAndNothingIsPruned() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/sessions.db"
        let now = Int(Date().timeIntervalSince1970)
        let made = try PostgresServer.run([
            "/usr/bin/sqlite3", path,
            """
            CREATE TABLE sessions (id varchar(255) PRIMARY KEY, user_id integer, ip_address varchar(45), user_agent text, payload text NOT NULL, last_activity integer NOT NULL);
            INSERT INTO sessions VALUES ('idle10m', 1, '10.0.0.1', 'ua', 'YTowOnt9', \(now - 600)), ('idle30m', 2, '10.0.0.1', 'ua', 'YTowOnt9', \(now - 1800));
            """,
        ])
        XCTAssertEqual(made.status, 0, made.output)
        let r = try Sessionctl.run(["--url", "sqlite://" + path, "prune", "--lifetime", "120", "--yes"])
        assertExitStatus(r, 2)
        XCTAssertTrue(r.stderr.contains("120m") && r.stderr.contains("minutes"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "one line: \(r.stderr)")
        let count = try PostgresServer.run(["/usr/bin/sqlite3", path, "SELECT count(*) FROM sessions"])
        XCTAssertEqual(count.output.trimmingCharacters(in: .whitespacesAndNewlines), "2", "nothing pruned")
        // A table named with its schema, as SQLite names it (was "near '.': syntax error").
        let schema = try Sessionctl.run(["--url", "sqlite://" + path, "--table", "main.sessions", "list", "1", "-o", "json"])
        assertExitStatus(schema, 0)
        XCTAssertEqual((try schema.json()["sessions"] as? [Any])?.count, 1, "\(schema)")
        // With the unit, Laravel's 120 minutes keeps both rows.
        let ok = try Sessionctl.run(["--url", "sqlite://" + path, "prune", "--lifetime", "120m", "--yes"])
        assertExitStatus(ok, 0)
        XCTAssertEqual(
            try PostgresServer.run(["/usr/bin/sqlite3", path, "SELECT count(*) FROM sessions"]).output.trimmingCharacters(
                in: .whitespacesAndNewlines), "2")
    }

    func testRefusedPortIsExit4() throws {
        let port = try FreePort.pick()
        let r = try run(["list", "alice", "--url", "redis://127.0.0.1:\(port)"])
        assertExitStatus(r, 4)
        XCTAssertTrue(r.stderr.hasPrefix("sessionctl: cannot connect to 127.0.0.1:\(port): connection refused"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1)
    }

    func testServerThatNeverAnswersIsExit4WithinTheDeadline() throws {
        let silent = try SilentServer()
        let start = Date()
        let r = try run(["list", "alice", "--url", silent.url, "--connect-timeout", "0.5"])
        assertExitStatus(r, 4)
        XCTAssertTrue(r.stderr.contains("did not answer within 0.5s"), r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testWrongPasswordAndUnknownACLUser() throws {
        let f = try Fixture(extraConfig: ["requirepass adminpw", "user ops on >opspw ~* &* +@all"], password: "adminpw")
        try f.seed([("alice", "s1")])
        let url = f.server.url
        let cases: [([String], [String: String])] = [
            (["list", "alice", "--url", url], [:]),
            (["list", "alice", "--url", url], ["REDISCLI_AUTH": "wrong"]),
            (["list", "alice", "--url", "redis://ghost@127.0.0.1:\(f.server.port)"], ["REDISCLI_AUTH": "x"]),
        ]
        for (args, env) in cases {
            let r = try run(args, env: env)
            assertExitStatus(r, 4)
            XCTAssertTrue(r.stderr.contains("authentication to 127.0.0.1"), r.stderr)
            XCTAssertTrue(r.stderr.contains("check the user and password"), r.stderr)
        }
        let ok = try run(["list", "alice", "--url", "redis://ops@127.0.0.1:\(f.server.port)", "--json"], env: ["REDISCLI_AUTH": "opspw"])
        assertExitStatus(ok, 0)
        XCTAssertEqual(ok.stderr, "", "a password from the environment is not warned about")
    }

    func testPasswordSources() throws {
        let f = try Fixture(extraConfig: ["requirepass adminpw"], password: "adminpw")
        let inURL = try run(["ping", "--url", "redis://:adminpw@127.0.0.1:\(f.server.port)"])
        assertExitStatus(inURL, 0)
        XCTAssertTrue(inURL.stderr.contains("warning: a password in --url is visible"), inURL.stderr)
        XCTAssertFalse(inURL.stderr.contains("adminpw"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try "adminpw\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try run(["ping", "--url", f.server.url, "--password-file", file.path])
        assertExitStatus(fromFile, 0)
        XCTAssertEqual(fromFile.stderr, "")
        let missing = try run(["ping", "--url", f.server.url, "--password-file", "/nonexistent/pw"])
        assertExitStatus(missing, 2)
        XCTAssertTrue(missing.stderr.contains("cannot read --password-file '/nonexistent/pw'"), missing.stderr)
        // A directory was read as "no password"; a FIFO with no writer hung the run.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pwdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let isDir = try run(["ping", "--url", f.server.url, "--password-file", dir.path])
        assertExitStatus(isDir, 2)
        XCTAssertTrue(isDir.stderr.contains("is a directory; it must be a regular file"), isDir.stderr)
        let fifo = dir.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let isFifo = try Sessionctl.run(["ping", "--url", f.server.url, "--password-file", fifo], timeout: 10)
        assertExitStatus(isFifo, 2)
        XCTAssertTrue(isFifo.stderr.contains("is a FIFO"), isFifo.stderr)
    }

    func testWrongTypeMappingIsRefusedAndKept() throws {
        let f = try Fixture()
        try f.server.run([["HSET", "user:alice:s1", "a", "b"], ["SET", "session:s1", "x"]])
        let r = try Sessionctl.run(["revoke-user", "alice", "--yes", "--json"], environment: ["SESSIONCTL_URL": f.server.url])
        assertExitStatus(r, 1)  // nothing revoked: everything found was refused
        XCTAssertTrue(r.stderr.contains("nothing was revoked"), r.stderr)
        XCTAssertEqual((try r.json()["refused"] as? [[String: Any]])?.first?["reason"] as? String, "mapping key is not a string (WRONGTYPE)")
        XCTAssertTrue(try f.exists("user:alice:s1"))
        XCTAssertTrue(try f.exists("session:s1"))
    }

    func testStdoutClosedEarlyIsNotACrash() throws {
        let f = try Fixture()
        try f.seed((0..<300).map { ("alice", "s\($0)") })
        let r = try Sessionctl.exec(
            "/bin/sh", ["-c", "\(Sessionctl.binary) list alice | head -1"].map { Data($0.utf8) },
            environment: ["SESSIONCTL_URL": f.server.url], stdin: nil, timeout: 30)
        assertExitStatus(r, 0)
        XCTAssertTrue(r.stdout.hasPrefix("USER"))
        XCTAssertEqual(r.stderr, "")
    }
}

/// Connection forms and interruption through the binary.
final class ConnectionEndToEndTests: XCTestCase {
    func testIPv6AndHostNames() throws {
        let server = try RedisServer(ipv6: true)
        try server.run([["SET", "user:u:s1", "session:s1"], ["SET", "session:s1", "x"]])
        for url in ["redis://[::1]:\(server.port)", "redis://localhost:\(server.port)/0", "redis://127.0.0.1:\(server.port)"] {
            let r = try Sessionctl.run(["list", "u", "--json", "--url", url])
            assertExitStatus(r, 0)
            XCTAssertEqual((try r.json()["sessions"] as? [Any])?.count, 1, url)
        }
    }

    func testUnreachableHostTimesOutWithExit4() throws {
        let unreachable = try UnreachableServer()
        let start = Date()
        let r = try Sessionctl.run(["ping", "--url", unreachable.url, "--connect-timeout", "0.5"])
        assertExitStatus(r, 4)
        XCTAssertTrue(r.stderr.hasPrefix("sessionctl: cannot connect to 127.0.0.1:\(unreachable.port): "), r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testCtrlCReportsWhatWasDoneAndExits130() throws {
        let server = try RedisServer()
        let admin = try server.admin()
        for chunk in 0..<20 {
            _ = try admin.pipeline((0..<10_000).map { ["SET", "noise:\(chunk):\($0)", "x"].map { Array($0.utf8) } })
        }
        try server.run([["SET", "user:u:s1", "session:s1"]])
        // COUNT 1 makes the scan take many round trips; Ctrl-C arrives in the middle.
        let r = try Sessionctl.run(["list", "u", "--json", "--scan-count", "1", "--url", server.url], interruptAfter: 0.5)
        assertExitStatus(r, 130)
        XCTAssertEqual(try r.json()["complete"] as? Bool, false)
        XCTAssertTrue(r.stderr.contains("interrupted"), r.stderr)
    }

    func testCtrlCWhileWaitingForIdsOnStandardInputExits130() throws {
        // Standard input stays open and empty: sessionctl waits for ids; Ctrl-C is an interruption, not "no ids".
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let r = try Sessionctl.run(
            ["revoke-user", "-", "--yes"], environment: ["SESSIONCTL_URL": f.server.url],
            timeout: 20, interruptAfter: 1.0, holdStdinOpen: true)
        assertExitStatus(r, 130)
        XCTAssertTrue(r.stderr.contains("interrupted before any user id was read; nothing was deleted"), r.stderr)
        XCTAssertFalse(r.stderr.contains("no user ids"), r.stderr)
        XCTAssertTrue(try f.exists("session:s1"))
    }
}

/// What the binary does when its own output cannot be written, or is cut short.
final class OutputEndToEndTests: XCTestCase {
    func testAFullDiskOnStdoutIsAFailureAndAClosedPipeIsQuiet() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        // `sessionctl users > /dev/full` exited 0 with no message.
        let full = try Sessionctl.exec(
            "/bin/sh", ["-c", "\"$0\" users > /dev/full", Sessionctl.binary].map { Data($0.utf8) },
            environment: ["SESSIONCTL_URL": f.server.url], stdin: nil, timeout: 30)
        XCTAssertEqual(full.status, 1, "\(full)")
        XCTAssertEqual(full.stderr, "sessionctl: cannot write to standard output: No space left on device\n")
        let piped = try Sessionctl.exec(
            "/bin/sh", ["-c", "\"$0\" users | head -c 0", Sessionctl.binary].map { Data($0.utf8) },
            environment: ["SESSIONCTL_URL": f.server.url], stdin: nil, timeout: 30)
        XCTAssertEqual(piped.status, 0, "\(piped)")
        XCTAssertEqual(piped.stderr, "")
    }

    func testAPartialTableSaysSoAfterItsRows() throws {
        let server = try RedisServer()
        let admin = try server.admin()
        for chunk in 0..<10 {
            _ = try admin.pipeline((0..<10_000).map { ["SET", "noise:\(chunk):\($0)", "x"].map { Array($0.utf8) } })
        }
        try server.run([["SET", "user:u:s1", "session:s1"], ["SET", "session:s1", "x"]])
        let r = try Sessionctl.run(["users", "--scan-count", "1", "--url", server.url], interruptAfter: 0.5)
        assertExitStatus(r, 130)
        XCTAssertTrue(r.stdout.hasSuffix("# partial result (interrupted): see the lines on stderr\n"), r.stdout)
        XCTAssertTrue(r.stderr.hasSuffix("interrupted: the result above is partial\n"), r.stderr)
    }
}
