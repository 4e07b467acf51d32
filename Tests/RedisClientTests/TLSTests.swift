import RedisClient
import SessionBasics
import SessionTransport
import TestSupport
import XCTest

/// TLS through OpenSSL under hiredis's reader and formatter, against a real TLS redis-server.
final class TLSTests: XCTestCase {
    private func connect(_ server: RedisServer, host: String = "localhost", _ settings: TLSSettings) throws -> Connection {
        try Connection(
            address: .tcp(host: host, port: server.port),
            options: ConnectionOptions(connectTimeout: 2, commandTimeout: 2, tls: TLSContext(settings: settings)))
    }

    private func tlsFailure(_ body: () throws -> Connection) -> String {
        do {
            _ = try body()
            return "connected"
        } catch RedisClientError.tlsFailed(_, let reason) {
            return reason
        } catch {
            return "other error: \(error)"
        }
    }

    func testVerifiedConnectionByNameAndByIP() throws {
        let certs = try TestCertificates()
        let server = try RedisServer(tls: certs)
        let byName = try connect(server, TLSSettings(caFile: certs.path("ca.crt")))
        XCTAssertEqual(try byName.execute("PING"), .status("PONG"))
        // A large pipeline crosses many TLS records and partial reads.
        let value = String(repeating: "x", count: 100_000)
        let replies = try byName.pipeline((0..<50).map { ["SET", "k\($0)", value].map { Array($0.utf8) } } + [["GET", "k7"].map { Array($0.utf8) }])
        XCTAssertEqual(replies.last?.bytes?.count, 100_000)
        let byIP = try connect(server, host: "127.0.0.1", TLSSettings(caFile: certs.path("ca.crt")))
        XCTAssertEqual(try byIP.execute("DBSIZE"), .integer(50))
        let byDir = certs.directory.path
        XCTAssertNoThrow(try TLSContext(settings: TLSSettings(caDirectory: byDir)))
    }

    func testWrongCAIsAnUntrustedCertificate() throws {
        let certs = try TestCertificates()
        let server = try RedisServer(tls: certs)
        let reason = tlsFailure { try connect(server, TLSSettings(caFile: certs.path("other-ca.crt"))) }
        XCTAssertTrue(reason.hasPrefix("untrusted certificate"), reason)
        let system = tlsFailure { try connect(server, TLSSettings()) }
        XCTAssertTrue(system.hasPrefix("untrusted certificate"), system)
        XCTAssertNoThrow(try connect(server, TLSSettings(insecure: true)))
    }

    func testWrongHostNameIsAMismatch() throws {
        let certs = try TestCertificates()
        let server = try RedisServer(tls: certs)
        let reason = tlsFailure { try connect(server, TLSSettings(caFile: certs.path("ca.crt"), serverName: "db.example.com")) }
        XCTAssertTrue(reason.hasPrefix("host-name mismatch"), reason)
        XCTAssertTrue(reason.contains("db.example.com"), reason)
        let ip = tlsFailure { try connect(server, host: "127.0.0.1", TLSSettings(caFile: certs.path("ca.crt"), serverName: "127.0.0.2")) }
        XCTAssertTrue(ip.hasPrefix("host-name mismatch"), ip)
    }

    func testClientCertificates() throws {
        let certs = try TestCertificates()
        let server = try RedisServer(tls: certs, requireClientCertificates: true)
        let without = tlsFailure { try connect(server, TLSSettings(caFile: certs.path("ca.crt"))) }
        XCTAssertEqual(without, "the server requires a client certificate (use --cert and --key)")
        let with = try connect(
            server, TLSSettings(caFile: certs.path("ca.crt"), certificateFile: certs.path("client.crt"), keyFile: certs.path("client.key")))
        XCTAssertEqual(try with.execute("PING"), .status("PONG"))
    }

    func testPlainServerIsNotMistakenForTLS() throws {
        let certs = try TestCertificates()
        let plain = try RedisServer()
        let reason = tlsFailure { try connect(plain, TLSSettings(caFile: certs.path("ca.crt"))) }
        XCTAssertTrue(reason.contains("TLS port") || reason.contains("does not speak TLS"), reason)
    }

    func testTLSToASilentServerHitsTheDeadline() throws {
        let silent = try SilentServer()
        let start = Date()
        XCTAssertThrowsError(
            try Connection(
                address: .tcp(host: "127.0.0.1", port: silent.port),
                options: ConnectionOptions(connectTimeout: 0.5, tls: TLSContext(settings: TLSSettings(insecure: true)))))
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
    }

    func testUnreadableFilesAreNamed() {
        XCTAssertThrowsError(try TLSContext(settings: TLSSettings(caFile: "/nonexistent/ca.pem"))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/ca.pem"), "\(error)")
        }
    }
}
