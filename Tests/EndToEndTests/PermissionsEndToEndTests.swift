import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Permission problems never read as an empty keyspace, named users never become `default`,
/// and every message says which server it is about and where that came from.
final class PermissionsEndToEndTests: XCTestCase {
    private static let acl = [
        "user blindkeys on >bkpw ~nothing:* +@all",
        "user halfkeys on >hkpw ~user:* ~session:a* +@all",
        "user ops2 on >ops2pw ~* +@all",
        "user nogetrange on >ngpw ~* +@all -getrange",
    ]

    private func fixture() throws -> Fixture {
        let f = try Fixture(extraConfig: Self.acl)
        try f.seed([("alice", "a1"), ("alice", "a2"), ("alice", "b1"), ("alice", "b2"), ("alice", "b3")])
        return f
    }

    private func run(_ f: Fixture, _ user: String, _ pw: String, _ args: [String]) throws -> Sessionctl.Run {
        try Sessionctl.run(args + ["--url", "redis://\(user)@127.0.0.1:\(f.server.port)"], environment: ["REDISCLI_AUTH": pw])
    }

    func testAPermissionErrorIsNeverAnEmptyResult() throws {
        let f = try fixture()
        // No key may be read: before, "no sessions found", exit 0, complete.
        let list = try run(f, "blindkeys", "bkpw", ["list", "alice", "--json"])
        assertExitStatus(list, 1)
        XCTAssertEqual(try list.json()["complete"] as? Bool, false)
        XCTAssertEqual(list.stderr.components(separatedBy: "NOPERM").count - 1, 1, "summarised once: \(list.stderr)")
        XCTAssertTrue(list.stderr.contains("give it key patterns that match --mapping and --session-glob"), list.stderr)
        let table = try run(f, "blindkeys", "bkpw", ["list", "alice"])
        assertExitStatus(table, 1)
        XCTAssertFalse(table.stderr.contains("no sessions found"), table.stderr)
        // Before: five "refused: server error: NOPERM" rows, "revoked 0 sessions", exit 0.
        let revoke = try run(f, "blindkeys", "bkpw", ["revoke-user", "alice", "--yes", "--json"])
        assertExitStatus(revoke, 1)
        XCTAssertEqual(try revoke.json()["complete"] as? Bool, false)
        XCTAssertEqual((try revoke.json()["refused"] as? [Any])?.count, 0)
        XCTAssertEqual(revoke.stderr.components(separatedBy: "NOPERM").count - 1, 1, revoke.stderr)
        XCTAssertTrue(try f.exists("session:a1"))
        // Part of the keys readable: what could be done is done, and the result is incomplete (5).
        let half = try run(f, "halfkeys", "hkpw", ["list", "alice", "--json"])
        assertExitStatus(half, 5)
        XCTAssertEqual((try half.json()["sessions"] as? [Any])?.count, 2)
        let halfRevoke = try run(f, "halfkeys", "hkpw", ["revoke-user", "alice", "--yes", "--json"])
        assertExitStatus(halfRevoke, 5)
        XCTAssertEqual((try halfRevoke.json()["revoked"] as? [Any])?.count, 2)
        XCTAssertTrue(try f.exists("session:b1"))
        XCTAssertTrue(try f.exists("user:alice:b1"), "a session that could not be deleted keeps its mapping")
    }

