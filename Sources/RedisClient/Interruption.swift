import Synchronization

/// Whether the operator asked to stop (Ctrl-C); checked between batches and while waiting on sockets.
public enum Interruption {
    private static let flag = Atomic<Bool>(false)

    /// Records a request to stop; safe to call from a signal handler.
    public static func request() {
        flag.store(true, ordering: .relaxed)
    }

    /// Whether a stop was requested.
    public static var isRequested: Bool {
        flag.load(ordering: .relaxed)
    }

    /// Clears the flag (tests run many operations in one process).
    public static func reset() {
        flag.store(false, ordering: .relaxed)
    }
}
