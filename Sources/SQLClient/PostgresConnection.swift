import CLibPQ

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL connection over libpq's asynchronous calls, so that connecting and every statement
/// wait under a deadline of ours (`poll` on the socket), and a statement past it is cancelled on the
/// server. The `PGconn *` is owned here alone. Parameters are sent apart from the SQL text
/// (`PQsendQueryParams`), never spliced into it.
public final class PostgresConnection: SQLConnection {
    public let engine = SQLEngine.postgres
    private let conn: OpaquePointer
    private let timeout: Double
    private var broken = false

    public init(_ url: SQLURL, options: SQLOptions) throws(SQLError) {
        try loadLibrary(sctl_load_libpq, "libpq", package: "libpq5")
        var params: [(String, String)] = [("application_name", "sessionctl"), ("client_encoding", "UTF8")]
        if let h = url.host { params.append(("host", h)) }
        if let p = url.port { params.append(("port", String(p))) }
        if let d = url.database { params.append(("dbname", d)) }
        if let u = url.user { params.append(("user", u)) }
        if let pw = options.password ?? url.password { params.append(("password", pw)) }
        let allowed: Set<String> = [
            "host", "hostaddr", "sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "sslsni",
            "target_session_attrs", "application_name", "channel_binding", "gssencmode",
        ]
        for (k, v) in url.parameters {
            guard allowed.contains(k) else {
                throw SQLError(.usage, "unknown parameter '\(k)' in the PostgreSQL URL (sslmode, sslrootcert, sslcert, sslkey, host, …)")
            }
            params.append((k, v))
        }
        // The server enforces the statement deadline too, and a read-only run cannot write. Times
        // are read and compared in UTC, as the frameworks write them, whatever the server's TimeZone.
        var serverOptions = "-c statement_timeout=\(Int(options.timeout * 1000)) -c TimeZone=UTC"
        if options.readOnly { serverOptions += " -c default_transaction_read_only=on" }
        params.append(("options", serverOptions))
        let keys = params.map { strdup($0.0) }
        let values = params.map { strdup($0.1) }
        defer { for p in keys + values { free(p) } }
        let k: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        let v: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        guard let c = sctl_PQconnectStartParams(k, v, 0) else { throw SQLError(.connect, "PostgreSQL: out of memory") }
        conn = c
        timeout = options.timeout
        let deadline = SQLDeadline.after(options.connectTimeout)
        let target = url.display
        if sctl_PQstatus(conn) == CONNECTION_BAD { throw connectFailure(target) }
        var status = PGRES_POLLING_WRITING
        while status != PGRES_POLLING_OK {
            if status == PGRES_POLLING_FAILED { throw connectFailure(target) }
            guard wait(for: status == PGRES_POLLING_READING ? Int16(POLLIN) : Int16(POLLOUT), until: deadline) else {
                throw SQLError(.connect, "PostgreSQL at \(target) did not answer within \(options.connectTimeout)s")
            }
            status = sctl_PQconnectPoll(conn)
        }
        guard sctl_PQsetnonblocking(conn, 1) == 0 else { throw connectFailure(target) }
    }

    deinit {
        sctl_PQfinish(conn)
    }

    public func columns(of table: String) throws(SQLError) -> [SQLColumn] {
        try informationSchemaColumns(of: table, typeColumn: "data_type", current: "current_schema()")
    }

    // MARK: One statement

