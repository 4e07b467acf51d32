import SessionBasics
import SessionTransport

/// A failure on the client side: connecting, authenticating, TLS, the wire, a deadline, bad input.
///
/// Each case maps to one exit status of the contract (see `SessionCtlCLI.ExitCode`).
public enum RedisClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The endpoint URL is malformed (a usage error).
    case invalidURL(String, hint: String?)
    /// The options do not fit the server (`--cluster` on a standalone server, a database on a cluster): a usage error.
    case misconfigured(String, hint: String?)
    /// Logged in, but the ACL user may not run a command the connection needs.
    case permissionDenied(endpoint: String, command: String, reason: String)
    /// The TCP or unix-socket connection could not be made.
    case connectFailed(endpoint: String, reason: String)
    /// The server refused our credentials or the ACL user.
    case authenticationFailed(endpoint: String, reason: String)
    /// The TLS handshake or a certificate check failed.
    case tlsFailed(endpoint: String, reason: String)
    /// No reply arrived before the deadline.
    case timedOut(endpoint: String, operation: String, seconds: Double)
    /// The connection closed or broke while a command was in flight.
    case connectionLost(endpoint: String, reason: String)
    /// The server sent bytes that are not RESP, or a reply of an unexpected shape.
    case protocolError(endpoint: String, reason: String)
    /// Ctrl-C arrived while waiting on the wire.
    case interrupted

    /// Whether the failure happened before a connection was usable (exit status 4).
    public var isConnectFailure: Bool {
        switch self {
        case .connectFailed, .authenticationFailed, .tlsFailed, .permissionDenied: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let why, _), .misconfigured(let why, _): return why
        case .permissionDenied(let ep, let command, let why):
            return "logged in to \(ep), but the ACL user may not run \(command) (\(why))"
        case .connectFailed(let ep, let why): return "cannot connect to \(ep): \(why)"
        case .authenticationFailed(let ep, let why): return "authentication to \(ep) failed: \(why)"
        case .tlsFailed(let ep, let why): return "TLS with \(ep) failed: \(why)"
        case .timedOut(let ep, let op, let s):
            return "\(ep) did not answer \(op) within \(formatSeconds(s))"
        case .connectionLost(let ep, let why): return "connection to \(ep) lost: \(why)"
        case .protocolError(let ep, let why): return "protocol error from \(ep): \(why)"
        case .interrupted: return "interrupted"
        }
    }

    /// A suggestion for the operator, where one helps.
    public var hint: String? {
        switch self {
        case .invalidURL(_, let hint), .misconfigured(_, let hint): return hint
        case .connectFailed(_, let why) where why.contains("refused"):
            return "is redis-server running there? check the host and port"
        case .connectFailed(_, let why) where why.contains("timed out"):
            return "check the host, the port and any firewall, or raise --connect-timeout"
        case .authenticationFailed:
            return "check the user and password (URL, $REDISCLI_AUTH or --password-file)"
        case .timedOut:
            return "raise --timeout, or check that the server is a Redis server and not overloaded"
        default: return nil
        }
    }
}

extension RedisClientError {
    /// The stream's failure, in the client's words (the same text).
    public init(_ error: TransportError) {
        switch error {
        case .connectFailed(let ep, let why): self = .connectFailed(endpoint: ep, reason: why)
        case .tlsFailed(let ep, let why): self = .tlsFailed(endpoint: ep, reason: why)
        case .timedOut(let ep, let op, let s): self = .timedOut(endpoint: ep, operation: op, seconds: s)
        case .connectionLost(let ep, let why): self = .connectionLost(endpoint: ep, reason: why)
        case .interrupted: self = .interrupted
        }
    }
}

extension RedisClientError: ClassifiedError {
    /// A malformed URL or options that do not fit the server: 2; connecting, logging in, TLS: 4; Ctrl-C: 130; the rest: 1.
    public var failureClass: FailureClass {
        switch self {
        case .invalidURL, .misconfigured: return .usage
        case .interrupted: return .interrupted
        default: return isConnectFailure ? .connect : .failure
        }
    }
}
