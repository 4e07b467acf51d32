import Foundation
import TestSupport
import XCTest

/// `revoke` and `revoke-user` through the built binary: dry run, confirmation, --yes, stdin, JSON.
final class RevokeEndToEndTests: XCTestCase {
    func testRevokeUserWithYes() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2"), ("bob", "s3")])
        let r = try f.run("revoke-user", "alice", "--yes", "--json")
        assertExitStatus(r, 0)
        let obj = try r.json()
        XCTAssertEqual(obj["dry_run"] as? Bool, false)
        XCTAssertEqual(obj["complete"] as? Bool, true)
        let revoked = try XCTUnwrap(obj["revoked"] as? [[String: Any]])
        XCTAssertEqual(revoked.map { $0["session"] as? String }, ["s1", "s2"])
        XCTAssertEqual(Set(revoked[0].keys), ["user", "session", "mapping_key", "session_key", "result"])
        XCTAssertEqual(revoked[0]["result"] as? String, "revoked")
        XCTAssertEqual((obj["deleted"] as? [String: Int])?["session_keys"], 2)
        for key in ["user:alice:s1", "session:s1", "user:alice:s2", "session:s2"] { XCTAssertFalse(try f.exists(key), key) }
        XCTAssertTrue(try f.exists("session:s3"))
        // Re-running is harmless, and says that nothing matched.
        let again = try f.run("revoke-user", "alice", "--yes", "--json")
        assertExitStatus(again, 3)
        XCTAssertEqual((try again.json()["revoked"] as? [Any])?.count, 0)
        XCTAssertEqual(try again.json()["not_found"] as? [String], ["alice"])
    }

    func testDryRunDeletesNothing() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2")])
        let before = try f.dbsize()
        let r = try f.run("revoke-user", "alice", "--dry-run", "--json")
        assertExitStatus(r, 0)
        XCTAssertEqual(try r.json()["dry_run"] as? Bool, true)
        XCTAssertEqual((try r.json()["revoked"] as? [Any])?.count, 2)
        let table = try f.run("revoke", "s1", "--dry-run")
        XCTAssertTrue(table.stdout.contains("would revoke"), table.stdout)
        XCTAssertTrue(table.stderr.contains("nothing was deleted"), table.stderr)
        XCTAssertEqual(try f.dbsize(), before)
    }

    func testWithoutTerminalOrYesNothingIsDeleted() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        for args in [["revoke-user", "alice"], ["revoke", "s1"], ["revoke-user", "-"]] {
            var environment = ["SESSIONCTL_URL": f.server.url]
            environment["X"] = "1"
            let r = try Sessionctl.run(args, environment: environment, stdin: Data("alice\n".utf8))
            assertExitStatus(r, 2)
            XCTAssertTrue(r.stderr.hasPrefix("sessionctl: 'revoke"), r.stderr)
            XCTAssertTrue(r.stderr.contains("--yes"), r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
        XCTAssertTrue(try f.exists("session:s1"))
    }

    func testConfirmationOnATerminal() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("bob", "s2")])
        let no = try inPseudoTerminal(["revoke-user", "alice"], url: f.server.url, answer: "n")
        assertExitStatus(no, 1)
        XCTAssertTrue(no.stdout.contains("Revoke 1 session of 1 user on 127.0.0.1:\(f.server.port), the target from --url?"), no.stdout)
        XCTAssertTrue(no.stdout.contains("aborted; nothing was deleted"), no.stdout)
        XCTAssertTrue(try f.exists("session:s1"))
        let yes = try inPseudoTerminal(["revoke-user", "alice"], url: f.server.url, answer: "y")
        assertExitStatus(yes, 0)
        XCTAssertTrue(yes.stdout.contains("revoked 1 session of 1 user"), yes.stdout)
        XCTAssertFalse(try f.exists("session:s1"))
        XCTAssertFalse(try f.exists("user:alice:s1"))
        XCTAssertTrue(try f.exists("session:s2"))
    }

    /// Past 20 rows the question shows counts by user and kind and the first rows, and names the
    /// target; --show-all lists every row.
    func testALongConfirmationIsReadable() throws {
        let f = try Fixture()
        try f.seed((0..<30).map { ("alice", "a\($0)") } + (0..<3).map { ("bob", "b\($0)") })
        try f.server.run([["SET", "user:bob:evil", "config:main"]])
        let short = try inPseudoTerminal(["revoke-user", "bob"], url: f.server.url, answer: "n")
        assertExitStatus(short, 1)
        XCTAssertTrue(short.stdout.contains("b2       session:b2   revoke"), short.stdout)
        XCTAssertFalse(short.stdout.contains("--show-all"), "4 rows are shown whole: \(short.stdout)")
        let long = try inPseudoTerminal(["revoke-user", "alice", "bob"], url: f.server.url, columns: 200, answer: "n")
        assertExitStatus(long, 1)
        let text = long.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        XCTAssertTrue(text.contains("34 rows for 2 users: 33 revoke, 0 stale, 1 refused."), text)
        XCTAssertTrue(text.contains("alice      30      0        0\nbob         3      0        1\n"), text)
        XCTAssertTrue(text.contains("The first 10:"), text)
        XCTAssertEqual(text.components(separatedBy: "  revoke\n").count - 1, 10, text)
        XCTAssertTrue(text.contains("… and 24 more rows: --show-all lists every one"), text)
        XCTAssertTrue(text.contains("Revoke 33 sessions of 2 users on 127.0.0.1:\(f.server.port), the target from --url?"), text)
        let all = try inPseudoTerminal(["revoke-user", "alice", "bob", "--show-all"], url: f.server.url, columns: 200, answer: "n")
        let allText = all.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        XCTAssertEqual(allText.components(separatedBy: "  revoke\n").count - 1, 33, allText)
        XCTAssertTrue(allText.contains("not touched: refused"), allText)
        XCTAssertFalse(allText.contains("The first"), allText)
        XCTAssertEqual(try f.keys("session:*").count, 33, "nothing was deleted")
    }

    func testCtrlCAtTheConfirmationPromptDeletesNothing() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        // A pseudo-terminal from Python's pty module; SIGINT arrives while the prompt waits.
        let driver = """
            import os, pty, signal, sys, time
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], [sys.argv[1], "revoke-user", "alice", "-u", sys.argv[2]])
            out = b""
            deadline = time.time() + 20
            while b"[y/N]" not in out and time.time() < deadline:
                out += os.read(fd, 4096)
            os.kill(pid, signal.SIGINT)
            import select
            deadline = time.time() + 10
            try:
                while time.time() < deadline:
                    if not select.select([fd], [], [], 0.2)[0]:
                        continue
                    data = os.read(fd, 4096)
                    if not data:
                        break
                    out += data
            except OSError:
                pass
            reaped, status = os.waitpid(pid, os.WNOHANG)
            for _ in range(10):
                if reaped:
                    break
                time.sleep(0.1)
                reaped, status = os.waitpid(pid, os.WNOHANG)
            if not reaped:
                os.kill(pid, signal.SIGKILL)  # never leave it behind: the test fails on the status
                _, status = os.waitpid(pid, 0)
            sys.stdout.write(out.decode(errors="replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let r = try Sessionctl.exec(
            "/usr/bin/python3", ["-c", driver, Sessionctl.binary, f.server.url].map { Data($0.utf8) },
            environment: ["TERM": "dumb"], stdin: nil, timeout: 30)
        assertExitStatus(r, 130)
        XCTAssertTrue(r.stdout.contains("interrupted; nothing was deleted"), r.stdout)
        XCTAssertTrue(try f.exists("session:s1"))
        XCTAssertTrue(try f.exists("user:alice:s1"))
    }

    func testIdsFromStdinWithBlankLinesCRLFAndSpaces() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("bob", "s2"), ("carol", "s3"), ("dave", "s4")])
        let r = try f.run("revoke-user", "-", "--yes", "--json", stdin: "alice\r\n\n  bob  \n\t\r\ncarol\t\n")
        assertExitStatus(r, 0)
        let revoked = try XCTUnwrap(try r.json()["revoked"] as? [[String: Any]])
        XCTAssertEqual(Set(revoked.compactMap { $0["user"] as? String }), ["alice", "bob", "carol"])
        XCTAssertTrue(try f.exists("session:s4"))
        let empty = try f.run("revoke-user", "-", "--yes", stdin: "\n \n")
        assertExitStatus(empty, 2)
        XCTAssertTrue(empty.stderr.contains("no user ids on standard input"), empty.stderr)
    }

    func testRevokeBySessionIdNarrowedByUser() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("bob", "s2")])
        let wrong = try f.run("revoke", "s2", "--user", "alice", "--yes")
        assertExitStatus(wrong, 3)
        XCTAssertTrue(wrong.stderr.contains("session 's2' not found"), wrong.stderr)
        XCTAssertTrue(try f.exists("session:s2"))
        let right = try f.run("revoke", "s2", "--user", "bob", "--yes", "-o", "ndjson")
        assertExitStatus(right, 0)
        XCTAssertTrue(right.stdout.contains("\"result\":\"revoked\""), right.stdout)
        XCTAssertFalse(try f.exists("session:s2"))
        let again = try f.run("revoke", "s2", "--yes")
        assertExitStatus(again, 3)
    }

    /// JSON's entries and NDJSON's lines are the same objects with the same result words; NDJSON
    /// ends with a summary (also after a failure); --ignore-not-found makes "nothing there" exit 0.
    func testScriptsGetOneVocabularyAndAnEndTheyCanCheck() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2")])
        try f.server.run([["SET", "user:alice:evil", "config:main"], ["SET", "config:main", "keep"], ["SET", "user:alice:gone", "session:gone"]])
        func lines(_ r: Sessionctl.Run) throws -> [[String: Any]] {
            try r.stdout.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        }
        func words(_ entries: [[String: Any]]) -> [String] { entries.compactMap { $0["result"] as? String }.sorted() }
        let dryJSON = try f.run("revoke-user", "alice", "--dry-run", "-o", "json")
        let dryLines = try f.run("revoke-user", "alice", "--dry-run", "-o", "ndjson")
        assertExitStatus(dryLines, 0)
        let object = try dryJSON.json()
        let fromJSON = ["revoked", "stale", "refused", "not_held"].flatMap { (object[$0] as? [[String: Any]]) ?? [] }
        var streamed = try lines(dryLines)
        let summary = try XCTUnwrap(streamed.removeLast()["summary"] as? [String: Any], dryLines.stdout)
        XCTAssertEqual(words(fromJSON), ["refused", "would_remove_stale_mapping", "would_revoke", "would_revoke"])
        XCTAssertEqual(words(streamed), words(fromJSON), "the same words in both")
        XCTAssertEqual(summary["command"] as? String, "revoke-user")
        XCTAssertEqual(summary["lines"] as? Int, 4)
        XCTAssertEqual(summary["results"] as? [String: Int], ["would_revoke": 2, "would_remove_stale_mapping": 1, "refused": 1])
        XCTAssertEqual(summary["complete"] as? Bool, true)
        XCTAssertEqual(summary["exit_code"] as? Int, 0)
        XCTAssertTrue(try f.exists("user:alice:gone"), "a dry run removes no stale mapping")

        let done = try f.run("revoke-user", "alice", "--yes", "--settle", "0", "-o", "ndjson")
        assertExitStatus(done, 0)
        XCTAssertEqual(words(try lines(done).dropLast()), ["refused", "revoked", "revoked", "stale_mapping_removed"])
        // Nothing left: exit 3, said in the summary; with --ignore-not-found, exit 0 and still listed.
        let again = try f.run("revoke-user", "alice", "--yes", "-o", "ndjson")
        assertExitStatus(again, 1)
        XCTAssertTrue(again.stderr.contains("every mapping found (1) was refused"), again.stderr)
        try f.server.run([["DEL", "user:alice:evil"]])
        let none = try f.run("revoke-user", "alice", "--yes", "-o", "ndjson")
        assertExitStatus(none, 3)
        XCTAssertEqual(try lines(none).last?["summary"].flatMap { ($0 as? [String: Any])?["exit_code"] as? Int }, 3)
        let ignored = try f.run("revoke-user", "alice", "--yes", "--ignore-not-found", "-o", "json")
        assertExitStatus(ignored, 0)
        XCTAssertEqual(try ignored.json()["not_found"] as? [String], ["alice"])
        XCTAssertTrue(ignored.stderr.contains("user 'alice' has no sessions") && ignored.stderr.contains("--ignore-not-found"), ignored.stderr)
        XCTAssertFalse(ignored.stderr.contains("sessionctl:"), "a note, not an error: \(ignored.stderr)")
        assertExitStatus(try f.run("revoke", "nosuch", "--yes", "--ignore-not-found"), 0)
        assertExitStatus(try f.run("revoke", "nosuch", "--yes"), 3)
        // A run that could not connect still ends its stream: not complete, exit 4.
        let unreachable = try Sessionctl.run(["revoke-user", "alice", "--yes", "-o", "ndjson", "-u", "redis://127.0.0.1:1"])
        assertExitStatus(unreachable, 4)
        let last = try XCTUnwrap(try lines(unreachable).last?["summary"] as? [String: Any], unreachable.stdout)
        XCTAssertEqual(last["complete"] as? Bool, false)
        XCTAssertEqual(last["exit_code"] as? Int, 4)
        XCTAssertTrue(try f.exists("config:main"))
    }

    /// --evidence writes each session to be revoked, decoded and redacted, 0600, before deleting;
    /// the audit trail names the file's digest; an existing file or a bad path deletes nothing.
    func testEvidenceIsWrittenBeforeTheDeletionsAndNeverOverwritten() throws {
        let f = try Fixture()
        try f.server.run([
            ["SET", "user:alice:s1", "session:s1"],
            ["SET", "session:s1", #"{"user":"alice","ip":"203.0.113.7","user_agent":"curl/8","csrf_token":"s3cr3t"}"#, "EX", "600"],
            ["SET", "user:alice:s2", "session:s2"], ["SET", "session:s2", "{}", "EX", "600"],
        ])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ev-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let log = dir + "/audit.log"
        // A file that exists is never overwritten, and nothing is deleted.
        _ = FileManager.default.createFile(atPath: dir + "/taken.ndjson", contents: Data("keep\n".utf8))
        let taken = try f.run("revoke-user", "alice", "--yes", "--evidence", dir + "/taken.ndjson")
        assertExitStatus(taken, 2)
        XCTAssertTrue(taken.stderr.contains("evidence is never overwritten") && taken.stderr.contains("nothing was deleted"), taken.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/taken.ndjson", encoding: .utf8), "keep\n")
        let nowhere = try f.run("revoke-user", "alice", "--yes", "--evidence", dir + "/no/such/dir/e.ndjson")
        assertExitStatus(nowhere, 1)
        XCTAssertTrue(try f.exists("session:s1") && f.exists("session:s2"))
        // A dry run and a run with nothing to revoke leave no file behind.
        assertExitStatus(try f.run("revoke-user", "alice", "--dry-run", "--evidence", dir + "/dry.ndjson"), 0)
        assertExitStatus(try f.run("revoke-user", "nobody", "--yes", "--evidence", dir + "/none.ndjson"), 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/dry.ndjson") || FileManager.default.fileExists(atPath: dir + "/none.ndjson"))

        let r = try f.run("revoke-user", "alice", "--yes", "--settle", "0", "--evidence", dir + "/incident-<run>.ndjson", "--audit-log", log)
        assertExitStatus(r, 0)
        let written = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("incident-") }
        XCTAssertEqual(written.count, 1, "\(written)")
        let path = dir + "/" + written[0]
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int), 0o600)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let lines = try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(lines.compactMap { $0["session"] as? String }.sorted(), ["s1", "s2"])
        let s1 = try XCTUnwrap(lines.first { $0["session"] as? String == "s1" })
        XCTAssertEqual((s1["fields"] as? [String: Any])?["ip"] as? String, "203.0.113.7")
        XCTAssertEqual(s1["ttl"] as? Int, 600)
        XCTAssertNotNil(s1["idle_seconds"] as? Int)
        XCTAssertEqual((s1["payload_sha256"] as? String)?.count, 64)
        XCTAssertFalse(String(decoding: data, as: UTF8.self).contains("s3cr3t"), "the payload is redacted")
        XCTAssertEqual((s1["payload_decoded"] as? [String: Any])?["user_agent"] as? String, "curl/8")
        XCTAssertFalse(try f.exists("session:s1"), "revoked after the evidence")
        // The trail names the file and its digest, before the deletions' record.
        let records = try auditRecords(URL(fileURLWithPath: log))
        let actions = records.compactMap { ($0.raw["event"] as? [String: Any])?["action"] as? String }
        XCTAssertEqual(actions.firstIndex(of: "evidence").map { $0 < (actions.firstIndex(of: "revoke") ?? 0) }, true, "\(actions)")
        let named = try XCTUnwrap(records.compactMap { ($0.raw["sessionctl"] as? [String: Any])?["evidence"] as? [String: Any] }.first)
        XCTAssertEqual(named["path"] as? String, path)
        XCTAssertEqual(named["sessions"] as? Int, 2)
        let sum = Process()
        sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sum.arguments = [path]
        let pipe = Pipe()
        sum.standardOutput = pipe
        try sum.run()
        sum.waitUntilExit()
        let digest = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        XCTAssertEqual(named["sha256"] as? String, String(digest))
        XCTAssertTrue(r.stderr.contains("evidence: 2 sessions written to \(path)"), r.stderr)
    }

    func testGuardKeepsKeysOutsideTheSessionNamespace() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        try f.server.run([["SET", "user:alice:evil", "config:main"], ["SET", "config:main", "keep"]])
        let r = try f.run("revoke-user", "alice", "--yes", "--json")
        assertExitStatus(r, 0)
        let refused = try XCTUnwrap(try r.json()["refused"] as? [[String: Any]])
        XCTAssertEqual(refused.first?["session_key"] as? String, "config:main")
        XCTAssertEqual(refused.first?["reason"] as? String, "session key does not match --session-glob")
        XCTAssertTrue(try f.exists("config:main"))
        XCTAssertTrue(try f.exists("user:alice:evil"))
        XCTAssertFalse(try f.exists("session:s1"))
    }

    func testHashTaggedLayoutOptions() throws {
        let f = try Fixture()
        try f.server.run([["SET", "idx:{u1}:abc", "sess:abc"], ["SET", "sess:abc", "data"], ["SET", "idx:{u1}:def", "session:def"]])
        let r = try f.run("revoke-user", "u1", "--mapping", "idx:{<user>}:<session>", "--session-glob", "sess:*", "--yes", "--json")
        assertExitStatus(r, 0)
        XCTAssertEqual((try r.json()["revoked"] as? [[String: Any]])?.map { $0["session_key"] as? String }, ["sess:abc"])
        XCTAssertEqual((try r.json()["refused"] as? [Any])?.count, 1)
        XCTAssertFalse(try f.exists("sess:abc"))
    }
}
