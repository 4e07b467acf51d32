import SQLClient
import SessionBasics
import SessionCore
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// Sessions in a SQL table (Laravel's database driver, Django's `django_session`), answering the
/// same questions as the Redis store with the same value types. A row is a session: its key is the
/// row's id (`session_key` in the output), and there are no mapping keys. A row the framework
/// would no longer accept (past Laravel's lifetime, past Django's `expire_date`) is reported as gone.
/// Every statement is parameterised; ids are data.
public final class SQLSessionStore {
    public let connection: any SQLConnection
    public let table: SQLSessionTable
    /// Where it is, for messages and the audit trail (no password).
    public let display: String
    public let tls: Bool
    /// What it was made with: the lifetime, payload reading, filters, page sizes, the watch.
    public let configuration: Configuration
    /// How payloads are decoded: the schema's framework, with the app key given.
    public let payloadReader: PayloadReader
    /// Where a decoded payload keeps the user and the rest.
    public let fieldPaths: FieldPaths

    /// Everything a SQL store is given when it is made: nothing about it changes afterwards.
    public struct Configuration {
        /// The server's host (or the database file), which an operator types to confirm `revoke-all`.
        public var host = "localhost"
        /// For the audit trail's target: the engine (`postgres`, `mysql`, `sqlite`), the server's
        /// address (`host:port`, a socket's path, the database file) and the database's name.
        public var engine = "sql"
        public var address = ""
        public var database = ""
        /// Laravel's `session.lifetime` in seconds (`--lifetime`, default 120 minutes).
        public var lifetime: Int64 = 7200
        /// Laravel's `APP_KEY` (`--app-key-file`), for encrypted payloads.
        public var appKey: [UInt8]?
        /// Where a decoded payload keeps the user and the rest; `nil` for the schema's framework's own.
        public var fieldPaths: FieldPaths?
        /// Which sessions `list`, `revoke-user` and `revoke-all` keep.
        public var filter = SessionFilter()
        /// The memory `users`, `audit` and `snapshot` may spend on what they count (`--memory-limit`).
        public var memory = MemoryLimit()
        /// Rows per statement naming ids (an `IN` list).
        public var batchSize = 500
        /// `--settle`: how long a quiet window the deleted rows are watched for write-backs (0: not watched).
        public var settleWindow: Double = 0
        /// Called as the watch goes on, for a progress line on a terminal.
        public var settleProgress: ((SettleProgress) -> Void)?
        /// Rows per page of a full pass (keyset pagination).
        public var pageSize = 5000
        /// Called after each page of a full pass (rows read so far).
        public var progress: (ScanProgress) -> Void = { _ in }

        /// The defaults: every row, a 120-minute lifetime, no watch.
        public init() {}
    }

    let quotedTable: String
    let cancellation: Cancellation?

    public init(
        connection: any SQLConnection, table: SQLSessionTable, display: String, tls: Bool, cancellation: Cancellation? = nil,
        configuration: Configuration = Configuration()
    ) throws {
        self.connection = connection
        self.table = table
        self.display = display
        self.tls = tls
        self.cancellation = cancellation
        self.configuration = configuration
        quotedTable = try connection.quote(table.name)
        payloadReader = PayloadReader(kind: table.schema == .laravel ? .laravel : .django, appKey: configuration.appKey)
        // The framework's own field paths (its login key, created_at, ip, …), as on Redis, unless others are given.
        fieldPaths = configuration.fieldPaths ?? Framework.named(table.schema.rawValue)?.fields ?? .generic
    }

    // MARK: The configuration, where the operations read it

    public var host: String { configuration.host }
    var lifetime: Int64 { configuration.lifetime }
    public var filter: SessionFilter { configuration.filter }
    var memory: MemoryLimit { configuration.memory }
    var batchSize: Int { configuration.batchSize }
    var settleWindow: Double { configuration.settleWindow }
    var settleProgress: ((SettleProgress) -> Void)? { configuration.settleProgress }
    var pageSize: Int { configuration.pageSize }
    var progress: (ScanProgress) -> Void { configuration.progress }

    // MARK: Rows

