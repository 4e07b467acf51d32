import SessionBasics
import SessionCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Why the audit trail could not be written; nothing more is deleted then (exit status 1).
public struct AuditTrailError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One line for the operator.
    public let message: String

    /// An error with its message.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Where audit records go: a file, a Redis stream. A sink writes a batch of records durably
/// or throws, and then nothing of that batch is deleted.
public protocol AuditSink: AnyObject {
    /// Writes `records` (JSON objects, one per affected user) durably.
    func write(_ records: [[(String, JSON)]]) throws(AuditTrailError)
}

/// The audit trail of destructive commands: one JSON record per affected user, written to
/// every sink *before* the keys it describes are deleted.
///
/// Session ids and keys are bearer secrets: the trail holds their SHA-256 digests only.
public final class AuditTrail {
    /// Who acts, why, from where, with which command.
    public struct Context: Sendable {
        public var actor: String
        public var reason: String?
        public var host: String
        public var command: String

        /// The context of one run; `host` defaults to this machine's name.
        public init(actor: String, reason: String?, command: String, host: String = AuditTrail.hostName()) {
            self.actor = actor
            self.reason = reason
            self.command = command
            self.host = host
        }
    }

    /// The server or cluster a destructive command changed, without credentials.
    public struct Target: Sendable, Equatable {
        public var endpoint: String
        public var database: Int
        public var cluster: Bool
        public var tls: Bool

        public init(endpoint: String, database: Int, cluster: Bool, tls: Bool) {
            self.endpoint = endpoint
            self.database = database
            self.cluster = cluster
            self.tls = tls
        }
    }

    private let context: Context
    private var sinks: [any AuditSink]
    /// What the records are about; set once connected.
    public var target: Target?

    /// A trail writing to `sinks` (none: records are dropped).
    public init(_ context: Context, sinks: [any AuditSink] = []) {
        self.context = context
        self.sinks = sinks
    }

    /// Adds a sink (the stream, once connected).
    public func add(_ sink: any AuditSink) {
        sinks.append(sink)
    }

    /// Whether any record will be written.
    public var isEnabled: Bool { !sinks.isEmpty }

    /// Writes one record per user of `refs` to every sink; throws (so nothing is deleted) when one cannot.
    /// `event` is `revoke`, `prune` or `index_build` (mappings written), or with `_failed` a correction for deletions that did not happen;
    /// after a revocation, `written_back` (keys that came back and were deleted again) and `kept_coming_back` (given up on).
    public func record(_ refs: [SessionRef], event: String) throws(AuditTrailError) {
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
            return [
                ("time", .string(time)), ("actor", .string(context.actor)), ("reason", context.reason.map { .string($0) } ?? .null),
                ("host", .string(context.host)),
                (
                    "target",
                    target.map { t in
                        .object([
                            ("endpoint", .string(t.endpoint)), ("database", .int(Int64(t.database))),
                            ("cluster", .bool(t.cluster)), ("tls", .bool(t.tls)),
                        ])
                    } ?? .null
                ),
                ("command", .string(context.command)), ("event", .string(event)), ("user", .bytes(user)),
                (Self.countName(event), .int(Int64(sessions.count))),
                ("session_id_sha256", .array(sessions.map { .string(Digest.sha256Hex($0.session)) })),
                ("session_key_sha256", .array(sessions.map { .string(Digest.sha256Hex($0.sessionKey)) })),
            ]
        }
        for sink in sinks { try sink.write(records) }
    }

    /// One record per session `--verify-url` asked about: what the application answered
    /// (`refused`, `logged_in`, `failed`, `no_cookie`), its status, and the URL asked (no cookie).
    public func recordVerification(_ checks: [Verification], url: String) throws(AuditTrailError) {
        guard isEnabled, !checks.isEmpty else { return }
        let time = Self.now()
        let records: [[(String, JSON)]] = checks.map { c in
            [
                ("time", .string(time)), ("actor", .string(context.actor)), ("reason", context.reason.map { .string($0) } ?? .null),
                ("host", .string(context.host)),
                (
                    "target",
                    target.map { t in
                        .object([
                            ("endpoint", .string(t.endpoint)), ("database", .int(Int64(t.database))),
                            ("cluster", .bool(t.cluster)), ("tls", .bool(t.tls)),
                        ])
                    } ?? .null
                ),
                ("command", .string(context.command)), ("event", .string("verify")), ("user", .bytes(c.ref.user)),
                ("session_id_sha256", .array([.string(Digest.sha256Hex(c.ref.session))])),
                ("verify_url", .string(url)), ("result", .string(c.answer.name)), ("status", c.answer.status.map { .int(Int64($0)) } ?? .null),
            ]
        }
        for sink in sinks { try sink.write(records) }
    }

    /// The name of a record's count: `sessions_revoked` for a revocation, `sessions_<event>` for what follows it.
    static func countName(_ event: String) -> String {
        if event.hasSuffix("_failed") { return "sessions_failed" }
        switch event {
        case "index_build": return "sessions_mapped"
        case "written_back", "kept_coming_back", "verified": return "sessions_" + event
        default: return "sessions_revoked"
        }
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

extension AuditTrailError: ClassifiedError {
    public var failureClass: FailureClass { .failure }
}
