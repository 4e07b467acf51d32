import SessionBasics

/// An error reply from the server (`-ERR …`, `-WRONGTYPE …`, `-NOAUTH …`): a value, not a client failure.
public struct RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The whole message as the server sent it, without the leading `-`.
    public let message: String

    /// Wraps a server error message.
    public init(message: String) {
        self.message = message
    }

    /// The first word of the message: `ERR`, `WRONGTYPE`, `MOVED`, `NOAUTH`, `WRONGPASS`, …
    public var code: String {
        message.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
    }

    public var description: String { message }
}

extension RedisError: ClassifiedError {
    public var failureClass: FailureClass { .failure }
}
