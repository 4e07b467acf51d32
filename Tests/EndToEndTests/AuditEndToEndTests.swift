import Foundation
import TestSupport
import XCTest

/// `audit` through the binary on what a keyspace holds besides mapped sessions.
final class AuditEndToEndTests: XCTestCase {
    /// 500 `session:*` keys that never expire and that no mapping names: "sessions without expiry 0"
    /// before, since only mapped sessions were asked for their expiry. Every session key under the
    /// glob is counted now, mapped or not; with a preset, the unmapped ones are split into anonymous
    /// visitors' and users' (which `list` and `revoke-user` cannot find).
    func testSessionsThatNeverExpireAreCountedMappedOrNot() throws {
        let f = try Fixture()
        try f.seed([("alice", "m1"), ("alice", "m2")])
        // Flask-Session's ids, so that the flask preset takes them for sessions.
        var seed: [[String]] = (0..<300).map { ["SET", "session:" + SessionIds.flask("anon\($0)"), "{\"csrf\":\"x\"}"] }
        seed += (0..<200).map { ["SET", "session:" + SessionIds.flask("user\($0)"), "{\"_user_id\":\"u\($0 % 7)\"}"] }
        seed += [["SET", "session:m1", "{}"]]  // a mapped session that never expires: counted once
        seed += [["SET", "session:" + SessionIds.flask("bad"), "\u{1}\u{2}not a payload"]]
        try f.server.run(seed)
        let plain = try f.run("audit", "-o", "json")
        assertExitStatus(plain, 0)
        let counts = try XCTUnwrap(try plain.json()["counts"] as? [String: Int], plain.stdout)
        XCTAssertEqual(counts["sessions_without_ttl"], 502, "every session key under the glob without an expiry: \(counts)")
        XCTAssertEqual(counts["unmapped_sessions"], 501, "\(counts)")
        XCTAssertEqual(counts["live_sessions"], 2)
        XCTAssertNil(counts["unmapped_user_sessions"], "without a preset, payloads are not read")
        let flask = try f.run("--framework", "flask", "audit", "-o", "json")
        assertExitStatus(flask, 0)
        let byPreset = try XCTUnwrap(try flask.json()["counts"] as? [String: Int], flask.stdout)
        XCTAssertEqual(byPreset["unmapped_user_sessions"], 200, "\(byPreset)")
        XCTAssertEqual(byPreset["anonymous_sessions"], 300, "\(byPreset)")
        XCTAssertEqual(byPreset["undecodable_payloads"], 1, "\(byPreset)")
        // `m1` and `m2` are no Flask-Session ids: under the glob, but not sessions to the preset (and their mappings are refused).
        XCTAssertEqual(byPreset["not_sessions"], 2, "\(byPreset)")
        XCTAssertEqual(byPreset["refused"], 2, "\(byPreset)")
        let examples = try XCTUnwrap(try flask.json()["examples"] as? [String: [String]])
        XCTAssertEqual(examples["unmapped_user_sessions"]?.count, 3)
        let table = try f.run("--framework", "flask", "audit")
        XCTAssertTrue(table.stdout.contains("sessions of a user no mapping points to"), table.stdout)
        let notSessions = table.stdout.split(separator: "\n").first {
            $0.hasPrefix("keys under the glob that are not sessions (another shape: left alone)")
        }
        XCTAssertTrue(notSessions?.hasSuffix(" 2  session:m1, session:m2") == true, table.stdout)
    }
}
