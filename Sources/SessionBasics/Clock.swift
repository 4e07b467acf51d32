#if canImport(Glibc)
    import Glibc
#endif

/// The wall clock, read in one place: record times, expiry against now, the audit trail's timestamps.
package enum WallClock {
    /// Seconds since 1970, now, with the fraction.
    package static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Milliseconds since 1970, now.
    package static func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
