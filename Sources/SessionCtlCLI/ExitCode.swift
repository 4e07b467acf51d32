import SessionKit

/// The exit statuses of the contract (SPEC.md, "Exit status").
public enum ExitCode: Int32, Sendable {
    /// Success; an empty result is a success.
    case success = 0
    /// A Redis error reply or an unexpected condition.
    case failure = 1
    /// Usage: unknown option or command, bad value, malformed URL, destructive command without a terminal or --yes.
    case usage = 2
    /// A session named to `show` or `revoke` does not exist.
    case notFound = 3
    /// Cannot connect, authenticate or establish TLS.
    case connect = 4
    /// Part of the keyspace could not be scanned, or some deletions failed.
    case incomplete = 5
    /// Interrupted by Ctrl-C; what was done so far is reported.
    case interrupted = 130

    /// The status for a finished command: interrupted, then incomplete, then not found, else success.
    static func finished(_ completeness: Completeness, notFound: Bool = false) -> ExitCode {
        if completeness.interrupted { return .interrupted }
        if !completeness.isComplete { return .incomplete }
        return notFound ? .notFound : .success
    }
}

