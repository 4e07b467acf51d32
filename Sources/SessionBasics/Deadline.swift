#if canImport(Glibc)
    import Glibc
#endif

/// A point on the monotonic clock after which a socket operation gives up.
public struct Deadline: Sendable {
    private let nanoseconds: UInt64
    /// The budget the deadline was set with, for messages ("did not answer within 10s").
    public let seconds: Double

    /// `seconds` from now.
    public static func after(seconds: Double) -> Deadline {
        Deadline(nanoseconds: now() &+ UInt64(max(0, seconds) * 1_000_000_000), seconds: seconds)
    }

    /// Milliseconds left, rounded up, for `poll(2)`; 0 once passed.
    public var remainingMilliseconds: Int32 {
        let n = Self.now()
        guard nanoseconds > n else { return 0 }
        return Int32(clamping: (nanoseconds - n + 999_999) / 1_000_000)
    }

    /// Whether the deadline has passed.
    public var hasPassed: Bool { Self.now() >= nanoseconds }

    /// Monotonic nanoseconds since an arbitrary origin.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
