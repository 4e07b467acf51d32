import RedisClient
import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// Which way a lookup by a hash-tagged user finds its keys, told from the server's version reply:
/// single-slot SCAN on Redis ≥ 7.4 and Valkey ≥ 8, the slot's keys asked directly on older ones,
/// and plain SCAN whenever the direct way is closed. The answers are the same every way.
final class ScanPathStoreTests: XCTestCase {
    private func cluster(info: String) throws -> (ScriptedCluster, RedisKeyspace) {
        let c = ScriptedCluster.hashTaggedUsers(info: info)
        addTeardownBlock { c.hook = nil }
        return (c, try c.keyspace())
    }

    func testAStoreLooksUpAHashTaggedUserTheCheapWay() throws {
        let (c, k) = try cluster(info: "redis_version:7.0.15")
        for u in ["alice", "bob"] { for i in 0..<20 { c.set("session:\(u)\(i)", "{}") } }
        let store = RedisSessionStore(keyspace: k, layout: try SessionLayout(mapping: "user:{<user>}:<session>"), scanCount: 10)
        let list = try store.list(users: [Array("alice".utf8)], details: false)
        XCTAssertEqual(Set(list.sessions.map { String(decoding: $0.ref.session, as: UTF8.self) }), Set((0..<20).map { "s\($0)" }))
        XCTAssertEqual(c.count("SCAN"), 0)
    }
}
