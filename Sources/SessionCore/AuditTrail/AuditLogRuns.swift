import SessionBasics
import SessionCrypto
import SessionPayload

/// `sessionctl audit-log show FILE`: the runs a log holds, from their records.
public enum AuditLogRuns {
    /// One run, as its records tell it.
    public struct Run: Sendable {
        public var id: String
        public var started: String?
        public var ended: String?
        public var actor: String?
        public var host: String?
        public var command: String?
        public var context: String?
        public var target: String?
        public var reason: String?
        public var arguments: [String] = []
        public var outcome: String?
        public var exitCode: Int?
        public var counts: [(String, Int)] = []
        /// The users whose sessions the run's records name (the first 20), and how many in all
        /// (counted exactly up to ``userCountLimit``, then at least that many: `userCountCapped`).
        public var users: [String] = []
        public var userCount = 0
        public var userCountCapped = false
        public var records = 0
        var seen: Set<String> = []
        var matched = false
        var firstSeen: String?
    }

    /// Distinct users counted per run before the count becomes a lower bound (memory stays bounded).
    public static let userCountLimit = 100_000

    /// What to keep.
    public struct Filter: Sendable {
        public var run: String?
        public var user: Bytes?
        public var since: String?

        public init(run: String? = nil, user: Bytes? = nil, since: String? = nil) {
            self.run = run
            self.user = user
            self.since = since
        }
    }

    /// The runs of the log at `path` that `filter` keeps, in the order they started, and the
    /// number of lines that were not records (counted, not read).
    public static func read(path: String, filter: Filter) throws(AuditTrailError) -> (runs: [Run], unreadable: Int) {
        var lines = try AuditLogLines(path: path)
        defer { lines.close() }
        var order: [String] = []
        var runs: [String: Run] = [:]
        var unreadable = 0
        let userName = filter.user.map { String(decoding: $0, as: UTF8.self) }
        let userHash = filter.user.map { Digest.sha256Hex($0) }
        while let next = try lines.next(limit: AuditTrail.maxLine) {
            guard case .line(let line) = next, let record = try? JSONPayload.decode(line), let id = record["trace"]?["id"]?.text else {
                unreadable += 1
                continue
            }
            if let want = filter.run, !id.hasPrefix(want) { continue }
            if runs[id] == nil {
                order.append(id)
                runs[id] = Run(id: id)
            }
            var run = runs[id]!
            run.records += 1
            let time = record["@timestamp"]?.text
            if run.firstSeen == nil { run.firstSeen = time }
            run.actor = run.actor ?? record["user"]?["name"]?.text
            run.host = run.host ?? record["host"]?["name"]?.text
            run.reason = run.reason ?? record["event"]?["reason"]?.text
            let s = record["sessionctl"]
            run.command = run.command ?? s?["command"]?.text
            run.context = run.context ?? s?["context"]?.text
            if run.target == nil, let t = s?["target"], let endpoint = t["endpoint"]?.text {
                let kind = t["kind"]?.text ?? ""
                let table = t["table"]?.text
                run.target =
                    kind == "redis"
                    ? "\(endpoint) db \(t["database"]?.text ?? "0")" : "\(endpoint)/\(t["database"]?.text ?? "")" + (table.map { "/" + $0 } ?? "")
            }
            if let owner = record["user"]?["target"] {
                let name = owner["name"]?.text
                let hash = owner["hash"]?.text
                if let key = name.map({ "n:" + $0 }) ?? hash.map({ "h:" + $0 }) {
                    if run.seen.count < userCountLimit {
                        if run.seen.insert(key).inserted {
                            run.userCount += 1
                            if let name, run.users.count < 20 { run.users.append(name) }
                        }
                    } else if !run.seen.contains(key) {
                        run.userCountCapped = true
                    }
                }
                if (userName != nil && name == userName) || (userHash != nil && hash == userHash) { run.matched = true }
            }
            switch record["event"]?["action"]?.text {
            case "run_start":
                run.started = time
                if case .list(let items)? = s?["arguments"] { run.arguments = items.compactMap(\.text) }
            case "run_end":
                run.ended = time
                run.outcome = record["event"]?["outcome"]?.text
                if case .int(let code) = s?["exit_code"] { run.exitCode = Int(code) }
                run.counts = (s?["counts"]?.entries ?? []).compactMap { e in
                    guard let name = e.key.text, case .int(let n) = e.value else { return nil }
                    return (name, Int(n))
                }
            default: break
            }
            runs[id] = run
        }
        var out: [Run] = []
        for id in order {
            var run = runs[id]!
            if run.started == nil { run.started = run.firstSeen }
            if let since = filter.since, (run.started ?? "") < since { continue }
            if filter.user != nil && !run.matched { continue }
            out.append(run)
        }
        return (out, unreadable)
    }
}
