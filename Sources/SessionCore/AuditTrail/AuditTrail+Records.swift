import SessionBasics
import SessionCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// How a record is built: the ECS fields every record shares, a batch's sessions split over parts
/// within ``AuditTrail/maxLine``, and the bounded text, time and names the records carry.
extension AuditTrail {
    /// The records of one event, `sessions` (each a JSON object, written) split over as many parts
    /// as keep each line within ``maxLine``.
    func records(
        action: String, category: String, type: String, outcome: String, owner: Bytes? = nil, extra: [(String, JSON)],
        sessions: [[UInt8]]? = nil, eventExtra: [(String, JSON)] = []
    ) -> [AuditRecord] {
        let time = Self.now()
        var event: [(String, JSON)] = [
            ("kind", .string("event")), ("category", .array([.string(category)])), ("type", .array([.string(type)])), ("action", .string(action)),
            ("outcome", .string(outcome)),
        ]
        if let reason = context.reason { event.append(("reason", .string(Self.bounded(reason, 1_024)))) }
        event += eventExtra
        var user: [(String, JSON)] = [("name", .string(Self.bounded(context.actor, 256)))]
        if let owner {
            // The session's owner; an id too long to hold whole is named by its digest.
            user.append(("target", .object(owner.count <= 256 ? [("name", .bytes(owner))] : [("hash", .string(Digest.sha256Hex(owner)))])))
        }
        let head: [(String, JSON)] = [
            ("@timestamp", .string(time)), ("event", .object(event)), ("user", .object(user)),
            ("host", .object([("name", .string(Self.bounded(context.host, 256)))])),
            ("service", .object([("name", .string("sessionctl")), ("version", .string(context.version))])),
            ("trace", .object([("id", .string(run))])),
        ]
        let base: [(String, JSON)] =
            [
                ("command", .string(context.command)), ("context", context.contextName.map { .string(Self.bounded($0, 256)) } ?? .null),
                ("target", target?.json ?? .null),
            ] + extra
        // The line up to the sessions array (the `sessionctl` object's last field), or whole without one.
        func opening(_ part: Int, _ parts: Int, sessions: Bool) -> [UInt8] {
            var fields = base
            if sessions { fields += [("part", .int(Int64(part))), ("parts", .int(Int64(parts))), ("sessions", .raw(""))] }
            // Open again: the chain is the sessionctl object's last field, added as the line is written.
            return Array(JSON.object(head + [("sessionctl", .object(fields))]).render(pretty: false).utf8.dropLast(2))
        }
        guard let sessions else { return [AuditRecord(body: opening(1, 1, sessions: false), action: action, run: run, timestamp: time)] }
        // Greedy packing: the fixed part measured once (with the widest part numbers), then entries while they fit.
        let room = Self.maxLine - Self.chainRoom - opening(99_999, 99_999, sessions: true).count - 2
        var cuts: [Range<Int>] = []
        var start = 0
        var size = 0
        for (i, e) in sessions.enumerated() {
            let n = e.count + 1
            if i > start && size + n > room {
                cuts.append(start..<i)
                start = i
                size = 0
            }
            size += n
        }
        cuts.append(start..<sessions.count)
        return cuts.enumerated().map { k, r in
            var body = opening(k + 1, cuts.count, sessions: true)
            body.reserveCapacity(body.count + r.reduce(2) { $0 + sessions[$1].count + 1 })
            body.append(UInt8(ascii: "["))
            for i in r {
                if i > r.lowerBound { body.append(UInt8(ascii: ",")) }
                body += sessions[i]
            }
            body.append(UInt8(ascii: "]"))
            return AuditRecord(body: body, action: action, run: run, timestamp: time)
        }
    }

    /// `text` cut (on a character's edge, and marked) so that it takes at most `limit` bytes
    /// written as a JSON string: control characters count six (`\u0001`), quotes and backslashes two.
    public static func bounded(_ text: String, _ limit: Int) -> String {
        func cost(_ c: Character) -> Int {
            c.unicodeScalars.reduce(0) { n, s in
                switch s.value {
                case 0x22, 0x5C, 0x0A, 0x0D, 0x09: return n + 2
                case 0..<0x20, 0x7F, 0x2028, 0x2029: return n + 6
                default: return n + String(s).utf8.count
                }
            }
        }
        var total = 0
        for c in text { total += cost(c) }
        guard total > limit else { return text }
        var out = ""
        var size = 0
        for c in text {
            if size + cost(c) > limit - 12 { break }
            size += cost(c)
            out.append(c)
        }
        return out + "…(cut)"
    }

    /// The current time in RFC 3339, UTC, with milliseconds.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int32, _ width: Int = 2) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return
            "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }

    /// The name of the account this process runs as (`getpwuid_r` of the effective uid), or
    /// `uid N` when the system has no name for it: the actor where `$SUDO_USER` and `$USER` are unset.
    public static func accountName() -> String {
        let uid = geteuid()
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let rc = getpwuid_r(uid, &entry, &buffer, buffer.count, &found)
        guard rc == 0, found != nil, let name = entry.pw_name, name.pointee != 0 else { return "uid \(uid)" }
        return String(cString: name)
    }

    /// This machine's name, or `unknown`.
    public static func hostName() -> String {
        var name = [UInt8](repeating: 0, count: 256)
        let ok = name.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { gethostname($0, buf.count - 1) }
        }
        guard ok == 0 else { return "unknown" }
        return String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
    }
}
