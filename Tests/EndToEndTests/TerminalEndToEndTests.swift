import Foundation
import TestSupport
import XCTest

/// At the terminal: no answer is taken before its question, the question names the server, the
/// progress line fits a narrow terminal, and a list of users piped at once is one pass.
final class TerminalEndToEndTests: XCTestCase {
    func testAnAnswerTypedAheadIsNotTakenAndTheQuestionNamesTheServer() throws {
        let f = try Fixture()
        try f.seed([("ta1", "s1"), ("ta1", "s2"), ("ta1", "s3")])
        try f.server.run([["DEL", "session:s3"]])  // a stale mapping: shown in the table, not counted as a session
        // Enough keys that the scan takes a while at this rate: the "y" lands before the prompt.
        try f.server.run((0..<3000).map { ["SET", "noise:\($0)", "x"] })
        let r = try inPseudoTerminal(
            ["revoke-user", "ta1", "--rate", "4000", "--scan-count", "100"], url: f.server.url, typeAhead: "y\r", answer: "n")
        XCTAssertTrue(r.stdout.contains("<<still asking>>"), "the prompt waited for an answer given after it: \(r.stdout)")
        XCTAssertTrue(
            r.stdout.contains("Revoke 2 sessions of 1 user (and remove 1 stale mapping) on 127.0.0.1:\(f.server.port), the target from --url?"),
            r.stdout)
        XCTAssertTrue(r.stdout.contains("stale: session gone; its mapping is removed"), r.stdout)
        XCTAssertTrue(r.stdout.contains("aborted; nothing was deleted"), r.stdout)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(try f.exists("session:s1") && f.exists("session:s2") && f.exists("user:ta1:s3"), "nothing deleted")
    }

    func testTheProgressLineFitsFiftyColumns() throws {
        let f = try Fixture()
        try f.server.run((0..<4000).map { ["SET", "user:u\($0 % 40):s\($0)", "session:s\($0)"] })
        let r = try inPseudoTerminal(["users", "--rate", "4000", "--scan-count", "100"], url: f.server.url, columns: 50)
        XCTAssertEqual(r.status, 0, r.stdout)
        // Each redraw: carriage return, erase to the end of the line, the text.
        let draws = r.stdout.components(separatedBy: "\r\u{1B}[K").dropFirst()
            .map { $0.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" })[0] }.filter {
                !$0.isEmpty
            }
        XCTAssertGreaterThan(draws.count, 2, r.stdout)
        for d in draws { XCTAssertLessThan(d.count, 50, "one line, never wrapped: '\(d)'") }
        XCTAssertTrue(r.stdout.contains("USER"), "the table after the cleared line")
    }

    func testAListPipedAtOnceIsOnePass() throws {
        let f = try Fixture()
        let users = (0..<5000).map { "u\($0)" }
        try f.seed(users.prefix(200).map { ($0, "s\($0)") })
        try f.server.run([["CONFIG", "RESETSTAT"]])
        let r = try f.run("revoke-user", "-", "--yes", "--scan-count", "100", stdin: users.joined(separator: "\n") + "\n")
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertEqual(try f.dbsize(), 0)
        let stats = try f.server.run([["INFO", "commandstats"]])[0].text ?? ""
        let line = stats.split(whereSeparator: \.isNewline).first { $0.hasPrefix("cmdstat_scan:") }.map(String.init) ?? ""
        let calls = Int(line.split(separator: ",").first?.split(separator: "=").last ?? "") ?? -1
        // 400 keys at COUNT 100: about four calls for one pass (five passes would be ~20).
        XCTAssertGreaterThan(calls, 0, stats)
        XCTAssertLessThanOrEqual(calls, 8, "one pass over the keyspace for 5,000 users: \(line)")
    }

    func testUsersSaysWhatItCountsAndLiveSplitsStaleMappings() throws {
        let f = try Fixture()
        try f.seed([("alice", "a1"), ("alice", "a2"), ("alice", "a3"), ("alice", "a4"), ("bob", "b1"), ("carol", "c1")])
        try f.server.run([["DEL", "session:a4"], ["DEL", "session:c1"]])  // their mappings are now stale
        let fast = try f.run("users")
        XCTAssertEqual(fast.stdout, "USER   MAPPINGS\nalice         4\nbob           1\ncarol         1\n")
        XCTAssertEqual(try f.run("users", "-o", "json").json()["counted"] as? String, "mappings")
        let live = try f.run("users", "--live")
        XCTAssertEqual(live.stdout, "USER   LIVE  STALE\nalice     3      1\nbob       1      0\ncarol     0      1\n", live.stdout)
        let json = try f.run("users", "--live", "-o", "json").json()
        XCTAssertEqual(json["counted"] as? String, "live sessions")
        let rows = json["users"] as? [[String: Any]] ?? []
        XCTAssertEqual(rows.map { "\($0["user"]!)=\($0["sessions"]!)/\($0["stale"]!)" }, ["alice=3/1", "bob=1/0", "carol=0/1"])
        XCTAssertEqual(try f.run("users", "--live", "--memory-limit", "4KiB").stdout, live.stdout, "spilled or not")
        // The dry run counts sessions, and the stale mapping apart.
        let dry = try f.run("revoke-user", "alice", "--dry-run")
        XCTAssertTrue(dry.stderr.contains("dry run: would revoke 3 sessions of 1 user"), dry.stderr)
        XCTAssertTrue(dry.stderr.contains("would remove 1 stale mapping"), dry.stderr)
        XCTAssertTrue(dry.stdout.contains("stale: session key does not exist; its mapping would be removed"), dry.stdout)
        let dryJSON = try f.run("revoke-user", "alice", "--dry-run", "-o", "json").json()
        XCTAssertEqual((dryJSON["revoked"] as? [Any])?.count, 3)
        XCTAssertEqual((dryJSON["stale"] as? [Any])?.count, 1)
        XCTAssertEqual(try f.dbsize(), 10, "counting deletes nothing")
        let indexed = try f.run("users", "--live", "--index", "idx:<user>")
        XCTAssertEqual(indexed.status, 2, "\(indexed)")
    }

    func testLookingLeavesIdleTimesAlone() throws {
        let f = try Fixture()
        try f.seed([("alice", "i1"), ("alice", "i2"), ("bob", "i3")])
        func idle(_ key: String) throws -> Int64 { try f.server.run([["OBJECT", "IDLETIME", key]])[0].integer ?? -1 }
        Thread.sleep(forTimeInterval: 2.2)
        let before = try idle("session:i1")
        XCTAssertGreaterThanOrEqual(before, 2)
        for args in [
            ["list", "alice"], ["list", "alice", "-o", "json"], ["users"], ["users", "--live"], ["audit"], ["list", "alice", "--idle-over", "1s"],
        ] {
            let r = try f.run(args: args)
            XCTAssertEqual(r.status, 0, "\(args): \(r)")
            for key in ["session:i1", "session:i2", "session:i3"] {
                XCTAssertGreaterThanOrEqual(try idle(key), before, "\(args) left \(key)'s idle time alone")
            }
        }
        // show reads the payload: the idle time it prints is the one before it looked.
        let shown = try f.run("show", "i1", "-o", "json").json()
        let sessions = shown["sessions"] as? [[String: Any]] ?? []
        XCTAssertGreaterThanOrEqual(sessions.first?["idle_seconds"] as? Int ?? -1, Int(before))
    }
}
