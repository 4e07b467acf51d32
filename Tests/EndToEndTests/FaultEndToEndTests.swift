import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Faults between sessionctl and a real server (a resetting, stalling or dripping proxy) and a
/// primary killed mid-revocation: never a session alive without its mapping, never success
/// when work was left undone, and a re-run finishes the job.
final class FaultEndToEndTests: XCTestCase {
    /// Sessions of `user` still alive without their mapping (unfindable by user): must always be none.
    private func orphans(_ ids: Range<Int>, _ user: String, exists: (String) throws -> Bool) throws -> [Int] {
        try ids.filter { try exists("session:\(user)-\($0)") && !exists("user:\(user):\(user)-\($0)") }
    }

    func testAResetInTheMiddleOfTheDeletionsLosesNoSession() throws {
        let server = try RedisServer()
        let admin = try server.admin()
        _ = try admin.pipeline(
            (0..<5_000).flatMap { i in
                [["SET", "user:eve:eve-\(i)", "session:eve-\(i)"], ["SET", "session:eve-\(i)", "x", "EX", "3600"]].map { $0.map { Array($0.utf8) } }
            })
        let proxy = try FaultProxy(upstreamPort: server.port)
        defer { proxy.stop() }
        // Once 30 KB of UNLINKs have gone out, every connection is reset and the proxy refuses
        // connections for longer than the retry budget (--timeout 1).
        proxy.set(.reset(pattern: "UNLINK", after: 30_000, downFor: 4))
        let r = try Sessionctl.run(["revoke-user", "eve", "--yes", "--json", "--timeout", "1", "--url", proxy.url], timeout: 60)
        XCTAssertEqual(proxy.resets, 1)
        assertExitStatus(r, 5)
        XCTAssertEqual(try r.json()["complete"] as? Bool, false)
        XCTAssertLessThan(r.stderr.split(separator: "\n").count, 8, "summarised: \(r.stderr)")
        let exists = { (key: String) throws -> Bool in try server.run([["EXISTS", key]])[0] == .integer(1) }
        XCTAssertEqual(try orphans(0..<5_000, "eve", exists: exists), [], "no session alive without its mapping")
        XCTAssertGreaterThan(try server.run([["DBSIZE"]])[0].integer ?? 0, 0, "work was left undone")
        // The proxy is healthy again: running it again finishes the job.
        sleep(4)
        let again = try Sessionctl.run(["revoke-user", "eve", "--yes", "--json", "--url", proxy.url], timeout: 60)
        assertExitStatus(again, 0)
        XCTAssertEqual(try again.json()["complete"] as? Bool, true)
        XCTAssertEqual(try server.run([["DBSIZE"]])[0].integer, 0)
    }

    func testRepliesDrippedAByteAtATimeAndAStall() throws {
        let server = try RedisServer()
        let admin = try server.admin()
        _ = try admin.pipeline(
            (0..<200).flatMap { i in
                [["SET", "user:dan:dan-\(i)", "session:dan-\(i)"], ["SET", "session:dan-\(i)", "x"]].map { $0.map { Array($0.utf8) } }
            })
        let proxy = try FaultProxy(upstreamPort: server.port)
        defer { proxy.stop() }
        proxy.set(.drip)
        let dripped = try Sessionctl.run(["list", "dan", "--json", "--url", proxy.url], timeout: 120)
        assertExitStatus(dripped, 0)
        XCTAssertEqual((try dripped.json()["sessions"] as? [Any])?.count, 200)
        // Replies stop after the handshake (whose CLIENT NO-TOUCH this Redis 7.0 refuses with an error
        // reply): bounded by --timeout, never a hang, never complete.
        let noTouchRefused = "-ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP.\r\n"
        proxy.set(.stall(after: 64 + noTouchRefused.utf8.count))
        let start = Date()
        let stalled = try Sessionctl.run(["list", "dan", "--json", "--timeout", "1", "--url", proxy.url], timeout: 60)
        XCTAssertTrue([4, 5].contains(stalled.status), "\(stalled)")
        XCTAssertLessThan(Date().timeIntervalSince(start), 20, "bounded by the deadlines")
        XCTAssertTrue(stalled.stderr.contains("within 1s") || stalled.stderr.contains("did not answer"), stalled.stderr)
    }

