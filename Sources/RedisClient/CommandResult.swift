import SessionBasics

/// What became of one command of a pipeline: the server's reply, or why there is none.
///
/// What it holds is reachable only through the completeness that records a failure
/// (``Completeness/value(of:)``, ``Completeness/required(_:_:)``) or as a thrown failure
/// (``get()``): no caller can read a reply and forget that there was none.
public struct CommandResult: Equatable, Sendable {
    /// The three outcomes, seen only inside RedisClient.
    enum Outcome: Equatable, Sendable {
        case reply(RESPValue)
        case failed(PartialFailure)
        case cancelled
    }

    let outcome: Outcome

    /// The server answered (an error reply is a value too).
    public static func reply(_ value: RESPValue) -> CommandResult { CommandResult(outcome: .reply(value)) }
    /// The command never reached a node, or its reply never came back.
    public static func failed(_ failure: PartialFailure) -> CommandResult { CommandResult(outcome: .failed(failure)) }
    /// Ctrl-C stopped the exchange before the reply came back.
    public static let cancelled = CommandResult(outcome: .cancelled)

    /// The reply, or why there is none, thrown: for a caller that stops at the first failure.
    public func get() throws(CommandFailure) -> RESPValue {
        switch outcome {
        case .reply(let v): return v
        case .failed(let f): throw .failed(f)
        case .cancelled: throw .cancelled
        }
    }
}

/// Why a command has no reply, thrown by ``CommandResult/get()``.
public enum CommandFailure: Error, Equatable, Sendable {
    /// It never reached a node, or its reply never came back.
    case failed(PartialFailure)
    /// Ctrl-C stopped the exchange.
    case cancelled
}

extension Completeness {
    /// The reply of `result`, recording a failure or an interruption when there is none.
    /// An error reply is returned as a value: the caller decides what it means.
    public mutating func value(of result: CommandResult) -> RESPValue? {
        switch result.outcome {
        case .reply(let v): return v
        case .failed(let f):
            record(f)
            return nil
        case .cancelled:
            recordInterruption()
            return nil
        }
    }

    /// The reply of a command the operation needs to succeed: an error reply (`NOPERM`,
    /// `WRONGTYPE`, …) is recorded as a refused command, a missing reply as its failure.
    public mutating func required(_ result: CommandResult, _ command: String) -> RESPValue? {
        guard let value = value(of: result) else { return nil }
        if let e = value.redisError {
            record(PartialFailure(.commandFailed, node: nil, cause: "\(command): \(e.message)"))
            return nil
        }
        return value
    }
}

extension Completeness {
    /// The reply of a read whose error replies are failures, except those whose code the caller
    /// expects and reads as an answer (`WRONGTYPE`: a hash where a string was read). A refused
    /// read (`NOPERM`, …) is recorded as a refused command and gives `nil`, never an empty value.
    public mutating func readable(_ result: CommandResult, _ command: String, expecting codes: Set<String>) -> RESPValue? {
        guard let value = value(of: result) else { return nil }
        if let e = value.redisError, !codes.contains(e.code) {
            record(PartialFailure(.commandFailed, node: nil, cause: "\(command): \(e.message)"))
            return nil
        }
        return value
    }
}

extension CommandFailure: ClassifiedError {
    public var failureClass: FailureClass {
        if case .cancelled = self { return .interrupted }
        return .failure
    }

    public var description: String {
        switch self {
        case .failed(let f): return f.description
        case .cancelled: return "interrupted"
        }
    }
}
