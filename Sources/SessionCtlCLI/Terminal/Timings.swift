import RedisClient
import SessionBasics

/// Phase durations for the benchmark harness: with `SESSIONCTL_TIMINGS=1`, one line on stderr
/// at exit, e.g. `timings: connect=0.4ms plan=812.3ms delete=21.4ms`.
final class Timings {
    private let enabled: Bool
    private var phases: [(String, UInt64)] = []

    init(environment: [String: String]) {
        enabled = environment["SESSIONCTL_TIMINGS"] == "1"
    }

    /// Runs `body`, adding its duration to `phase`.
    func measure<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
        guard enabled else { return try body() }
        let start = Deadline.now()
        defer {
            let spent = Deadline.now() - start
            if let i = phases.firstIndex(where: { $0.0 == phase }) { phases[i].1 += spent } else { phases.append((phase, spent)) }
        }
        return try body()
    }

    /// The line for stderr, or `nil` when timings are off.
    var line: String? {
        guard enabled else { return nil }
        return "timings: " + phases.map { "\($0.0)=\(Double($0.1 / 10_000) / 100)ms" }.joined(separator: " ")
    }
}
