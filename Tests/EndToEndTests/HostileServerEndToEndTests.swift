import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// The binary against a server that lies: every reply below is one a buggy proxy or a hostile
/// server can send. Each ends in a one-line error and exit 1 or 5, never a trap (exit 132/133,
/// a backtrace), never a hang (every run here is bounded by `--timeout 2`), never success.
final class HostileServerEndToEndTests: XCTestCase {
    /// A scripted server stopped after the test (its threads hold it until then).
    private func scriptedServer(primaries: Int = 1, cluster: Bool = false) throws -> ScriptedServer {
        let server = try ScriptedServer(primaries: primaries, cluster: cluster)
        addTeardownBlock { server.stop() }
        return server
    }

    private func run(_ server: ScriptedServer, _ args: [String], timeout: TimeInterval = 30) throws -> Sessionctl.Run {
        try Sessionctl.run(args + ["--url", server.url, "--timeout", "2", "--connect-timeout", "2"], timeout: timeout)
    }

    private func assertNoTrap(_ r: Sessionctl.Run, _ allowed: Set<Int32>, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(allowed.contains(r.status), "\(what): \(r)", file: file, line: line)
        for trace in ["Fatal error", "Trace/breakpoint", "Stack dump", "Current stack trace", "CLIError(", "Illegal instruction"] {
            XCTAssertFalse(r.stderr.contains(trace), "\(what): \(r.stderr)", file: file, line: line)
        }
        XCTAssertLessThan(
            r.stderr.split(separator: "\n").count, 12, "\(what): errors are summarised, not one per key: \(r.stderr)", file: file, line: line)
    }

    private func text(_ s: String) -> RESPValue { .bulk(Array(s.utf8)) }

    /// A `CLUSTER SHARDS` reply: one shard per (slots, host, port).
    private func shards(_ entries: [([Int64], String, Int64)]) -> RESPValue {
        .array(
            entries.map { slots, host, port in
                .array([
                    text("slots"), .array(slots.map { .integer($0) }), text("nodes"),
                    .array([
                        .array([text("ip"), text(host), text("port"), .integer(port), text("role"), text("master"), text("health"), text("online")])
                    ]),
                ])
            })
    }

    private func seed(_ server: ScriptedServer, _ user: String, _ ids: [String]) {
        server.withCluster { c in
            for id in ids {
                c.set("user:\(user):\(id)", "session:\(id)")
                c.set("session:\(id)", "payload")
            }
        }
    }

    func testLyingClusterTopologiesNeverTrap() throws {
        let server = try scriptedServer(primaries: 1, cluster: true)
        guard case .tcp(_, let port)? = server.withCluster({ $0.nodes.first?.address }) else { return XCTFail() }
        let me = Int64(port)
        let sameAddress: [([Int64], String, Int64)] = (0..<10_000).map { (i: Int) in ([Int64(i), Int64(i)], "127.0.0.1", me) }
        let many: [([Int64], String, Int64)] = (0..<40_000).map { (i: Int) in
            let slot = Int64(i % 16384)
            return ([slot, slot], "127.0.0.\(i % 200 + 2)", Int64(1000 + i))
        }
        let lies: [(String, RESPValue)] = [
            ("a reversed slot range", shards([([200, 100], "127.0.0.1", me)])),
            ("slots past 16383", shards([([20000, 20005], "127.0.0.1", me)])),
            ("a port above 2^31-1", shards([([0, 16383], "127.0.0.1", 1 << 40)])),
            ("port 0", shards([([0, 16383], "127.0.0.1", 0)])),
            ("an empty host", shards([([0, 16383], "", me)])),
            ("10,000 shards at one address", shards(sameAddress)),
            ("40,000 shards", shards(many)),
            ("overlapping shards", shards([([0, 16383], "127.0.0.1", me), ([0, 9000], "127.0.0.1", me)])),
        ]
        for (what, reply) in lies {
            server.withCluster {
                $0.hook = { _, command in
                    String(decoding: command[0], as: UTF8.self) == "CLUSTER" ? .reply(reply) : nil
                }
            }
            for args in [["ping"], ["list", "alice"], ["users"]] {
                assertNoTrap(try run(server, args), [0, 1, 4, 5], "\(what), \(args[0])")
            }
        }
        // CLUSTER SLOTS (servers before 7.0) with a reversed range and a huge port.
        server.withCluster {
            $0.hook = { _, command in
                let words = command.map { String(decoding: $0, as: UTF8.self).uppercased() }
                if words == ["CLUSTER", "SHARDS"] { return .reply(.error(RedisError(message: "ERR unknown subcommand 'shards'"))) }
                if words == ["CLUSTER", "SLOTS"] {
                    return .reply(.array([.array([.integer(300), .integer(10), .array([self.text("127.0.0.1"), .integer(1 << 33)])])]))
                }
                return nil
            }
        }
        let slots = try run(server, ["ping"])
        assertNoTrap(slots, [1], "CLUSTER SLOTS lies")
        XCTAssertTrue(slots.stderr.contains("CLUSTER SLOTS named no usable primary"), slots.stderr)
    }

