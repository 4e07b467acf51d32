import COpenSSL
import RedisClient
import SessionKit
#if canImport(Glibc)
import Glibc
#endif

/// The audit trail of destructive commands: one JSON line per affected user, appended to
/// `--audit-log` (default `$SESSIONCTL_AUDIT_LOG`) and `XADD`ed to `--audit-stream`,
/// written and synced *before* the keys it describes are deleted.
///
/// Session ids and keys are bearer secrets: the trail holds their SHA-256 digests only.
final class AuditTrail {
    private let command: String
    private let actor: String
    private let reason: String?
    private let host: String
    private let path: String?
    private let fd: Int32?
    private let stream: [UInt8]?
    /// Where `XADD` goes; set once connected.
    var keyspace: RedisKeyspace?

    /// Opens the log file (creating it, mode 0600) so that a bad path fails before anything is scanned.
    init(_ ctx: CommandContext) throws {
        let inv = ctx.invocation
        let env = ctx.console.environment
        command = inv.command.rawValue
        actor = inv.actor ?? [env["SUDO_USER"], env["USER"]].compactMap { $0 }.first { !$0.isEmpty } ?? "unknown"
        reason = inv.reason
        var name = [CChar](repeating: 0, count: 256)
        host = gethostname(&name, name.count) == 0 ? String(cString: name) : "unknown"
        stream = inv.auditStream
        let log = inv.auditLog ?? env["SESSIONCTL_AUDIT_LOG"].flatMap { $0.isEmpty ? nil : $0 }
        path = log
        if let log, !inv.dryRun {
            let opened = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard opened >= 0 else {
                throw CLIError("cannot open the audit log '\(log)': \(String(cString: strerror(errno))); nothing was deleted", code: .failure)
            }
            fd = opened
        } else {
            fd = nil
        }
    }

    deinit {
        if let fd { close(fd) }
    }

    /// Whether any record will be written.
    var isEnabled: Bool { fd != nil || stream != nil }

    /// Writes one record per user of `refs`; throws (so nothing is deleted) when it cannot.
    func record(_ refs: [SessionRef], event: String) throws {
        guard isEnabled, !refs.isEmpty else { return }
        var order: [[UInt8]] = []
        var byUser: [[UInt8]: [SessionRef]] = [:]
        for r in refs {
            if byUser[r.user] == nil { order.append(r.user) }
            byUser[r.user, default: []].append(r)
        }
        let time = Self.now()
        let records: [[(String, JSON)]] = order.map { user in
            let sessions = byUser[user]!
            return [("time", .string(time)), ("actor", .string(actor)), ("reason", reason.map { .string($0) } ?? .null),
                    ("host", .string(host)), ("command", .string(command)), ("event", .string(event)), ("user", .bytes(user)),
                    (event.hasSuffix("_failed") ? "sessions_failed" : "sessions_revoked", .int(Int64(sessions.count))),
                    ("session_id_sha256", .array(sessions.map { .string(Self.sha256($0.session)) })),
                    ("session_key_sha256", .array(sessions.map { .string(Self.sha256($0.sessionKey)) }))]
        }
        if let fd {
            let text = records.map { JSON.object($0).render(pretty: false) + "\n" }.joined()
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    throw CLIError("cannot write the audit log '\(path ?? "")': \(String(cString: strerror(errno))); nothing more was deleted", code: .failure)
                }
                offset += n
            }
            guard fsync(fd) == 0 || errno == EINVAL else {
                throw CLIError("cannot sync the audit log '\(path ?? "")': \(String(cString: strerror(errno))); nothing more was deleted", code: .failure)
            }
        }
        if let stream, let keyspace {
            let commands = records.map { fields -> [[UInt8]] in
                var c: [[UInt8]] = [Array("XADD".utf8), stream, Array("*".utf8)]
                for (name, value) in fields {
                    c.append(Array(name.utf8))
                    switch value {
                    case .string(let s): c.append(Array(s.utf8))
                    case .bytes(let b): c.append(b)
                    case .int(let i): c.append(Array(String(i).utf8))
                    case .array(let items): c.append(Array(items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }.joined(separator: ",").utf8))
                    default: c.append([])
                    }
                }
                return c
            }
            let replies: [RESPValue]
            do {
                replies = try keyspace.send(commands)
            } catch {
                throw CLIError("cannot write the audit stream: \(error); nothing more was deleted", code: .failure)
            }
            if let bad = replies.first(where: { $0.redisError != nil })?.redisError {
                throw CLIError("cannot write the audit stream: \(bad.message); nothing more was deleted", code: .failure)
            }
        }
    }

    /// The current time in RFC 3339, UTC, with milliseconds.
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ n: Int32, _ width: Int = 2) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }

    /// The SHA-256 of `bytes` in lower-case hex.
    static func sha256(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { raw in
            EVP_Digest(raw.baseAddress, raw.count, &digest, &length, EVP_sha256(), nil)
        }
        let hex = Array("0123456789abcdef")
        return String(digest.prefix(Int(length)).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] })
    }
}
