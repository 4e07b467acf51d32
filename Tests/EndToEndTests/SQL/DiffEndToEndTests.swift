import Foundation
import TestSupport
import XCTest

/// `diff` and `snapshot` through the binary: a double write that dropped sessions, a blue/green
/// deploy checked against a snapshot, Redis against a SQL table, and bad input.
final class DiffEndToEndTests: XCTestCase {
    private func rows(_ r: Sessionctl.Run) throws -> [(user: String, session: String, difference: String)] {
        try r.ndjson().lines.map { o in (o["user"] as? String ?? "", o["session"] as? String ?? "", o["difference"] as? String ?? "") }
    }

    func testADoubleWriteThatDroppedSessionsIsFoundExactly() throws {
        let a = try RedisServer()
        let b = try RedisServer()
        var seedA: [[String]] = []
        var seedB: [[String]] = []
        var dropped: Set<String> = []
        var changed: Set<String> = []
        for i in 0..<3000 {
            let user = "u\(i % 700)"
            let s = "s\(i)"
            let payload = "{\"user_id\":\"\(user)\",\"n\":\(i)}"
            seedA += [["SET", "user:\(user):\(s)", "session:\(s)"], ["SET", "session:\(s)", payload, "EX", "600"]]
            if i % 81 == 7 {
                dropped.insert("\(user) \(s)")
                continue
            }
            let written = i % 500 == 3 ? "{\"user_id\":\"\(user)\",\"n\":-1}" : payload
            if written != payload { changed.insert("\(user) \(s)") }
            seedB += [["SET", "user:\(user):\(s)", "session:\(s)"], ["SET", "session:\(s)", written, "EX", "600"]]
        }
        seedB += [["SET", "user:new:extra", "session:extra"], ["SET", "session:extra", "{}", "EX", "600"]]
        try a.run(seedA)
        try b.run(seedB)
        let r = try Sessionctl.run(["--url", a.url, "diff", "--against", b.url, "-o", "ndjson", "--exit-code"])
        XCTAssertEqual(r.status, 1, "--exit-code: differences exit 1: \(r.stderr)")
        let found = try rows(r)
        XCTAssertEqual(Set(found.filter { $0.difference == "only_in_a" }.map { "\($0.user) \($0.session)" }), dropped)
        XCTAssertEqual(Set(found.filter { $0.difference == "differs" }.map { "\($0.user) \($0.session)" }), changed)
        XCTAssertEqual(found.filter { $0.difference == "only_in_b" }.map { "\($0.user) \($0.session)" }, ["new extra"])
        let json = try Sessionctl.run(["--url", a.url, "diff", "--against", b.url, "-o", "json"])
        XCTAssertEqual(json.status, 0, "without --exit-code a difference is a success: \(json)")
        let j = try json.json()
        XCTAssertEqual((j["a"] as? [String: Any])?["sessions"] as? Int, 3000)
        XCTAssertEqual((j["b"] as? [String: Any])?["sessions"] as? Int, 3000 - dropped.count + 1)
        XCTAssertEqual((j["summary"] as? [String: Any])?["only_in_a"] as? Int, dropped.count)
        XCTAssertEqual(j["identical"] as? Bool, false)
        // The same store against itself: identical, exit 0 with --exit-code.
        let same = try Sessionctl.run(["--url", a.url, "diff", "--against", a.url, "--exit-code"])
        XCTAssertEqual(same.status, 0, "\(same)")
        XCTAssertTrue(same.stderr.contains("identical"), same.stderr)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("sessionctl-diff-") }, [],
            "the spill directory is removed")
    }

    /// A migration from a plain server to a TLS cluster, both Rails (Rack's private ids, whose
    /// `2::` holds the mapping's separator): `--context old diff --against new` read B without
    /// its framework and split every id wrongly (61/54 phantom differences), and B could not have
    /// its own CA or password. `--against NAME` gives B its context whole; with a URL, B takes A's
    /// layout and none of A's connection settings, and stderr says what B was read with.
    func testAgainstAContextBIsReadWithItsOwnSettings() throws {
        let certs = try TestCertificates()
        let old = try RedisServer()
        let new = try RedisCluster(
            tls: certs,
            extraConfig: ["user migrator on >newpw ~* &* +@all", "cluster-announce-hostname localhost", "cluster-preferred-endpoint-type hostname"])
        var seed: [[String]] = []
        for i in 0..<40 {
            let id = SessionIds.rack("\(i)")
            seed += [["SET", "user:\(i % 8):\(id)", "rack:session:\(id)"], ["SET", "rack:session:\(id)", #"{"user_id":"\#(i % 8)"}"#, "EX", "600"]]
        }
        try old.run(seed)
        try new.write(Array(seed.dropLast(2)))  // the double write dropped session 39
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diffctx-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = dir.appendingPathComponent("config.yaml").path
        try """
        contexts:
          old:
            url: \(old.url)
            framework: rails
          new:
            url: rediss://migrator@localhost:\(new.nodes[0].port)
            password: newpw
            cacert: \(certs.path("ca.crt"))
            cluster: true
            framework: rails
        """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let env = ["SESSIONCTL_CONFIG": config]
        let r = try Sessionctl.run(["--context", "old", "diff", "--against", "new", "-o", "ndjson"], environment: env)
        XCTAssertEqual(r.status, 0, "\(r)")
        let found = try rows(r)
        XCTAssertEqual(found.map { "\($0.user) \($0.difference)" }, ["7 only_in_a"], "exactly the dropped session, no phantom: \(r.stdout)")
        XCTAssertEqual(found.first?.session, SessionIds.rack("39"))
        XCTAssertTrue(
            r.stderr.contains(
                "B is read from rediss://***@localhost:\(new.nodes[0].port) (context 'new'), --framework rails, TLS verified against \(certs.path("ca.crt")), the context's password, as a cluster"
            ),
            r.stderr)
        // With a URL, B takes A's layout (said) and none of A's connection settings: its password is the URL's.
        let plain = try RedisServer()
        try plain.run(seed)
        let byURL = try Sessionctl.run(["--context", "old", "diff", "--against", plain.url, "--exit-code"], environment: env)
        XCTAssertEqual(byURL.status, 0, "identical: \(byURL)")
        XCTAssertTrue(byURL.stderr.contains("'sessionctl verify' asks it"), "identical rows are not accepted cookies: \(byURL.stderr)")
        XCTAssertTrue(
            byURL.stderr.contains("B is read from \(plain.url) (--against), --framework rails (A's), no password, cluster mode detected"),
            byURL.stderr)
        // A context name that is also a file is ambiguous; an unknown name is neither.
        let missing = try Sessionctl.run(["--context", "old", "diff", "--against", "nowhere"], environment: env)
        assertExitStatus(missing, 2)
        XCTAssertTrue(missing.stderr.contains("neither a store's URL, a context, nor a snapshot file"), missing.stderr)
    }

    func testABlueGreenDeployIsCheckedAgainstASnapshot() throws {
        let f = try Fixture()
        try f.seed((0..<50).map { ("user\($0 % 10)", "s\($0)") })
        let snap = try f.run("snapshot")
        XCTAssertEqual(snap.status, 0, "\(snap)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("snap-\(UUID().uuidString.prefix(6)).ndjson")
        try snap.stdout.write(to: file, atomically: true, encoding: .utf8)
        XCTAssertTrue(snap.stdout.hasPrefix("{\"sessionctl_snapshot\":2,"), snap.stdout)
        XCTAssertEqual(snap.stdout.split(separator: "\n").count, 52, "a header, 50 sessions, a trailer")
        // The deploy loses user3's sessions.
        let lost = try f.run("revoke-user", "user3", "--yes")
        XCTAssertEqual(lost.status, 0, "\(lost)")
        let d = try f.run("diff", "--against", file.path, "-o", "json", "--exit-code")
        XCTAssertEqual(d.status, 1, "\(d)")
        let users = try XCTUnwrap(try d.json()["users"] as? [[String: Any]])
        XCTAssertEqual(users.map { $0["user"] as? String }, ["user3"])
        XCTAssertEqual((users.first?["only_in_b"] as? [String])?.sorted(), ["s13", "s23", "s3", "s33", "s43"])
        // A table for people.
        let t = try f.run("diff", "--against", file.path)
        XCTAssertTrue(t.stdout.contains("user3") && t.stdout.contains("only in B"), t.stdout)
    }

    /// A side whose reads the server refuses (an ACL user whose key patterns miss `session:*`) was
    /// "identical", exit 0, and its snapshot an empty file, exit 0. Now each is incomplete (exit 5).
    /// A snapshot cut at a line boundary (its writer killed, the disk full) was accepted with the
    /// lost sessions invisible; now its trailer proves it whole, or diff refuses it.
    func testARefusedSideIsIncompleteAndACutSnapshotIsRefused() throws {
        let f = try Fixture()
        try f.seed((0..<13).map { ("user\($0 % 4)", "s\($0)") })
        try f.server.run([["ACL", "SETUSER", "narrow", "on", ">narrow-pw", "~user:*", "resetchannels", "+@all"]])
        let narrow = "redis://narrow@127.0.0.1:\(f.server.port)"
        let refused = try f.run(args: ["--url", narrow, "snapshot"], env: ["REDISCLI_AUTH": "narrow-pw"])
        // Refused for want of a permission with nothing read: a failure (1), as the contract says; never 0.
        assertExitStatus(refused, 1)
        XCTAssertTrue(refused.stderr.contains("NOPERM"), refused.stderr)
        let trailer = try XCTUnwrap(refused.stdout.split(separator: "\n").last)
        XCTAssertTrue(trailer.contains("\"sessionctl_snapshot_end\"") && trailer.contains("\"complete\":false"), String(trailer))
        let d = try f.run(args: ["diff", "--exit-code", "--against", "redis://narrow:narrow-pw@127.0.0.1:\(f.server.port)", "-q"])
        assertExitStatus(d, 5)
        XCTAssertFalse(d.stdout.contains("identical"), d.stdout)
        // A snapshot that read everything, then the same file cut, with a line lost, and as version 1.
        let snap = try f.run("snapshot")
        assertExitStatus(snap, 0)
        let lines = snap.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 15)
        func diff(_ text: [String]) throws -> Sessionctl.Run {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString.prefix(6)).ndjson")
            try (text.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
            return try f.run("diff", "--exit-code", "--against", file.path)
        }
        assertExitStatus(try diff(lines), 0)
        let cut = try diff(Array(lines.prefix(9)))
        assertExitStatus(cut, 2)
        XCTAssertTrue(cut.stderr.contains("without its trailer") && cut.stderr.contains("cut"), cut.stderr)
        let lost = try diff(lines.enumerated().filter { $0.offset != 5 }.map(\.element))
        assertExitStatus(lost, 2)
        XCTAssertTrue(lost.stderr.contains("counts 13 sessions, the file holds 12"), lost.stderr)
        let changed = try diff(lines.map { $0.replacingOccurrences(of: "\"s7\"", with: "\"s77\"") })
        assertExitStatus(changed, 2)
        XCTAssertTrue(changed.stderr.contains("digest"), changed.stderr)
        let old = try diff(
            [lines[0].replacingOccurrences(of: "\"sessionctl_snapshot\":2", with: "\"sessionctl_snapshot\":1")] + lines.dropFirst().dropLast())
        assertExitStatus(old, 5)
        XCTAssertTrue(old.stderr.contains("no trailer"), old.stderr)
    }

    func testRedisAgainstASQLTableOfTheSameLaravelSessions() throws {
        // The same three sessions written as Laravel writes them to Redis and to its database table.
        let php = """
            $a = ['_token' => 'tok', 'login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d' => 7];
            $b = ['_token' => 'tok2', 'login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d' => 8];
            echo serialize(serialize($a)), "\\n", serialize(serialize($b)), "\\n", base64_encode(serialize($a)), "\\n", base64_encode(serialize($b)), "\\n";
            """
        let out = try PostgresServer.run(["/usr/bin/php", "-r", php])
        XCTAssertEqual(out.status, 0, out.output)
        let lines = out.output.split(separator: "\n").map(String.init)
        // Laravel's ids: Str::random(40), the shape the preset checks before it takes a key for a session.
        let (aaa, bbb, ccc) = (String(repeating: "a", count: 40), String(repeating: "b", count: 40), String(repeating: "c", count: 40))
        let redis = try RedisServer()
        try redis.run([
            ["SET", "laravel_database_laravel_cache:\(aaa)", lines[0]],
            ["SET", "laravel_database_user:7:\(aaa)", "laravel_database_laravel_cache:\(aaa)"],
            ["SET", "laravel_database_laravel_cache:\(bbb)", lines[1]],
            ["SET", "laravel_database_user:8:\(bbb)", "laravel_database_laravel_cache:\(bbb)"],
            ["SET", "laravel_database_laravel_cache:\(ccc)", lines[1]],
            ["SET", "laravel_database_user:8:\(ccc)", "laravel_database_laravel_cache:\(ccc)"],
        ])
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("diff-\(UUID().uuidString.prefix(6)).db").path
        let now = Int(Date().timeIntervalSince1970)
        let made = try PostgresServer.run([
            "/usr/bin/sqlite3", db,
            """
            CREATE TABLE sessions (id varchar(255) PRIMARY KEY, user_id integer, ip_address varchar(45), user_agent text, payload text NOT NULL, last_activity integer NOT NULL);
            INSERT INTO sessions VALUES ('\(aaa)', 7, NULL, NULL, '\(lines[2])', \(now)), ('\(bbb)', 8, NULL, NULL, '\(lines[2])', \(now));
            """,
        ])
        XCTAssertEqual(made.status, 0, made.output)
        let r = try Sessionctl.run(["--url", redis.url, "--framework", "laravel", "diff", "--against", "sqlite://" + db, "-o", "ndjson"])
        XCTAssertEqual(r.status, 0, "\(r)")
        let found = try rows(r).map { "\($0.user) \($0.session) \($0.difference)" }.sorted()
        // aaa: the same data in two encodings (no difference); bbb: other data; ccc: not in the table.
        XCTAssertEqual(found, ["8 \(bbb) differs", "8 \(ccc) only_in_a"], r.stderr)
    }

    func testCtrlCLeavesNoSpillBehind() throws {
        let f = try Fixture()
        try f.seed((0..<3000).map { ("u\($0 % 300)", "c\($0)") })
        let tmp = try TemporaryDirectory()
        let r = try Sessionctl.run(
            ["diff", "--against", f.server.url, "--rate", "1000", "--scan-count", "100", "--memory-limit", "4KiB"],
            environment: ["SESSIONCTL_URL": f.server.url, "TMPDIR": tmp.path], interruptAfter: 1.0)
        XCTAssertEqual(r.status, 130, "\(r)")
        XCTAssertEqual(try tmp.contents(), [], "the spill directory is removed after Ctrl-C")
    }

    func testBadInput() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let none = try f.run("diff")
        XCTAssertEqual(none.status, 2, "\(none)")
        XCTAssertTrue(none.stderr.contains("--against"), none.stderr)
        let missing = try f.run("diff", "--against", "/nonexistent/snap.ndjson")
        XCTAssertEqual(missing.status, 2, "\(missing)")
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString.prefix(6)).ndjson")
        try "{\"sessionctl_snapshot\":1}\n{\"user\":\"a\",\"session\":\"b\",\"digest\":\"00\"}\n".write(to: bad, atomically: true, encoding: .utf8)
        let r = try f.run("diff", "--against", bad.path)
        XCTAssertEqual(r.status, 2, "\(r)")
        XCTAssertTrue(r.stderr.contains("line 2") && r.stderr.contains("digest"), r.stderr)
        let notJSON = FileManager.default.temporaryDirectory.appendingPathComponent("nj-\(UUID().uuidString.prefix(6)).ndjson")
        try "hello\n".write(to: notJSON, atomically: true, encoding: .utf8)
        let nj = try f.run("diff", "--against", notJSON.path)
        XCTAssertEqual(nj.status, 2, "\(nj)")
        XCTAssertTrue(nj.stderr.contains("line 1"), nj.stderr)
        // A spill directory that cannot be made: a clear error, exit 1, nothing touched.
        try f.seed((0..<3000).map { ("u\($0)", "x\($0)") })
        let full = try f.run(args: ["diff", "--against", f.server.url, "--memory-limit", "4KiB"], env: ["TMPDIR": "/nonexistent-tmp"])
        XCTAssertEqual(full.status, 1, "\(full)")
        XCTAssertTrue(full.stderr.contains("cannot make a temporary directory"), full.stderr)
        XCTAssertTrue(try f.exists("session:s1"))
        XCTAssertEqual(try f.dbsize(), 6002)
        // A spill that cannot be written (a file-size limit: EFBIG, as a full disk gives ENOSPC): exit 1, one line.
        let tmp = try TemporaryDirectory()
        let limited = try Sessionctl.exec(
            "/bin/bash",
            ["-c", "ulimit -f 1; exec \"$0\" diff --against \"$1\" --memory-limit 4KiB", Sessionctl.binary, f.server.url].map { Data($0.utf8) },
            environment: ["SESSIONCTL_URL": f.server.url, "TMPDIR": tmp.path], stdin: nil, timeout: 60)
        XCTAssertEqual(limited.status, 1, "\(limited)")
        XCTAssertTrue(limited.stderr.contains("cannot write to the temporary directory") && limited.stderr.contains("File too large"), limited.stderr)
        XCTAssertEqual(limited.stderr.split(separator: "\n").filter { !$0.hasPrefix("B is read from") }.count, 1, limited.stderr)
        XCTAssertEqual(try tmp.contents(), [], "the spill directory is removed after a failure too")
        let table = try f.run("snapshot", "-o", "table")
        XCTAssertEqual(table.status, 2, "\(table)")
    }
}
