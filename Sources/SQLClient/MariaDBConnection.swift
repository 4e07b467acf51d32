import CMariaDB

#if canImport(Glibc)
    import Glibc
#endif

/// A MySQL or MariaDB connection over MariaDB Connector/C. The `MYSQL *` is owned here alone;
/// every statement is a prepared statement with bound parameters (`mysql_stmt_*`), never text
/// spliced into SQL. Deadlines: the client's connect, read and write timeouts (whole seconds,
/// rounded up) and the server's `max_statement_time`.
public final class MariaDBConnection: SQLConnection {
    public let engine = SQLEngine.mysql
    private let mysql: UnsafeMutablePointer<MYSQL>
    private let timeout: Double

    public init(_ url: SQLURL, options: SQLOptions) throws(SQLError) {
        try loadLibrary(sctl_load_libmariadb, "MariaDB Connector/C", package: "libmariadb3")
        guard let m = sctl_mysql_init(nil) else { throw SQLError(.connect, "MariaDB: out of memory") }
        mysql = m
        timeout = options.timeout
        var connectSeconds = UInt32(max(1, options.connectTimeout.rounded(.up)))
        // The client's read and write timeouts a second past the server's max_statement_time, so that a
        // late statement usually ends with the server's clean error (1969) and the connection intact.
        var ioSeconds = UInt32(max(1, options.timeout.rounded(.up)) + 1)
        sctl_mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connectSeconds)
        sctl_mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &ioSeconds)
        sctl_mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &ioSeconds)
        sctl_mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        var socket: String?
        for (k, v) in url.parameters {
            switch k {
            case "socket": socket = v
            case "ssl-ca": sctl_mysql_options(mysql, MYSQL_OPT_SSL_CA, v)
            case "ssl-capath": sctl_mysql_options(mysql, MYSQL_OPT_SSL_CAPATH, v)
            case "ssl-cert": sctl_mysql_options(mysql, MYSQL_OPT_SSL_CERT, v)
            case "ssl-key": sctl_mysql_options(mysql, MYSQL_OPT_SSL_KEY, v)
            case "ssl-mode":
                // REQUIRED: TLS without checking the certificate; VERIFY_IDENTITY: the CA and the host name.
                var on: my_bool = 1
                switch v.uppercased() {
                case "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY":
                    sctl_mysql_options(mysql, MYSQL_OPT_SSL_ENFORCE, &on)
                    if v.uppercased() != "REQUIRED" { sctl_mysql_options(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on) }
                case "DISABLED": break
                default: throw SQLError(.usage, "ssl-mode is DISABLED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY")
                }
            default:
                throw SQLError(.usage, "unknown parameter '\(k)' in the MySQL URL (ssl-mode, ssl-ca, ssl-cert, ssl-key, socket)")
            }
        }
        let password = options.password ?? url.password
        // A host means TCP, even `localhost` (which the client library would otherwise take for its default socket).
        if socket == nil {
            var tcp = MYSQL_PROTOCOL_TCP.rawValue
            sctl_mysql_options(mysql, MYSQL_OPT_PROTOCOL, &tcp)
        }
        let host = socket == nil ? (url.host ?? "127.0.0.1") : "localhost"
        guard sctl_mysql_real_connect(mysql, host, url.user, password, url.database, UInt32(url.port ?? 0), socket, 0) != nil else {
            let code = sctl_mysql_errno(mysql)
            let message = "MariaDB at \(url.display): \(String(cString: sctl_mysql_error(mysql))) (error \(code))"
            // deinit closes the handle (every stored property is set, so it runs).
            throw SQLError([1044, 1045, 1698].contains(code) ? .authentication : .connect, message)
        }
        // The server stops a statement past the deadline too; a read-only run cannot write.
        // (A number of ours, formatted: the variable takes no placeholder.)
        _ = try execute("SET SESSION max_statement_time = \(Double(options.timeout))", [])
        // Django writes naive UTC datetimes: read and compare them in UTC, whatever the server's
        // --default-time-zone (else a live session reads as expired there, and prune deletes it).
        _ = try execute("SET SESSION time_zone = '+00:00'", [])
        if options.readOnly { _ = try execute("SET SESSION TRANSACTION READ ONLY", []) }
    }

    deinit {
        sctl_mysql_close(mysql)
    }

    public func columns(of table: String) throws(SQLError) -> [SQLColumn] {
        try informationSchemaColumns(of: table, typeColumn: "column_type", current: "DATABASE()")
    }

    // MARK: One prepared statement

    public func run(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> (rows: SQLRows, changed: Int) {
        let started = SQLDeadline.after(timeout)
        do {
            return try runOnce(sql, parameters)
        } catch let e where e.kind == .connect && started.passed {
            // The client's own read timeout ended the wait (error 2013): the statement was too slow.
            throw SQLError(.timeout, "MariaDB: the statement took longer than \(timeout)s (\(e.message))")
        }
    }

    private func runOnce(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> (rows: SQLRows, changed: Int) {
        guard let stmt = sctl_mysql_stmt_init(mysql) else { throw failure(nil) }
        defer { sctl_mysql_stmt_close(stmt) }
        let bytes = Array(sql.utf8)
        guard sctl_mysql_stmt_prepare(stmt, sql, UInt(bytes.count)) == 0 else { throw failure(stmt) }
        // Parameters: text or integers, from buffers that live until the statement has run.
        var storage: [UnsafeMutableRawPointer] = []
        defer { for buffer in storage { buffer.deallocate() } }
        var binds = [MYSQL_BIND](repeating: MYSQL_BIND(), count: parameters.count)
        for (i, p) in parameters.enumerated() {
            switch p {
            case .null:
                binds[i].buffer_type = MYSQL_TYPE_NULL
            case .int(let v):
                let buf = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buf.storeBytes(of: v, as: Int64.self)
                storage.append(buf)
                binds[i].buffer_type = MYSQL_TYPE_LONGLONG
                binds[i].buffer = buf
            case .text(let b):
                let buf = UnsafeMutableRawPointer.allocate(byteCount: max(1, b.count), alignment: 1)
                b.withUnsafeBytes { if let base = $0.baseAddress { buf.copyMemory(from: base, byteCount: b.count) } }
                storage.append(buf)
                binds[i].buffer_type = MYSQL_TYPE_STRING
                binds[i].buffer = buf
                binds[i].buffer_length = UInt(b.count)
                binds[i].length_value = UInt(b.count)
            }
        }
        if !parameters.isEmpty {
            guard binds.withUnsafeMutableBufferPointer({ sctl_mysql_stmt_bind_param(stmt, $0.baseAddress) }) == 0 else { throw failure(stmt) }
        }
        guard sctl_mysql_stmt_execute(stmt) == 0 else { throw failure(stmt) }
        guard let meta = sctl_mysql_stmt_result_metadata(stmt) else {
            if sctl_mysql_stmt_errno(stmt) != 0 { throw failure(stmt) }
            return (SQLRows(columns: [], rows: []), Int(sctl_mysql_stmt_affected_rows(stmt)))
        }
        defer { sctl_mysql_free_result(meta) }
        var update: my_bool = 1
        sctl_mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update)
        guard sctl_mysql_stmt_store_result(stmt) == 0 else { throw failure(stmt) }
        let count = Int(sctl_mysql_num_fields(meta))
        guard let fields = sctl_mysql_fetch_fields(meta) else { throw failure(stmt) }
        let names = (0..<count).map { String(cString: fields[$0].name) }
        // Every column fetched as text, into a buffer as long as its longest value.
        let lengths = UnsafeMutablePointer<UInt>.allocate(capacity: max(1, count))
        let nulls = UnsafeMutablePointer<my_bool>.allocate(capacity: max(1, count))
        defer {
            lengths.deallocate()
            nulls.deallocate()
        }
        var results = [MYSQL_BIND](repeating: MYSQL_BIND(), count: count)
        for c in 0..<count {
            let size = Int(fields[c].max_length) + 1
            let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
            storage.append(buf)
            results[c].buffer_type = MYSQL_TYPE_STRING
            results[c].buffer = buf
            results[c].buffer_length = UInt(size)
            results[c].length = lengths + c
            results[c].is_null = nulls + c
        }
        guard results.withUnsafeMutableBufferPointer({ sctl_mysql_stmt_bind_result(stmt, $0.baseAddress) }) == 0 else { throw failure(stmt) }
        var rows: [[SQLValue]] = []
        while true {
            let rc = sctl_mysql_stmt_fetch(stmt)
            if rc == MYSQL_NO_DATA { break }
            guard rc == 0 || rc == MYSQL_DATA_TRUNCATED else { throw failure(stmt) }
            var row: [SQLValue] = []
            for c in 0..<count {
                if nulls[c] != 0 {
                    row.append(.null)
                    continue
                }
                let n = min(Int(lengths[c]), Int(results[c].buffer_length))
                row.append(.text(Array(UnsafeRawBufferPointer(start: results[c].buffer, count: n))))
            }
            rows.append(row)
        }
        return (SQLRows(columns: names, rows: rows), rows.count)
    }

    /// The error of the statement (or the connection), sorted by its number.
    private func failure(_ stmt: UnsafeMutablePointer<MYSQL_STMT>?) -> SQLError {
        let code = stmt.map { sctl_mysql_stmt_errno($0) } ?? sctl_mysql_errno(mysql)
        let text = stmt.map { String(cString: sctl_mysql_stmt_error($0)) } ?? String(cString: sctl_mysql_error(mysql))
        let message = "MariaDB: \(text) (error \(code))"
        switch code {
        case 1142, 1143, 1227, 1290, 1792, 1044: return SQLError(.permission, message)
        case 1146, 1054, 1049: return SQLError(.missingTable, message)
        case 1969, 3024: return SQLError(.timeout, message)
        case 2013 where text.contains("timeout") || text.contains("Timeout"): return SQLError(.timeout, message)
        case 2002, 2003, 2006, 2013, 2055: return SQLError(.connect, message)
        case 1045: return SQLError(.authentication, message)
        default: return SQLError(.server, message)
        }
    }
}
