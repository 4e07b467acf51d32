import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

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
}

/// What a command came to, before it becomes an exit status.
enum Outcome {
    /// It did what it was asked (help, version, ping).
    case success
    /// It ran to its end over a keyspace: complete or not, with sessions not found or not, and
    /// whether it found or did anything at all (a permission error that left nothing done is a failure).
    case finished(Completeness, notFound: Bool = false, didSomething: Bool = true)
    /// It printed a partial result and then stopped on an error (the audit trail could not be written).
    case stopped(any Error)
    /// `diff --exit-code` found differences: exit 1 with no error line, as `git diff --exit-code`.
    case differs(Completeness)
}

/// A failure the CLI itself detects (settings, files, refusals), with its exit status and a hint.
struct CLIError: Error {
    /// One line for stderr, after `sessionctl: `.
    let message: String
    /// What to try, if anything.
    let hint: String?
    /// The exit status.
    let code: ExitCode
    /// What to say instead when Ctrl-C caused this error (an empty input, a declined prompt).
    let ifInterrupted: String?

    init(_ message: String, hint: String? = nil, ifInterrupted: String? = nil, code: ExitCode) {
        self.message = message
        self.hint = hint
        self.code = code
        self.ifInterrupted = ifInterrupted
    }

    /// The full stderr line.
    var line: String {
        hint.map { "\(message) (\($0))" } ?? message
    }
}

extension ExitCode {
    /// The one place where what happened becomes an exit status and an error line.
    ///
    /// Ctrl-C comes first on every path (130), whatever error it caused on its way out (an
    /// empty standard input, a declined prompt, a cut connection). Then errors keep the code
    /// and hint of the layer that raised them; a finished command is a failure (1) when a
    /// permission was denied and nothing was done, incomplete (5), then not found (3), else a success.
    static func of(_ result: Result<Outcome, any Error>, cancelled: Bool) -> (code: ExitCode, error: CLIError?) {
        switch result {
        case .success(.success):
            return (cancelled ? .interrupted : .success, nil)
        case .success(.finished(let completeness, let notFound, let didSomething)):
            if cancelled || completeness.interrupted { return (.interrupted, nil) }
            if !completeness.isComplete {
                // Refused for want of a permission with nothing done: a failure, never "partly done".
                return (completeness.deniedPermission && !didSomething ? .failure : .incomplete, nil)
            }
            return (notFound ? .notFound : .success, nil)
        case .success(.differs(let completeness)):
            if cancelled || completeness.interrupted { return (.interrupted, nil) }
            return (completeness.isComplete ? .failure : .incomplete, nil)
        case .success(.stopped(let error)), .failure(let error):
            let e = describe(error)
            if cancelled || e.code == .interrupted {
                return (.interrupted, CLIError(e.ifInterrupted ?? "interrupted", code: .interrupted))
            }
            return (e.code, e)
        }
    }

    /// An error's message, hint and exit status, as the layer that raised it meant them: every
    /// layer's errors say their ``FailureClass``; a few get the CLI's own words or a hint here.
    static func describe(_ error: any Error) -> CLIError {
        switch error {
        case let e as CLIError:
            return e
        case let e as ParseError:
            return CLIError(e.description, code: .usage)
        case let e as AuditTrailError:
            return CLIError(e.message, code: .failure)
        case let e as RedisClientError:
            return CLIError(e.description, hint: e.failureClass == .interrupted ? nil : e.hint, code: ExitCode(e.failureClass))
        case let e as RedisError:
            return CLIError("server error: \(e.message)", code: .failure)
        case let e as SpillError:
            if e.interrupted { return CLIError("interrupted", code: .interrupted) }
            return CLIError(e.description, hint: "set $TMPDIR to a directory with room, or raise --memory-limit", code: .failure)
        case let e as any ClassifiedError:
            return CLIError(e.description, code: ExitCode(e.failureClass))
        default:
            return CLIError("unexpected error: \(error)", code: .failure)
        }
    }
}

extension ExitCode {
    /// The exit status of a class of failure (SPEC.md, "Exit status").
    init(_ failureClass: FailureClass) {
        switch failureClass {
        case .usage: self = .usage
        case .connect: self = .connect
        case .failure: self = .failure
        case .interrupted: self = .interrupted
        }
    }
}
