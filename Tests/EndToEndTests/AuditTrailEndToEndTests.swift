import Foundation
import TestSupport
import XCTest

/// The audit trail a SIEM can take and a court could trust, through the binary: records of at
/// most 8 KiB that fit the published schema (every run's log is validated by Python's jsonschema
/// as it is written), a run told from run_start to run_end, a hash chain `audit-log verify`
/// checks, two writers at once, syslog through a real rsyslogd, and `audit-log show`.
final class AuditTrailEndToEndTests: XCTestCase {
    private func temporaryLog() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString.prefix(8)).log")
    }

    /// 7,500 sessions of one user: the digests are split over as many records as keep each line
    /// within the bound, each says which part of how many, and together they name every session once.
    func testARevocationOf7500SessionsFitsTheBoundAndTheSchema() throws {
        let f = try Fixture()
        let n = 7_500
        try f.seed((0..<n).map { ("alice", "a\($0)") })
        // A long id and a long reason: bounded, never a line over the limit.
        let longUser = String(repeating: "u", count: 1_000)
        try f.seed([(longUser, "long1")])
        let log = temporaryLog()
        defer { try? FileManager.default.removeItem(at: log) }
        let reason = "INC-77 " + String(repeating: "é", count: 3_000)
        let r = try f.run("revoke-user", "alice", longUser, "--yes", "-q", "--audit-log", log.path, "--reason", reason, "--settle", "0")
        assertExitStatus(r, 0)
        let text = try String(contentsOf: log, encoding: .utf8)
        let lines = text.split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= 7_680 }, "a line over the bound: \(lines.map(\.utf8.count).max() ?? 0) bytes")
        let records = try auditRecords(text: text)
        XCTAssertEqual(records.first?.action, "run_start")
        XCTAssertEqual(records.last?.action, "run_end")
        let before = records.filter { $0.action == "revoke" && $0.phase == "before" && $0.owner == "alice" }
        XCTAssertGreaterThan(before.count, 100, "7,500 sessions are many records, not one of 1 MB")
        let ids = before.flatMap(\.ids)
        XCTAssertEqual(ids.count, n)
        XCTAssertEqual(Set(ids), Set(try digests((0..<n).map { "a\($0)" })), "every session named once, by digest")
        // Parts are numbered within each batch's record of the user, 1…parts.
        for record in before {
            let part = try XCTUnwrap(record.s["part"] as? Int)
            let parts = try XCTUnwrap(record.s["parts"] as? Int)
            XCTAssertTrue((1...parts).contains(part), "\(part) of \(parts)")
        }
        // The long id is named by its digest; the reason is cut, and marked.
        let long = try XCTUnwrap(records.first { (($0.raw["user"] as? [String: Any])?["target"] as? [String: Any])?["hash"] != nil })
        XCTAssertEqual(((long.raw["user"] as? [String: Any])?["target"] as? [String: Any])?["hash"] as? String, try digests([longUser])[0])
        let cut = try XCTUnwrap(records[0].event["reason"] as? String)
        XCTAssertTrue(cut.hasPrefix("INC-77 ") && cut.hasSuffix("…(cut)") && cut.utf8.count <= 1_024, cut)
        let end = records.last!
        XCTAssertEqual(end.outcome, "success")
        XCTAssertEqual(end.counts["sessions_deleted"], n + 1)
        XCTAssertEqual(end.s["exit_code"] as? Int, 0)
        XCTAssertNotNil(end.event["duration"] as? Int)
        let verify = try Sessionctl.run(["audit-log", "verify", log.path])
        assertExitStatus(verify, 0)
        XCTAssertTrue(verify.stdout.contains("intact, \(records.count) records in 1 run, first "), verify.stdout)
    }

    /// verify reports the first line changed, removed or inserted, a foreign line and a last line
    /// cut short (exit 1), and an intact chain with its counts.
    func testVerifyCatchesAChangedARemovedAndAnInsertedLine() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2"), ("bob", "s3")])
        let log = temporaryLog()
        defer { try? FileManager.default.removeItem(at: log) }
        assertExitStatus(try f.run("revoke-user", "alice", "--yes", "--audit-log", log.path), 0)
        assertExitStatus(try f.run("revoke-user", "bob", "--yes", "--audit-log", log.path), 0)
        let original = try String(contentsOf: log, encoding: .utf8)
        var lines = original.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 8, "two runs of run_start, revoke before and after, run_end")
        let intact = try Sessionctl.run(["audit-log", "verify", log.path])
        assertExitStatus(intact, 0)
        XCTAssertTrue(intact.stdout.contains("intact, 8 records in 2 runs, first 20"), intact.stdout)
        let json = try Sessionctl.run(["audit-log", "verify", log.path, "-o", "json"])
        XCTAssertEqual(try json.json()["intact"] as? Bool, true)
        XCTAssertEqual(try json.json()["records"] as? Int, 8)

        func verdict(_ text: String) throws -> Sessionctl.Run {
            let broken = temporaryLog()
            defer { try? FileManager.default.removeItem(at: broken) }
            try text.write(to: broken, atomically: true, encoding: .utf8)
            return try Sessionctl.run(["audit-log", "verify", broken.path])
        }
        // Changed: line 2, the record written before the deletions, made to read as if they had succeeded.
        var changed = lines
        changed[1] = changed[1].replacingOccurrences(of: "\"outcome\":\"unknown\"", with: "\"outcome\":\"success\"")
        XCTAssertNotEqual(changed[1], lines[1])
        let c = try verdict(changed.joined(separator: "\n") + "\n")
        assertExitStatus(c, 1)
        XCTAssertTrue(c.stdout.contains("line 2 was changed"), c.stdout + c.stderr)
        // Removed: line 3.
        var removed = lines
        removed.remove(at: 2)
        let r = try verdict(removed.joined(separator: "\n") + "\n")
        assertExitStatus(r, 1)
        XCTAssertTrue(r.stdout.contains("a record was removed before line 3: record 3 is missing"), r.stdout)
        // Inserted: a copy of line 2 after it (a record that names the right line before it).
        var inserted = lines
        inserted.insert(lines[1], at: 2)
        let i = try verdict(inserted.joined(separator: "\n") + "\n")
        assertExitStatus(i, 1)
        XCTAssertTrue(i.stdout.contains("was inserted: line 3 follows line 1"), i.stdout)
        // A foreign line.
        var foreign = lines
        foreign.insert("{\"note\":\"all fine here\"}", at: 4)
        let o = try verdict(foreign.joined(separator: "\n") + "\n")
        assertExitStatus(o, 1)
        XCTAssertTrue(o.stdout.contains("line 5 is not a record of a sessionctl audit log"), o.stdout)
        // The last line cut short.
        let t = try verdict(String(original.dropLast(40)))
        assertExitStatus(t, 1)
        XCTAssertTrue(t.stdout.contains("line 8, the last, is cut short"), t.stdout)
        // The stderr line names the file and says what broke, in one line.
        XCTAssertTrue(t.stderr.contains("cut short") && t.stderr.split(separator: "\n").count == 1, t.stderr)
        // A run appended later continues the chain: still intact.
        try f.seed([("carol", "s9")])
        assertExitStatus(try f.run("revoke-user", "carol", "--yes", "--audit-log", log.path), 0)
        lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 12)
        XCTAssertTrue(try Sessionctl.run(["audit-log", "verify", log.path]).stdout.contains("intact, 12 records in 3 runs"))
        // A missing file: a one-line error.
        let missing = try Sessionctl.run(["audit-log", "verify", "/nonexistent/audit.log"])
        assertExitStatus(missing, 1)
        XCTAssertTrue(missing.stderr.contains("cannot read the audit log '/nonexistent/audit.log'"), missing.stderr)
    }

    /// Two operators on one host, one log: two runs at once keep one chain (the file's lock).
    func testTwoWritersAtOnceKeepOneChain() throws {
        let f = try Fixture()
        let n = 3_000
        try f.seed((0..<n).map { ("alice", "a\($0)") } + (0..<n).map { ("bob", "b\($0)") })
        let log = temporaryLog()
        defer { try? FileManager.default.removeItem(at: log) }
        final class Box: @unchecked Sendable { var run: Sessionctl.Run? }
        let other = Box()
        let url = f.server.url
        // Small pages and a paced scan, so that both runs write while the other does.
        let args = ["--yes", "-q", "--audit-log", log.path, "--settle", "0", "--scan-count", "200"]
        let bob = ["revoke-user", "bob"] + args
        let thread = Thread { other.run = try? Sessionctl.run(bob, environment: ["SESSIONCTL_URL": url]) }
        thread.start()
        let mine = try Sessionctl.run(["revoke-user", "alice"] + args, environment: ["SESSIONCTL_URL": url])
        while other.run == nil { usleep(20_000) }
        assertExitStatus(mine, 0)
        assertExitStatus(try XCTUnwrap(other.run), 0)
        let records = try auditRecords(log)
        XCTAssertEqual(Set(records.compactMap(\.run)).count, 2)
        XCTAssertEqual(records.filter { $0.action == "run_end" }.count, 2)
        let seqs = records.compactMap { ($0.s["chain"] as? [String: Any])?["seq"] as? Int }
        XCTAssertEqual(seqs, Array(1...records.count), "one numbering for both writers")
        let verify = try Sessionctl.run(["audit-log", "verify", log.path])
        assertExitStatus(verify, 0)
        XCTAssertTrue(verify.stdout.contains("in 2 runs"), verify.stdout)
    }

    /// Syslog through a real rsyslogd on loopback: TCP, UDP and a unix socket each deliver every
    /// record whole (the message is the log file's line, chain and all); a sink that cannot be
    /// reached stops the run before anything is deleted.
    func testRsyslogReceivesEveryRecordWhole() throws {
        let syslog = try Rsyslog()
        let f = try Fixture()
        var received = 0
        for (k, destination) in ["tcp://127.0.0.1:\(syslog.tcpPort)", "udp://127.0.0.1:\(syslog.udpPort)", "unix:\(syslog.socketPath)"].enumerated() {
            try f.seed((0..<300).map { ("user\(k)", "s\(k)-\($0)") })
            let log = temporaryLog()
            defer { try? FileManager.default.removeItem(at: log) }
            let r = try f.run("revoke-user", "user\(k)", "--yes", "-q", "--audit-log", log.path, "--audit-syslog", destination, "--reason", "INC-9")
            assertExitStatus(r, 0)
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
            let got = Array(syslog.received(atLeast: received + lines.count).dropFirst(received))
            received += got.count
            XCTAssertEqual(got.count, lines.count, "\(destination): every record arrived")
            for (sent, line) in zip(lines, got) {
                let bar = try XCTUnwrap(line.firstIndex(of: "|"), line)
                let sd = line[..<bar]
                let message = String(line[line.index(after: bar)...]).trimmingCharacters(in: .whitespaces)
                XCTAssertEqual(message, sent, "\(destination): the record whole")
                let record = try auditRecords(text: message)[0]
                XCTAssertTrue(sd.contains("run=\"\(record.run ?? "")\"") && sd.contains("action=\"\(record.action)\""), String(sd))
            }
        }
        // Nobody listens: refused before the scan, nothing deleted.
        try f.seed([("zed", "z1")])
        let closed = try FreePort.pick()
        let refused = try f.run("revoke-user", "zed", "--yes", "--audit-syslog", "tcp://127.0.0.1:\(closed)")
        assertExitStatus(refused, 4)
        XCTAssertTrue(refused.stderr.contains("cannot use --audit-syslog 'tcp://127.0.0.1:\(closed)'"), refused.stderr)
        XCTAssertTrue(try f.exists("session:z1"))
        let bad = try f.run("revoke-user", "zed", "--yes", "--audit-syslog", "syslog.example:514")
        assertExitStatus(bad, 2)
        XCTAssertTrue(try f.exists("session:z1"))
    }

    /// A run that finds nothing, a run stopped by Ctrl-C, and a run whose sink refuses a record
    /// each end with their run_end; the stream's refusal leaves the sessions in place.
    func testEveryRunEndsItsStory() throws {
        let f = try Fixture()
        let log = temporaryLog()
        defer { try? FileManager.default.removeItem(at: log) }
        let nothing = try f.run("revoke-user", "nobody", "--yes", "--audit-log", log.path)
        assertExitStatus(nothing, 3)
        var records = try auditRecords(log)
        XCTAssertEqual(records.map(\.action), ["run_start", "nothing_to_do", "run_end"])
        XCTAssertEqual(records[0].s["arguments"] as? [String], ["revoke-user", "nobody", "--yes", "--audit-log", log.path])
        XCTAssertEqual(records[2].s["exit_code"] as? Int, 3)
        XCTAssertEqual(records[2].outcome, "failure")
        // Ctrl-C between pages of revoke-all: exit 130, and the end is written.
        try f.server.run((0..<4000).map { ["SET", "session:s\($0)", "{}", "EX", "600"] })
        let stopped = try Sessionctl.run(
            ["revoke-all", "--yes", "--rate", "1000", "--scan-count", "100", "-q", "--audit-log", log.path],
            environment: ["SESSIONCTL_URL": f.server.url], interruptAfter: 1.0)
        assertExitStatus(stopped, 130)
        records = try auditRecords(log)
        XCTAssertEqual(records.last?.action, "run_end")
        XCTAssertEqual(records.last?.s["exit_code"] as? Int, 130)
        XCTAssertGreaterThan(records.last?.counts["sessions_deleted"] ?? 0, 0, "what was done before Ctrl-C is counted")
        // The stream refuses (a string, not a stream): nothing deleted; the file has the story's end.
        try f.seed([("alice", "a1")])
        try f.server.run([["SET", "audit:bad", "not a stream"]])
        let refused = try f.run("revoke-user", "alice", "--yes", "--audit-log", log.path, "--audit-stream", "audit:bad")
        assertExitStatus(refused, 1)
        XCTAssertTrue(refused.stderr.contains("cannot write the audit stream") && refused.stderr.contains("nothing was deleted"), refused.stderr)
        XCTAssertTrue(try f.exists("session:a1"))
        records = try auditRecords(log)
        XCTAssertEqual(records.last?.action, "run_end")
        XCTAssertEqual(records.last?.s["exit_code"] as? Int, 1)
        XCTAssertEqual(try Sessionctl.run(["audit-log", "verify", log.path]).status, 0)
    }

    /// A password given in a URL never reaches run_start's arguments.
    func testNoPasswordReachesTheTrail() throws {
        let f = try Fixture(extraConfig: ["requirepass hunter2"], password: "hunter2")
        try f.seed([("alice", "a1")])
        let log = temporaryLog()
        defer { try? FileManager.default.removeItem(at: log) }
        let r = try Sessionctl.run(["revoke-user", "alice", "--yes", "--audit-log", log.path, "--url", "redis://:hunter2@127.0.0.1:\(f.server.port)"])
        assertExitStatus(r, 0)
        let records = try auditRecords(log)
        XCTAssertEqual(records.last?.counts["sessions_deleted"], 1, "the run did its work")
        let text = try String(contentsOf: log, encoding: .utf8)
        XCTAssertFalse(text.contains("hunter2"), "no password in the trail")
        XCTAssertEqual(
            records[0].s["arguments"] as? [String],
            ["revoke-user", "alice", "--yes", "--audit-log", log.path, "--url", "redis://:***@127.0.0.1:\(f.server.port)"])
    }

    /// show: each run as a row (who, when, command, target, outcome, counts, users), JSON for
    /// scripts, narrowed by run, user and time.
    func testShowTellsTheRuns() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2"), ("bob", "s3")])
        let log = temporaryLog()
        defer { try? FileManager.default.removeItem(at: log) }
        assertExitStatus(try f.run("revoke-user", "alice", "--yes", "--audit-log", log.path, "--actor", "ir-team", "--reason", "INC-1"), 0)
        assertExitStatus(try f.run("revoke", "s3", "--yes", "--audit-log", log.path, "--actor", "oncall"), 0)
        let table = try Sessionctl.run(["audit-log", "show", log.path])
        assertExitStatus(table, 0)
        let rows = table.stdout.split(separator: "\n")
        XCTAssertEqual(rows.count, 3, table.stdout)
        XCTAssertTrue(rows[0].contains("RUN") && rows[0].contains("ACTOR") && rows[0].contains("OUTCOME"), table.stdout)
        XCTAssertTrue(rows[1].contains("ir-team") && rows[1].contains("revoke-user") && rows[1].contains("success") && rows[1].contains("INC-1"))
        XCTAssertTrue(rows[2].contains("oncall") && rows[2].contains("revoke ") && rows[2].contains("bob"))
        let json = try Sessionctl.run(["audit-log", "show", log.path, "-o", "json"])
        let runs = try XCTUnwrap(try json.json()["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 2)
        XCTAssertEqual(runs[0]["actor"] as? String, "ir-team")
        XCTAssertEqual((runs[0]["counts"] as? [String: Int])?["sessions_deleted"], 2)
        XCTAssertEqual(runs[0]["users"] as? [String], ["alice"])
        XCTAssertEqual(runs[0]["exit_code"] as? Int, 0)
        XCTAssertEqual(
            runs[1]["arguments"] as? [String], ["revoke", try "sha256:" + digests(["s3"])[0], "--yes", "--audit-log", log.path, "--actor", "oncall"])
        let alice = try Sessionctl.run(["audit-log", "show", log.path, "--user", "alice", "-o", "json"])
        XCTAssertEqual((try alice.json()["runs"] as? [Any])?.count, 1)
        let id = try XCTUnwrap(runs[1]["run"] as? String)
        let one = try Sessionctl.run(["audit-log", "show", log.path, "--run", String(id.prefix(8)), "-o", "json"])
        XCTAssertEqual((try one.json()["runs"] as? [[String: Any]])?.first?["run"] as? String, id)
        XCTAssertEqual((try Sessionctl.run(["audit-log", "show", log.path, "--since", "1h", "-o", "json"]).json()["runs"] as? [Any])?.count, 2)
        let none = try Sessionctl.run(["audit-log", "show", log.path, "--since", "2099-01-01"])
        assertExitStatus(none, 0)
        XCTAssertEqual(none.stdout, "")
        XCTAssertTrue(none.stderr.contains("no runs"), none.stderr)
        let badSince = try Sessionctl.run(["audit-log", "show", log.path, "--since", "yesterday"])
        assertExitStatus(badSince, 2)
        let wrong = try Sessionctl.run(["audit-log", "verify", log.path, "--user", "alice"])
        assertExitStatus(wrong, 2)
    }
}
