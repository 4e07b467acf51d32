import SessionBasics

/// What became of one command of a pipeline: the server's reply, or why there is none.
public enum CommandResult: Equatable, Sendable {
    /// The server answered (an error reply is a value too).
    case reply(RESPValue)
    /// The command never reached a node, or its reply never came back.
    case failed(PartialFailure)
    /// Ctrl-C stopped the exchange before the reply came back.
    case cancelled

    /// The reply, when there is one.
    public var value: RESPValue? {
        if case .reply(let v) = self { return v }
        return nil
    }
}

extension Completeness {
    /// The reply of `result`, recording a failure or an interruption when there is none.
    public mutating func value(of result: CommandResult) -> RESPValue? {
        switch result {
        case .reply(let v): return v
        case .failed(let f): record(f); return nil
        case .cancelled: recordInterruption(); return nil
        }
    }
}
