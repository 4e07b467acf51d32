/// How an error ends a run, whatever layer raised it. The CLI's one exit-code function turns
/// each class into an exit status of SPEC.md, so an error of a new layer cannot slip past it as
/// "unexpected": it says its class where it is declared.
public enum FailureClass: Sendable, Equatable {
    /// The operator's request cannot work (exit 2).
    case usage
    /// The store could not be reached, logged in to or spoken to securely (exit 4).
    case connect
    /// The store refused or failed mid-run, or a file could not be written (exit 1).
    case failure
    /// Ctrl-C stopped it (exit 130).
    case interrupted
}

/// An error that knows its ``FailureClass``; its description is the line the operator reads.
public protocol ClassifiedError: Error, CustomStringConvertible {
    /// How it ends the run.
    var failureClass: FailureClass { get }
}
