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

/// The audit trail of the commands that change keys: a run is a story with an end.
///
/// `run_start` (command, arguments without secrets, target, context, actor, reason) before
/// anything is read; before each batch is deleted, its records (one user's sessions each, by
/// SHA-256 digest: session ids are bearer secrets), written and synced *first*; after the batch,
/// what the server confirmed; then what the watch after deleting saw and what the application
/// answered; a `nothing_to_do` record when there was nothing; and `run_end` (outcome, counts,
/// exit status, duration), also after Ctrl-C or a failure. Every record is one line of at most
/// ``maxLine`` bytes, in Elastic Common Schema names where one fits and `sessionctl.*` for the
/// rest (`schema/audit-record.schema.json`); a batch too large for one line is split into parts.
/// In the log file each record carries the digest of the line before it (``AuditLogFile``).
public final class AuditTrail {
    /// The longest line a record may be, in bytes: within 8 KiB, with room for a syslog header
    /// (rsyslog's default maxMessageSize is 8,096 bytes) and the chain.
    public static let maxLine = 7_680
    /// What the chain adds at most: `,"chain":{"seq":…,"prev_sha256":"…"}}}`.
    static let chainRoom = 128

    /// Who acts, why, from where, with which command.
    public struct Context: Sendable {
        public var actor: String
        public var reason: String?
        public var host: String
        public var command: String
        /// The command line, secrets removed (`AuditTrail.publicArguments`).
        public var arguments: [String]
        /// The configuration file's context, when one was used.
        public var contextName: String?
        /// sessionctl's version.
        public var version: String

        /// The context of one run; `host` defaults to this machine's name.
        public init(
            actor: String, reason: String?, command: String, arguments: [String] = [], contextName: String? = nil, version: String = "",
            host: String = AuditTrail.hostName()
        ) {
            self.actor = actor
            self.reason = reason
            self.command = command
            self.arguments = arguments
            self.contextName = contextName
            self.version = version
            self.host = host
        }
    }

    /// The store a command changed, without credentials, in one shape for every store.
    public struct Target: Sendable, Equatable {
        /// `redis`, or the SQL engine: `postgres`, `mysql`, `sqlite`.
        public var kind: String
        /// Where it is, for messages (`host:port`, `postgres://app@db:5432/app/sessions`).
        public var endpoint: String
        /// The server's address alone: `host:port`, a socket's path, a database file.
        public var address: String
        /// The Redis database number, or the SQL database's name.
        public var database: String
        /// The SQL table; none on Redis.
        public var table: String?
        public var cluster: Bool
        public var tls: Bool

        public init(
            kind: String, endpoint: String, address: String? = nil, database: String, table: String? = nil, cluster: Bool, tls: Bool
        ) {
            self.kind = kind
            self.endpoint = endpoint
            self.address = address ?? endpoint
            self.database = database
            self.table = table
            self.cluster = cluster
            self.tls = tls
        }

        var json: JSON {
            .object([
                ("kind", .string(kind)), ("endpoint", .string(AuditTrail.bounded(address, 512))),
                ("database", .string(AuditTrail.bounded(database, 256))),
                ("table", table.map { .string(AuditTrail.bounded($0, 256)) } ?? .null), ("cluster", .bool(cluster)), ("tls", .bool(tls)),
            ])
        }
    }

    let context: Context
    private var sinks: [any AuditSink]
    private var journal: AuditLogFile?
    /// What the records are about; set once connected, before ``start()``.
    public var target: Target?
    /// This run's id (`trace.id`): 32 hexadecimal digits.
    public let run: String
    private let startedAt: String
    private let startedNanoseconds: UInt64
    private var started = false
    private var ended = false
    /// Whether a record of a change (a deletion, a mapping) went out: after one, a failure says "nothing more".
    private var changed = false
    /// The first record a sink could not take: after it no more is deleted, and the run fails.
    public private(set) var lost: AuditTrailError?
    /// What the run did, for `run_end`.
    private var counts: [(String, Int)] = []
    /// The digests of session ids and keys, written as hex into the records.
    private let digests = SHA256HexWriter()

    /// A trail writing to `sinks` (none: records are dropped).
    public init(_ context: Context, sinks: [any AuditSink] = []) {
        self.context = context
        self.sinks = sinks
        run = Digest.hex(CookieCrypto.randomBytes(16) ?? Array(Digest.sha256(Array("\(getpid()) \(Deadline.now())".utf8)).prefix(16)))
        startedAt = Self.now()
        startedNanoseconds = Deadline.now()
    }

    /// The chained log file: its records are written first, and its chain goes to every sink.
    public func add(_ file: AuditLogFile) {
        journal = file
    }

    /// Adds a sink (the stream, syslog).
    public func add(_ sink: any AuditSink) {
        sinks.append(sink)
    }

    /// Whether any record will be written.
    public var isEnabled: Bool { journal != nil || !sinks.isEmpty }

    // MARK: The run

