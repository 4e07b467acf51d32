import RedisClient

/// A one-line progress counter on stderr, shown only when stderr is a terminal and not `--quiet`.
final class Progress {
    private let console: Console
    private let enabled: Bool
    private var lastDraw: UInt64 = 0
    private var drawn = false
    private let started = Deadline.now()

    init(console: Console, quiet: Bool) {
        self.console = console
        enabled = console.stderrIsTerminal && !quiet
    }

    /// Reports keys scanned so far (redrawn at most ten times a second).
    func scanned(_ keys: Int) {
        guard enabled else { return }
        let now = Deadline.now()
        // Quiet for quick scans: the first draw waits a quarter of a second.
        guard now - started > 250_000_000, now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let seconds = Double(now - started) / 1e9
        let rate = seconds > 0 ? Int(Double(keys) / seconds) : 0
        console.err.write("\r\u{1B}[Kscanning: \(keys) keys, \(rate)/s")
        console.err.flush()
        drawn = true
    }

    /// Clears the line.
    func finish() {
        guard drawn else { return }
        console.err.write("\r\u{1B}[K")
        console.err.flush()
        drawn = false
    }
}