    func testANamedUserNeedsAPassword() throws {
        let f = try fixture()
        // Before: connected as `default`, with its rights.
        let r = try Sessionctl.run(["ping", "--url", "redis://ops2@127.0.0.1:\(f.server.port)"])
        assertExitStatus(r, 2)
        XCTAssertTrue(r.stderr.contains("the URL names the user 'ops2' but no password was given (--url)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("$REDISCLI_AUTH") && r.stderr.contains("--password-file") && r.stderr.contains("--askpass"), r.stderr)
        let fromEnv = try Sessionctl.run(["ping"], environment: ["REDIS_URL": "redis://ops2@127.0.0.1:\(f.server.port)"])
        assertExitStatus(fromEnv, 2)
        XCTAssertTrue(fromEnv.stderr.contains("($REDIS_URL)"), fromEnv.stderr)
        // --askpass without a terminal: the first line of standard input.
        // --askpass and "-" would both read standard input: a usage error, nothing deleted.
        let both = try Sessionctl.run(
            ["revoke-user", "-", "--yes", "--askpass", "--url", "redis://ops2@127.0.0.1:\(f.server.port)"],
            stdin: Data("ops2pw\nalice\n".utf8))
        assertExitStatus(both, 2)
        XCTAssertTrue(both.stderr.contains("--askpass reads the password from standard input, which '-' also reads"), both.stderr)
        XCTAssertTrue(try f.exists("session:a1"))
        let piped = try Sessionctl.run(["ping", "--askpass", "--url", "redis://ops2@127.0.0.1:\(f.server.port)"], stdin: Data("ops2pw\n".utf8))
        assertExitStatus(piped, 0)
        XCTAssertFalse(piped.stdout.contains("ops2pw") || piped.stderr.contains("ops2pw"))
        // On a terminal it asks, without echo: the password is typed once the prompt is there.
        let driver = """
            import os, pty, sys, time
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], [sys.argv[1], "ping", "--url", sys.argv[2]])
            out = b""
            deadline = time.time() + 20
            while b"Password for" not in out and time.time() < deadline:
                out += os.read(fd, 4096)
            time.sleep(0.2)
            os.write(fd, b"ops2pw\\n")
            try:
                while True:
                    data = os.read(fd, 4096)
                    if not data:
                        break
                    out += data
            except OSError:
                pass
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(out.decode(errors="replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let tty = try Sessionctl.exec(
            "/usr/bin/python3", ["-c", driver, Sessionctl.binary, "redis://ops2@127.0.0.1:\(f.server.port)"].map { Data($0.utf8) },
            environment: ["TERM": "dumb"], stdin: nil, timeout: 30)
        XCTAssertEqual(tty.status, 0, "\(tty)")
        XCTAssertTrue(tty.stdout.contains("Password for ops2@127.0.0.1:\(f.server.port): "), tty.stdout)
        XCTAssertFalse(tty.stdout.contains("ops2pw"), "not echoed: \(tty.stdout)")
        XCTAssertTrue(tty.stdout.contains("standalone"), tty.stdout)
    }

    func testNothingDoneIsSaid() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        try f.server.run([["SET", "user:mallory:evil", "config:main"], ["SET", "config:main", "keep"]])
        let nobody = try f.run("revoke-user", "nobody", "--yes", "--json")
        assertExitStatus(nobody, 3)
        XCTAssertEqual(try nobody.json()["not_found"] as? [String], ["nobody"])
        XCTAssertTrue(nobody.stderr.contains("user 'nobody' has no sessions"), nobody.stderr)
        let mixed = try f.run("revoke-user", "nobody", "alice", "--yes", "-o", "ndjson")
        assertExitStatus(mixed, 0)
        XCTAssertTrue(mixed.stdout.contains("{\"user\":\"nobody\",\"result\":\"not_found\"}"), mixed.stdout)
        XCTAssertTrue(mixed.stdout.contains("\"result\":\"revoked\""), mixed.stdout)
        // Everything found was refused: nothing revoked is a failure, not a success.
        let refused = try f.run("revoke", "evil", "--yes", "--json")
        assertExitStatus(refused, 1)
        XCTAssertTrue(refused.stderr.contains("nothing was revoked"), refused.stderr)
        XCTAssertTrue(try f.exists("config:main"))
        let refusedUser = try f.run("revoke-user", "mallory", "--yes")
        assertExitStatus(refusedUser, 1)
    }

    func testErrorsAndRecordsNameTheTarget() throws {
        let r = try Sessionctl.run(["ping"], environment: ["REDIS_URL": "redis://127.0.0.1:1"])
        assertExitStatus(r, 4)
        XCTAssertTrue(r.stderr.contains("cannot connect to 127.0.0.1:1") && r.stderr.contains("(target from $REDIS_URL)"), r.stderr)
        let d = try Sessionctl.run(["ping"], environment: ["SESSIONCTL_URL": "redis://127.0.0.1:1", "REDIS_URL": "redis://127.0.0.1:2"])
        XCTAssertTrue(d.stderr.contains("(target from $SESSIONCTL_URL)"), d.stderr)
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let revoke = try f.run("revoke-user", "alice", "--yes", "--audit-log", log.path)
        assertExitStatus(revoke, 0)
        let records = try auditRecords(log)
        let start = try XCTUnwrap(records.first)
        XCTAssertEqual(start.action, "run_start")
        for record in records {
            XCTAssertEqual(record.target["endpoint"] as? String, "127.0.0.1:\(f.server.port)")
            XCTAssertEqual(record.target["database"] as? String, "0")
            XCTAssertEqual(record.target["cluster"] as? Bool, false)
            XCTAssertFalse(record.text.contains("password"))
        }
    }

    /// The README's old ACL lacked GETRANGE: `show` printed `payload -` (JSON `payload: null`),
    /// complete, exit 0. A refused read is a failure, named once, and the payload says it was not read.
    func testARefusedReadIsNeverAnEmptyPayload() throws {
        let f = try fixture()
        let json = try run(f, "nogetrange", "ngpw", ["show", "a1", "-o", "json"])
        assertExitStatus(json, 5)
        let s = try XCTUnwrap((try json.json()["sessions"] as? [[String: Any]])?.first, json.stdout)
        XCTAssertEqual(s["payload_error"] as? String, "not read (see complete and stderr)", "\(s)")
        XCTAssertEqual(try json.json()["complete"] as? Bool, false)
        XCTAssertEqual(json.stderr.split(separator: "\n").filter { $0.contains("GETRANGE") }.count, 1, "named once: \(json.stderr)")
        XCTAssertTrue(json.stderr.contains("grant +getrange"), json.stderr)
        let table = try run(f, "nogetrange", "ngpw", ["show", "a1"])
        assertExitStatus(table, 5)
        XCTAssertTrue(table.stdout.contains("(not read: see the lines on stderr)"), table.stdout)
        XCTAssertFalse(table.stdout.split(separator: "\n").contains { $0.hasPrefix("payload") && $0.hasSuffix(" -") }, table.stdout)
        // list -o wide: what the payload would say is unknown ("?"), not absent ("-"), and the run is partial.
        let wide = try run(f, "nogetrange", "ngpw", ["list", "alice", "-o", "wide"])
        assertExitStatus(wide, 5)
        let row = try XCTUnwrap(wide.stdout.split(separator: "\n").first { $0.hasPrefix("alice") && $0.contains(" a1 ") }, wide.stdout)
        XCTAssertTrue(row.contains(" ? "), "\(row)")
        XCTAssertTrue(wide.stdout.contains("# partial result"), wide.stdout)
    }
}
