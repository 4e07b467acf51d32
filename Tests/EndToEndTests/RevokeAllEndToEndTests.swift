import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// `revoke-all` and the filters, through the binary on real servers: every session key under
/// the glob gone, nothing else touched, counts from the replies; the typed confirmation in a pty.
final class RevokeAllEndToEndTests: XCTestCase {
    func testRevokeAllOnAHundredThousandSessions() throws {
        let f = try Fixture()
        let n = 100_000
        var commands: [[String]] = []
        for i in 0..<n { commands += [["SET", "session:s\(i)", "{}", "EX", "600"], ["SET", "user:u\(i % 1000):s\(i)", "session:s\(i)"]] }
        commands += [["SET", "config:main", "keep"], ["SET", "user:x:orphan", "session:never-there"], ["SET", "cache:1", "keep"]]
        for chunk in stride(from: 0, to: commands.count, by: 20_000) {
            try f.server.run(Array(commands[chunk..<min(chunk + 20_000, commands.count)]))
        }
        let dry = try f.run("revoke-all", "--dry-run", "-o", "json")
        XCTAssertEqual(dry.status, 0, "\(dry)")
        XCTAssertEqual(try dry.json()["revoked"] as? Int, n)
        XCTAssertEqual((try dry.json()["examples"] as? [Any])?.count, 5, "a few examples, not a million rows")
        XCTAssertEqual(try f.dbsize(), Int64(2 * n + 3), "a dry run deletes nothing")
        let noTerminal = try f.run("revoke-all")
        XCTAssertEqual(noTerminal.status, 2, "\(noTerminal)")
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("all-\(UUID().uuidString.prefix(6)).log")
        let r = try f.run("revoke-all", "--yes", "-o", "json", "--audit-log", log.path)
        XCTAssertEqual(r.status, 0, "\(r)")
        let j = try r.json()
        XCTAssertEqual((j["deleted"] as? [String: Int])?["session_keys"], n)
        XCTAssertEqual((j["deleted"] as? [String: Int])?["mapping_keys"], n)
        XCTAssertEqual(try f.dbsize(), 3, "config:main, cache:1 and the orphan that pointed at no deleted session stay")
        XCTAssertTrue(try f.exists("user:x:orphan"))
        let records = try auditRecords(log)
        let pages = records.filter { $0.action == "revoke_all" && $0.phase == "before" }
        XCTAssertGreaterThan(pages.count, 10, "a record per page, written ahead")
        XCTAssertEqual(pages.reduce(0) { $0 + $1.keys.count }, n, "every key deleted was named, by digest, before it was")
        let after = records.filter { $0.action == "revoke_all" && $0.phase == "after" }
        XCTAssertEqual(after.reduce(0) { $0 + ($1.counts["deleted"] ?? 0) }, n, "and confirmed after")
        XCTAssertEqual(records.map(\.action).first, "run_start")
        XCTAssertEqual(records.last?.counts["sessions_deleted"], n)
    }

    func testCtrlCStopsBetweenPagesAndSaysWhatWasDone() throws {
        let f = try Fixture()
        try f.server.run((0..<4000).map { ["SET", "session:s\($0)", "{}", "EX", "600"] })
        let r = try Sessionctl.run(
            ["revoke-all", "--yes", "--rate", "1000", "--scan-count", "100", "-o", "json"],
            environment: ["SESSIONCTL_URL": f.server.url], interruptAfter: 1.0)
        XCTAssertEqual(r.status, 130, "\(r)")
        let j = try r.json()
        XCTAssertEqual(j["complete"] as? Bool, false)
        let deleted = (j["deleted"] as? [String: Int])?["session_keys"] ?? -1
        XCTAssertGreaterThan(deleted, 0)
        XCTAssertLessThan(deleted, 4000)
        XCTAssertEqual(try f.dbsize(), Int64(4000 - deleted), "the count is the server's")
        XCTAssertTrue(r.stderr.contains("stopped after revoking"), r.stderr)
    }