    func testAPrimaryKilledMidRevocationOnTheCluster() throws {
        let cluster = try RedisCluster()
        var commands: [[String]] = []
        for i in 0..<6_000 {
            commands.append(["SET", "user:kim:kim-\(i)", "session:kim-\(i)"])
            commands.append(["SET", "session:kim-\(i)", "x", "EX", "3600"])
        }
        try cluster.writeAll(commands)
        let before = try cluster.slotMap()
        let victim = try XCTUnwrap(before[HashSlot.of(Array("session:kim-0".utf8))])
        let killer = Thread {
            usleep(300_000)
            victim.kill()
        }
        killer.start()
        let r = try Sessionctl.run(
            ["revoke-user", "kim", "--yes", "--json", "--timeout", "2", "--scan-count", "50", "--url", cluster.url], timeout: 120)
        XCTAssertTrue([0, 5].contains(r.status), "\(r)")
        if r.status == 5 { XCTAssertEqual(try r.json()["complete"] as? Bool, false) }
        XCTAssertLessThan(r.stderr.split(separator: "\n").count, 12, "summarised per node and cause: \(r.stderr)")
        // Wait for the replica to take over, then check: no session alive without its mapping.
        var survivor: RedisServer?
        for _ in 0..<60 {
            if let s = try? cluster.owner(of: "session:kim-0"), s.isRunning {
                survivor = s
                break
            }
            usleep(250_000)
        }
        XCTAssertNotNil(survivor, "the replica took over")
        /// The keys that exist, asked of their primaries in one pipeline each.
        func existing() throws -> Set<String> {
            let map = try cluster.slotMap()
            let keys = (0..<6_000).flatMap { ["session:kim-\($0)", "user:kim:kim-\($0)"] }
            var groups: [ObjectIdentifier: (RedisServer, [String])] = [:]
            for key in keys {
                guard let owner = map[HashSlot.of(Array(key.utf8))] else { throw TestSupportError("no primary serves \(key)") }
                groups[ObjectIdentifier(owner), default: (owner, [])].1.append(key)
            }
            var out = Set<String>()
            for (node, batch) in groups.values {
                let replies = try node.admin().pipeline(batch.map { [Array("EXISTS".utf8), Array($0.utf8)] })
                for (key, reply) in zip(batch, replies) where reply == .integer(1) { out.insert(key) }
            }
            return out
        }
        /// The same, asked again while a failover settles (a node the map named may have just gone).
        func settled() throws -> Set<String> {
            for _ in 0..<20 {
                if let keys = try? existing() { return keys }
                usleep(500_000)
            }
            return try existing()
        }
        let present = try settled()
        XCTAssertEqual(try orphans(0..<6_000, "kim", exists: { present.contains($0) }), [], "no session alive without its mapping")
        var finished = false
        for _ in 0..<10 {
            let again = try Sessionctl.run(["revoke-user", "kim", "--yes", "--json", "--url", cluster.url], timeout: 120)
            if [0, 3].contains(again.status) {
                finished = true
                break
            }
            usleep(500_000)
        }
        XCTAssertTrue(finished, "a re-run finishes the job")
        XCTAssertEqual(try settled(), [])
    }

    /// A primary killed while `users` scans: its shard is scanned again on the replica that takes
    /// over, the counts are whole, and the run says what happened (a stderr line, `recovered` in
    /// JSON) instead of nothing.
    func testAFailoverDuringAScanIsSaid() throws {
        let cluster = try RedisCluster()
        let n = 30_000
        try cluster.writeAll((0..<n).map { ["SET", "user:u\($0 % 100):s\($0)", "session:s\($0)"] })
        let victim = try XCTUnwrap(try cluster.slotMap()[HashSlot.of(Array("user:u0:s0".utf8))])
        let killer = Thread {
            usleep(600_000)
            victim.kill()
        }
        killer.start()
        let r = try Sessionctl.run(
            ["users", "-o", "json", "--rate", "4000", "--scan-count", "200", "--timeout", "10", "--url", cluster.url], timeout: 120)
        assertExitStatus(r, 0)
        let j = try r.json()
        XCTAssertEqual(j["complete"] as? Bool, true)
        XCTAssertEqual((j["users"] as? [[String: Any]])?.reduce(0) { $0 + ($1["sessions"] as? Int ?? 0) }, n, "every mapping counted once")
        let recovered = try XCTUnwrap(j["recovered"] as? [String], "a failover during the scan is said: \(r.stdout)")
        XCTAssertTrue(
            recovered.contains {
                $0.hasPrefix("127.0.0.1:\(victim.port) was lost during the scan") && $0.contains("scanned again from the start on")
            }, "\(recovered)")
        XCTAssertTrue(r.stderr.contains("127.0.0.1:\(victim.port) was lost during the scan"), r.stderr)
    }

