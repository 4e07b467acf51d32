import RedisClient
import SessionBasics
import XCTest

/// Every URL form of SPEC.md, and the malformed ones.
final class RedisEndpointTests: XCTestCase {
    func testTCPForms() throws {
        XCTAssertEqual(try RedisEndpoint.parse("redis://127.0.0.1:6379"), RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6379)))
        XCTAssertEqual(try RedisEndpoint.parse("redis://cache.internal"), RedisEndpoint(address: .tcp(host: "cache.internal", port: 6379)))
        XCTAssertEqual(try RedisEndpoint.parse("redis://h:7000/3"), RedisEndpoint(address: .tcp(host: "h", port: 7000), database: 3))
        XCTAssertEqual(try RedisEndpoint.parse("rediss://h:6380"), RedisEndpoint(address: .tcp(host: "h", port: 6380), tls: true))
        XCTAssertEqual(try RedisEndpoint.parse("redis://[::1]:6390/2"), RedisEndpoint(address: .tcp(host: "::1", port: 6390), database: 2))
        XCTAssertEqual(try RedisEndpoint.parse("redis://[::1]"), RedisEndpoint(address: .tcp(host: "::1", port: 6379)))
        XCTAssertEqual(try RedisEndpoint.parse("redis://h/"), RedisEndpoint(address: .tcp(host: "h", port: 6379)))
        XCTAssertEqual(try RedisEndpoint.parse("REDIS://h:1?db=4").database, 4)
    }

    func testCredentials() throws {
        let a = try RedisEndpoint.parse("redis://alice:s%40cret:x@h:6379")
        XCTAssertEqual(a.username, "alice")
        XCTAssertEqual(a.password, "s@cret:x")
        let b = try RedisEndpoint.parse("redis://:pw@h")
        XCTAssertNil(b.username)
        XCTAssertEqual(b.password, "pw")
        let c = try RedisEndpoint.parse("redis://ops@h")
        XCTAssertEqual(c.username, "ops")
        XCTAssertNil(c.password)
        let d = try RedisEndpoint.parse("redis://u:p@w@h:1")
        XCTAssertEqual(d.password, "p@w")
        XCTAssertEqual(d.address, .tcp(host: "h", port: 1))
    }

    func testUnixForms() throws {
        XCTAssertEqual(try RedisEndpoint.parse("unix:///tmp/redis.sock"), RedisEndpoint(address: .unix(path: "/tmp/redis.sock")))
        XCTAssertEqual(try RedisEndpoint.parse("unix:///tmp/r.sock?db=5"), RedisEndpoint(address: .unix(path: "/tmp/r.sock"), database: 5))
        let e = try RedisEndpoint.parse("unix://ops:pw@/var/run/redis.sock")
        XCTAssertEqual(e.address, .unix(path: "/var/run/redis.sock"))
        XCTAssertEqual(e.username, "ops")
        XCTAssertEqual(e.password, "pw")
    }

    func testMalformedURLsSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("127.0.0.1:6379", "no scheme"),
            ("http://h", "unsupported URL scheme 'http'"),
            ("redis://h:abc", "port 'abc'"),
            ("redis://h:0", "port '0'"),
            ("redis://h:70000", "port '70000'"),
            ("redis://::1:6379", "IPv6 addresses need brackets"),
            ("redis://[::1", "unclosed '['"),
            ("redis://:6379", "no host"),
            ("redis://h/x", "database 'x'"),
            ("redis://h?foo=1", "unknown parameter 'foo'"),
            ("unix://tmp/sock", "must be absolute"),
            ("redis://u:%zz@h", "bad %-escape"),
        ]
        for (url, expected) in cases {
            XCTAssertThrowsError(try RedisEndpoint.parse(url), url) { error in
                guard case RedisClientError.invalidURL(let message, _) = error else { return XCTFail("\(url): \(error)") }
                XCTAssertTrue(message.contains(expected), "\(url): \(message)")
            }
        }
    }

    func testPasswordsNeverShowInMessages() {
        XCTAssertEqual(RedisEndpoint.redact("redis://alice:hunter2@h:1/0"), "redis://***@h:1/0")
        XCTAssertEqual(RedisEndpoint.redact("redis://h:1/0"), "redis://h:1/0")
        // Passwords holding the characters that end a URL's authority: before, "port 's3cr' is not a number".
        for (url, secret) in [
            ("redis://alice:hunter2@h:bad", "hunter2"), ("redis://admin:s3cr/et@127.0.0.1:6379", "s3cr"),
            ("redis://admin:s3?cr@127.0.0.1:6379", "s3"), ("redis://admin:pa#ss/x@127.0.0.1:6379", "pa#ss"),
            ("rediss://admin:p@ss/w@h:1", "p@ss"), ("admin:s3cr/et@127.0.0.1", "s3cr"),
        ] {
            XCTAssertThrowsError(try RedisEndpoint.parse(url), url) { error in
                XCTAssertFalse("\(error)".contains(secret), "\(url): \(error)")
                XCTAssertFalse("\(error)".contains("admin"), "\(url): \(error)")
            }
        }
        XCTAssertThrowsError(try RedisEndpoint.parse("redis://admin:s3cr/et@127.0.0.1:6379")) { error in
            guard case RedisClientError.invalidURL(_, let hint) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(hint, "percent-encode them in the password: / as %2F, ? as %3F, # as %23, @ as %40")
        }
        // Percent-encoded, they work.
        let ok = try? RedisEndpoint.parse("redis://admin:s3cr%2Fet%3F%23%40@127.0.0.1:6379")
        XCTAssertEqual(ok?.password, "s3cr/et?#@")
    }

    func testDescriptionBracketsIPv6() {
        XCTAssertEqual(RedisEndpoint.Address.tcp(host: "::1", port: 1).description, "[::1]:1")
        XCTAssertEqual(RedisEndpoint.Address.unix(path: "/s").description, "unix:/s")
    }
}
