import COpenSSL
import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// TLS over a connected socket with OpenSSL: the handshake, host-name verification, SNI,
/// and reads and writes that wait on the socket under the same deadlines as plain ones.
///
/// Owns one `SSL *` (freed in `deinit`); the socket below owns the descriptor.
public final class TLSTransport: Transport {
    private let socket: SocketTransport
    private let ssl: OpaquePointer
    private let endpoint: String

    /// Runs the handshake over `socket` and verifies the peer as `host` (or `settings.serverName`).
    public init(socket: SocketTransport, context: TLSContext, host: String, endpoint: String, deadline: Deadline) throws {
        self.socket = socket
        self.endpoint = endpoint
        guard let ssl = SSL_new(context.context) else {
            throw TransportError.tlsFailed(endpoint: endpoint, reason: "cannot create a TLS session: \(TLSContext.lastError())")
        }
        self.ssl = ssl
        SSL_set_fd(ssl, socket.fd)
        let name = context.settings.serverName ?? host
        let isIP = Self.isIPAddress(name)
        if !isIP { _ = sessionctl_ssl_set_sni(ssl, name) }
        if !context.settings.insecure {
            if isIP {
                _ = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name)
            } else {
                _ = SSL_set1_host(ssl, name)
            }
        }
        ERR_clear_error()
        while true {
            let rc = SSL_connect(ssl)
            if rc == 1 { break }
            let err = SSL_get_error(ssl, rc)
            if err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE {
                do {
                    try socket.wait(for: Int16(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), deadline: deadline, operation: "the TLS handshake")
                } catch TransportError.timedOut(_, _, let s) {
                    throw TransportError.tlsFailed(
                        endpoint: endpoint, reason: "handshake did not finish within \(formatSeconds(s)); is this a TLS port?")
                }
                continue
            }
            throw TransportError.tlsFailed(endpoint: endpoint, reason: Self.handshakeFailure(ssl, name: name, err: err))
        }
    }

    deinit {
        SSL_free(ssl)
    }

    /// Why a handshake failed, naming the check: trust, host name, protocol, client certificate.
    private static func handshakeFailure(_ ssl: OpaquePointer, name: String, err: Int32) -> String {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            let text = String(cString: X509_verify_cert_error_string(verify))
            switch Int32(verify) {
            case X509_V_ERR_HOSTNAME_MISMATCH:
                return "host-name mismatch: the server's certificate is not valid for '\(name)' (use the name on the certificate, or --sni)"
            case X509_V_ERR_IP_ADDRESS_MISMATCH:
                return "host-name mismatch: the server's certificate is not valid for IP address \(name) (connect by host name, or --sni)"
            case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
                return "the server's certificate is not valid now: \(text)"
            default:
                return "untrusted certificate: \(text) (give the CA with --cacert or --cacertdir)"
            }
        }
        let reason = TLSContext.lastError()
        if reason.contains("certificate required") || reason.contains("peer did not return a certificate") {
            return "the server requires a client certificate (use --cert and --key)"
        }
        if reason.contains("wrong version number") || reason.contains("packet length too long") || reason.contains("record layer failure") {
            return "handshake failed: the server does not speak TLS on this port (\(reason))"
        }
        if err == SSL_ERROR_SYSCALL || reason == "unknown error" {
            return "handshake failed: the server closed the connection"
        }
        return "handshake failed: \(reason)"
    }

    private static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }

    // MARK: Transport

    public var descriptor: Int32 { socket.fd }

    public var hasBufferedData: Bool { SSL_pending(ssl) > 0 }

    /// Decoded bytes wait, or a record in the socket decodes to application bytes (a TLS 1.3
    /// session ticket arriving late is consumed and is not reply bytes).
    public var hasUnreadBytes: Bool {
        if SSL_pending(ssl) > 0 { return true }
        guard socket.hasUnreadBytes else { return false }
        ERR_clear_error()
        var byte: UInt8 = 0
        let n = SSL_peek(ssl, &byte, 1)
        if n <= 0 { ERR_clear_error() }
        return n > 0
    }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws {
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let n = SSL_write(ssl, bytes.baseAddress! + offset, Int32(clamping: bytes.count - offset))
            if n > 0 {
                offset += Int(n)
                continue
            }
            try handle(SSL_get_error(ssl, n), deadline: deadline)
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int {
        while true {
            ERR_clear_error()
            let n = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
            if n > 0 { return Int(n) }
            let err = SSL_get_error(ssl, n)
            if err == SSL_ERROR_ZERO_RETURN { return 0 }
            if err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && sessionctl_certificate_was_requested(ssl) == 0 { return 0 }
            try handle(err, deadline: deadline)
        }
    }

    /// Waits for the socket when OpenSSL asks, or turns the error into a client error.
    private func handle(_ err: Int32, deadline: Deadline) throws {
        switch err {
        case SSL_ERROR_WANT_READ: try socket.wait(for: Int16(POLLIN), deadline: deadline, operation: "a command")
        case SSL_ERROR_WANT_WRITE: try socket.wait(for: Int16(POLLOUT), deadline: deadline, operation: "a write")
        default:
            let code = errno
            var reason = TLSContext.lastError()
            if err == SSL_ERROR_SYSCALL && reason == "unknown error" {
                reason = code == 0 ? "unexpected end of stream" : String(cString: strerror(code))
            }
            if reason.contains("certificate required") || sessionctl_certificate_was_requested(ssl) != 0 {
                throw TransportError.tlsFailed(endpoint: endpoint, reason: "the server requires a client certificate (use --cert and --key)")
            }
            throw TransportError.connectionLost(endpoint: endpoint, reason: "TLS: \(reason)")
        }
    }
}
