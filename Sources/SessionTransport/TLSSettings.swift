import SessionBasics

/// How TLS connections are made: what to trust, what to present, what name to check.
public struct TLSSettings: Sendable, Equatable {
    /// A PEM file of CA certificates to trust instead of the system store.
    public var caFile: String?
    /// A directory of hashed CA certificates to trust instead of the system store.
    public var caDirectory: String?
    /// A client certificate chain (PEM), for servers that require one.
    public var certificateFile: String?
    /// The client certificate's private key (PEM).
    public var keyFile: String?
    /// The server name to send (SNI) and to verify, instead of the host of each node.
    public var serverName: String?
    /// Skips peer and host-name verification (the CLI warns).
    public var insecure: Bool

    /// Settings that verify against the system store with no client certificate.
    public init(
        caFile: String? = nil, caDirectory: String? = nil, certificateFile: String? = nil,
        keyFile: String? = nil, serverName: String? = nil, insecure: Bool = false
    ) {
        self.caFile = caFile
        self.caDirectory = caDirectory
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecure = insecure
    }
}
