import RedisClient

/// A one-line progress counter on stderr, shown only when stderr is a terminal and not `--quiet`:
/// keys scanned out of the keyspace's size, matches, rate and time left.
final class Progress {
    private let console: Console
    /// Whether anything is drawn.
    let enabled: Bool
    /// Keys in the keyspace (`DBSIZE` over every primary), when known.
    var total: Int64?
    /// What the command has done so far, drawn after the scan's counts (`12,000 revoked`).
    var done: String?
    /// Which pass the scan is (`mappings`), drawn before the counts.
    var pass: String?
    private var lastDraw: UInt64 = 0
    private var drawn = false
    private let started = Deadline.now()

    init(console: Console, quiet: Bool) {
        self.console = console
        enabled = console.stderrIsTerminal && !quiet
    }

    /// Reports a scan's progress (redrawn at most ten times a second, after a quarter second).
    func scanned(_ p: ScanProgress) {
        guard enabled else { return }
        let now = Deadline.now()
        guard now - started > 250_000_000, now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        var text = Self.line(p, total: total, seconds: Double(now - started) / 1e9)
        if let pass { text = pass + ": " + text }
        if let done { text += "; " + done }
        console.err.write("\r\u{1B}[K" + text)
        console.err.flush()
        drawn = true
    }

    /// The progress line for `p` after `seconds`.
    static func line(_ p: ScanProgress, total: Int64?, seconds: Double) -> String {
        let rate = seconds > 0 ? Double(p.examined) / seconds : 0
        var text = "scanned \(grouped(p.examined))"
        if let total, total > 0 {
            let shown = min(Int64(p.examined), total)
            text += " of \(grouped(Int(total))) keys (\(Int(Double(shown) * 100 / Double(total)))%)"
        } else {
            text += " keys"
        }
        text += ", \(grouped(p.matched)) matched, \(grouped(Int(rate)))/s"
        if let total, rate > 0, Int64(p.examined) < total {
            text += ", ~\(Int((Double(total) - Double(p.examined)) / rate) + 1)s left"
        }
        return text
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(abs(n)))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return n < 0 ? "-" + out : out
    }

    /// Clears the line.
    func finish() {
        guard drawn else { return }
        console.err.write("\r\u{1B}[K")
        console.err.flush()
        drawn = false
    }
}
