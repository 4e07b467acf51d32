import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// Connections against real servers: TCP, unix socket, AUTH, ACL users, SELECT, deadlines, pipelining, SCAN.
final class ConnectionTests: XCTestCase {
    func testTCPAndPipelineInBatches() throws {
        let server = try RedisServer()
        let c = try Connection(address: server.address, options: ConnectionOptions(pipelineBatch: 100))
        let sets = (0..<2500).map { ["SET", "k\($0)", "v\($0)"].map { Array($0.utf8) } }
        let replies = try c.pipeline(sets)
        XCTAssertEqual(replies.count, 2500)
        XCTAssertTrue(replies.allSatisfy { $0 == .status("OK") })
        let gets = try c.pipeline((0..<2500).map { ["GET", "k\($0)"].map { Array($0.utf8) } })
        XCTAssertEqual(gets[1234], .bulk(Array("v1234".utf8)))
        XCTAssertEqual(try c.execute("DBSIZE"), .integer(2500))
    }

    func testUnixSocketAndSelect() throws {
        let server = try RedisServer(unixSocket: true)
        let path = try XCTUnwrap(server.socketPath)
        let c = try Connection(address: .unix(path: path), options: ConnectionOptions(database: 3))
        XCTAssertEqual(try c.execute("SET", "only-in-3", "x"), .status("OK"))
        let zero = try Connection(address: .unix(path: path), options: ConnectionOptions())
        XCTAssertEqual(try zero.execute("EXISTS", "only-in-3"), .integer(0))
        XCTAssertThrowsError(try Connection(address: .unix(path: path), options: ConnectionOptions(database: 99))) { error in
            XCTAssertTrue("\(error)".contains("SELECT"), "\(error)")
        }
    }

    func testPasswordAndACLUsers() throws {
        let server = try RedisServer(extraConfig: ["requirepass adminpw", "user ops on >opspw ~* &* +@all", "user nobody off"])
        XCTAssertNoThrow(try Connection(address: server.address, options: ConnectionOptions(password: "adminpw")))
        XCTAssertNoThrow(try Connection(address: server.address, options: ConnectionOptions(username: "ops", password: "opspw")))
        for options in [
            ConnectionOptions(password: "wrong"), ConnectionOptions(username: "ops", password: "nope"),
            ConnectionOptions(username: "ghost", password: "x"), ConnectionOptions(),
        ] {
            XCTAssertThrowsError(try Connection(address: server.address, options: options)) { error in
                guard case RedisClientError.authenticationFailed = error else { return XCTFail("\(error)") }
                XCTAssertTrue((error as! RedisClientError).isConnectFailure)
            }
        }
    }

    func testRefusedPortFailsFast() throws {
        let port = try FreePort.pick()
        let start = Date()
        XCTAssertThrowsError(try Connection(address: .tcp(host: "127.0.0.1", port: port), options: ConnectionOptions())) { error in
            guard case RedisClientError.connectFailed(_, let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("refused"), why)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    func testSilentServerHitsTheConnectDeadline() throws {
        let silent = try SilentServer()
        let start = Date()
        XCTAssertThrowsError(
            try Connection(
                address: .tcp(host: "127.0.0.1", port: silent.port),
                options: ConnectionOptions(connectTimeout: 0.5, commandTimeout: 0.5))
        ) { error in
            guard case RedisClientError.connectFailed(_, let why) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(why.contains("did not answer"), why)
        }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(elapsed, 0.45)
        XCTAssertLessThan(elapsed, 3)
    }

    func testCommandDeadlineWhenTheServerStopsAnswering() throws {
        let server = try RedisServer()
        let c = try Connection(address: server.address, options: ConnectionOptions(commandTimeout: 0.3))
        // CLIENT PAUSE makes the server hold every other client's commands: a real unresponsive server.
        try server.run([["CLIENT", "PAUSE", "1500", "ALL"]])
        let start = Date()
        XCTAssertThrowsError(try c.execute("PING")) { error in
            guard case RedisClientError.timedOut = error else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.2)
        XCTAssertTrue(c.isBroken, "replies are out of step after a timeout")
        XCTAssertThrowsError(try c.execute("PING"))
    }

    func testServerErrorsAreValues() throws {
        let server = try RedisServer()
        let c = try Connection(address: server.address, options: ConnectionOptions())
        let replies = try c.pipeline([["HSET", "h", "f", "v"], ["GET", "h"], ["GET", "missing"]].map { $0.map { Array($0.utf8) } })
        XCTAssertEqual(replies[0], .integer(1))
        XCTAssertEqual(replies[1].redisError?.code, "WRONGTYPE")
        XCTAssertEqual(replies[2], .null)
        XCTAssertFalse(c.isBroken)
    }

    func testScanVisitsEveryMatchingKeyAndReconnects() throws {
        let server = try RedisServer()
        try server.run((0..<3000).map { ["SET", "user:u\($0 % 7):s\($0)", "session:s\($0)"] } + [["SET", "other", "x"]])
        let keyspace = try RedisKeyspace(endpoint: RedisEndpoint(address: server.address), options: ConnectionOptions())
        var seen = Set<[UInt8]>()
        var calls = 0
        let outcome = try keyspace.scan(match: Array("user:*".utf8), count: 100) { keys in
            calls += 1
            seen.formUnion(keys)
            if calls == 3 { try server.run([["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]]) }
        }
        XCTAssertTrue(outcome.isComplete, "\(outcome.completeness.failures)")
        XCTAssertEqual(seen.count, 3000)
    }

    func testScanReportsAServerThatGoesAway() throws {
        let server = try RedisServer()
        try server.run((0..<2000).map { ["SET", "user:u:s\($0)", "v"] })
        let keyspace = try RedisKeyspace(
            endpoint: RedisEndpoint(address: server.address),
            options: ConnectionOptions(connectTimeout: 0.5, commandTimeout: 0.5))
        var calls = 0
        let outcome = try keyspace.scan(match: Array("user:*".utf8), count: 10) { _ in
            calls += 1
            if calls == 2 { server.stop() }
        }
        XCTAssertFalse(outcome.isComplete)
        XCTAssertFalse(outcome.completeness.failures.isEmpty)
    }
}
