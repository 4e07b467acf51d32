/// A command line that cannot be run, with the argv index of the offending argument (exit
/// status 2); where something is missing, the index is where it was expected.
public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownOption(String, index: Int, suggestion: String?)
    case unknownCommand(String, index: Int, suggestion: String?)
    case missingCommand(index: Int)
    case missingValue(option: String, index: Int)
    case unexpectedValue(option: String, index: Int)
    case invalidValue(option: String, value: String, reason: String, index: Int)
    case optionNotForCommand(option: String, command: String, index: Int)
    case missingArgument(command: String, what: String, index: Int)
    case unexpectedArgument(command: String, value: String, index: Int)
    case emptyID(command: String, index: Int)
    case conflict(String, index: Int)

    public var description: String {
        switch self {
        case .unknownOption(let o, _, let s):
            return "unknown option '\(o)'" + (s.map { ": did you mean \($0)?" } ?? "; see 'sessionctl --help'")
        case .unknownCommand(let c, _, let s):
            return "unknown command '\(c)'" + (s.map { ": did you mean '\($0)'?" } ?? "; see 'sessionctl --help'")
        case .missingCommand:
            return "no command given; see 'sessionctl --help'"
        case .missingValue(let o, _):
            return "option \(o) needs a value"
        case .unexpectedValue(let o, _):
            return "option \(o) takes no value"
        case .invalidValue(let o, let v, let why, _):
            return "invalid value '\(v)' for \(o): \(why)"
        case .optionNotForCommand(let o, let c, _):
            return "option \(o) does not apply to '\(c)'; see 'sessionctl help \(c)'"
        case .missingArgument(let c, let what, _):
            return "'\(c)' needs \(what); see 'sessionctl help \(c)'"
        case .unexpectedArgument(let c, let v, _):
            return "'\(c)' takes no argument '\(v)'; see 'sessionctl help \(c)'"
        case .emptyID(let c, _):
            return "'\(c)': an id must not be empty"
        case .conflict(let why, _):
            return why
        }
    }

    /// The argv index the error is about.
    public var index: Int {
        switch self {
        case .unknownOption(_, let i, _), .unknownCommand(_, let i, _), .missingCommand(let i), .missingValue(_, let i),
            .unexpectedValue(_, let i), .invalidValue(_, _, _, let i), .optionNotForCommand(_, _, let i),
            .missingArgument(_, _, let i), .unexpectedArgument(_, _, let i), .emptyID(_, let i), .conflict(_, let i):
            return i
        }
    }
}
