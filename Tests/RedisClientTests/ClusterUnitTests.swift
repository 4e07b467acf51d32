import RedisClient
import SessionBasics
import XCTest

/// Slots, redirects and topology parsing, without a server.
final class ClusterUnitTests: XCTestCase {
    private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testCRC16AndSlots() {
        XCTAssertEqual(HashSlot.crc16(b("123456789")[...]), 0x31C3, "the cluster specification's test vector")
        XCTAssertEqual(HashSlot.of(b("foo")), 12182)
        // Literal slots (CRC16-XMODEM mod 16384, as CLUSTER KEYSLOT answers), not one call compared with another.
        XCTAssertEqual(HashSlot.of(b("{user1000}.following")), 3443, "the tag's slot")
        XCTAssertEqual(HashSlot.of(b("user1000")), 3443)
        XCTAssertEqual(HashSlot.of(b("foo{}{bar}")), 8363, "an empty tag hashes the whole key")
        XCTAssertEqual(HashSlot.of(b("foo{{bar}}zap")), 4015, "the tag is what follows the first {: {bar")
        XCTAssertEqual(HashSlot.of(b("{bar")), 4015)
    }

    func testFixedSlotOfPatterns() {
        XCTAssertEqual(HashSlot.fixedSlot(ofPattern: b("user:{alice}:*")), HashSlot.of(b("alice")))
        XCTAssertEqual(HashSlot.fixedSlot(ofPattern: b("user:{a\\*b}:*")), HashSlot.of(b("a*b")))
        XCTAssertNil(HashSlot.fixedSlot(ofPattern: b("user:alice:*")))
        XCTAssertNil(HashSlot.fixedSlot(ofPattern: b("user:{*}:s1")))
        XCTAssertNil(HashSlot.fixedSlot(ofPattern: b("user:{al*")))
    }

    func testRedirects() {
        XCTAssertEqual(
            Redirect(RedisError(message: "MOVED 3999 10.0.0.5:6381"), fromHost: "x"), .moved(slot: 3999, to: .tcp(host: "10.0.0.5", port: 6381)))
        XCTAssertEqual(
            Redirect(RedisError(message: "ASK 12 node-2.example:6379"), fromHost: "x"), .ask(slot: 12, to: .tcp(host: "node-2.example", port: 6379)))
        XCTAssertEqual(
            Redirect(RedisError(message: "MOVED 7 :6380"), fromHost: "seed.example"), .moved(slot: 7, to: .tcp(host: "seed.example", port: 6380)))
        XCTAssertEqual(Redirect(RedisError(message: "MOVED 7 ::1:6380"), fromHost: "x"), .moved(slot: 7, to: .tcp(host: "::1", port: 6380)))
        XCTAssertEqual(
            Redirect(RedisError(message: "TRYAGAIN Multiple keys request during rehashing of slot"), fromHost: "x"),
            .retry("TRYAGAIN Multiple keys request during rehashing of slot"))
        XCTAssertEqual(Redirect(RedisError(message: "CLUSTERDOWN The cluster is down"), fromHost: "x"), .retry("CLUSTERDOWN The cluster is down"))
        XCTAssertNil(Redirect(RedisError(message: "WRONGTYPE Operation"), fromHost: "x"))
    }

    func testParseClusterShardsWithHostNamesAndEmptyHosts() throws {
        func node(_ fields: [(String, RESPValue)]) -> RESPValue { .array(fields.flatMap { [.bulk(Array($0.0.utf8)), $0.1] }) }
        let reply = RESPValue.array([
            .array([
                .bulk(b("slots")), .array([.integer(0), .integer(100), .integer(200), .integer(300)]),
                .bulk(b("nodes")),
                .array([
                    node([
                        ("id", .bulk(b("a"))), ("port", .integer(7000)), ("tls-port", .integer(8000)), ("ip", .bulk(b("10.0.0.1"))),
                        ("endpoint", .bulk(b("node-a.example"))), ("hostname", .bulk(b("node-a.example"))), ("role", .bulk(b("master"))),
                        ("health", .bulk(b("online"))),
                    ]),
                    node([
                        ("id", .bulk(b("b"))), ("port", .integer(7001)), ("ip", .bulk(b(""))), ("endpoint", .bulk(b("?"))),
                        ("role", .bulk(b("replica"))), ("health", .bulk(b("loading"))),
                    ]),
                ]),
            ]),
            .array([
                .bulk(b("slots")), .array([.integer(101), .integer(199)]),
                .bulk(b("nodes")), .array([node([("port", .integer(7002)), ("endpoint", .bulk(b(""))), ("role", .bulk(b("master")))])]),
            ]),
        ])
        let plain = try XCTUnwrap(Topology.parseShards(reply, seedHost: "seed", tls: false))
        XCTAssertEqual(plain.primaries, [.tcp(host: "node-a.example", port: 7000), .tcp(host: "seed", port: 7002)])
        XCTAssertEqual(plain.shards[0].replicas, [.tcp(host: "seed", port: 7001)])
        XCTAssertEqual(plain.primary(forSlot: 250), .tcp(host: "node-a.example", port: 7000))
        XCTAssertEqual(plain.primary(forSlot: 150), .tcp(host: "seed", port: 7002))
        XCTAssertNil(plain.primary(forSlot: 5000))
        XCTAssertEqual(plain.uncoveredSlots, 16384 - 301)
        let tls = try XCTUnwrap(Topology.parseShards(reply, seedHost: "seed", tls: true))
        XCTAssertEqual(tls.primaries[0], .tcp(host: "node-a.example", port: 8000))
    }

    func testParseClusterSlots() throws {
        let reply = RESPValue.array([
            .array([
                .integer(0), .integer(5460), .array([.bulk(b("127.0.0.1")), .integer(7000), .bulk(b("id1"))]),
                .array([.bulk(b("127.0.0.1")), .integer(7003), .bulk(b("id4"))]),
            ]),
            .array([.integer(5461), .integer(16383), .array([.bulk(b("")), .integer(7001), .bulk(b("id2"))])]),
        ])
        let t = try XCTUnwrap(Topology.parseSlots(reply, seedHost: "seed"))
        XCTAssertEqual(t.primaries, [.tcp(host: "127.0.0.1", port: 7000), .tcp(host: "seed", port: 7001)])
        XCTAssertEqual(t.uncoveredSlots, 0)
        var moved = t
        moved.move(slot: 42, to: .tcp(host: "127.0.0.1", port: 7001))
        XCTAssertEqual(moved.primary(forSlot: 42), .tcp(host: "127.0.0.1", port: 7001), "a MOVED target unknown to the map becomes a shard")
        XCTAssertEqual(moved.primary(forSlot: 43), .tcp(host: "127.0.0.1", port: 7000))
    }
}