    /// `run_start`: before anything is read. Throws (so nothing is done) when a sink cannot take it.
    public func start() throws(AuditTrailError) {
        guard isEnabled, !started else { return }
        started = true
        var arguments: [JSON] = []
        var size = 0
        var omitted = 0
        for a in context.arguments {
            let text = Self.bounded(a, 256)
            if size + text.utf8.count > 2_048 {
                omitted += 1
                continue
            }
            size += text.utf8.count + 3
            arguments.append(.string(text))
        }
        var extra: [(String, JSON)] = [("arguments", .array(arguments))]
        if omitted > 0 { extra.append(("arguments_omitted", .int(Int64(omitted)))) }
        try emit(
            records(
                action: "run_start", category: "process", type: "start", outcome: "unknown", extra: extra, eventExtra: [("start", .string(startedAt))]
            ),
            sync: true)
    }

    /// `run_end`: the outcome (success only for exit status 0), the counts, the exit status and
    /// the duration. Written whatever ended the run; a record of "nothing to do" first when a run
    /// that could change keys changed none. Returns the error when a sink could not take it.
    public func end(exitStatus: Int32, error: String?) -> AuditTrailError? {
        guard isEnabled, started, !ended else { return nil }
        ended = true
        do {
            // One write for both: a sink that refuses cannot keep the end out of the log file.
            var out = changed ? [] : records(action: "nothing_to_do", category: "session", type: "info", outcome: "success", extra: [])
            let nanoseconds = Deadline.now() - startedNanoseconds
            var extra: [(String, JSON)] = [
                ("exit_code", .int(Int64(exitStatus))), ("counts", .object(counts.map { ($0.0, .int(Int64($0.1))) })),
            ]
            if let error { extra.append(("error", .string(Self.bounded(error, 1_024)))) }
            out += records(
                action: "run_end", category: "process", type: "end", outcome: exitStatus == 0 ? "success" : "failure", extra: extra,
                eventExtra: [("start", .string(startedAt)), ("end", .string(Self.now())), ("duration", .int(Int64(nanoseconds)))])
            try emit(out, sync: true)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Records of what is done

    /// One record per user of `refs` (split to fit), written to every sink and synced before the
    /// keys they describe are deleted; throws (so nothing is deleted) when one cannot take them.
    /// `event` is `revoke`, `prune`, `index_build` (mappings written), or `revoke_all`.
    public func record(_ refs: [SessionRef], event: String) throws(AuditTrailError) {
        guard isEnabled, !refs.isEmpty else { return }
        try refuseAfterLoss()
        if event == "index_build" { count("sessions_mapped", refs.count) }
        let out = byUser(refs).flatMap { user, sessions in
            records(
                action: event, category: "session", type: event == "index_build" ? "info" : "end", outcome: "unknown", owner: user,
                extra: [("phase", .string("before")), ("batch_sessions", .int(Int64(sessions.count)))], sessions: sessions.map(entry))
        }
        try emit(out, sync: true)
        changed = true
    }

    /// `--evidence`: the file the sessions of the next batch were written to, before they are
    /// deleted, with its SHA-256 and size after them (written and synced first, like the batch's own record).
    public func recordEvidence(path: String, sha256: String, sessions: Int, bytes: Int, first: Bool) throws(AuditTrailError) {
        guard isEnabled else { return }
        try refuseAfterLoss()
        count("sessions_in_evidence", sessions)
        try emit(
            records(
                action: "evidence", category: "file", type: first ? "creation" : "change", outcome: "success",
                extra: [
                    (
                        "evidence",
                        .object([
                            ("path", .string(Self.bounded(path, 1_024))), ("sha256", .string(sha256)), ("sessions", .int(Int64(sessions))),
                            ("bytes", .int(Int64(bytes))),
                        ])
                    )
                ]),
            sync: true)
    }

    /// `revoke_all`'s page: the session keys it is about to delete (no user: the pages are of keys).
    public func record(keys: [Bytes]) throws(AuditTrailError) {
        guard isEnabled, !keys.isEmpty else { return }
        try refuseAfterLoss()
        let out = records(
            action: "revoke_all", category: "session", type: "end", outcome: "unknown",
            extra: [("phase", .string("before")), ("batch_sessions", .int(Int64(keys.count)))],
            sessions: keys.map { key in
                var out = Array(#"{"key_sha256":""#.utf8)
                digests.append(digestOf: key, to: &out)
                out += #""}"#.utf8
                return out
            })
        try emit(out, sync: true)
        changed = true
    }

    /// After a batch: what the server confirmed. One record with the counts (success when nothing
    /// failed), and one per user whose deletions failed, naming them.
    public func recordOutcome(_ outcome: DeletionOutcome, event: String) throws(AuditTrailError) {
        guard isEnabled, !(outcome.deleted.isEmpty && outcome.failed.isEmpty) else { return }
        count("sessions_deleted", outcome.deleted.count)
        count("sessions_failed", outcome.failed.count)
        var out = records(
            action: event, category: "session", type: "end", outcome: outcome.failed.isEmpty ? "success" : "failure",
            extra: [
                ("phase", .string("after")),
                ("counts", .object([("deleted", .int(Int64(outcome.deleted.count))), ("failed", .int(Int64(outcome.failed.count)))])),
            ])
        for (user, sessions) in byUser(outcome.failed) {
            out += records(
                action: event, category: "session", type: "end", outcome: "failure", owner: user, extra: [("phase", .string("after"))],
                sessions: sessions.map(entry))
        }
        // Not write-ahead: synced with the next batch's records or the run's end.
        try emit(out, sync: false)
    }

    /// After a page of `revoke-all`: what the server confirmed, in counts (a key not confirmed was
    /// gone already, or its deletion failed: the run's completeness says which).
    public func recordOutcome(deleted: Int, unconfirmed: Int) throws(AuditTrailError) {
        guard isEnabled, deleted + unconfirmed > 0 else { return }
        count("sessions_deleted", deleted)
        count("sessions_unconfirmed", unconfirmed)
        try emit(
            records(
                action: "revoke_all", category: "session", type: "end", outcome: unconfirmed == 0 ? "success" : "unknown",
                extra: [
                    ("phase", .string("after")),
                    ("counts", .object([("deleted", .int(Int64(deleted))), ("unconfirmed", .int(Int64(unconfirmed)))])),
                ]),
            sync: false)
    }

    /// What the watch after deleting saw, a session at a time: `written_back` (written again, and
    /// deleted again) or `not_held` (kept coming back: not revoked).
    public func recordSettle(_ refs: [SessionRef], event: String) throws(AuditTrailError) {
        guard isEnabled, !refs.isEmpty else { return }
        count("sessions_" + event, refs.count)
        let out = byUser(refs).flatMap { user, sessions in
            records(
                action: event, category: "session", type: "end", outcome: event == "not_held" ? "failure" : "success", owner: user, extra: [],
                sessions: sessions.map(entry))
        }
        try emit(out, sync: true)
    }

    /// What the application answered for each session `--verify-url` asked about, a session at
    /// a time: `refused` is a success, `logged_in` a failure, anything else proves nothing.
    public func recordVerification(_ checks: [Verification], url: String) throws(AuditTrailError) {
        guard isEnabled, !checks.isEmpty else { return }
        var order: [[UInt8]] = []
        var groups: [[UInt8]: [Verification]] = [:]
        for c in checks {
            let key = c.ref.user + [0] + Array(c.answer.name.utf8)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(c)
        }
        var out: [AuditRecord] = []
        for key in order {
            let group = groups[key]!
            let answer = group[0].answer.name
            count("verified_" + answer, group.count)
            out += records(
                action: "verify", category: "session", type: "info",
                outcome: answer == "refused" ? "success" : answer == "logged_in" ? "failure" : "unknown", owner: group[0].ref.user,
                extra: [("url", .string(Self.bounded(url, 512))), ("result", .string(answer))],
                sessions: group.map { c in
                    Array(
                        JSON.object([
                            ("id_sha256", .string(Digest.sha256Hex(c.ref.session))), ("status", c.answer.status.map { .int(Int64($0)) } ?? .null),
                        ]).render(pretty: false).utf8)
                })
        }
        try emit(out, sync: true)
    }

    // MARK: Building and writing

    private func emit(_ records: [AuditRecord], sync: Bool) throws(AuditTrailError) {
        guard !records.isEmpty else { return }
        do {
            let lines = try journal?.append(records, sync: sync) ?? records.map { $0.line(chain: nil) }
            for sink in sinks { try sink.write(lines, sync: sync) }
        } catch {
            let failure = AuditTrailError(error.message + (changed ? "; nothing more was deleted" : "; nothing was deleted"))
            if lost == nil { lost = failure }
            throw failure
        }
    }

    /// A record after the deletions (an outcome, the watch's findings) that a sink refused stops
    /// the run as a record before them would: nothing more is deleted.
    private func refuseAfterLoss() throws(AuditTrailError) {
        if let lost { throw AuditTrailError("an earlier audit record could not be written (\(lost.message))") }
    }

    private func count(_ name: String, _ n: Int) {
        guard n > 0 else { return }
        if let i = counts.firstIndex(where: { $0.0 == name }) { counts[i].1 += n } else { counts.append((name, n)) }
    }

    private func byUser(_ refs: [SessionRef]) -> [(Bytes, [SessionRef])] {
        // One user's batch (revoke-user, the common case) needs no grouping.
        if let first = refs.first, refs.allSatisfy({ $0.user == first.user }) { return [(first.user, refs)] }
        var order: [Bytes] = []
        var groups: [Bytes: [SessionRef]] = [:]
        for r in refs {
            if groups[r.user] == nil { order.append(r.user) }
            groups[r.user, default: []].append(r)
        }
        return order.map { ($0, groups[$0]!) }
    }

    /// A session as the records list it, as JSON: its id's and key's digests (hex digits only, written here as bytes).
    private func entry(_ ref: SessionRef) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160)
        out += #"{"id_sha256":""#.utf8
        digests.append(digestOf: ref.session, to: &out)
        out += #"","key_sha256":""#.utf8
        digests.append(digestOf: ref.sessionKey, to: &out)
        out += #""}"#.utf8
        return out
    }
}

extension AuditTrailError: ClassifiedError {
    public var failureClass: FailureClass { .failure }
}
