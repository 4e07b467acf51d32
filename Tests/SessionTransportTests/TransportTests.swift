import Foundation
import SessionBasics
import SessionTransport
import TestSupport
import XCTest

/// The byte streams every client shares, against real loopback sockets: each failure is the
/// transport's own, names its endpoint, and comes within its deadline.
final class TransportTests: XCTestCase {
    func testANothingListeningPortIsAConnectFailureNamingTheEndpoint() throws {
        let port = try FreePort.pick()
        XCTAssertThrowsError(try SocketTransport(address: .tcp(host: "127.0.0.1", port: port), connectTimeout: 1)) { error in
            guard case TransportError.connectFailed(let endpoint, let reason)? = error as? TransportError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(endpoint, "127.0.0.1:\(port)")
            XCTAssertTrue(reason.contains("refused"), reason)
            XCTAssertEqual((error as? TransportError)?.failureClass, .connect)
        }
    }

    func testAReadFromASilentServerEndsAtItsDeadline() throws {
        let silent = try SilentServer()
        let socket = try SocketTransport(address: .tcp(host: "127.0.0.1", port: silent.port), connectTimeout: 1)
        var buffer = [UInt8](repeating: 0, count: 16)
        let start = Date()
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try socket.read(into: $0, deadline: .after(seconds: 0.3)) }) { error in
            XCTAssertEqual(
                error as? TransportError, .timedOut(endpoint: "127.0.0.1:\(silent.port)", operation: "a command", seconds: 0.3))
            XCTAssertEqual("\(error)", "127.0.0.1:\(silent.port) did not answer a command within 0.3s")
        }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertGreaterThanOrEqual(elapsed, 0.29)
        XCTAssertLessThan(elapsed, 2)
    }

    func testCtrlCEndsAWaitEarly() throws {
        let silent = try SilentServer()
        let cancellation = Cancellation()
        let socket = try SocketTransport(address: .tcp(host: "127.0.0.1", port: silent.port), connectTimeout: 1, cancellation: cancellation)
        cancellation.cancel()
        var buffer = [UInt8](repeating: 0, count: 16)
        let start = Date()
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes { try socket.read(into: $0, deadline: .after(seconds: 30)) }) { error in
            XCTAssertEqual(error as? TransportError, .interrupted)
            XCTAssertEqual((error as? TransportError)?.failureClass, .interrupted)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }

    func testATLSHandshakeWithAPlainSilentServerEndsAsATLSFailure() throws {
        let silent = try SilentServer()
        let socket = try SocketTransport(address: .tcp(host: "127.0.0.1", port: silent.port), connectTimeout: 1)
        let context = try TLSContext(settings: TLSSettings(insecure: true))
        XCTAssertThrowsError(
            try TLSTransport(
                socket: socket, context: context, host: "127.0.0.1", endpoint: "127.0.0.1:\(silent.port)", deadline: .after(seconds: 0.3))
        ) { error in
            guard case TransportError.tlsFailed(_, let reason)? = error as? TransportError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("is this a TLS port?"), reason)
        }
    }

    func testAContextNamesTheFileItCannotLoad() {
        XCTAssertThrowsError(try TLSContext(settings: TLSSettings(caFile: "/nonexistent/ca.pem"))) { error in
            guard case TransportError.tlsFailed(_, let reason)? = error as? TransportError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("/nonexistent/ca.pem"), reason)
        }
    }

    func testAddressesReadAsTheyAreWritten() {
        XCTAssertEqual(SocketAddress.tcp(host: "::1", port: 6379).description, "[::1]:6379")
        XCTAssertEqual(SocketAddress.tcp(host: "cache.internal", port: 6380).description, "cache.internal:6380")
        XCTAssertEqual(SocketAddress.unix(path: "/run/redis.sock").description, "unix:/run/redis.sock")
    }
}
