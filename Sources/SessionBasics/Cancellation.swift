import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A request to stop (Ctrl-C), made once at the top and passed down to everything that waits.
///
/// The CLI's signal handler sets one instance; every connection, scan and pipeline reads
/// that instance through ``ConnectionOptions/cancellation``, and the top level maps it to
/// exit status 130. Tests make their own instance, so nothing is global.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    /// A cancellation that has not been requested.
    public init() {}

    /// Records the request; safe to call from a signal handler (one atomic store).
    public func cancel() {
        flag.store(true, ordering: .relaxed)
    }

    /// Whether a stop was requested.
    public var isCancelled: Bool {
        flag.load(ordering: .relaxed)
    }

    /// Waits `seconds`, waking early on a stop; `false` when it was cancelled.
    public func wait(seconds: Double) -> Bool {
        if seconds > 0 { sleep(nanoseconds: UInt64(min(seconds, 1e9) * 1e9)) }
        return !isCancelled
    }

    /// Sleeps `nanoseconds` in steps of at most 50 ms, waking early on a stop.
    package func sleep(nanoseconds: UInt64) {
        let end = Deadline.now() + nanoseconds
        while !isCancelled {
            let now = Deadline.now()
            if now >= end { return }
            var ts = timespec(tv_sec: 0, tv_nsec: Int(min(end - now, 50_000_000)))
            nanosleep(&ts, nil)
        }
    }
}
