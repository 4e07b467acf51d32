import RedisClient
import SessionKit

/// A failure the CLI itself detects (settings, files, refusals), with its exit status and a hint.
struct CLIError: Error {
    /// One line for stderr, after `sessionctl: `.
    let message: String
    /// What to try, if anything.
    let hint: String?
    /// The exit status.
    let code: ExitCode

    init(_ message: String, hint: String? = nil, code: ExitCode) {
        self.message = message
        self.hint = hint
        self.code = code
    }

    /// Maps any error to its message, hint and exit status.
    static func from(_ error: any Error) -> CLIError {
        switch error {
        case let e as CLIError:
            return e
        case let e as ParseError:
            return CLIError(e.description, code: .usage)
        case let e as LayoutError:
            return CLIError(e.description, code: .usage)
        case let e as RedisClientError:
            switch e {
            case .invalidURL: return CLIError(e.description, hint: e.hint, code: .usage)
            case .interrupted: return CLIError("interrupted", code: .interrupted)
            default: return CLIError(e.description, hint: e.hint, code: e.isConnectFailure ? .connect : .failure)
            }
        case let e as RedisError:
            return CLIError("server error: \(e.message)", code: .failure)
        default:
            return CLIError("unexpected error: \(error)", code: .failure)
        }
    }

    /// The full stderr line.
    var line: String {
        hint.map { "\(message) (\($0))" } ?? message
    }
}
