import SessionBasics

/// A failure of the byte stream itself: connecting, TLS, a deadline, the peer going away, Ctrl-C.
/// Whoever speaks a protocol over the stream (RESP, HTTP) turns it into its own error, or words it.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TCP or unix-socket connection could not be made.
    case connectFailed(endpoint: String, reason: String)
    /// The TLS context, the handshake or a certificate check failed.
    case tlsFailed(endpoint: String, reason: String)
    /// Nothing arrived (or could be sent) before the deadline.
    case timedOut(endpoint: String, operation: String, seconds: Double)
    /// The connection closed or broke.
    case connectionLost(endpoint: String, reason: String)
    /// Ctrl-C arrived while waiting.
    case interrupted

    public var description: String {
        switch self {
        case .connectFailed(let ep, let why): return "cannot connect to \(ep): \(why)"
        case .tlsFailed(let ep, let why): return "TLS with \(ep) failed: \(why)"
        case .timedOut(let ep, let op, let s): return "\(ep) did not answer \(op) within \(formatSeconds(s))"
        case .connectionLost(let ep, let why): return "connection to \(ep) lost: \(why)"
        case .interrupted: return "interrupted"
        }
    }
}

extension TransportError: ClassifiedError {
    /// Connecting and TLS: the connect class (exit 4); Ctrl-C: interrupted; the rest: a failure.
    public var failureClass: FailureClass {
        switch self {
        case .connectFailed, .tlsFailed: return .connect
        case .interrupted: return .interrupted
        case .timedOut, .connectionLost: return .failure
        }
    }
}

/// Formats seconds the way the options take them: `5s`, `0.5s`.
package func formatSeconds(_ s: Double) -> String {
    if s == s.rounded() { return "\(Int(s))s" }
    return "\(s)s"
}
