import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// On-call audits and incident operations through the binary: audit, prune, bulk revocation, the audit trail.
final class IncidentEndToEndTests: XCTestCase {
    private func sha256(_ s: String) throws -> String {
        let r = try Sessionctl.exec(
            "/bin/sh", ["-c", "printf '%s' \"$0\" | openssl dgst -sha256 -r", s].map { Data($0.utf8) },
            environment: [:], stdin: nil, timeout: 10)
        return String(r.stdout.prefix(64))
    }

    func testAuditReportAndExitStatus() throws {
        let f = try Fixture()
        try f.server.run([
            ["SET", "user:alice:s1", "session:s1", "EX", "100"], ["SET", "session:s1", "x"],
            ["SET", "user:bob:s2", "session:gone", "EX", "100"], ["SET", "session:stray", "x", "EX", "50"],
        ])
        let json = try f.run("audit", "--json")
        assertExitStatus(json, 0)
        let obj = try json.json()
        let counts = try XCTUnwrap(obj["counts"] as? [String: Int])
        XCTAssertEqual(
            Set(counts.keys),
            [
                "mappings", "users", "live_sessions", "orphaned_mappings", "mappings_without_ttl",
                "sessions_without_ttl", "mappings_expiring_before_session", "unmapped_sessions", "refused",
                "index_keys", "stale_index_members", "indexes_without_ttl",
            ], "additive: the index counts are 0 without --index")
        XCTAssertEqual(counts["mappings"], 2)
        XCTAssertEqual(counts["orphaned_mappings"], 1)
        XCTAssertEqual(counts["sessions_without_ttl"], 1)
        XCTAssertEqual(counts["mappings_expiring_before_session"], 1)
        XCTAssertEqual(counts["unmapped_sessions"], 1)
        let examples = try XCTUnwrap(obj["examples"] as? [String: [String]])
        XCTAssertEqual(examples["orphaned_mappings"], ["user:bob:s2"])
        XCTAssertEqual(examples["unmapped_sessions"], ["session:stray"])
        XCTAssertNil(examples["refused"], "examples only for non-zero counts")
        let buckets = try XCTUnwrap(obj["ttl_buckets"] as? [[String: Any]])
        XCTAssertEqual(buckets.count, 6)
        XCTAssertEqual(buckets[0]["max_seconds"] as? Int, 300)
        XCTAssertTrue(buckets[5]["max_seconds"] is NSNull)
        XCTAssertEqual(obj["complete"] as? Bool, true)
        let table = try f.run("audit")
        assertExitStatus(table, 0)
        let row = table.stdout.split(separator: "\n").first { $0.hasPrefix("orphaned mappings (session gone) ") }
        XCTAssertTrue(row?.hasSuffix(" 1  user:bob:s2") ?? false, table.stdout)
        XCTAssertFalse(table.stdout.split(separator: "\n").contains { $0.hasSuffix(" ") }, "no trailing blanks")
        XCTAssertTrue(table.stdout.contains("never expires"), table.stdout)
    }

