import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// How hard the client tries before it reports a node as lost: one policy for routed
/// commands, topology refreshes and scans, standalone or cluster.
public struct RetryPolicy: Sendable, Equatable {
    /// Redirects (`MOVED`, `ASK`, `TRYAGAIN`, …) followed per command.
    public var maxRedirects = 5
    /// Attempts per command or per node's scan after a connection failure.
    public var maxAttempts = 12
    /// Seconds from a command's (or a node's scan's) first failure after which it is given up.
    public var budgetSeconds: Double

    /// The default policy, giving up `budgetSeconds` after the first failure.
    public init(budgetSeconds: Double) {
        self.budgetSeconds = max(budgetSeconds, 1)
    }

    /// Whether attempt `attempts` (1-based), started `since` (monotonic ns), may still be retried.
    func allows(attempts: Int, since: UInt64) -> Bool {
        allows(attempts: attempts, since: since, now: Deadline.now())
    }

    /// The same, at `now` (monotonic ns): for a decision made without reading the clock.
    func allows(attempts: Int, since: UInt64, now: UInt64) -> Bool {
        attempts <= maxAttempts && now &- since < UInt64(budgetSeconds * 1_000_000_000)
    }

    /// Nanoseconds to wait before attempt `n` (1-based): 50 ms doubling, capped at 1 s, ±25 %.
    static func delay(attempt n: Int) -> UInt64 {
        let base = min(1_000_000_000, UInt64(50_000_000) << UInt64(min(max(n - 1, 0), 10)))
        let jitter = UInt64.random(in: 0...(base / 2))
        return base - base / 4 + jitter
    }

}
