import RedisClient
import RedisStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// A real server seeded with sessions, and a store over it.
final class StoreFixture {
    let server: RedisServer
    private(set) var store: RedisSessionStore

    init(layout: SessionLayout? = nil) throws {
        server = try RedisServer()
        let keyspace = try RedisKeyspace(endpoint: RedisEndpoint(address: server.address), options: ConnectionOptions())
        store = RedisSessionStore(keyspace: keyspace, layout: try layout ?? SessionLayout(), scanCount: 50)
    }

    /// A store made anew over the same keyspace and layout, with `change` made to its configuration.
    func reconfigure(_ change: (inout RedisSessionStore.Configuration) -> Void) {
        var configuration = store.configuration
        change(&configuration)
        store = RedisSessionStore(keyspace: store.keyspace, layout: store.layout, configuration: configuration)
    }

    /// Writes `user:<user>:<session> -> session:<session>` and the session payload.
    func add(_ user: [UInt8], _ session: [UInt8], payload: String = "{\"uid\":1}", ttl: Int? = 3600) throws {
        let c = try server.admin()
        let mapping = Array("user:".utf8) + user + [0x3A] + session
        let key = Array("session:".utf8) + session
        var commands: [[[UInt8]]] = [[Array("SET".utf8), mapping, key], [Array("SET".utf8), key, Array(payload.utf8)]]
        if let ttl { commands.append([Array("EXPIRE".utf8), key, Array(String(ttl).utf8)]) }
        _ = try c.pipeline(commands)
    }

    func add(_ user: String, _ session: String, payload: String = "{\"uid\":1}", ttl: Int? = 3600) throws {
        try add(Array(user.utf8), Array(session.utf8), payload: payload, ttl: ttl)
    }

    func exists(_ key: String) throws -> Bool {
        try server.admin().execute("EXISTS", key) == .integer(1)
    }
}

extension RedisSessionStore {
    /// A store with SCAN's COUNT at `scanCount`, and whatever else `configure` sets.
    convenience init(keyspace: RedisKeyspace, layout: SessionLayout, scanCount: Int, configure: (inout Configuration) -> Void = { _ in }) {
        var configuration = Configuration()
        configuration.scanCount = scanCount
        configure(&configuration)
        self.init(keyspace: keyspace, layout: layout, configuration: configuration)
    }
}

func b(_ s: String) -> [UInt8] { Array(s.utf8) }
func s(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }
