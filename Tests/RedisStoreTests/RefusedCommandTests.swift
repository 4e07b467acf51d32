import RedisClient
import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// Rule 14 on the Redis store: an error reply to a command an operation needs makes its result
/// incomplete, in every operation. Each case logs in as an ACL user refused one command (`NOPERM`)
/// and runs one operation against a real server holding sessions; the result must say that it is
/// not complete, name the refused command, and no key may be lost.
final class RefusedCommandTests: XCTestCase {
    nonisolated(unsafe) private static var server: RedisServer!

    override class func setUp() {
        super.setUp()
        do {
            server = try RedisServer()
            var seed: [[String]] = []
            for (user, sessions) in [("alice", ["a1", "a2", "a3"]), ("bob", ["b1"]), ("old", ["o1"])] {
                for s in sessions {
                    seed += [
                        ["SET", "session:\(s)", "{\"user_id\":\"\(user)\"}", "EX", "3600"],
                        ["SET", "user:\(user):\(s)", "session:\(s)", "EX", "3600"],
                    ]
                }
            }
            // A stale mapping (prune's work), and a session without a mapping (index build's work).
            seed += [["SET", "user:gone:g1", "session:g1"], ["SET", "session:c1", "{\"user_id\":\"carol\"}", "EX", "3600"]]
            try server.run(seed)
        } catch {
            XCTFail("cannot start redis-server: \(error)")
        }
    }

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    /// A store logged in as a user that may run everything but `command`.
    private func store(refusing command: String) throws -> RedisSessionStore {
        let user = "no-" + command.replacingOccurrences(of: "|", with: "-")
        try Self.server.run([["ACL", "SETUSER", user, "reset", "on", ">pw", "~*", "&*", "+@all", "-\(command)"]])
        let options = ConnectionOptions(username: user, password: "pw")
        let keyspace = try RedisKeyspace(endpoint: RedisEndpoint(address: Self.server.address), options: options)
        var configuration = RedisSessionStore.Configuration()
        configuration.scanCount = 10
        return RedisSessionStore(keyspace: keyspace, layout: try SessionLayout(), configuration: configuration)
    }

    /// Every key the seed wrote, with its value: nothing may be lost by a refused run.
    private func keys() throws -> Set<String> {
        guard case .array(let items) = try Self.server.run([["KEYS", "*"]])[0] else { return [] }
        return Set(items.compactMap { if case .bulk(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } })
    }

    private func assertRefused(
        _ completeness: Completeness, _ command: String, _ operation: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertFalse(completeness.isComplete, "\(operation) without \(command) reported a complete result", file: file, line: line)
        XCTAssertTrue(completeness.deniedPermission, "\(operation): \(completeness.failures)", file: file, line: line)
        XCTAssertTrue(
            completeness.failures.contains { $0.cause.uppercased().contains(command.uppercased().split(separator: "|").last!) },
            "\(operation) names the refused \(command): \(completeness.failures)", file: file, line: line)
    }

    func testLookupsWithoutTheirReads() throws {
        let before = try keys()
        // list: each session's TTL, then its payload for the fields.
        assertRefused(try store(refusing: "ttl").list(users: [Bytes("alice".utf8)]).completeness, "ttl", "list")
        assertRefused(try store(refusing: "get").list(users: [Bytes("alice".utf8)]).completeness, "get", "list")
        assertRefused(try store(refusing: "getrange").list(users: [Bytes("alice".utf8)], details: true).completeness, "getrange", "list -o wide")
        // show: the payload is the point of show; a refused read is never an empty payload.
        assertRefused(try store(refusing: "getrange").show(sessions: [Bytes("a1".utf8)]).completeness, "getrange", "show")
        assertRefused(try store(refusing: "type").show(sessions: [Bytes("a1".utf8)]).completeness, "type", "show")
        // users --live reads whether each mapping's session is there.
        assertRefused(try store(refusing: "exists").users(live: true).completeness, "exists", "users --live")
        // users counts mappings with SCAN alone.
        assertRefused(try store(refusing: "scan").users().completeness, "scan", "users")
        // audit: each mapping's expiry and value.
        assertRefused(try store(refusing: "pttl").audit().completeness, "pttl", "audit")
        // snapshot (and so diff): the mapping values and the session data.
        let snapshot = try store(refusing: "get").snapshot { _ in }
        assertRefused(snapshot, "get", "snapshot")
        XCTAssertEqual(try keys(), before, "looking changes nothing")
    }

    func testRevocationsWithoutTheirDeletions() throws {
        let before = try keys()
        let s = try store(refusing: "unlink")
        // revoke: sessions by id.
        let one = try s.revoke(try s.planRevoke(sessions: [Bytes("a1".utf8)]))
        assertRefused(one.completeness, "unlink", "revoke")
        XCTAssertTrue(one.revoked.isEmpty, "nothing refused is called revoked: \(one.revoked)")
        // revoke-user: all of a user's.
        let user = try s.revoke(try s.planRevoke(users: [Bytes("alice".utf8)]))
        assertRefused(user.completeness, "unlink", "revoke-user")
        XCTAssertTrue(user.revoked.isEmpty, "\(user.revoked)")
        // revoke-all.
        let all = try s.revokeAll(filter: SessionFilter(), dryRun: false, beforeDeleting: { _ in }, afterPage: { _ in })
        assertRefused(all.completeness, "unlink", "revoke-all")
        XCTAssertEqual(all.revoked, 0)
        // prune: the stale mapping stays, and the run says why.
        let pruned = try s.prune(try s.planPrune())
        assertRefused(pruned.completeness, "unlink", "prune")
        XCTAssertTrue(pruned.revoked.isEmpty && pruned.stale.isEmpty, "\(pruned)")
        XCTAssertEqual(try keys(), before, "no key was deleted")
        // prune's plan reads whether each mapping's session is there.
        assertRefused(try store(refusing: "exists").planPrune().completeness, "exists", "prune (plan)")
    }

    func testIndexBuildWithoutItsWrites() throws {
        let before = try keys()
        let built = try store(refusing: "set").buildIndex(markers: ["session:"], dryRun: false)
        assertRefused(built.completeness, "set", "index build")
        XCTAssertEqual(built.mapped, 0, "no mapping was written, none is counted")
        XCTAssertEqual(try keys(), before)
        // Its reads: each session's expiry (the mapping's expiry is the session's).
        assertRefused(
            try store(refusing: "pexpiretime").buildIndex(markers: ["session:"], dryRun: true).completeness, "pexpiretime", "index build --dry-run")
    }
}
