import SessionBasics

/// What went wrong talking to a database, sorted the way an operator acts on it.
public struct SQLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kinds an exit status is chosen by.
    public enum Kind: Equatable, Sendable {
        /// The server could not be reached, or the connection broke.
        case connect
        /// The server refused the user or the password.
        case authentication
        /// A call did not finish before its deadline (the connection is no longer used).
        case timeout
        /// The user may not do this (a read-only user deleting, a table it cannot read).
        case permission
        /// The table or a column does not exist.
        case missingTable
        /// Any other error the server replied with.
        case server
        /// A URL or setting that cannot work.
        case usage
    }

    public var kind: Kind
    /// One line: the engine's own words, with the SQLSTATE or error number where it gives one.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message.split(separator: "\n").first.map(String.init) ?? message
    }

    public var description: String { message }
}

extension SQLError: ClassifiedError {
    /// Connecting and logging in: 4; a URL or a table that cannot work: 2; the rest: 1.
    public var failureClass: FailureClass {
        switch kind {
        case .connect, .authentication: return .connect
        case .usage, .missingTable: return .usage
        case .timeout, .permission, .server: return .failure
        }
    }
}