    /// A primary killed while the watch after deleting runs: its checks stall until a replica
    /// takes over. The 5 s watch made 7 checks and said "nothing came back in 5s"; now the time
    /// it could not check is added to its window, and the run says so.
    func testTheWatchIsNotBlindDuringAFailover() throws {
        let cluster = try RedisCluster()
        try cluster.writeAll((0..<30).map { ["SET", "user:fay:f\($0)", "session:f\($0)"] })
        try cluster.writeAll((0..<30).map { ["SET", "session:f\($0)", "x", "EX", "3600"] })
        let victim = try XCTUnwrap(try cluster.slotMap()[HashSlot.of(Array("session:f0".utf8))])
        let killer = Thread {
            usleep(1_500_000)
            victim.kill()
        }
        killer.start()
        let r = try Sessionctl.run(
            ["revoke-user", "fay", "--yes", "-o", "json", "--settle", "4s", "--wait-replicas", "0", "--timeout", "10", "--url", cluster.url],
            environment: ["SESSIONCTL_SETTLE": ""], timeout: 120)
        XCTAssertTrue([0, 5].contains(r.status), "\(r)")
        let j = try r.json()
        XCTAssertEqual((j["revoked"] as? [Any])?.count, 30, r.stdout)
        let settle = try XCTUnwrap(j["settle"] as? [String: Any], r.stdout)
        let recovered = j["recovered"] as? [String] ?? []
        XCTAssertTrue(
            recovered.contains { $0.contains("the watch after deleting could not check for") }, "the blind time is said: \(r.stdout) \(r.stderr)")
        XCTAssertGreaterThan(
            settle["seconds"] as? Double ?? 0, 5, "a whole 4 s of checks, plus the time the failover kept them from checking: \(settle)")
        XCTAssertTrue(r.stderr.contains("could not check for"), r.stderr)
    }

    /// The shard is lost mid-revocation, on a signal from the run itself: its first audit record,
    /// written (and fsync'ed) ahead of the first batch's deletions. The primary and its replica go,
    /// so the fault cannot be outrun: the run must end incomplete (exit 5) with work left, and no
    /// session anywhere alive without its mapping.
    func testAShardLostMidRevocationOnTheRunsOwnSignal() throws {
        let cluster = try RedisCluster()
        let n = 6_000
        try cluster.writeAll((0..<n).flatMap { [["SET", "user:lee:l\($0)", "session:l\($0)"], ["SET", "session:l\($0)", "x", "EX", "3600"]] })
        let victim = try cluster.owner(of: "session:l0")
        let victimID = try cluster.id(of: victim)
        let replica = try cluster.nodes.first { node in
            let myself = (try node.run([["CLUSTER", "NODES"]]).first?.text ?? "").split(separator: "\n").first { $0.contains("myself") } ?? ""
            return myself.split(separator: " ")[3] == victimID
        }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fault-\(UUID().uuidString.prefix(6)).log")
        defer { try? FileManager.default.removeItem(at: log) }
        final class Fired: @unchecked Sendable { var at: Date? }
        let fired = Fired()
        let killer = Thread {
            // The run's own signal: its first batch's record, written before anything is deleted (run_start comes before the scan).
            for _ in 0..<6000 {
                if let text = try? String(contentsOf: log, encoding: .utf8), text.contains(#""phase":"before""#) {
                    replica?.kill()
                    victim.kill()
                    fired.at = Date()
                    return
                }
                usleep(500)
            }
        }
        killer.start()
        let r = try Sessionctl.run(
            ["revoke-user", "lee", "--yes", "--json", "--timeout", "1", "--settle", "0", "--audit-log", log.path, "--url", cluster.url],
            timeout: 120)
        let ended = Date()
        let at = try XCTUnwrap(fired.at, "the fault fired")
        XCTAssertLessThan(at, ended, "the shard was lost while the run was deleting")
        assertExitStatus(r, 5)
        XCTAssertEqual(try r.json()["complete"] as? Bool, false)
        let revoked = (try r.json()["revoked"] as? [Any])?.count ?? 0
        XCTAssertLessThan(revoked, n, "work remained: the lost shard's sessions were not revoked")
        XCTAssertGreaterThan(revoked, 0, "the other shards' were")
        // Nothing is alive without its mapping, on the shards that are up.
        let map = try cluster.slotMap()
        var orphaned: [String] = []
        for i in 0..<n {
            guard let owner = map[HashSlot.of(Array("session:l\(i)".utf8))], owner.isRunning,
                let mapOwner = map[HashSlot.of(Array("user:lee:l\(i)".utf8))], mapOwner.isRunning
            else { continue }
            if try owner.run([["EXISTS", "session:l\(i)"]])[0] == .integer(1), try mapOwner.run([["EXISTS", "user:lee:l\(i)"]])[0] == .integer(0) {
                orphaned.append("l\(i)")
            }
        }
        XCTAssertEqual(orphaned, [], "no session alive without its mapping")
        // The trail ends the story all the same: run_end, failed, with the exit status.
        let end = try XCTUnwrap(try auditRecords(log).last)
        XCTAssertEqual(end.action, "run_end")
        XCTAssertEqual(end.outcome, "failure")
        XCTAssertEqual(end.s["exit_code"] as? Int, 5)
    }
}
