import SessionBasics

/// Why a snapshot cannot be taken.
public struct SnapshotError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

extension SnapshotError: ClassifiedError {
    public var failureClass: FailureClass { .failure }
}