    func testRevokeAllOnTheCluster() throws {
        let cluster = try RedisCluster()
        try cluster.write(
            (0..<3000).flatMap { [["SET", "session:c\($0)", "{}", "EX", "600"], ["SET", "user:u\($0 % 30):c\($0)", "session:c\($0)"]] }
                + [["SET", "other:1", "x"]])
        let r = try Sessionctl.run(["revoke-all", "--yes", "-o", "json"], environment: ["SESSIONCTL_URL": cluster.url])
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual((try r.json()["deleted"] as? [String: Int])?["session_keys"], 3000)
        XCTAssertEqual((try r.json()["deleted"] as? [String: Int])?["mapping_keys"], 3000)
        var left: Int64 = 0
        for p in try cluster.primaries() { left += try p.run([["DBSIZE"]])[0].integer ?? 0 }
        XCTAssertEqual(left, 1, "only other:1")
    }

    func testFiltersKeepWhatTheyShouldAndSayWhy() throws {
        let f = try Fixture()
        // Flask-Session's ids, named for what the filters make of them.
        let (old, new, noage, here) = (SessionIds.flask("old"), SessionIds.flask("new"), SessionIds.flask("noage"), SessionIds.flask("here"))
        let now = Int(Date().timeIntervalSince1970)
        func payload(_ created: Int?, _ ip: String?) -> String {
            var parts: [String] = [#""_user_id":"alice""#]
            if let created { parts.append(#""created_at":\#(created)"#) }
            if let ip { parts.append(#""ip":"\#(ip)""#) }
            return "{" + parts.joined(separator: ",") + "}"
        }
        try f.server.run([
            ["SET", "session:\(old)", payload(now - 40 * 86_400, "10.1.2.3"), "EX", "600"], ["SET", "user:alice:\(old)", "session:\(old)"],
            ["SET", "session:\(new)", payload(now - 3600, "2001:db8::7"), "EX", "90000"], ["SET", "user:alice:\(new)", "session:\(new)"],
            ["SET", "session:\(noage)", payload(nil, nil)], ["SET", "user:alice:\(noage)", "session:\(noage)"],
            ["SET", "session:\(here)", payload(now - 50 * 86_400, "10.9.9.9"), "EX", "600"], ["SET", "user:alice:\(here)", "session:\(here)"],
        ])
        // Older than the password change, except the session in use now.
        let dry = try f.run("--framework", "flask", "revoke-user", "alice", "--older-than", "30d", "--except", here, "--dry-run", "-o", "json")
        XCTAssertEqual(dry.status, 0, "\(dry)")
        let j = try dry.json()
        XCTAssertEqual((j["revoked"] as? [[String: Any]])?.compactMap { $0["session"] as? String }, [old])
        let out = Dictionary(uniqueKeysWithValues: (j["filtered_out"] as? [[String: Any]] ?? []).map { ($0["session"] as! String, $0) })
        XCTAssertEqual(out[here]?["reason"] as? String, "--except")
        XCTAssertEqual(out[noage]?["undecided"] as? Bool, true, "a session of unknown age is never matched by an age filter")
        XCTAssertTrue((out[new]?["reason"] as? String)?.hasPrefix("created") == true)
        XCTAssertTrue(dry.stderr.contains("kept 3 sessions the filters left out (1 undecided"), dry.stderr)
        // Networks, v4 and v6; TTLs.
        let v6 = try f.run("--framework", "flask", "list", "alice", "--ip", "2001:db8::/32", "-o", "json")
        XCTAssertEqual((try v6.json()["sessions"] as? [[String: Any]])?.compactMap { $0["session"] as? String }, [new], "\(v6)")
        let v4 = try f.run("--framework", "flask", "list", "alice", "--ip", "10.0.0.0/8", "-o", "json")
        XCTAssertEqual(Set((try v4.json()["sessions"] as? [[String: Any]])?.compactMap { $0["session"] as? String } ?? []), [old, here])
        let ttl = try f.run("list", "alice", "--ttl-over", "1h", "-o", "json")
        XCTAssertEqual(
            Set((try ttl.json()["sessions"] as? [[String: Any]])?.compactMap { $0["session"] as? String } ?? []), [new, noage],
            "no expiry counts as more than any TTL")
        // Idle times: OBJECT IDLETIME, read before anything touches the key.
        usleep(3_200_000)  // OBJECT IDLETIME counts whole seconds
        _ = try f.server.run([["GET", "session:\(new)"]])
        let idle = try f.run("list", "alice", "--idle-over", "2s", "-o", "json")
        XCTAssertFalse((try idle.json()["sessions"] as? [[String: Any]] ?? []).contains { $0["session"] as? String == new }, "\(idle)")
        XCTAssertEqual((try idle.json()["sessions"] as? [Any])?.count, 3)
        // revoke-all with a filter.
        let evidence = FileManager.default.temporaryDirectory.appendingPathComponent("all-\(UUID().uuidString.prefix(6)).ndjson").path
        let all = try f.run("--framework", "flask", "revoke-all", "--older-than", "30d", "--yes", "-o", "json", "--evidence", evidence)
        XCTAssertEqual(try all.json()["revoked"] as? Int, 2, "\(all)")
        // The evidence holds the two sessions revoked, each with its decoded user and IP, and nothing the filter kept.
        let lines = try String(contentsOfFile: evidence, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(Set(lines.compactMap { $0["session_key"] as? String }), ["session:\(old)", "session:\(here)"])
        XCTAssertEqual(Set(lines.compactMap { ($0["fields"] as? [String: Any])?["ip"] as? String }), ["10.1.2.3", "10.9.9.9"])
        XCTAssertEqual(Set(lines.compactMap { ($0["fields"] as? [String: Any])?["user"] as? String }), ["alice"])
        XCTAssertEqual(try all.json()["undecided"] as? Int, 1)
        // A session the filter cannot judge is kept, and the run says it is not complete.
        XCTAssertEqual(all.status, 5, all.stderr)
        XCTAssertTrue(all.stderr.contains("the filters cannot judge"), all.stderr)
        XCTAssertTrue(try f.exists("session:\(new)") && f.exists("session:\(noage)"))
        XCTAssertFalse(try f.exists("session:\(old)") || f.exists("session:\(here)"))
        XCTAssertFalse(try f.exists("user:alice:\(old)"))
        XCTAssertTrue(try f.exists("user:alice:\(new)"))
    }

    func testBadFilterValuesAreUsageErrors() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        for (option, value) in [
            ("--older-than", "-5m"), ("--older-than", "5x"), ("--idle-over", "99999999999d"), ("--ip", "10.0.0.0/33"),
            ("--ip", "::1/129"), ("--ip", "abc"), ("--ttl-over", ""),
        ] {
            let r = try f.run("revoke-user", "alice", option, value, "--yes")
            XCTAssertEqual(r.status, 2, "\(option) \(value): \(r)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertTrue(try f.exists("session:s1"))
        let except = try f.run("revoke", "s1", "--except", "s1", "--yes")
        XCTAssertEqual(except.status, 2, "--except is for revoke-user: \(except)")
    }

    func testTypedConfirmationThroughAPseudoTerminal() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("bob", "s2")])
        func typed(_ answer: String) throws -> Sessionctl.Run {
            // The answer is typed once the question is up.
            try inPseudoTerminal(["revoke-all"], url: f.server.url, answer: answer, prompt: "to confirm: ")
        }
        let wrong = try typed("localhost")
        XCTAssertTrue(wrong.stdout.contains("Type the server's host (127.0.0.1) to confirm"), wrong.stdout)
        XCTAssertTrue(wrong.stdout.contains("is not 127.0.0.1; aborted"), wrong.stdout)
        XCTAssertTrue(try f.exists("session:s1"), "a wrong host deletes nothing")
        let right = try typed("127.0.0.1")
        XCTAssertTrue(right.stdout.contains("revoked 2 sessions"), right.stdout)
        XCTAssertFalse(try f.exists("session:s1") || f.exists("session:s2"))
        // With a context, its name confirms too.
        try f.seed([("carol", "s3")])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rall-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config.yaml").path
        try "current-context: staging\ncontexts:\n  staging:\n    url: \(f.server.url)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let named = try inPseudoTerminal(
            ["--context", "staging", "revoke-all"], url: f.server.url, answer: "staging", prompt: "to confirm: ",
            env: ["SESSIONCTL_CONFIG": config])
        XCTAssertTrue(named.stdout.contains("or the context's name (staging)"), named.stdout)
        XCTAssertFalse(try f.exists("session:s3"), named.stdout)
    }

    func testTheProgressLineSaysWhatWasRevoked() throws {
        let f = try Fixture()
        try f.server.run((0..<3000).map { ["SET", "session:s\($0)", "{}", "EX", "600"] })
        try f.server.run((0..<3000).map { ["SET", "user:u\($0 % 50):s\($0)", "session:s\($0)"] })
        let r = try inTerminal(
            "\(Sessionctl.binary) revoke-all --yes --rate 3000 --scan-count 100", input: "",
            env: ["SESSIONCTL_URL": f.server.url, "TERM": "dumb"])
        XCTAssertTrue(
            r.stdout.range(
                of: #"scanned [0-9,]+ of [0-9,]+ keys \([0-9]+%\), [0-9,]+ matched, [0-9,]+/s(, ~[0-9]+s left)?; [0-9,]+ revoked"#,
                options: .regularExpression) != nil, r.stdout)
        XCTAssertTrue(r.stdout.contains("mappings: scanned"), "the pass over the mappings is named: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("revoked 3,000 sessions") || r.stdout.contains("revoked 3000 sessions"), r.stdout)
        XCTAssertEqual(try f.dbsize(), 0)
    }

    /// The watch's spill failing (`$TMPDIR` missing, or `ulimit -f` hit after some deletions) ended
    /// with exit 1, "cannot make a temporary directory", no count, the mappings left and nothing
    /// watched. Now the spill is proven before the first deletion, and a failure mid-run ends like
    /// Ctrl-C: the result so far, counted from the server, its mappings removed, exit 5.
    func testASpillThatFailsNeverLosesTheAccount() throws {
        let f = try Fixture()
        try f.seed((0..<3000).map { ("u\($0 % 50)", "s\($0)") })
        let before = try f.dbsize()
        let missing = try f.run(args: ["revoke-all", "--yes", "--settle", "1s"], env: ["TMPDIR": "/nonexistent-tmp"])
        assertExitStatus(missing, 1)
        XCTAssertTrue(missing.stderr.contains("cannot make a temporary directory"), missing.stderr)
        XCTAssertEqual(try f.dbsize(), before, "nothing was deleted")
        // A file-size limit that the spill reaches after some pages were deleted.
        let tmp = try TemporaryDirectory()
        let limited = try Sessionctl.exec(
            "/bin/bash",
            [
                "-c", "ulimit -f 8; exec \"$0\" revoke-all --yes --settle 1s --memory-limit 4KiB --scan-count 100 -o json",
                Sessionctl.binary,
            ].map { Data($0.utf8) },
            environment: ["SESSIONCTL_URL": f.server.url, "TMPDIR": tmp.path], stdin: nil, timeout: 60)
        assertExitStatus(limited, 5)
        XCTAssertTrue(limited.stderr.contains("stopped: the watch's spill failed") && limited.stderr.contains("File too large"), limited.stderr)
        let json = try limited.json()
        let revoked = try XCTUnwrap(json["revoked"] as? Int, limited.stdout)
        XCTAssertGreaterThan(revoked, 0, "some pages were deleted before the limit: \(limited.stdout)")
        XCTAssertLessThan(revoked, 3000)
        XCTAssertEqual(json["complete"] as? Bool, false)
        let sessions = try f.keys("session:*").count
        XCTAssertEqual(sessions, 3000 - revoked, "the count is what the server deleted")
        XCTAssertEqual(try f.keys("user:*").count, sessions, "the mappings of the deleted sessions are gone; the others stay")
        XCTAssertEqual(try tmp.contents(), [], "the spill directory is removed")
    }
}
