import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Every command unchanged on a cluster, over TLS, and with ACL users, through the binary.
final class ClusterEndToEndTests: XCTestCase {
    private func seed(_ cluster: RedisCluster, _ pairs: [(String, String)], password: String? = nil) throws {
        try cluster.write(
            pairs.flatMap { u, s in [["SET", "user:\(u):\(s)", "session:\(s)"], ["SET", "session:\(s)", "p", "EX", "600"]] },
            password: password)
    }

    func testCommandsAcrossPrimaries() throws {
        let cluster = try RedisCluster()
        try seed(cluster, (0..<30).map { ("alice", "s\($0)") } + [("bob", "b1")])
        let env = ["SESSIONCTL_URL": cluster.url]
        let ping = try Sessionctl.run(["ping", "--json"], environment: env)
        assertExitStatus(ping, 0)
        XCTAssertEqual(try ping.json()["mode"] as? String, "cluster")
        XCTAssertEqual((try ping.json()["nodes"] as? [Any])?.count, 6)
        let list = try Sessionctl.run(["list", "alice", "--json"], environment: env)
        assertExitStatus(list, 0)
        XCTAssertEqual((try list.json()["sessions"] as? [Any])?.count, 30)
        let users = try Sessionctl.run(["users"], environment: env)
        XCTAssertEqual(users.stdout, "USER   MAPPINGS\nalice        30\nbob           1\n")
        let show = try Sessionctl.run(["show", "b1", "--json"], environment: env)
        assertExitStatus(show, 0)
        // Requests in flight write two sessions back on different primaries while the watch runs
        // (redis-cli --cluster create splits the slots in thirds).
        func third(_ key: String) -> Int { min(HashSlot.of(Array(key.utf8)) / 5461, 2) }
        let keys = (0..<30).map { "session:s\($0)" }
        let firstBack = keys[0]
        let secondBack = try XCTUnwrap(keys.first { third($0) != third(firstBack) })
        let writer = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            usleep(400_000)
            try? cluster.write([["SET", firstBack, "back", "EX", "600"], ["SET", secondBack, "back", "EX", "600"]])
            writer.signal()
        }
        let revoke = try Sessionctl.run(["revoke-user", "alice", "--yes", "--json", "--settle", "1s"], environment: env)
        writer.wait()
        assertExitStatus(revoke, 0)
        XCTAssertEqual((try revoke.json()["deleted"] as? [String: Int])?["session_keys"], 30)
        XCTAssertEqual(
            Set((try revoke.json()["settle"] as? [String: Any])?["written_back"] as? [String] ?? []), [firstBack, secondBack], revoke.stdout)
        let after = try Sessionctl.run(["list", "alice", "--json"], environment: env)
        XCTAssertEqual((try after.json()["sessions"] as? [Any])?.count, 0)
        // Orphans on several primaries: prune finds and deletes exactly them.
        try cluster.write((0..<12).map { ["SET", "user:zed:z\($0)", "session:zgone\($0)"] })
        let prune = try Sessionctl.run(["prune", "--yes", "--grace", "0", "--json"], environment: env)
        assertExitStatus(prune, 0)
        XCTAssertEqual((try prune.json()["deleted"] as? [String: Int])?["mapping_keys"], 12)
        let audit = try Sessionctl.run(["audit", "--json"], environment: env)
        assertExitStatus(audit, 0)
        XCTAssertEqual((try audit.json()["counts"] as? [String: Int])?["orphaned_mappings"], 0)
        XCTAssertEqual((try audit.json()["counts"] as? [String: Int])?["mappings"], 1)
        // Forcing standalone mode on a cluster node is never silent.
        let notCluster = try Sessionctl.run(["list", "bob", "--no-cluster", "--json"], environment: env)
        XCTAssertTrue(notCluster.stderr.contains("is a Redis Cluster node; with --no-cluster only its own keys are scanned"), notCluster.stderr)
        let standalone = try RedisServer()
        let forced = try Sessionctl.run(["ping", "--cluster", "--url", standalone.url])
        assertExitStatus(forced, 2)
        XCTAssertTrue(forced.stderr.contains("not in cluster mode"), forced.stderr)
        let db = try Sessionctl.run(["ping", "--url", cluster.url + "/2"])
        assertExitStatus(db, 2)
        XCTAssertTrue(db.stderr.contains("only database 0"), db.stderr)
    }

    func testLostShardExitsFive() throws {
        let cluster = try RedisCluster()
        try seed(cluster, (0..<30).map { ("erin", "e\($0)") })
        let victim = try cluster.owner(of: "user:erin:e0")
        let victimID = try cluster.id(of: victim)
        for node in cluster.nodes where node !== victim {
            let text = try node.run([["CLUSTER", "NODES"]]).first?.text ?? ""
            let myself = text.split(separator: "\n").first { $0.contains("myself") } ?? ""
            if myself.split(separator: " ")[3] == victimID { node.kill() }
        }
        victim.kill()
        let url = cluster.nodes.first { $0.isRunning }!.url
        let r = try Sessionctl.run(["list", "erin", "--json", "--timeout", "1", "--url", url])
        assertExitStatus(r, 5)
        XCTAssertEqual(try r.json()["complete"] as? Bool, false)
        XCTAssertTrue(r.stderr.contains("incomplete: scan of 127.0.0.1:\(victim.port) stopped"), r.stderr)
        let audit = try Sessionctl.run(["audit", "--json", "--timeout", "1", "--url", url])
        assertExitStatus(audit, 5)
        XCTAssertEqual(try audit.json()["complete"] as? Bool, false)
        let revoke = try Sessionctl.run(["revoke-user", "erin", "--yes", "--json", "--timeout", "1", "--url", url])
        assertExitStatus(revoke, 5)
        XCTAssertEqual(try revoke.json()["complete"] as? Bool, false)

        // Once the others flag the primary as failed, CLUSTER SHARDS drops the shard: its slots have
        // no primary. Before, those keys silently vanished from every result (complete, exit 0).
        let survivor = cluster.nodes.first { $0.isRunning }!
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let text = try survivor.run([["CLUSTER", "NODES"]]).first?.text ?? ""
            if text.split(separator: "\n").contains(where: { $0.hasPrefix(Substring(victimID)) && $0.contains("fail") && !$0.contains("fail?") }) {
                break
            }
            usleep(200_000)
        }
        let flagged = try Sessionctl.run(["list", "erin", "--json", "--timeout", "1", "--url", url])
        assertExitStatus(flagged, 5)
        XCTAssertEqual(try flagged.json()["complete"] as? Bool, false)
        XCTAssertTrue(flagged.stderr.contains("incomplete: no primary serves slots "), flagged.stderr)
        let users = try Sessionctl.run(["users", "--timeout", "1", "--url", url])
        assertExitStatus(users, 5)
        let again = try Sessionctl.run(["revoke-user", "erin", "--yes", "--json", "--timeout", "1", "--url", url])
        assertExitStatus(again, 5)
        XCTAssertTrue(again.stderr.contains("no primary serves slots "), again.stderr)
    }

    func testDeletionsTheReplicasDidNotConfirmKeepTheirMappings() throws {
        // A lagging replica that took over after the revocation would bring the sessions back; their
        // mappings must still be there then, so that a re-run finds them.
        let cluster = try RedisCluster()
        try seed(cluster, (0..<30).map { ("rita", "r\($0)") })
        let primary = try cluster.owner(of: "session:r0")
        let primaryID = try cluster.id(of: primary)
        let replica = try XCTUnwrap(
            cluster.nodes.first { node in
                guard node !== primary, let text = try? node.run([["CLUSTER", "NODES"]]).first?.text else { return false }
                let myself = text.split(separator: "\n").first { $0.contains("myself") } ?? ""
                return myself.split(separator: " ").count > 3 && myself.split(separator: " ")[3] == primaryID
            })
        let env = ["SESSIONCTL_URL": cluster.url]
        // Owners are looked up before the replica freezes (the lookup asks every node).
        var owners: [String: RedisServer] = [:]
        for i in 0..<30 {
            for key in ["session:r\(i)", "user:rita:r\(i)"] { owners[key] = try cluster.owner(of: key) }
        }
        func exists(_ key: String) throws -> Bool { try owners[key]!.run([["EXISTS", key]])[0] == .integer(1) }
        replica.pause()
        defer { replica.resume() }
        let r = try Sessionctl.run(["revoke-user", "rita", "--yes", "--json", "--timeout", "2"], environment: env)
        assertExitStatus(r, 5)
        XCTAssertEqual(try r.json()["complete"] as? Bool, false)
        XCTAssertTrue(r.stderr.contains("deletions not confirmed by the replicas of 127.0.0.1:\(primary.port)"), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "not confirmed").count - 1, 1, "one line, with a count: \(r.stderr)")
        var kept = 0
        for i in 0..<30 {
            XCTAssertFalse(try exists("session:r\(i)"), "every session key was deleted on its primary")
            let onPaused = owners["session:r\(i)"] === primary
            XCTAssertEqual(try exists("user:rita:r\(i)"), onPaused, "r\(i): the mapping is kept exactly when its deletion is unconfirmed")
            if onPaused { kept += 1 }
        }
        XCTAssertGreaterThan(kept, 0)
        // Once the replica has caught up, a re-run finishes the job.
        replica.resume()
        var finished: Sessionctl.Run?
        for _ in 0..<20 {
            let again = try Sessionctl.run(["revoke-user", "rita", "--yes", "--json", "--timeout", "4"], environment: env)
            if again.status == 0 {
                finished = again
                break
            }
            usleep(500_000)
        }
        XCTAssertEqual(try finished?.json()["complete"] as? Bool, true)
        for i in 0..<30 { XCTAssertFalse(try exists("user:rita:r\(i)")) }
    }

    func testTLSClusterWithACLUsers() throws {
        let certs = try TestCertificates()
        let acl = [
            "user sessionctl on >opspw ~user:* ~session:* resetchannels -@all +scan +get +ttl +strlen +type +exists +object|idletime +memory|usage +unlink +wait +info +dbsize +ping +cluster|shards +cluster|slots +cluster|nodes",
            "user readonly on >ropw ~* resetchannels -@all +scan +get +ttl +strlen +exists +info +dbsize +ping +cluster|shards +cluster|nodes",
            "user blind on >blindpw ~* resetchannels -@all +get +ping",
        ]
        // Nodes announce host names, as MemoryDB does: every node is verified by name.
        let cluster = try RedisCluster(
            tls: certs, extraConfig: acl + ["cluster-announce-hostname localhost", "cluster-preferred-endpoint-type hostname"])
        try seed(cluster, (0..<24).map { ("gina", "g\($0)") })
        let tlsArgs = ["--cacert", certs.path("ca.crt")]
        let port = cluster.nodes[0].port
        func run(_ user: String, _ pw: String, _ args: [String]) throws -> Sessionctl.Run {
            try Sessionctl.run(args + tlsArgs + ["--url", "rediss://\(user)@localhost:\(port)"], environment: ["REDISCLI_AUTH": pw])
        }
        let ping = try run("sessionctl", "opspw", ["ping", "--json"])
        assertExitStatus(ping, 0)
        let addresses = (try ping.json()["nodes"] as? [[String: Any]])?.compactMap { $0["address"] as? String } ?? []
        XCTAssertEqual(addresses.count, 6)
        XCTAssertTrue(addresses.allSatisfy { $0.hasPrefix("localhost:") }, "\(addresses)")
        let list = try run("sessionctl", "opspw", ["list", "gina", "--json"])
        assertExitStatus(list, 0)
        XCTAssertEqual((try list.json()["sessions"] as? [Any])?.count, 24)
        // Without UNLINK: nothing is deleted, the refusal is summarised once, and since nothing
        // could be done it is a failure (exit 1), never "revoked 0" with exit 0.
        let denied = try run("readonly", "ropw", ["revoke-user", "gina", "--yes", "--json"])
        assertExitStatus(denied, 1)
        XCTAssertEqual((try denied.json()["revoked"] as? [Any])?.count, 0)
        XCTAssertEqual(try denied.json()["complete"] as? Bool, false)
        XCTAssertTrue(denied.stderr.contains("NOPERM"), denied.stderr)
        XCTAssertEqual(denied.stderr.components(separatedBy: "NOPERM").count - 1, 1, "one summary line: \(denied.stderr)")
        XCTAssertTrue(denied.stderr.contains("+unlink"), "names the ACL rules: \(denied.stderr)")
        XCTAssertEqual((try run("sessionctl", "opspw", ["list", "gina", "--json"]).json()["sessions"] as? [Any])?.count, 24)
        // Without CLUSTER rights: a clear error.
        let blind = try run("blind", "blindpw", ["list", "gina"])
        assertExitStatus(blind, 4)
        XCTAssertTrue(blind.stderr.contains("may not run CLUSTER SHARDS"), blind.stderr)
        XCTAssertTrue(blind.stderr.contains("logged in to localhost:"), "the login worked; say what was refused: \(blind.stderr)")
        XCTAssertFalse(blind.stderr.contains("authentication"), blind.stderr)
        // With the least-privilege user of the README: revocation across TLS primaries.
        let revoke = try run("sessionctl", "opspw", ["revoke-user", "gina", "--yes", "--json"])
        assertExitStatus(revoke, 0)
        XCTAssertEqual((try revoke.json()["deleted"] as? [String: Int])?["mapping_keys"], 24)
        let wrongCA = try Sessionctl.run(
            ["ping", "--cacert", certs.path("other-ca.crt"), "--url", "rediss://sessionctl@localhost:\(port)"],
            environment: ["REDISCLI_AUTH": "opspw"])
        assertExitStatus(wrongCA, 4)
    }

    /// With the seed node killed, every command exited 4 until the context was edited. Seeds are
    /// tried in turn: `--url` given again, or a context's `urls:` list; the run says which seed
    /// could not be reached and which one it went through.
    func testAnotherSeedIsTriedWhenOneIsDown() throws {
        let cluster = try RedisCluster()
        try seed(cluster, (0..<12).map { ("sam", "s\($0)") })
        let dead = cluster.nodes[0]
        let live = cluster.nodes[4]
        // Replication is asynchronous: the replica has every key before its primary dies (else
        // Redis itself loses the newest writes in the failover, and the count below is short).
        func offset(_ node: RedisServer, _ field: String) throws -> Int {
            let info = try node.run([["INFO", "replication"]]).first?.text ?? ""
            return info.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).first { $0.hasPrefix(field + ":") }
                .flatMap { Int($0.split(separator: ":")[1]) } ?? -1
        }
        let deadID = try cluster.id(of: dead)
        let replica = try XCTUnwrap(
            try cluster.nodes.first { node in
                let myself = (try node.run([["CLUSTER", "NODES"]]).first?.text ?? "").split(separator: "\n").first { $0.contains("myself") } ?? ""
                return myself.split(separator: " ")[3] == deadID
            })
        for _ in 0..<100 where try offset(replica, "slave_repl_offset") < offset(dead, "master_repl_offset") { usleep(20_000) }
        dead.kill()
        var ok: Sessionctl.Run?
        for _ in 0..<40 {
            // Until a replica has taken over the dead primary's slots, the result may be partial.
            let r = try Sessionctl.run(["--url", dead.url, "--url", live.url, "list", "sam", "-o", "json"])
            if r.status == 0 {
                ok = r
                break
            }
            usleep(250_000)
        }
        let r = try XCTUnwrap(ok, "a command through the second seed")
        XCTAssertEqual((try r.json()["sessions"] as? [Any])?.count, 12)
        XCTAssertTrue(r.stderr.contains("connected through the seed 127.0.0.1:\(live.port) (cannot connect to 127.0.0.1:\(dead.port)"), r.stderr)
        // The same through a context's list of seeds.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seeds-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config.yaml").path
        try "current-context: prod\ncontexts:\n  prod:\n    urls:\n      - \(dead.url)\n      - \(live.url)\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let byContext = try Sessionctl.run(["users", "-o", "json"], environment: ["SESSIONCTL_CONFIG": config])
        assertExitStatus(byContext, 0)
        XCTAssertEqual((try byContext.json()["users"] as? [[String: Any]])?.first?["sessions"] as? Int, 12)
        // One seed, down: exit 4, as before; every seed down: exit 4, naming them.
        assertExitStatus(try Sessionctl.run(["--url", dead.url, "ping"]), 4)
        let none = try Sessionctl.run(["--url", dead.url, "--url", "redis://127.0.0.1:1", "ping"])
        assertExitStatus(none, 4)
        XCTAssertTrue(none.stderr.contains("2 seeds tried: 127.0.0.1:\(dead.port), 127.0.0.1:1"), none.stderr)
        // A table has one URL.
        let sql = try Sessionctl.run(["--url", "sqlite:///tmp/x.db", "--url", "sqlite:///tmp/y.db", "list", "sam"])
        assertExitStatus(sql, 2)
    }
}