    func testNonsenseRedirectsAreFailuresNotTraps() throws {
        let server = try scriptedServer(primaries: 1, cluster: true)
        seed(server, "alice", ["s1", "s2"])
        for moved in ["MOVED 99999 127.0.0.1:7000", "MOVED -1 127.0.0.1:7000", "MOVED 5 127.0.0.1:99999999999", "ASK 70000 :1", "MOVED"] {
            server.withCluster {
                $0.hook = { _, command in
                    String(decoding: command[0], as: UTF8.self) == "GET" ? .reply(.error(RedisError(message: moved))) : nil
                }
            }
            let r = try run(server, ["list", "alice", "--json"])
            assertNoTrap(r, [5], moved)
            XCTAssertEqual(try r.json()["complete"] as? Bool, false, moved)
            XCTAssertTrue(r.stderr.contains("unreadable redirect") || r.stderr.contains("redirect"), "\(moved): \(r.stderr)")
        }
    }

    func testHugeIntegersFromTheServer() throws {
        let server = try scriptedServer()
        seed(server, "alice", ["s1", "s2"])
        server.withCluster {
            $0.hook = { _, command in
                switch String(decoding: command[0], as: UTF8.self) {
                case "PTTL", "TTL": return .reply(.integer(.max))
                case "UNLINK": return .reply(.integer(.max))
                case "DBSIZE": return .reply(.integer(.max))
                default: return nil
                }
            }
        }
        assertNoTrap(try run(server, ["audit"]), [0], "PTTL of Int64.max")
        assertNoTrap(try run(server, ["list", "alice"]), [0], "TTL of Int64.max")
        let revoke = try run(server, ["revoke-user", "alice", "--yes", "--json"])
        assertNoTrap(revoke, [5], "UNLINK replying Int64.max")
        XCTAssertEqual(try revoke.json()["complete"] as? Bool, false)
        XCTAssertTrue(revoke.stderr.contains("unexpected reply"), revoke.stderr)
    }