    /// One row as read: id, user (from the column or the decoded data), times, size, payload.
    struct Row {
        var id: Bytes
        var user: Bytes?
        var ip: Bytes?
        var userAgent: Bytes?
        var payload: Bytes
        /// Laravel's `last_activity`.
        var lastActivity: Double?
        /// Django's `expire_date`, as seconds since 1970.
        var expires: Double?
        /// Why Django's session data does not decode: then the row's user is unknown (not "none").
        var undecodable: String?
    }

    /// The columns read, in the order ``row(_:)`` expects.
    private var selectList: String { columns(withRequestInfo: true) }

    /// The columns read; without the request's IP and user agent for a full pass that does not show them.
    func columns(withRequestInfo: Bool) -> String {
        switch table.schema {
        case .laravel:
            return withRequestInfo ? "id, user_id, ip_address, user_agent, payload, last_activity" : "id, user_id, NULL, NULL, payload, last_activity"
        case .django:
            let epoch: String
            switch connection.engine {
            case .postgres: epoch = "EXTRACT(EPOCH FROM expire_date)"
            case .mysql: epoch = "UNIX_TIMESTAMP(expire_date)"
            case .sqlite: epoch = "CAST(strftime('%s', expire_date) AS INTEGER)"
            }
            return "session_key, session_data, \(epoch)"
        }
    }

    private func row(_ v: [SQLValue]) -> Row {
        switch table.schema {
        case .laravel:
            return Row(
                id: v[0].bytes ?? [], user: v[1].bytes, ip: v[2].bytes, userAgent: v[3].bytes, payload: v[4].bytes ?? [],
                lastActivity: v[5].string.flatMap { Double($0.trimmingCharacters()) })
        case .django:
            var r = Row(id: v[0].bytes ?? [], payload: v[1].bytes ?? [], expires: v[2].string.flatMap { Double($0.trimmingCharacters()) })
            let decoded = payloadReader.decodeDjangoSigned(r.payload)
            if let value = decoded.value { r.user = djangoUser(value) } else { r.undecodable = decoded.error ?? "no decoder recognises it" }
            return r
        }
    }

    /// `_auth_user_id` of Django's decoded session data (a string in JSON, or an integer).
    private func djangoUser(_ v: PayloadValue) -> Bytes? {
        guard let u = v["_auth_user_id"] else { return nil }
        switch u {
        case .string(let b): return b
        case .int(let i): return Array(String(i).utf8)
        default: return nil
        }
    }

    /// The decoded payload of a row.
    func decode(_ r: Row) -> DecodedPayload {
        table.schema == .laravel ? payloadReader.decodeLaravelRow(r.payload) : payloadReader.decodeDjangoSigned(r.payload)
    }

    /// Seconds the framework still accepts the row (≤ 0: it is dead).
    func remaining(_ r: Row, now: Double) -> Int64? {
        if let e = r.expires { return Int64((e - now).rounded(.down)) }
        if let a = r.lastActivity { return Int64((a + Double(lifetime) - now).rounded(.down)) }
        return nil
    }

    func record(_ r: Row, now: Double, details: Bool) -> SessionRecord {
        let ttl = remaining(r, now: now)
        let alive = ttl.map { $0 > 0 } ?? true
        var rec = SessionRecord(ref: ref(r), exists: alive, ttl: alive ? ttl : nil, bytes: alive ? Int64(r.payload.count) : nil)
        if let a = r.lastActivity { rec.idleSeconds = max(0, Int64((now - a).rounded(.down))) }
        if details || filter.needsPayload {
            var f = decode(r).value.map { fieldPaths.extract(from: $0) } ?? SessionFields()
            if let a = r.lastActivity { f.lastSeenAt = a }
            if let ip = r.ip, !ip.isEmpty { f.ip = String(decoding: ip, as: UTF8.self) }
            if let ua = r.userAgent, !ua.isEmpty { f.userAgent = String(decoding: ua, as: UTF8.self) }
            if f.user == nil, let u = r.user { f.user = String(decoding: u, as: UTF8.self) }
            rec.fields = f
        }
        return rec
    }

