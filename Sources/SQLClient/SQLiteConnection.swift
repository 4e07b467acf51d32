import CSQLite

/// A SQLite file (`sqlite:///path`). The `sqlite3 *` is owned here alone. The file is never
/// created; a busy database is waited on up to the timeout, and a statement past its deadline is
/// interrupted by the progress handler.
public final class SQLiteConnection: SQLConnection {
    public let engine = SQLEngine.sqlite
    private let db: OpaquePointer
    private let timeout: Double
    /// The deadline of the statement running, read by the progress handler.
    private var deadline = SQLDeadline.after(0)

    public init(_ url: SQLURL, options: SQLOptions) throws(SQLError) {
        guard let path = url.path else { throw SQLError(.usage, "a sqlite URL names a file") }
        var handle: OpaquePointer?
        let flags = (options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw SQLError(.connect, "cannot open the SQLite file '\(path)': \(message)")
        }
        db = handle
        timeout = options.timeout
        sqlite3_busy_timeout(db, Int32(min(options.timeout * 1000, Double(Int32.max))))
        sqlite3_extended_result_codes(db, 1)
        // Every 10,000 virtual-machine steps: stop a statement that is past its deadline.
        sqlite3_progress_handler(
            db, 10_000,
            { context in
                guard let context else { return 0 }
                return Unmanaged<SQLiteConnection>.fromOpaque(context).takeUnretainedValue().deadline.passed ? 1 : 0
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        sqlite3_close_v2(db)
    }

    public func columns(of table: String) throws(SQLError) -> [SQLColumn] {
        // PRAGMA takes no parameters; the name is checked and quoted first. A schema goes before the
        // pragma's name (`PRAGMA "main".table_info("sessions")`), never inside its argument.
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        let pragma =
            parts.count == 2
            ? "PRAGMA \(try quote(parts[0])).table_info(\(try quote(parts[1])))" : "PRAGMA table_info(\(try quote(table)))"
        let rows = try query(pragma, [])
        return rows.rows.compactMap { r in
            guard r.count > 2, let name = r[1].string else { return nil }
            return SQLColumn(name: name, type: (r[2].string ?? "").lowercased())
        }
    }

    public func run(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> (rows: SQLRows, changed: Int) {
        deadline = .after(timeout)
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw failure() }
        defer { sqlite3_finalize(stmt) }
        for (i, p) in parameters.enumerated() {
            let rc: Int32
            switch p {
            case .null: rc = sqlite3_bind_null(stmt, Int32(i + 1))
            case .int(let v): rc = sqlite3_bind_int64(stmt, Int32(i + 1), v)
            case .text(let b):
                // Text, so that it compares equal to the TEXT/VARCHAR columns the frameworks write.
                if b.isEmpty {
                    rc = sessionctl_sqlite3_bind_text_copy(stmt, Int32(i + 1), "", 0)  // empty text, not NULL
                } else {
                    rc = b.withUnsafeBufferPointer { buf in
                        buf.withMemoryRebound(to: CChar.self) {
                            sessionctl_sqlite3_bind_text_copy(stmt, Int32(i + 1), $0.baseAddress, Int32(b.count))
                        }
                    }
                }
            }
            guard rc == SQLITE_OK else { throw failure() }
        }
        let count = Int(sqlite3_column_count(stmt))
        let names = (0..<count).map { String(cString: sqlite3_column_name(stmt, Int32($0))) }
        var rows: [[SQLValue]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw failure() }
            var row: [SQLValue] = []
            row.reserveCapacity(count)
            for c in 0..<Int32(count) {
                switch sqlite3_column_type(stmt, c) {
                case SQLITE_NULL: row.append(.null)
                case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(stmt, c)))
                default:
                    let n = Int(sqlite3_column_bytes(stmt, c))
                    if let p = sqlite3_column_blob(stmt, c), n > 0 {
                        row.append(.text(Array(UnsafeRawBufferPointer(start: p, count: n))))
                    } else {
                        row.append(.text([]))
                    }
                }
            }
            rows.append(row)
        }
        return (SQLRows(columns: names, rows: rows), Int(sqlite3_changes(db)))
    }

    /// The error of the last call, sorted by kind.
    private func failure() -> SQLError {
        let code = sqlite3_extended_errcode(db)
        let message = String(cString: sqlite3_errmsg(db))
        switch code & 0xFF {
        case SQLITE_INTERRUPT: return SQLError(.timeout, "SQLite: the statement took longer than \(timeout)s and was stopped")
        case SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH: return SQLError(.permission, "SQLite: \(message)")
        case SQLITE_BUSY, SQLITE_LOCKED: return SQLError(.timeout, "SQLite: \(message) (waited \(timeout)s)")
        case SQLITE_CANTOPEN, SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_IOERR: return SQLError(.connect, "SQLite: \(message)")
        default:
            if message.hasPrefix("no such table") || message.hasPrefix("no such column") { return SQLError(.missingTable, "SQLite: \(message)") }
            return SQLError(.server, "SQLite: \(message)")
        }
    }
}