    func testAbsurdArrayHeadersAreRefusedAtOnce() throws {
        let server = try scriptedServer()
        seed(server, "alice", ["s1"])
        for header in ["*2147483648\r\n", "*2147483647\r\n", "*99999999\r\n", "*-5\r\n"] {
            server.withCluster {
                $0.hook = { _, command in
                    String(decoding: command[0], as: UTF8.self) == "SCAN" ? .raw(Array(header.utf8)) : nil
                }
            }
            let start = Date()
            let r = try run(server, ["list", "alice", "--json"])
            assertNoTrap(r, [5], header)
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "\(header): bounded by --timeout, not by gigabytes of slots")
        }
    }

    func testScansThatNeverEndOrLieAreStoppedAndReported() throws {
        let server = try scriptedServer()
        seed(server, "alice", ["s1"])
        let pages: [(String, RESPValue)] = [
            ("a cursor that never returns to 0", .array([text("1"), .array([])])),
            ("a non-numeric cursor", .array([text("abc"), .array([])])),
            ("a negative cursor", .array([text("-1"), .array([])])),
            ("a page of integers", .array([text("0"), .array([.integer(1), .integer(2)])])),
            ("a page with a nil", .array([text("0"), .array([text("user:alice:s1"), .null])])),
            ("a page that is not an array", text("0")),
        ]
        for (what, page) in pages {
            server.withCluster {
                $0.hook = { _, command in
                    String(decoding: command[0], as: UTF8.self) == "SCAN" ? .reply(page) : nil
                }
            }
            let r = try run(server, ["list", "alice", "--json"], timeout: 60)
            assertNoTrap(r, [5], what)
            XCTAssertEqual(try r.json()["complete"] as? Bool, false, what)
            XCTAssertTrue(r.stderr.contains("incomplete: scan of 127.0.0.1:"), "\(what): \(r.stderr)")
        }
    }

    func testAReplyAnsweredTwiceDeletesNothing() throws {
        // Every later reply of the batch would be shifted: user:alice:a2 paired with session:a1.
        let server = try scriptedServer()
        seed(server, "alice", ["a1", "a2", "a3"])
        server.withCluster {
            $0.hook = { _, command in
                command.map { String(decoding: $0, as: UTF8.self) } == ["GET", "user:alice:a1"]
                    ? .replies([.bulk(Array("session:a1".utf8)), .bulk(Array("session:a1".utf8))]) : nil
            }
        }
        let r = try run(server, ["revoke-user", "alice", "--yes", "--json"])
        assertNoTrap(r, [5], "a GET answered twice")
        XCTAssertTrue(r.stderr.contains("out of step"), r.stderr)
        server.withCluster { c in
            for id in ["a1", "a2", "a3"] {
                XCTAssertTrue(c.exists("session:\(id)"), id)
                XCTAssertTrue(c.exists("user:alice:\(id)"), id)
            }
        }
    }

    func testPasswordsInURLsNeverShowInErrors() throws {
        for url in ["redis://admin:s3cr/et@127.0.0.1:1", "redis://admin:s3?cr@127.0.0.1:1", "redis://admin:s3cr#t/x@127.0.0.1:1"] {
            for r in [try Sessionctl.run(["ping"], environment: ["REDIS_URL": url]), try Sessionctl.run(["ping", "-q", "--url", url])] {
                XCTAssertEqual(r.status, 2, "\(url): \(r)")
                XCTAssertFalse(r.stderr.contains("s3"), "\(url): \(r.stderr)")
                XCTAssertFalse(r.stderr.contains("admin"), "\(url): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("percent-encode"), "\(url): \(r.stderr)")
            }
        }
    }

    func testMalformedRepliesAreProtocolErrors() throws {
        let server = try scriptedServer()
        seed(server, "alice", ["s1"])
        let replies: [(String, ScriptedAnswer)] = [
            ("a RESP3 map", .raw(Array("%1\r\n+a\r\n:1\r\n".utf8))),
            ("a RESP3 null", .raw(Array("_\r\n".utf8))),
            ("a RESP3 boolean", .raw(Array("#t\r\n".utf8))),
            ("nesting 12 deep", .raw(Array((String(repeating: "*1\r\n", count: 12) + ":1\r\n").utf8))),
            ("a reply cut off by a close", .rawThenClose(Array("$10\r\nabc".utf8))),
            ("a bulk length of 2^62", .raw(Array("$4611686018427387904\r\nabc".utf8))),
            ("garbage", .raw([0xFF, 0x00, 0x13, 0x37, 0x0D, 0x0A])),
        ]
        for (what, answer) in replies {
            server.withCluster {
                $0.hook = { _, command in
                    String(decoding: command[0], as: UTF8.self) == "GET" ? answer : nil
                }
            }
            let start = Date()
            let r = try run(server, ["list", "alice", "--json"])
            assertNoTrap(r, [5], what)
            XCTAssertEqual(try r.json()["complete"] as? Bool, false, what)
            XCTAssertLessThan(Date().timeIntervalSince(start), 15, "\(what): bounded by --timeout 2")
        }
    }

    func testRedirectsThatLeadNowhereEnd() throws {
        let server = try scriptedServer(primaries: 2, cluster: true)
        seed(server, "alice", ["s1", "s2"])
        let ports = server.withCluster { $0.nodes.map { node -> Int in if case .tcp(_, let p) = node.address { return p } else { return 0 } } }
        // MOVED to an address that refuses connections: retried within --timeout, then a failure.
        server.withCluster {
            $0.hook = { _, command in
                String(decoding: command[0], as: UTF8.self) == "GET"
                    ? .reply(.error(RedisError(message: "MOVED \(HashSlot.of(command[1])) 127.0.0.1:1"))) : nil
            }
        }
        let start = Date()
        let refused = try run(server, ["list", "alice", "--json"])
        assertNoTrap(refused, [5], "MOVED to a closed port")
        XCTAssertTrue(refused.stderr.contains("127.0.0.1:1"), refused.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        // Two nodes sending each other's way for ever: the redirect limit ends it.
        server.withCluster { c in
            c.hook = { node, command in
                guard String(decoding: command[0], as: UTF8.self) == "GET" else { return nil }
                let other = node === c.nodes[0] ? ports[1] : ports[0]
                return .reply(.error(RedisError(message: "MOVED \(HashSlot.of(command[1])) 127.0.0.1:\(other)")))
            }
        }
        let loop = try run(server, ["list", "alice", "--json"])
        assertNoTrap(loop, [5], "a MOVED loop")
        XCTAssertTrue(loop.stderr.contains("too many redirects"), loop.stderr)
    }
}
