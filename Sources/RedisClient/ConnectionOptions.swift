import SessionBasics
import SessionTransport

/// How every connection the tool opens is made: credentials, deadlines, pipelining.
public struct ConnectionOptions: Sendable {
    /// The ACL user, or `nil` for the `default` user.
    public var username: String?
    /// The password, or `nil` to send no `AUTH`.
    public var password: String?
    /// Makes the password for each new connection (an IAM token is valid for 15 minutes: a
    /// connection opened later in a long run gets a fresh one); ranks above ``password``.
    public var passwordProvider: (@Sendable () throws -> String)?
    /// The logical database to `SELECT` (standalone only).
    public var database: Int
    /// Seconds allowed for connecting and the handshake.
    public var connectTimeout: Double
    /// Seconds allowed for each reply.
    public var commandTimeout: Double
    /// Commands per pipelined batch.
    public var pipelineBatch: Int
    /// TLS for every connection, or `nil` for plain ones.
    public var tls: TLSContext?
    /// The operator's request to stop, checked by everything that waits on a socket.
    public var cancellation: Cancellation

    /// Options with the contract's defaults (5 s to connect, 10 s a command, batches of 1000).
    public init(
        username: String? = nil, password: String? = nil, database: Int = 0,
        connectTimeout: Double = 5, commandTimeout: Double = 10, pipelineBatch: Int = 1000, tls: TLSContext? = nil,
        cancellation: Cancellation = Cancellation()
    ) {
        self.cancellation = cancellation
        self.tls = tls
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.pipelineBatch = pipelineBatch
    }
}
