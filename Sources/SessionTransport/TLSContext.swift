import COpenSSL
import SessionBasics

/// One OpenSSL `SSL_CTX` configured from ``TLSSettings``: TLS 1.2 or newer, peer verification,
/// trusted CAs and an optional client certificate. Shared by every connection of a run.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    /// The settings it was made from.
    public let settings: TLSSettings

    /// Builds the context; a file that cannot be loaded is a TLS failure that names it.
    public init(settings: TLSSettings) throws {
        self.settings = settings
        guard let ctx = SSL_CTX_new(TLS_client_method()) else {
            throw TransportError.tlsFailed(endpoint: "-", reason: "cannot create a TLS context: \(TLSContext.lastError())")
        }
        context = ctx
        _ = sessionctl_ssl_ctx_min_tls12(ctx)
        _ = sessionctl_ssl_ctx_set_modes(ctx)
        SSL_CTX_set_verify(ctx, settings.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        if settings.caFile != nil || settings.caDirectory != nil {
            if SSL_CTX_load_verify_locations(ctx, settings.caFile, settings.caDirectory) != 1 {
                throw TransportError.tlsFailed(
                    endpoint: "-",
                    reason: "cannot load CA certificates from \(settings.caFile ?? settings.caDirectory ?? ""): \(TLSContext.lastError())")
            }
        } else if SSL_CTX_set_default_verify_paths(ctx) != 1 {
            throw TransportError.tlsFailed(endpoint: "-", reason: "cannot load the system's CA certificates: \(TLSContext.lastError())")
        }
        if settings.certificateFile == nil {
            sessionctl_watch_certificate_requests(ctx)
        }
        if let cert = settings.certificateFile {
            guard SSL_CTX_use_certificate_chain_file(ctx, cert) == 1 else {
                throw TransportError.tlsFailed(endpoint: "-", reason: "cannot load client certificate \(cert): \(TLSContext.lastError())")
            }
            let key = settings.keyFile ?? cert
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                throw TransportError.tlsFailed(endpoint: "-", reason: "cannot load private key \(key): \(TLSContext.lastError())")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw TransportError.tlsFailed(endpoint: "-", reason: "private key \(key) does not match certificate \(cert)")
            }
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// The oldest error on OpenSSL's queue as text, and clears the queue.
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let full = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // "error:0A000086:SSL routines::certificate verify failed" -> "certificate verify failed"
        return full.split(separator: ":").last.map(String.init) ?? full
    }
}