    public func run(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> (rows: SQLRows, changed: Int) {
        guard !broken else { throw SQLError(.connect, "PostgreSQL: the connection was dropped after an earlier failure") }
        let deadline = SQLDeadline.after(timeout)
        // `?` placeholders become `$1`, `$2`, … (the statements are ours and hold no literal `?`).
        var text = ""
        var n = 0
        for ch in sql {
            if ch == "?" {
                n += 1
                text += "$\(n)"
            } else {
                text.append(ch)
            }
        }
        var values: [UnsafeMutablePointer<CChar>?] = []
        defer { for p in values { free(p) } }
        for p in parameters {
            switch p {
            case .null: values.append(nil)
            case .int(let i): values.append(strdup(String(i)))
            case .text(let b):
                guard !b.contains(0) else { throw SQLError(.usage, "a value with a NUL byte cannot be sent to PostgreSQL as text") }
                values.append(strdup(String(decoding: b, as: UTF8.self)))
            }
        }
        let sent = values.map { UnsafePointer($0) }.withUnsafeBufferPointer { buf in
            sctl_PQsendQueryParams(conn, text, Int32(parameters.count), nil, buf.baseAddress, nil, nil, 0)
        }
        guard sent == 1 else { throw dropped() }
        // Send everything, then read until the last result.
        while true {
            let f = sctl_PQflush(conn)
            if f == 0 { break }
            if f < 0 { throw dropped() }
            guard wait(for: Int16(POLLOUT | POLLIN), until: deadline) else { throw cancelled() }
            if sctl_PQconsumeInput(conn) == 0 { throw dropped() }
        }
        var outcome: (rows: SQLRows, changed: Int) = (SQLRows(columns: [], rows: []), 0)
        var failure: SQLError?
        while true {
            while sctl_PQisBusy(conn) == 1 {
                guard wait(for: Int16(POLLIN), until: deadline) else { throw cancelled() }
                if sctl_PQconsumeInput(conn) == 0 { throw dropped() }
            }
            guard let res = sctl_PQgetResult(conn) else { break }
            defer { sctl_PQclear(res) }
            switch sctl_PQresultStatus(res) {
            case PGRES_TUPLES_OK:
                let rows = Int(sctl_PQntuples(res))
                let cols = Int(sctl_PQnfields(res))
                let names = (0..<cols).map { String(cString: sctl_PQfname(res, Int32($0))) }
                var out: [[SQLValue]] = []
                out.reserveCapacity(rows)
                for r in 0..<Int32(rows) {
                    var row: [SQLValue] = []
                    for c in 0..<Int32(cols) {
                        if sctl_PQgetisnull(res, r, c) == 1 {
                            row.append(.null)
                            continue
                        }
                        let len = Int(sctl_PQgetlength(res, r, c))
                        row.append(.text(Array(UnsafeRawBufferPointer(start: sctl_PQgetvalue(res, r, c), count: len))))
                    }
                    out.append(row)
                }
                outcome = (SQLRows(columns: names, rows: out), rows)
            case PGRES_COMMAND_OK:
                outcome.changed = Int(String(cString: sctl_PQcmdTuples(res))) ?? 0
            default:
                if failure == nil { failure = Self.classify(res) }
            }
        }
        if let failure { throw failure }
        return outcome
    }

    /// Waits until the socket is ready for `events` or the deadline passes.
    private func wait(for events: Int16, until deadline: SQLDeadline) -> Bool {
        var fd = pollfd(fd: sctl_PQsocket(conn), events: events, revents: 0)
        while true {
            let ms = deadline.millisecondsLeft
            if ms == 0 { return false }
            let r = poll(&fd, 1, ms)
            if r > 0 { return true }
            if r == 0 { return false }
            if errno != EINTR { return true }  // let libpq report the socket's error
        }
    }

    /// Cancels the running statement on the server and drops the connection.
    private func cancelled() -> SQLError {
        if let cancel = sctl_PQgetCancel(conn) {
            var buf = [CChar](repeating: 0, count: 256)
            _ = sctl_PQcancel(cancel, &buf, 256)
            sctl_PQfreeCancel(cancel)
        }
        broken = true
        return SQLError(.timeout, "PostgreSQL: the statement took longer than \(timeout)s and was cancelled")
    }

    private func dropped() -> SQLError {
        broken = true
        return SQLError(.connect, "PostgreSQL: \(Self.lastLine(sctl_PQerrorMessage(conn)))")
    }

    private func connectFailure(_ target: String) -> SQLError {
        let message = Self.lastLine(sctl_PQerrorMessage(conn))
        let auth = ["password authentication failed", "no password supplied", "pg_hba.conf", "authentication failed", "role \""]
        return SQLError(auth.contains { message.contains($0) } ? .authentication : .connect, "PostgreSQL at \(target): \(message)")
    }

    /// An error result, sorted by its SQLSTATE.
    static func classify(_ res: OpaquePointer) -> SQLError {
        let state = sctl_PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let message = "PostgreSQL: \(lastLine(sctl_PQresultErrorMessage(res))) (SQLSTATE \(state))"
        switch state {
        case "42501", "25006": return SQLError(.permission, message)
        case "42P01", "42703", "3F000": return SQLError(.missingTable, message)
        case "57014": return SQLError(.timeout, message)
        case "28000", "28P01": return SQLError(.authentication, message)
        default: return SQLError(state.hasPrefix("08") ? .connect : .server, message)
        }
    }

    /// The first non-empty line of libpq's message, without its `ERROR:  ` prefix.
    static func lastLine(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "unknown error" }
        let text = String(cString: p)
        var line = text.split(separator: "\n").first.map(String.init) ?? text
        for prefix in ["ERROR:  ", "FATAL:  "] where line.hasPrefix(prefix) { line = String(line.dropFirst(prefix.count)) }
        return line.isEmpty ? "unknown error" : line
    }
}
