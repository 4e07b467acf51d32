import Foundation
import TestSupport
import XCTest

/// TLS through the binary: rediss://, --tls, --cacert, --sni, --insecure, client certificates, exit 4.
final class TLSEndToEndTests: XCTestCase {
    func testTLSCommandsAndFailures() throws {
        let certs = try TestCertificates()
        let server = try RedisServer(tls: certs)
        try server.run([["SET", "user:alice:s1", "session:s1"], ["SET", "session:s1", "x"]])
        let ca = certs.path("ca.crt")
        let ok = try Sessionctl.run(["list", "alice", "--json", "--url", "rediss://localhost:\(server.port)", "--cacert", ca])
        assertExitStatus(ok, 0)
        XCTAssertEqual((try ok.json()["sessions"] as? [Any])?.count, 1)
        let flag = try Sessionctl.run(["ping", "--url", "redis://127.0.0.1:\(server.port)", "--tls", "--cacert", ca])
        assertExitStatus(flag, 0)

        let wrongCA = try Sessionctl.run(["ping", "--url", "rediss://localhost:\(server.port)", "--cacert", certs.path("other-ca.crt")])
        assertExitStatus(wrongCA, 4)
        XCTAssertTrue(wrongCA.stderr.hasPrefix("sessionctl: TLS with localhost:\(server.port) failed: untrusted certificate"), wrongCA.stderr)

        let wrongName = try Sessionctl.run(["ping", "--url", "rediss://localhost:\(server.port)", "--cacert", ca, "--sni", "cache.example.com"])
        assertExitStatus(wrongName, 4)
        XCTAssertTrue(wrongName.stderr.contains("host-name mismatch"), wrongName.stderr)

        let insecure = try Sessionctl.run(["ping", "--url", "rediss://localhost:\(server.port)", "--insecure"])
        assertExitStatus(insecure, 0)
        XCTAssertTrue(insecure.stderr.contains("warning: --insecure"), insecure.stderr)

        let noTLS = try Sessionctl.run(["ping", "--url", "redis://127.0.0.1:1", "--cacert", ca])
        assertExitStatus(noTLS, 2)
        XCTAssertTrue(noTLS.stderr.contains("--cacert needs TLS"), noTLS.stderr)

        let missingCA = try Sessionctl.run(["ping", "--url", "rediss://localhost:\(server.port)", "--cacert", "/nonexistent/ca.pem"])
        assertExitStatus(missingCA, 2)
        XCTAssertTrue(missingCA.stderr.contains("/nonexistent/ca.pem"), missingCA.stderr)
    }

    func testClientCertificateRequired() throws {
        let certs = try TestCertificates()
        let server = try RedisServer(tls: certs, requireClientCertificates: true)
        let url = "rediss://localhost:\(server.port)"
        let without = try Sessionctl.run(["ping", "--url", url, "--cacert", certs.path("ca.crt")])
        assertExitStatus(without, 4)
        XCTAssertTrue(without.stderr.contains("requires a client certificate"), without.stderr)
        let with = try Sessionctl.run([
            "ping", "--url", url, "--cacert", certs.path("ca.crt"), "--cert", certs.path("client.crt"), "--key", certs.path("client.key"),
        ])
        assertExitStatus(with, 0)
    }
}