    func testPruneWithDryRunYesAndAuditLog() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        try f.server.run([["SET", "user:bob:s2", "session:gone"], ["SET", "user:bob:s3", "session:gone2"], ["SET", "user:eve:x", "config:main"]])
        let dry = try f.run("prune", "--dry-run", "--json")
        assertExitStatus(dry, 0)
        XCTAssertEqual((try dry.json()["revoked"] as? [[String: Any]])?.compactMap { $0["mapping_key"] as? String }, ["user:bob:s2", "user:bob:s3"])
        XCTAssertTrue(try f.exists("user:bob:s2"))
        let noYes = try f.run("prune")
        assertExitStatus(noYes, 2)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let real = try f.run("prune", "--yes", "--grace", "0.2s", "--audit-log", log.path, "--reason", "INC-7", env: ["USER": "oncall"])
        assertExitStatus(real, 0)
        XCTAssertFalse(try f.exists("user:bob:s2"))
        XCTAssertFalse(try f.exists("user:bob:s3"))
        XCTAssertTrue(try f.exists("user:eve:x"))
        XCTAssertTrue(try f.exists("user:alice:s1"))
        let records = try auditRecords(log)
        XCTAssertEqual(records.map(\.action), ["run_start", "prune", "prune", "run_end"])
        let record = records[1]
        XCTAssertEqual(record.phase, "before")
        XCTAssertEqual(record.s["command"] as? String, "prune")
        XCTAssertEqual(record.actor, "oncall")
        XCTAssertEqual(record.event["reason"] as? String, "INC-7")
        XCTAssertEqual(record.owner, "bob")
        XCTAssertEqual(record.ids, [try sha256("s2"), try sha256("s3")])
        XCTAssertEqual(records[2].counts, ["deleted": 2, "failed": 0])
        XCTAssertEqual(records[3].counts["sessions_deleted"], 2)
        XCTAssertEqual(records[3].outcome, "success")
        // Without $SUDO_USER and $USER (a cron job, a container): the account's name, never "unknown".
        try f.seed([("bob", "s4")])
        try f.server.run([["DEL", "session:s4"]])
        let bare = try f.run("prune", "--yes", "--grace", "0", "--audit-log", log.path)
        assertExitStatus(bare, 0)
        let last = try XCTUnwrap(try auditRecords(log).last)
        XCTAssertEqual(last.actor, String(cString: getpwuid(geteuid())!.pointee.pw_name), "\(last.raw)")
    }

    func testAuditTrailLinePerUserWithDigestsAndStream() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2"), ("bob", "s3")])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let r = try f.run(
            "revoke-user", "alice", "bob", "--yes", "--actor", "ir-team", "--reason", "compromise",
            "--audit-stream", "audit:sessionctl", env: ["SESSIONCTL_AUDIT_LOG": log.path, "SUDO_USER": "root-ish"])
        assertExitStatus(r, 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        XCTAssertFalse(text.contains("\"s1\""), "raw session ids never appear")
        XCTAssertFalse(text.contains("session:s1"), "raw session keys never appear")
        let records = try auditRecords(text: text)
        let before = records.filter { $0.action == "revoke" && $0.phase == "before" }
        XCTAssertEqual(before.map(\.owner), ["alice", "bob"])
        let alice = before[0]
        XCTAssertEqual(alice.actor, "ir-team")
        XCTAssertEqual(alice.event["reason"] as? String, "compromise")
        XCTAssertEqual(alice.s["command"] as? String, "revoke-user")
        XCTAssertEqual(alice.s["batch_sessions"] as? Int, 2)
        XCTAssertEqual(alice.ids, [try sha256("s1"), try sha256("s2")])
        XCTAssertEqual(alice.keys, [try sha256("session:s1"), try sha256("session:s2")])
        XCTAssertEqual(alice.target["kind"] as? String, "redis")
        XCTAssertEqual(alice.target["endpoint"] as? String, "127.0.0.1:\(f.server.port)")
        XCTAssertNotNil(alice.host)
        let time = try XCTUnwrap(alice.raw["@timestamp"] as? String)
        XCTAssertNotNil(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression), time)
        // One run: one id on every record, from run_start to run_end.
        XCTAssertEqual(records.first?.action, "run_start")
        XCTAssertEqual(records.last?.action, "run_end")
        XCTAssertEqual(Set(records.compactMap(\.run)).count, 1)
        // The stream has every record, each the file's line whole (its chain included).
        guard case .array(let entries) = try f.server.run([["XRANGE", "audit:sessionctl", "-", "+"]])[0] else { return XCTFail("no stream") }
        let streamed = entries.compactMap { entry -> String? in
            guard case .array(let parts) = entry, parts.count == 2, case .array(let fields) = parts[1], fields.count >= 2 else { return nil }
            return fields[1].text
        }
        XCTAssertEqual(streamed, records.map(\.text))
        let dry = try f.run("revoke-user", "nobody", "--dry-run", env: ["SESSIONCTL_AUDIT_LOG": log.path])
        assertExitStatus(dry, 3)  // nobody has sessions: not found
        XCTAssertEqual(try String(contentsOf: log, encoding: .utf8), text, "a dry run writes no record")
    }

    func testNothingIsDeletedWhenTheAuditRecordCannotBeWritten() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let dir = FileManager.default.temporaryDirectory.path
        for (args, message) in [
            (["--audit-log", "/nonexistent/dir/audit.log"], "cannot open the audit log"),
            (["--audit-log", dir], "cannot open the audit log"),
            (["--audit-log", "/dev/full"], "cannot write the audit log"),
        ] {
            let r = try f.run(["revoke-user", "alice", "--yes"] + args)
            assertExitStatus(r, 1)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertTrue(r.stderr.contains("nothing"), r.stderr)
            XCTAssertFalse(r.stderr.contains("CLIError(") || r.stderr.contains("AuditTrailError("), "a message, not a debug dump: \(r.stderr)")
            XCTAssertTrue(try f.exists("session:s1"), "\(args)")
            XCTAssertTrue(try f.exists("user:alice:s1"), "\(args)")
        }
        try f.server.run([["SET", "audit:bad", "not a stream"]])
        let stream = try f.run("revoke-user", "alice", "--yes", "--audit-stream", "audit:bad")
        assertExitStatus(stream, 1)
        XCTAssertTrue(stream.stderr.contains("cannot write the audit stream"), stream.stderr)
        XCTAssertTrue(try f.exists("session:s1"))
    }

    func testFailedDeletionsAreCorrectedInTheAuditTrail() throws {
        let f = try Fixture(extraConfig: [
            "user viewer on >viewpw ~* resetchannels -@all +scan +get +ttl +strlen +exists +info +dbsize +ping +cluster|shards"
        ])
        try f.seed([("alice", "s1"), ("alice", "s2")])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let r = try f.run(
            ["revoke-user", "alice", "--yes", "--audit-log", log.path, "--url", "redis://viewer@127.0.0.1:\(f.server.port)"],
            env: ["REDISCLI_AUTH": "viewpw"])
        assertExitStatus(r, 1)  // no permission to UNLINK: nothing could be done
        XCTAssertTrue(r.stderr.contains("NOPERM"), r.stderr)
        XCTAssertTrue(try f.exists("session:s1"))
        let records = try auditRecords(log)
        XCTAssertEqual(records.map(\.action), ["run_start", "revoke", "revoke", "revoke", "run_end"])
        XCTAssertEqual(records[1].phase, "before")
        XCTAssertEqual(records[1].ids.count, 2)
        // After the batch: what the server confirmed (nothing), then the sessions that failed, by user.
        XCTAssertEqual(records[2].phase, "after")
        XCTAssertEqual(records[2].outcome, "failure")
        XCTAssertEqual(records[2].counts, ["deleted": 0, "failed": 2])
        XCTAssertEqual(records[3].owner, "alice")
        XCTAssertEqual(records[3].ids, records[1].ids)
        XCTAssertEqual(records[4].outcome, "failure")
        XCTAssertEqual(records[4].s["exit_code"] as? Int, 1)
        XCTAssertEqual(records[4].counts["sessions_failed"], 2)

    }

    func testThousandsOfIdsOnStdin() throws {
        let f = try Fixture()
        let c = try f.server.admin()
        _ = try c.pipeline(
            (0..<600).flatMap { i in
                [["SET", "user:u\(i):s\(i)", "session:s\(i)"], ["SET", "session:s\(i)", "x"]].map { $0.map { Array($0.utf8) } }
            })
        // 3000 lines: every other existing user, ids that have no sessions, blank lines, CRLF and padding.
        var lines: [String] = []
        for i in 0..<2500 {
            let id = i < 600 ? (i % 2 == 0 ? "u\(i)" : "absent\(i)") : "ghost\(i)"
            lines.append(i % 3 == 0 ? "  \(id)\t\r" : id)
            if i % 5 == 0 { lines.append("") }
            if i % 7 == 0 { lines.append(" \r") }
        }
        let r = try f.run("revoke-user", "-", "--yes", "-o", "ndjson", stdin: lines.joined(separator: "\n") + "\r\n")
        assertExitStatus(r, 0)
        let out = r.stdout.split(separator: "\n")
        XCTAssertEqual(out.filter { $0.contains("\"result\":\"revoked\"") }.count, 300)
        XCTAssertEqual(out.filter { $0.contains("\"result\":\"not_found\"") }.count, 2200, "every id that matched nothing is said")
        XCTAssertEqual(out.count, 2501)
        XCTAssertEqual(try r.ndjson().summary["results"] as? [String: Int], ["revoked": 300, "not_found": 2200])
        XCTAssertEqual(try f.dbsize(), 600)
        XCTAssertFalse(try f.exists("session:s0"))
        XCTAssertTrue(try f.exists("session:s1"))
        XCTAssertTrue(r.stderr.contains("revoked 300 sessions of 300 users"), r.stderr)
        let json = try f.run("revoke-user", "-", "--dry-run", "--json", stdin: "u1\r\nu3\n\nu5")
        let users = try XCTUnwrap(try json.json()["users"] as? [[String: Any]])
        XCTAssertEqual(users.compactMap { $0["user"] as? String }, ["u1", "u3", "u5"])
        XCTAssertEqual(users.compactMap { $0["revoked"] as? Int }, [1, 1, 1])
    }

    func testUsersFilters() throws {
        let f = try Fixture()
        try f.seed([("alice", "a1"), ("alice", "a2"), ("alice", "a3"), ("bob", "b1"), ("bob", "b2"), ("carol", "c1")])
        XCTAssertEqual(try f.run("users", "--min", "2").stdout, "USER   MAPPINGS\nalice         3\nbob           2\n")
        XCTAssertEqual(
            try f.run("users", "--sort", "user", "-o", "ndjson").stdout,
            "{\"user\":\"alice\",\"sessions\":3}\n{\"user\":\"bob\",\"sessions\":2}\n{\"user\":\"carol\",\"sessions\":1}\n"
                + "{\"summary\":{\"command\":\"users\",\"lines\":3,\"results\":{},\"complete\":true,\"exit_code\":0}}\n")
        XCTAssertEqual(try f.run("users", "--top", "1", "--rate", "100000", "-q").stdout, "USER   MAPPINGS\nalice         3\n")
    }

    func testPruneNeverTakesAMappingWrittenJustBeforeItsSessionForAnOrphan() throws {
        // An application that writes the mapping 5 ms before the session, while prune runs in a loop.
        // Before: a re-check right after the plan fell in between and deleted live sessions' mappings.
        let f = try Fixture()
        let address = f.server.address
        let done = DispatchSemaphore(value: 0)
        let count = 150
        Thread {
            defer { done.signal() }
            guard let writer = try? Connection(address: address, options: ConnectionOptions()) else { return }
            for i in 0..<count {
                _ = try? writer.execute(["SET", "user:w:s\(i)", "session:s\(i)"].map { Array($0.utf8) })
                usleep(5_000)
                _ = try? writer.execute(["SET", "session:s\(i)", "live"].map { Array($0.utf8) })
            }
        }.start()
        var pruned = 0
        var spared = 0
        while done.wait(timeout: .now()) == .timedOut {
            let r = try f.run("prune", "--yes", "--grace", "0.3s", "--json")
            assertExitStatus(r, 0)
            pruned += (try r.json()["revoked"] as? [Any])?.count ?? 0
            spared += try r.json()["spared"] as? Int ?? 0
        }
        XCTAssertEqual(pruned, 0, "no mapping of a session that then existed was deleted")
        // The race happened: prune met mappings whose session did not exist yet, and spared them at the second check.
        XCTAssertGreaterThan(spared, 0, "prune never met a mapping written just before its session: the test proved nothing")
        for i in 0..<count {
            XCTAssertTrue(try f.exists("user:w:s\(i)"), "s\(i) lost its mapping")
        }
    }
}

