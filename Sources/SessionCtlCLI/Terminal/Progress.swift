import RedisClient
import SessionBasics

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
        let text = Self.fitted(p, total: total, seconds: Double(now - started) / 1e9, pass: pass, done: done, width: console.columns())
        console.err.write("\r\u{1B}[K" + text)
        console.err.flush()
        drawn = true
    }

    /// The progress line for `p` after `seconds`.
    static func line(_ p: ScanProgress, total: Int64?, seconds: Double) -> String {
        fitted(p, total: total, seconds: seconds, pass: nil, done: nil, width: nil)
    }

    /// The line, fitted to a terminal `width` columns wide (one column spare, so it never wraps):
    /// the rate and the time left go first, then the long form of the count, then it is cut.
    static func fitted(_ p: ScanProgress, total: Int64?, seconds: Double, pass: String?, done: String?, width: Int?) -> String {
        let rate = seconds > 0 ? Double(p.examined) / seconds : 0
        var long = "scanned \(grouped(p.examined))"
        var short = "\(grouped(p.examined)) keys"
        if let total, total > 0 {
            let shown = min(Int64(p.examined), total)
            let percent = Int(Double(shown) * 100 / Double(total))
            long += " of \(grouped(Int(total))) keys (\(percent)%)"
            short = "\(percent)%"
        } else {
            long += " keys"
        }
        let matched = "\(grouped(p.matched)) matched"
        let speed = "\(grouped(Int(rate)))/s"
        var left: String?
        if let total, rate > 0, Int64(p.examined) < total { left = "~\(Int((Double(total) - Double(p.examined)) / rate) + 1)s left" }
        func compose(_ count: String, _ rest: [String?], _ done: String?) -> String {
            var text = ([count] + rest.compactMap { $0 }).joined(separator: ", ")
            if let pass { text = pass + ": " + text }
            if let done { text += "; " + done }
            return text
        }
        let candidates = [
            compose(long, [matched, speed, left], done), compose(long, [matched, left], done), compose(long, [matched], done),
            compose(short, [matched], done), compose(short, [], done), compose(short, [], nil),
        ]
        guard let width else { return candidates[0] }
        let room = max(width - 1, 10)
        if let fits = candidates.first(where: { DisplayWidth.of($0) <= room }) { return fits }
        return String(candidates.last!.prefix(room))
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

    /// Draws a line of its own (a wait, not a scan), cut to the terminal's width, at most ten times a second.
    func status(_ text: String) {
        guard enabled else { return }
        let now = Deadline.now()
        guard now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        let room = max((console.columns() ?? 80) - 1, 10)
        console.err.write("\r\u{1B}[K" + (DisplayWidth.of(text) <= room ? text : String(text.prefix(room))))
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