    func ref(_ r: Row) -> SessionRef {
        SessionRef(user: r.user ?? [], session: r.id, mappingKey: [], sessionKey: r.id)
    }

    // MARK: Reading

    /// Rows whose id is one of `ids`, in statements of ``batchSize``.
    func rows(ids: [Bytes]) throws -> [Row] {
        var out: [Row] = []
        for chunk in ids.chunked(batchSize) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let r = try connection.query(
                "SELECT \(selectList) FROM \(quotedTable) WHERE \(table.schema.idColumn) IN (\(marks))", chunk.map { .text($0) })
            out += r.rows.map(row)
        }
        return out
    }

    /// Rows of `users`: by the indexed `user_id` column (Laravel), or one pass decoding every row (Django).
    /// Django's rows are found by decoding every row: one whose data does not decode may be any
    /// user's, so it is returned apart (`unknown`: its id and why) and the result is incomplete.
    func rows(users: [Bytes]) throws -> (rows: [Row], completeness: Completeness, unknown: [Refusal]) {
        switch table.schema {
        case .laravel:
            // An id that is not an integer matches nothing in an integer column (and is never sent as one).
            let asked = table.integerUsers ? users.filter { Int64(String(decoding: $0, as: UTF8.self)) != nil } : users
            var out: [Row] = []
            for chunk in asked.chunked(batchSize) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let params: [SQLValue] = chunk.map { table.integerUsers ? .int(Int64(String(decoding: $0, as: UTF8.self))!) : .text($0) }
                let r = try connection.query("SELECT \(selectList) FROM \(quotedTable) WHERE user_id IN (\(marks)) ORDER BY user_id, id", params)
                out += r.rows.map(row)
            }
            return (out, Completeness(), [])
        case .django:
            let wanted = Set(users)
            var out: [Row] = []
            var unknown: [Refusal] = []
            var c = try eachRow { r in
                if let u = r.user, wanted.contains(u) {
                    out.append(r)
                } else if let why = r.undecodable {
                    unknown.append(Refusal(user: [], session: r.id, mappingKey: [], sessionKey: r.id, reason: .undecodable(why)))
                }
            }
            if !unknown.isEmpty {
                c.record(
                    PartialFailure(
                        .undecodable, node: display,
                        cause: "session data that does not decode: \(unknown.count == 1 ? "a row" : "\(unknown.count) rows")"),
                    times: unknown.count)
            }
            return (out, c, unknown)
        }
    }

    /// Every row, a page at a time in id order (keyset pagination: no OFFSET), stopping on Ctrl-C.
    func eachRow(requestInfo: Bool = true, _ body: (Row) throws -> Void) throws -> Completeness {
        try eachPage(requestInfo: requestInfo) { page in for r in page { try body(r) } }
    }

    /// Every row, a page at a time in id order (keyset pagination: rows deleted behind the cursor
    /// do not move it), stopping between pages on Ctrl-C.
    func eachPage(requestInfo: Bool = true, _ body: ([Row]) throws -> Void) throws -> Completeness {
        var completeness = Completeness()
        var after: Bytes?
        var examined = 0
        let id = table.schema.idColumn
        while true {
            if cancellation?.isCancelled == true {
                completeness.recordInterruption()
                break
            }
            let page = try connection.query(
                "SELECT \(columns(withRequestInfo: requestInfo)) FROM \(quotedTable)" + (after == nil ? "" : " WHERE \(id) > ?")
                    + " ORDER BY \(id) LIMIT \(pageSize)",
                after.map { [.text($0)] } ?? [])
            try body(page.rows.map(row))
            examined += page.rows.count
            progress(ScanProgress(examined: examined, matched: examined))
            guard page.rows.count == pageSize, let last = page.rows.last?[0].bytes else { break }
            after = last
        }
        return completeness
    }
}

extension Array {
    /// Consecutive slices of at most `n` elements.
    func chunked(_ n: Int) -> [[Element]] {
        stride(from: 0, to: count, by: Swift.max(1, n)).map { Array(self[$0..<Swift.min($0 + n, count)]) }
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