extension Fixture {
    /// Runs with an argument list built at run time.
    func run(_ args: [String], env: [String: String] = [:], stdin: String? = nil) throws -> Sessionctl.Run {
        var environment = ["SESSIONCTL_URL": server.url]
        environment.merge(env) { _, new in new }
        return try Sessionctl.run(args, environment: environment, stdin: stdin.map { Data($0.utf8) })
    }
}

/// Where the audit log may point.
final class AuditLogPlacementTests: XCTestCase {
    func testSymlinksAndSharedLogs() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2")])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("auditdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A link to a file with another name (a hard link elsewhere), to nothing, to a directory: refused, nothing deleted.
        let victim = dir.appendingPathComponent("victim").path
        XCTAssertTrue(FileManager.default.createFile(atPath: victim, contents: Data()))
        XCTAssertEqual(link(victim, dir.appendingPathComponent("second-name").path), 0)
        for (name, target) in [("to-shared", victim), ("dangling", dir.appendingPathComponent("nothing").path), ("to-dir", dir.path)] {
            let path = dir.appendingPathComponent(name).path
            XCTAssertEqual(symlink(target, path), 0)
            let r = try f.run("revoke-user", "alice", "--yes", "--audit-log", path)
            assertExitStatus(r, 1)
            XCTAssertTrue(r.stderr.contains("symbolic link") || r.stderr.contains("not a regular file"), "\(name): \(r.stderr)")
            XCTAssertTrue(try f.exists("session:s1"), name)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: victim)).count, 0, "nothing was written through a link")
        // A link to the operator's own file with no other name is followed.
        let own = dir.appendingPathComponent("own.log").path
        XCTAssertTrue(FileManager.default.createFile(atPath: own, contents: Data(), attributes: [.posixPermissions: 0o600]))
        let viaLink = dir.appendingPathComponent("current.log").path
        XCTAssertEqual(symlink(own, viaLink), 0)
        let ok = try f.run("revoke-user", "alice", "--yes", "--audit-log", viaLink)
        assertExitStatus(ok, 0)
        XCTAssertFalse(ok.stderr.contains("warning"), ok.stderr)
        XCTAssertGreaterThan(try Data(contentsOf: URL(fileURLWithPath: own)).count, 0)
        // An existing log that others can read: it works, with a warning.
        try f.seed([("bob", "b1")])
        let shared = dir.appendingPathComponent("shared.log").path
        XCTAssertTrue(FileManager.default.createFile(atPath: shared, contents: Data(), attributes: [.posixPermissions: 0o644]))
        let warned = try f.run("revoke-user", "bob", "--yes", "--audit-log", shared)
        assertExitStatus(warned, 0)
        XCTAssertTrue(warned.stderr.contains("warning: the audit log") && warned.stderr.contains("chmod 600"), warned.stderr)
    }

    /// Hunting without a user: list and users with --ip, --user-agent, --created-after and
    /// --idle-under look across every user (saying how, and what it cost), on Redis and on a table.
    func testHuntingWithoutAUser() throws {
        let f = try Fixture()
        let now = Int(Date().timeIntervalSince1970)
        func payload(_ user: String, _ ip: String?, _ agent: String?, created: Int?) -> String {
            var parts = [#""user":"\#(user)""#]
            if let ip { parts.append(#""ip":"\#(ip)""#) }
            if let agent { parts.append(#""user_agent":"\#(agent)""#) }
            if let created { parts.append(#""created_at":\#(created)"#) }
            return "{" + parts.joined(separator: ",") + "}"
        }
        try f.server.run([
            ["SET", "user:alice:a1", "session:a1"],
            ["SET", "session:a1", payload("alice", "203.0.113.7", "EvilBot/2.1", created: now - 600), "EX", "600"],
            ["SET", "user:bob:b1", "session:b1"],
            ["SET", "session:b1", payload("bob", "203.0.113.9", "Mozilla/5.0 (X11)", created: now - 86_400 * 3)],
            ["SET", "user:bob:b2", "session:b2"], ["SET", "session:b2", payload("bob", "198.51.100.1", "Mozilla/5.0 (X11)", created: now - 60)],
            ["SET", "user:carol:c1", "session:c1"], ["SET", "session:c1", payload("carol", nil, nil, created: nil)],
            // A session no mapping points to: only the walk over the payloads sees it.
            ["SET", "session:z9", payload("zed", "203.0.113.99", "curl/8", created: now)],
        ])
        let byIP = try f.run("list", "--ip", "203.0.113.0/24", "-o", "json")
        assertExitStatus(byIP, 0)
        let sessions = try XCTUnwrap(try byIP.json()["sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.map { "\($0["user"] as? String ?? "") \($0["session"] as? String ?? "")" }, ["alice a1", "bob b1"])
        XCTAssertTrue(
            byIP.stderr.contains("looked across every user through the mapping keys (one SCAN pass over user:*:*")
                && byIP.stderr.contains("4 sessions examined, 2 kept by the filters"), byIP.stderr)
        let agents = try f.run("list", "--user-agent", "evilbot/2\\.", "-o", "ndjson")
        let (lines, summary) = try agents.ndjson()
        XCTAssertEqual(lines.compactMap { $0["session"] as? String }, ["a1"])
        XCTAssertEqual(summary["exit_code"] as? Int, 0)
        let recent = try f.run("list", "--created-after", "1h", "-o", "json")
        XCTAssertEqual(Set((try recent.json()["sessions"] as? [[String: Any]])?.compactMap { $0["session"] as? String } ?? []), ["a1", "b2"])
        let day = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(now - 86_400)))
        let since = try f.run("list", "--created-after", day, "-o", "json")
        XCTAssertEqual(
            Set((try since.json()["sessions"] as? [[String: Any]])?.compactMap { $0["session"] as? String } ?? []), ["a1", "b2"], "\(since)")
        XCTAssertEqual(try f.run("list", "--idle-under", "1h", "-o", "json").json()["sessions"].map { ($0 as? [Any])?.count }, 4)
        // Who did this address reach: users, counted.
        let reached = try f.run("users", "--ip", "203.0.113.0/24")
        assertExitStatus(reached, 0)
        XCTAssertEqual(reached.stdout, "USER   SESSIONS\nalice         1\nbob           1\n")
        let wide = try f.run("users", "--user-agent", "mozilla", "-o", "json")
        XCTAssertEqual((try wide.json()["users"] as? [[String: Any]])?.compactMap { $0["sessions"] as? Int }, [2])
        XCTAssertEqual(try wide.json()["counted"] as? String, "sessions the filters keep")
        // Nothing matched is a success with a note; a bad pattern or time is a usage error; no user and no filter too.
        let none = try f.run("list", "--ip", "192.0.2.0/24")
        assertExitStatus(none, 0)
        XCTAssertTrue(none.stderr.contains("no sessions found"), none.stderr)
        assertExitStatus(try f.run("list", "--user-agent", "("), 2)
        assertExitStatus(try f.run("list", "--created-after", "soon"), 2)
        let bare = try f.run("list")
        assertExitStatus(bare, 2)
        XCTAssertTrue(bare.stderr.contains("at least one user id, or a filter"), bare.stderr)
        let everyPayload = try f.run("list", "--ip", "203.0.113.0/24", "--scan-payloads", "--user-field", "user", "-o", "json")
        assertExitStatus(everyPayload, 0)
        XCTAssertEqual(
            Set((try everyPayload.json()["sessions"] as? [[String: Any]])?.compactMap { $0["session"] as? String } ?? []), ["a1", "b1", "z9"])
        XCTAssertTrue(everyPayload.stderr.contains("through every session's payload (one SCAN pass over session:*"), everyPayload.stderr)
        XCTAssertEqual(try f.dbsize(), 9, "looking changes nothing")

        // A table: every row, a page at a time, with the request columns.
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("hunt-\(UUID().uuidString.prefix(6)).sqlite").path
        try Sessionctl.sqlite(
            db,
            "CREATE TABLE sessions (id varchar(255) PRIMARY KEY, user_id integer, ip_address varchar(45), user_agent text, payload text NOT NULL, last_activity integer NOT NULL);"
                + "INSERT INTO sessions VALUES ('s-1', 42, '203.0.113.7', 'EvilBot/2.1', 'YTowOnt9', \(now)), ('s-2', 7, '10.1.1.1', 'Mozilla/5.0', 'YTowOnt9', \(now)),"
                + "('s-3', NULL, '203.0.113.8', 'curl/8', 'YTowOnt9', \(now));")
        let rows = try Sessionctl.run(["--url", "sqlite://" + db, "--framework", "laravel", "list", "--ip", "203.0.113.0/24", "-o", "json"])
        assertExitStatus(rows, 0)
        XCTAssertEqual(
            Set((try rows.json()["sessions"] as? [[String: Any]])?.map { "\($0["user"] as? String ?? "-") \($0["session"] as? String ?? "")" } ?? []),
            ["42 s-1", " s-3"], "\(rows)")
        XCTAssertTrue(rows.stderr.contains("through the table's rows"), rows.stderr)
    }

    /// `watch` without --revoke only reports; --revoke without a terminal needs --yes; Ctrl-C ends
    /// the window with its summary (exit 130), and a dry run deletes nothing.
    func testWatchReportsAndCtrlCEndsTheWindow() throws {
        let f = try Fixture()
        try f.seed([("42", "old")])
        let refused = try f.run("watch", "42", "--for", "2s", "--revoke")
        assertExitStatus(refused, 2)
        XCTAssertTrue(refused.stderr.contains("pass --yes to confirm"), refused.stderr)
        let watch = try Sessionctl.start(
            ["watch", "42", "--for", "30s", "--interval", "0.2s", "--revoke", "--dry-run"], environment: ["SESSIONCTL_URL": f.server.url])
        Thread.sleep(forTimeInterval: 1)
        try f.seed([("42", "new")])
        Thread.sleep(forTimeInterval: 1)
        watch.interrupt()
        let ended = watch.wait()
        let (stdout, stderr) = (ended.stdout, ended.stderr)
        XCTAssertEqual(ended.status, 130, stderr)
        XCTAssertTrue(stdout.contains("user 42  session new") && stdout.contains("would revoke"), stdout)
        XCTAssertFalse(stdout.contains("session old"), stdout)
        XCTAssertTrue(stderr.contains("1 new session, 1 would be revoked; ended by Ctrl-C"), stderr)
        XCTAssertTrue(stderr.contains("reading their mapping keys every 0.2s (keyspace notifications are off"), stderr)
        XCTAssertTrue(try f.exists("session:new"), "a dry run deletes nothing")
    }

    /// Where the server sends keyspace notifications, the watch hears a login at once (a read
    /// when a mapping changes) instead of waiting for its next read, and says so.
    func testWatchListensToKeyspaceNotifications() throws {
        let f = try Fixture(extraConfig: ["notify-keyspace-events KA"])
        let watch = try Sessionctl.start(
            ["watch", "42", "--for", "6s", "--interval", "5s", "--revoke", "--yes", "--settle", "0", "-o", "ndjson"],
            environment: ["SESSIONCTL_URL": f.server.url])
        Thread.sleep(forTimeInterval: 1)
        // As an application writes them: the mapping a moment before its session.
        try f.server.run([["SET", "user:42:fresh", "session:fresh"]])
        Thread.sleep(forTimeInterval: 0.1)
        try f.server.run([["SET", "session:fresh", "{}", "EX", "600"]])
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertFalse(try f.exists("session:fresh"), "ended within a second and a half, long before the next 5 s read")
        let ended = watch.wait()
        assertExitStatus(ended, 0)
        XCTAssertTrue(ended.stderr.contains("through keyspace notifications on __keyspace@0__:user:42:*"), ended.stderr)
        XCTAssertEqual(try ended.ndjson().lines.compactMap { $0["result"] as? String }, ["revoked"])
    }

}
