import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// `index build` through the binary: expiries carried over, anonymous and undecodable sessions
/// counted, an audit record ahead of the writes, Ctrl-C with a resume token, standalone and on the 3+3 cluster.
final class IndexBuildEndToEndTests: XCTestCase {
    /// A Flask-Session-shaped session (JSON, Flask-Login's `_user_id`).
    private func session(_ user: String?) -> String {
        user.map { #"{"_user_id":"\#($0)","_fresh":true}"# } ?? #"{"_permanent":true}"#
    }

    func testBuildCarriesExpiriesCountsWhatItCannotMapAndAudits() throws {
        let f = try Fixture()
        let (a1, a2, b1) = (SessionIds.flask("a1"), SessionIds.flask("a2"), SessionIds.flask("b1"))
        let (anon, junk) = (SessionIds.flask("anon"), SessionIds.flask("junk"))
        try f.server.run([
            ["SET", "session:\(a1)", session("alice"), "EX", "600"], ["SET", "session:\(a2)", session("alice")],  // no expiry
            ["SET", "session:\(b1)", session("bob"), "EX", "600"], ["SET", "session:\(anon)", session(nil), "EX", "600"],
            ["SET", "session:\(junk)", "\u{1}\u{2}binary", "EX", "600"],
            // Under the glob, carol's data, but no Flask-Session id: not a session (another app's, a cache entry).
            ["SET", "session:x:y", session("carol"), "EX", "600"],
            ["SET", "other:key", session("mallory")],
        ])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString.prefix(6)).log")
        let r = try f.run("--framework", "flask", "index", "build", "-o", "json", "--audit-log", log.path, "--reason", "INC-7")
        // The junk session does not decode: it may be anyone's, so the build is not complete (exit 5) and says so.
        XCTAssertEqual(r.status, 5, "\(r)")
        XCTAssertTrue(r.stderr.contains("does not decode"), r.stderr)
        let j = try r.json()
        XCTAssertEqual(j["mapped"] as? Int, 3)
        XCTAssertEqual(j["anonymous"] as? Int, 1)
        XCTAssertEqual(j["undecodable"] as? Int, 1)
        XCTAssertEqual(j["not_sessions"] as? Int, 1, "session:x:y's id is not Flask-Session's")
        XCTAssertEqual((j["examples"] as? [String: [String]])?["not_sessions"], ["session:x:y"])
        XCTAssertFalse(try f.exists("user:carol:x:y"), "what is not a session is never mapped")
        XCTAssertFalse(try f.exists("user:mallory:key"), "nothing outside the glob is read or mapped")
        let pttl = try f.server.run([["PTTL", "user:alice:\(a1)"], ["PTTL", "session:\(a1)"], ["PTTL", "user:alice:\(a2)"]])
        XCTAssertLessThanOrEqual(abs((pttl[0].integer ?? 0) - (pttl[1].integer ?? 0)), 1000, "\(pttl)")
        XCTAssertEqual(pttl[2], .integer(-1), "a session without expiry gets a mapping without expiry (audit reports both)")
        let records = try auditRecords(log)
        let built = records.filter { $0.action == "index_build" }
        XCTAssertEqual(built.count, 2, "one record per user: \(records.map(\.text))")
        XCTAssertTrue(built.allSatisfy { $0.event["reason"] as? String == "INC-7" && $0.phase == "before" })
        XCTAssertEqual(records.last?.counts["sessions_mapped"], 3)
        XCTAssertEqual(records.last?.s["exit_code"] as? Int, 5)
        // Without mappings, by payloads: a session that does not decode may be alice's: listed as refused, exit 5.
        let scanned = try f.run("--framework", "flask", "list", "alice", "--scan-payloads", "-o", "json")
        XCTAssertEqual(scanned.status, 5, "\(scanned)")
        XCTAssertEqual(
            (try scanned.json()["refused"] as? [[String: Any]])?.compactMap { $0["session_key"] as? String }, ["session:\(junk)"], scanned.stdout)
        XCTAssertEqual((try scanned.json()["sessions"] as? [Any])?.count, 2)
        let list = try f.run("list", "alice", "-o", "json")
        XCTAssertEqual((try list.json()["sessions"] as? [Any])?.count, 2)
        // The table, on stdout; the summary on stderr.
        let table = try f.run("--framework", "flask", "index", "build")
        XCTAssertTrue(table.stdout.contains("already mapped") && table.stdout.contains("anonymous"), table.stdout)
        XCTAssertTrue(table.stderr.contains("mapped 0 sessions (3 already mapped"), table.stderr)
    }

