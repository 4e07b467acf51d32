/// How a scan over the keyspace ended: complete, or which parts could not be scanned and why.
public struct ScanOutcome: Sendable, Equatable {
    /// Human-readable reasons, one per node or connection that could not be scanned to the end.
    public var failures: [String] = []
    /// Whether Ctrl-C stopped the scan.
    public var interrupted = false
    /// Keys the server returned (after MATCH, before client-side checks).
    public var keysReturned = 0
    /// Keys the server examined, estimated as COUNT per SCAN call.
    public var keysExamined = 0

    /// An outcome with no failures yet.
    public init() {}

    /// Whether every node was scanned to cursor 0 with no failure and no interruption.
    public var isComplete: Bool { failures.isEmpty && !interrupted }

    /// Folds another node's outcome into this one.
    public mutating func merge(_ other: ScanOutcome) {
        failures += other.failures
        interrupted = interrupted || other.interrupted
        keysReturned += other.keysReturned
        keysExamined += other.keysExamined
    }
}

/// How far a scan has got, for progress lines.
public struct ScanProgress: Sendable, Equatable {
    /// Keys examined so far (COUNT per SCAN call), over every node.
    public var examined: Int
    /// Keys returned by MATCH so far.
    public var matched: Int

    /// A progress report.
    public init(examined: Int, matched: Int) {
        self.examined = examined
        self.matched = matched
    }
}
