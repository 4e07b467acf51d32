import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// What the watch after a revocation saw (`--settle`): a request that was already running when a
/// session was deleted can finish afterwards and write the session back, logging the browser in
/// again. Identity servers mark sessions revoked; a tool that deletes keys must make sure the
/// deletion held.
public struct SettleReport: Equatable, Sendable {
    /// The quiet window asked for, in seconds (0: no watch).
    public var window: Double = 0
    /// How many keys were watched.
    public var watched = 0
    /// Each time a watched key came back and was deleted again, its key (a key may appear more than once).
    public var writtenBack: [Bytes] = []
    /// Keys that came back after ``SettleReport/maxDeletions`` deletions, reported and left as they are.
    public var keptComingBack: [Bytes] = []
    /// How many times the keys were checked, and how long the watch lasted.
    public var checks = 0
    public var seconds: Double = 0
    /// Whether the watch was stopped before a quiet window passed (Ctrl-C, its time cap, a failure).
    public var completeness = Completeness()

    /// Deletions after which a key that still comes back is given up on (the first deletion counts).
    public static let maxDeletions = 3

    public init(window: Double = 0) {
        self.window = window
    }

    /// Adds another pass's report (`revoke-user -` settles after each pass).
    public mutating func merge(_ other: SettleReport) {
        window = max(window, other.window)
        watched += other.watched
        writtenBack += other.writtenBack
        keptComingBack += other.keptComingBack
        checks += other.checks
        seconds += other.seconds
        completeness.merge(other.completeness)
    }

    /// Why a key keeps coming back, in words for the operator.
    public static let likelyCause =
        "a request still in flight keeps writing it back (a long poll, a slow upload, a retry loop), "
        + "or the store reloads it from elsewhere (a database table behind a cache, a second store the application writes to)"
}

/// Where the watch is, for a progress line on a terminal.
public struct SettleProgress: Sendable {
    /// Keys watched, keys deleted again so far, seconds left in the quiet window.
    public var watched: Int
    public var writtenBack: Int
    public var secondsLeft: Double

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(watched: Int, writtenBack: Int, secondsLeft: Double) {
        self.watched = watched
        self.writtenBack = writtenBack
        self.secondsLeft = secondsLeft
    }
}

/// The watch itself, for any store: `each` gives the watched keys a batch at a time, `present`
/// says which of a batch exist now, `delete` deletes some again (returning those it reached).
/// Every tenth of a second a check; a key that is back is deleted again and the window starts
/// over; the watch ends when a whole window passes without a return. A key back after
/// ``SettleReport/maxDeletions`` deletions is given up on and reported (the result is then
/// incomplete, exit 5). However often keys come back, it ends: each is deleted at most three
/// times, and the whole watch lasts at most four windows (and 30 s) past the first.
///
/// A check that could not watch (one that took longer than ``slowCheck``, as while a node fails
/// over and its replies wait for the new primary; or one that failed) does not count towards
/// the quiet window: the window is extended by the time the keys went unwatched, and the result
/// says so (`recovered`). Past the cap, keys that went unwatched make the result incomplete.
package struct SettleWatch {
    package var window: Double
    package var count: Int
    package var cancellation: Cancellation
    package var progress: ((SettleProgress) -> Void)?

    package func run(
        each: (([Bytes]) throws -> Void) throws -> Void,
        present: ([Bytes], inout Completeness) throws -> [Bytes],
        delete: ([Bytes], inout Completeness) throws -> [Bytes]
    ) throws -> SettleReport {
        var report = SettleReport(window: window)
        report.watched = count
        guard window > 0, count > 0 else { return report }
        let started = Deadline.now()
        func elapsed() -> Double { Double(Deadline.now() - started) / 1e9 }
        var quietUntil = window
        let cap = window * 4 + 30
        var deletions: [Bytes: Int] = [:]
        var givenUp = Set<Bytes>()
        var unwatched = 0.0
        while true {
            if cancellation.isCancelled {
                report.completeness.recordInterruption()
                break
            }
            let now = elapsed()
            if now >= quietUntil { break }
            if now >= cap {
                report.completeness.record(
                    PartialFailure(
                        .keptComingBack, node: nil,
                        cause: unwatched > 0
                            ? "the watch stopped after \(Int(now))s with \(Self.seconds(unwatched)) of it unwatched (checks that stalled or failed): keys may have come back unseen"
                            : "keys were still coming back when the watch stopped after \(Int(now))s"))
                break
            }
            progress?(SettleProgress(watched: count, writtenBack: report.writtenBack.count, secondsLeft: quietUntil - now))
            let pause = min(0.1, quietUntil - now)
            if pause > 0 { usleep(useconds_t(pause * 1e6)) }
            report.checks += 1
            var back: [Bytes] = []
            var checked = Completeness()
            let skip = givenUp
            let checkStarted = elapsed()
            try withoutActuallyEscaping(present) { present in
                try each { keys in back += try present(skip.isEmpty ? keys : keys.filter { !skip.contains($0) }, &checked) }
            }
            let took = elapsed() - checkStarted
            if took > Self.slowCheck || !checked.failures.isEmpty {
                // The keys went unwatched for this long (a node failing over, a lost reply): the quiet window does not count it.
                let lost = checked.failures.isEmpty ? took : elapsed() - max(0, quietUntil - window)
                unwatched += lost
                quietUntil += lost
            }
            report.completeness.merge(checked)
            if back.isEmpty { continue }
            var again: [Bytes] = []
            for key in back {
                let n = deletions[key, default: 1]
                if n >= SettleReport.maxDeletions {
                    givenUp.insert(key)
                    report.keptComingBack.append(key)
                    report.completeness.record(
                        PartialFailure(
                            .keptComingBack, node: nil,
                            cause: "\(Escape.visible(key)) came back after \(n) deletions: \(SettleReport.likelyCause)"))
                } else {
                    again.append(key)
                }
            }
            for key in try delete(again, &report.completeness) {
                deletions[key, default: 1] += 1
                report.writtenBack.append(key)
            }
            quietUntil = elapsed() + window
        }
        report.seconds = elapsed()
        if unwatched > 0 {
            report.completeness.recordRecovery(
                "the watch after deleting could not check for \(Self.seconds(unwatched)) (checks that stalled or failed, as while a node fails over): its quiet window was extended by that"
            )
        }
        return report
    }

    /// A check slower than this (seconds) did not watch: its time is added to the window.
    package static let slowCheck = 0.5

    private static func seconds(_ s: Double) -> String { "\((s * 10).rounded() / 10)s" }

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(window: Double, count: Int, cancellation: Cancellation, progress: ((SettleProgress) -> Void)? = nil) {
        self.window = window
        self.count = count
        self.cancellation = cancellation
        self.progress = progress
    }
}