    func testCtrlCPrintsAResumeTokenAndResumingMapsEverySession() throws {
        let f = try Fixture()
        try f.server.run((0..<3000).map { ["SET", "session:" + SessionIds.flask("s\($0)"), session("u\($0 % 50)"), "EX", "600"] })
        // Slowed down so that Ctrl-C lands in the middle.
        let first = try Sessionctl.run(
            ["--framework", "flask", "index", "build", "--rate", "1000", "--scan-count", "100", "-o", "json"],
            environment: ["SESSIONCTL_URL": f.server.url], interruptAfter: 1.0)
        XCTAssertEqual(first.status, 130, "\(first)")
        let token = try XCTUnwrap(try first.json()["resume"] as? String, first.stdout)
        XCTAssertTrue(first.stderr.contains("resume with: --resume '\(token)'"), first.stderr)
        let partial = try first.json()["mapped"] as? Int ?? 0
        XCTAssertGreaterThan(partial, 0)
        XCTAssertLessThan(partial, 3000, "interrupted before the end")
        let second = try f.run("--framework", "flask", "index", "build", "--resume", token, "-o", "json")
        XCTAssertEqual(second.status, 0, "\(second)")
        let mapped = try f.server.run([["DBSIZE"]])[0].integer
        XCTAssertEqual(mapped, 6000, "every session mapped, each once")
        XCTAssertEqual((try second.json()["mapped"] as? Int ?? 0) + partial, 3000, "the resumed run picks up where the first stopped")
        let bad = try f.run("--framework", "flask", "index", "build", "--resume", "nonsense")
        XCTAssertEqual(bad.status, 2, "\(bad)")
        XCTAssertTrue(bad.stderr.contains("is not a resume token"), bad.stderr)
        let sub = try f.run("index", "rebuild")
        XCTAssertEqual(sub.status, 2, "\(sub)")
    }

    func testInterruptedOnTheClusterAndResumedMapsEverySessionOnce() throws {
        let cluster = try RedisCluster()
        let n = 3000
        try cluster.write((0..<n).map { ["SET", "session:" + SessionIds.flask("c\($0)"), session("u\($0 % 40)"), "EX", "600"] })
        let env = ["SESSIONCTL_URL": cluster.url]
        let first = try Sessionctl.run(
            ["--framework", "flask", "index", "build", "--rate", "500", "--scan-count", "100", "-o", "json"],
            environment: env, interruptAfter: 1.0)
        XCTAssertEqual(first.status, 130, "\(first)")
        let token = try XCTUnwrap(try first.json()["resume"] as? String, first.stdout)
        XCTAssertEqual(token.split(separator: ",").count, 3, "one cursor per primary: \(token)")
        let second = try Sessionctl.run(["--framework", "flask", "index", "build", "--resume", token, "-o", "json"], environment: env)
        XCTAssertEqual(second.status, 0, "\(second)")
        var total: Int64 = 0
        for p in try cluster.primaries() { total += try p.run([["DBSIZE"]])[0].integer ?? 0 }
        XCTAssertEqual(total, Int64(2 * n), "every session mapped exactly once")
        let users = try Sessionctl.run(["users", "-o", "json"], environment: env)
        XCTAssertEqual((try users.json()["users"] as? [[String: Any]])?.reduce(0) { $0 + ($1["sessions"] as? Int ?? 0) }, n)
    }
}
