import Foundation
import TestSupport
import XCTest

/// `list`, `show`, `users`, `ping`, `version` through the built binary: stdout, stderr, exit status.
final class ListShowEndToEndTests: XCTestCase {
    func testListTableAndJSONShapes() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2"), ("bob", "s3")])
        let table = try f.run("list", "alice")
        assertExitStatus(table, 0)
        let lines = table.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("USER "), table.stdout)
        XCTAssertTrue(lines[1].hasPrefix("alice  s1 "), table.stdout)
        XCTAssertFalse(table.stdout.contains("\u{1B}["), "no colour without a terminal")
        XCTAssertEqual(table.stderr, "")

        let json = try f.run("--json", "list", "alice", "bob")
        assertExitStatus(json, 0)
        let obj = try json.json()
        XCTAssertEqual(obj["complete"] as? Bool, true)
        let sessions = try XCTUnwrap(obj["sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.count, 3)
        XCTAssertEqual(Set(sessions[0].keys), ["user", "session", "mapping_key", "session_key", "exists", "ttl", "bytes"])
        XCTAssertEqual(sessions[0]["mapping_key"] as? String, "user:alice:s1")
        XCTAssertEqual(sessions[0]["session_key"] as? String, "session:s1")
        XCTAssertEqual(sessions[0]["exists"] as? Bool, true)
        XCTAssertGreaterThan(sessions[0]["ttl"] as? Int ?? 0, 3500)
        // Redis 7.0 cannot read a length without resetting the idle time: the size is MEMORY USAGE's, and JSON says so.
        XCTAssertEqual(obj["bytes_measure"] as? String, "memory")
        XCTAssertGreaterThan(sessions[0]["bytes"] as? Int ?? 0, 16)
        XCTAssertEqual(sessions[2]["user"] as? String, "bob")

        let nd = try f.run("list", "alice", "-o", "ndjson")
        assertExitStatus(nd, 0)
        let (ndLines, summary) = try nd.ndjson()
        XCTAssertEqual(ndLines.count, 2)
        for o in ndLines { XCTAssertEqual(o["user"] as? String, "alice") }
        XCTAssertEqual(summary["lines"] as? Int, 2)
    }

    func testEmptyResultIsSuccess() throws {
        let f = try Fixture()
        let r = try f.run("list", "nobody")
        assertExitStatus(r, 0)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("no sessions found"))
        let j = try f.run("list", "nobody", "--json")
        // Redis 7.0 reads touch keys: sizes would be MEMORY USAGE's, and the JSON says so even when empty.
        XCTAssertEqual(j.stdout, "{\n  \"sessions\": [],\n  \"refused\": [],\n  \"bytes_measure\": \"memory\",\n  \"complete\": true\n}\n")
    }

    func testGlobMetacharactersAndSeparatorsInUserIds() throws {
        let f = try Fixture()
        try f.seed([("a", "s1"), ("a:b", "s2"), ("a*", "s3"), ("A", "s4"), ("a?", "s5"), ("[a]", "s6"), ("a\\", "s7")])
        for (user, session) in [("a", "s1"), ("a:b", "s2"), ("a*", "s3"), ("A", "s4"), ("a?", "s5"), ("[a]", "s6"), ("a\\", "s7")] {
            let r = try f.run("list", user, "--json")
            assertExitStatus(r, 0)
            let sessions = try XCTUnwrap(r.json()["sessions"] as? [[String: Any]])
            XCTAssertEqual(sessions.map { $0["session"] as? String }, [session], "user \(user)")
        }
    }

    func testNonUTF8KeysAreEscapedInTablesAndLosslessInJSON() throws {
        let f = try Fixture()
        let c = try f.server.admin()
        let user: [UInt8] = [0x75, 0xFF]
        _ = try c.pipeline([
            [Array("SET".utf8), Array("user:".utf8) + user + Array(":s1".utf8), Array("session:s1".utf8)],
            [Array("SET".utf8), Array("session:s1".utf8), Array("x".utf8)],
        ])
        let table = try Sessionctl.run([Data("list".utf8), Data(user)], environment: ["SESSIONCTL_URL": f.server.url])
        assertExitStatus(table, 0)
        XCTAssertTrue(table.stdout.contains("u\\xff  s1"), table.stdout)
        let json = try Sessionctl.run([Data("list".utf8), Data(user), Data("--json".utf8)], environment: ["SESSIONCTL_URL": f.server.url])
        let s = try XCTUnwrap((json.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(s["user"] as? String, "u\\xff")
        XCTAssertEqual(s["user_base64"] as? String, "df8=")
        XCTAssertNil(s["session_base64"], "only non-UTF-8 values get a base64 twin")
    }

    func testRefusedMappingsAreReportedNotFollowed() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        try f.server.run([["SET", "user:alice:evil", "config:main"], ["SET", "config:main", "secret"], ["LPUSH", "user:alice:lst", "x"]])
        let r = try f.run("list", "alice", "--json")
        assertExitStatus(r, 0)
        let obj = try r.json()
        let refused = try XCTUnwrap(obj["refused"] as? [[String: Any]])
        XCTAssertEqual(
            Set(refused.compactMap { $0["reason"] as? String }),
            ["session key does not match --session-glob", "mapping key is not a string (WRONGTYPE)"])
        XCTAssertTrue(r.stderr.contains("warning: refused user:alice:evil -> config:main"), r.stderr)
    }

    func testShowFoundAndNotFound() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let r = try f.run("show", "s1")
        assertExitStatus(r, 0)
        XCTAssertTrue(r.stdout.contains("user         alice"), r.stdout)
        XCTAssertTrue(r.stdout.contains("payload      {\"user\":\"alice\"}"), r.stdout)
        let j = try f.run("show", "s1", "--json")
        let s = try XCTUnwrap((j.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(s["payload"] as? String, "{\"user\":\"alice\"}")
        XCTAssertEqual(s["type"] as? String, "string")
        let missing = try f.run("show", "nope")
        assertExitStatus(missing, 3)
        XCTAssertTrue(missing.stderr.hasSuffix("\nsessionctl: session 'nope' not found\n"), missing.stderr)
        let partly = try f.run("show", "s1", "nope", "--json")
        assertExitStatus(partly, 3)
        XCTAssertEqual((try partly.json()["sessions"] as? [Any])?.count, 1)
        let sep = try f.run("show", "a:b")
        assertExitStatus(sep, 2)
        XCTAssertTrue(sep.stderr.contains("contains ':'"), sep.stderr)
    }

    func testHugePayloadsAreCappedNotPrinted() throws {
        // A 50 MB payload took 0.7–1.1 GB and printed 200–316 MB.
        let f = try Fixture()
        let big = String(repeating: "x", count: 50 * 1024 * 1024)
        try f.server.run([["SET", "user:alice:big", "session:big"], ["SET", "session:big", big]])
        try f.server.run([["SET", "user:alice:hb", "session:hb"], ["HSET", "session:hb", "a", String(repeating: "y", count: 100_000), "b", "z"]])
        let r = try f.run("show", "big", "--json")
        assertExitStatus(r, 0)
        XCTAssertLessThan(r.stdoutBytes.count, 200_000)
        let s = try XCTUnwrap((r.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual((s["payload"] as? String)?.utf8.count, 64 * 1024)
        XCTAssertEqual(s["payload_truncated"] as? Bool, true)
        XCTAssertEqual(s["bytes"] as? Int, 50 * 1024 * 1024)
        let small = try f.run("show", "big", "--max-payload", "10")
        XCTAssertTrue(small.stdout.contains("xxxxxxxxxx … (52428790 more bytes; --max-payload)"), small.stdout)
        let hash = try f.run("show", "hb", "--json", "--max-payload", "1KiB")
        let h = try XCTUnwrap((hash.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(h["payload_truncated"] as? Bool, true)
        XCTAssertLessThanOrEqual(((h["payload"] as? [String: String])?.values.map(\.utf8.count).reduce(0, +)) ?? .max, 1024)
        let bad = try f.run("show", "big", "--max-payload", "lots")
        assertExitStatus(bad, 2)
        XCTAssertTrue(bad.stderr.contains("invalid value 'lots' for --max-payload"), bad.stderr)
    }

    func testHashFieldNamesAreExactInJSON() throws {
        // Two binary field names that a lossy decoding turned into one ("f\u{FFFD}").
        let f = try Fixture()
        let c = try f.server.admin()
        _ = try c.pipeline([
            [Array("SET".utf8), Array("user:alice:h1".utf8), Array("session:h1".utf8)],
            [
                Array("HSET".utf8), Array("session:h1".utf8), [0x66, 0xFF], Array("one".utf8), [0x66, 0xFE], Array("two".utf8),
                Array("f\\xff".utf8), Array("three".utf8), Array("plain".utf8), Array("four".utf8),
            ],
        ])
        let j = try f.run("show", "h1", "--json")
        assertExitStatus(j, 0)
        let s = try XCTUnwrap((j.json()["sessions"] as? [[String: Any]])?.first)
        let payload = try XCTUnwrap(s["payload"] as? [String: Any])
        XCTAssertEqual(payload.count, 4, "\(payload)")
        XCTAssertEqual(payload["f\\xff"] as? String, "one")
        XCTAssertEqual(payload["f\\xfe"] as? String, "two")
        XCTAssertEqual(payload["f\\\\xff"] as? String, "three", "a literal backslash is escaped, so never mistaken for a byte")
        XCTAssertEqual(payload["plain"] as? String, "four")
        let raw = try XCTUnwrap(s["payload_field_names_base64"] as? [String: String])
        XCTAssertEqual(raw["f\\xff"], Data([0x66, 0xFF]).base64EncodedString())
        XCTAssertEqual(raw["f\\xfe"], Data([0x66, 0xFE]).base64EncodedString())
    }

    func testUsersAndPingAndVersion() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2"), ("bob", "s3")])
        let users = try f.run("users")
        assertExitStatus(users, 0)
        XCTAssertEqual(users.stdout, "USER   MAPPINGS\nalice         2\nbob           1\n")
        let uj = try f.run("users", "--json", "--sort", "user", "--top", "1")
        XCTAssertEqual((try uj.json()["users"] as? [[String: Any]])?.first?["user"] as? String, "alice")
        let ping = try f.run("ping", "--json")
        assertExitStatus(ping, 0)
        let node = try XCTUnwrap((try ping.json()["nodes"] as? [[String: Any]])?.first)
        XCTAssertEqual(node["mode"] as? String, "standalone")
        XCTAssertNotNil(node["latency_ms"] as? Double)
        let version = try Sessionctl.run(["--version"])
        assertExitStatus(version, 0)
        XCTAssertTrue(version.stdout.hasPrefix("sessionctl "))
    }

    func testUnixSocketURLWithDatabase() throws {
        let f = try Fixture(unixSocket: true)
        let path = try XCTUnwrap(f.server.socketPath)
        let c = try f.server.admin()
        _ = try c.execute("SELECT", "2")
        _ = try c.pipeline([["SET", "user:u:s1", "session:s1"], ["SET", "session:s1", "x"]].map { $0.map { Array($0.utf8) } })
        let r = try Sessionctl.run(["list", "u", "--json", "--url", "unix://\(path)?db=2"])
        assertExitStatus(r, 0)
        XCTAssertEqual((try r.json()["sessions"] as? [Any])?.count, 1)
        let db0 = try Sessionctl.run(["list", "u", "--json", "--url", "unix://\(path)"])
        XCTAssertEqual((try db0.json()["sessions"] as? [Any])?.count, 0)
    }

    func testColourOnlyOnATerminal() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1")])
        let bin = Sessionctl.binary
        let tty = try inTerminal("\(bin) list alice", input: "", env: ["SESSIONCTL_URL": f.server.url, "TERM": "xterm"])
        XCTAssertTrue(tty.stdout.contains("\u{1B}[1mUSER"), tty.stdout)
        let noColor = try inTerminal("\(bin) list alice", input: "", env: ["SESSIONCTL_URL": f.server.url, "TERM": "xterm", "NO_COLOR": "1"])
        XCTAssertFalse(noColor.stdout.contains("\u{1B}[1m"), noColor.stdout)
        let flag = try inTerminal("\(bin) list alice --no-color", input: "", env: ["SESSIONCTL_URL": f.server.url, "TERM": "xterm"])
        XCTAssertFalse(flag.stdout.contains("\u{1B}[1m"), flag.stdout)
    }

    /// On a terminal a table fits its width: long keys and ids lose their middle to an ellipsis,
    /// both ends kept, numbers whole; detect's examples too. A pipe gets every cell whole.
    func testTablesFitTheTerminalAndPipesGetEveryCellWhole() throws {
        let f = try Fixture()
        let long = "s" + String(repeating: "0123456789", count: 5) + "end"
        let user = "alice" + String(repeating: "x", count: 30) + "omega"
        try f.seed([(user, long), (user, "short")])
        for columns in [60, 100, 200] {
            let r = try inPseudoTerminal(["list", user], url: f.server.url, columns: columns)
            assertExitStatus(r, 0)
            let lines = r.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").filter { !$0.isEmpty }
            XCTAssertEqual(lines.count, 3, r.stdout)
            for line in lines { XCTAssertLessThanOrEqual(line.count, columns, "\(columns): \(line)") }
            let row = try XCTUnwrap(lines.first { $0.contains("end") }, r.stdout)
            if columns < 200 {
                XCTAssertTrue(row.contains("…"), "\(columns): \(String(row))")
                // Both ends of the id and of the key stay.
                XCTAssertTrue(row.contains("s0123") && row.contains("89end") && row.contains("session"), "\(columns): \(String(row))")
                XCTAssertTrue(row.hasPrefix("alice") && row.contains("omega"), "\(columns): \(String(row))")
            } else {
                XCTAssertTrue(row.contains(long) && row.contains("session:" + long) && !row.contains("…"), String(row))
            }
        }
        let piped = try f.run("list", user)
        XCTAssertTrue(piped.stdout.contains("session:" + long) && piped.stdout.contains(user) && !piped.stdout.contains("…"), piped.stdout)
        let detect = try inPseudoTerminal(["detect"], url: f.server.url, columns: 60)
        let detected = detect.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n")
        let example = try XCTUnwrap(detected.first { $0.hasPrefix("mappings") }, detect.stdout)
        XCTAssertLessThanOrEqual(example.count, 60, String(example))
        XCTAssertTrue(example.contains("…"), "a key cut says so: \(String(example))")
        let detectPiped = try f.run("detect")
        XCTAssertTrue(detectPiped.stdout.contains("session:" + long) || detectPiped.stdout.contains("user:" + user), detectPiped.stdout)
    }

    /// On Redis 7.0, where reading a value resets its idle time (no CLIENT NO-TOUCH), a command that
    /// must read payloads says so once; one that reads none says nothing.
    func testReadingPayloadsOnRedis70SaysItResetsIdleTimes() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2")])
        let note = "reading payloads resets idle times on Redis < 7.2"
        for args in [["show", "s1"], ["list", "alice", "-o", "wide"], ["detect"], ["snapshot"]] {
            let r = try f.run(args: args)
            assertExitStatus(r, 0)
            XCTAssertEqual(r.stderr.components(separatedBy: note).count - 1, 1, "\(args): \(r.stderr)")
        }
        for args in [["list", "alice"], ["users"], ["audit"]] {
            let r = try f.run(args: args)
            XCTAssertFalse(r.stderr.contains(note), "\(args): \(r.stderr)")
        }
    }

}
