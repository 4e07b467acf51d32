/// Settings every engine honours: deadlines, and the password from a channel other than the URL.
public struct SQLOptions: Sendable {
    /// Seconds to connect (and authenticate, and set up TLS).
    public var connectTimeout: Double = 5
    /// Seconds each statement may take; past it the statement is cancelled and the connection dropped.
    public var timeout: Double = 30
    /// A password from `--password-file`, `$PGPASSWORD` or `$MYSQL_PWD` (the URL's ranks below none of them).
    public var password: String?
    /// Opens the connection read-only where the engine can (a file opened read-only, a read-only
    /// transaction mode), so that commands that only look cannot change anything.
    public var readOnly = false

    public init() {}
}

/// One connection to a database: parameterised statements only (placeholders are `?`, bound in
/// order, whatever the engine spells them), each under a deadline. One owner per C handle: the
/// conforming types adopt it in `init` and free it in `deinit`.
public protocol SQLConnection: AnyObject {
    /// The engine.
    var engine: SQLEngine { get }
    /// Runs one statement: the rows it returned, and how many rows it changed.
    func run(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> (rows: SQLRows, changed: Int)
    /// The columns of `table` (empty when there is no such table).
    func columns(of table: String) throws(SQLError) -> [SQLColumn]
}

extension SQLConnection {
    /// Runs a statement that returns rows.
    public func query(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> SQLRows {
        try run(sql, parameters).rows
    }

    /// Runs a statement that changes rows; returns how many it changed.
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws(SQLError) -> Int {
        try run(sql, parameters).changed
    }

    /// The columns of `table` from `information_schema` (PostgreSQL, MySQL), `schema.table` or the current
    /// schema (`current`: the engine's function for it), with the type column the engine names.
    func informationSchemaColumns(of table: String, typeColumn: String, current: String) throws(SQLError) -> [SQLColumn] {
        let parts = table.split(separator: ".").map(String.init)
        let rows = try query(
            "SELECT column_name, \(typeColumn) FROM information_schema.columns WHERE table_name = ? AND table_schema = "
                + (parts.count == 2 ? "?" : current) + " ORDER BY ordinal_position",
            parts.count == 2 ? [.string(parts[1]), .string(parts[0])] : [.string(table)])
        return rows.rows.compactMap { r in r[0].string.map { SQLColumn(name: $0, type: (r[1].string ?? "").lowercased()) } }
    }

    /// The identifier, quoted for this engine: `"sessions"`, `` `sessions` ``; `schema.table` quoted in parts.
    /// Only letters, digits, `_` and `$` are accepted, so nothing but a name can reach the SQL text.
    public func quote(_ identifier: String) throws(SQLError) -> String {
        let parts = identifier.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 2 else { throw SQLError(.usage, "bad table name '\(identifier)'") }
        var quoted: [String] = []
        for part in parts {
            guard let first = part.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
                part.utf8.allSatisfy({
                    $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "$") || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z"))
                        || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                })
            else { throw SQLError(.usage, "bad table name '\(identifier)' (letters, digits and '_' only, optionally schema.table)") }
            quoted.append(engine == .mysql ? "`\(part)`" : "\"\(part)\"")
        }
        return quoted.joined(separator: ".")
    }
}

/// Opens a connection to the database the URL names.
public func openSQL(_ url: SQLURL, options: SQLOptions = SQLOptions()) throws(SQLError) -> any SQLConnection {
    switch url.engine {
    case .postgres: return try PostgresConnection(url, options: options)
    case .mysql: return try MariaDBConnection(url, options: options)
    case .sqlite: return try SQLiteConnection(url, options: options)
    }
}

/// Loads a client library on first use (CSQLLoader: dlopen, not linked, so that a Redis run never
/// loads it); a machine without it gets an error that names the package.
func loadLibrary(_ load: (UnsafeMutablePointer<CChar>?, Int32) -> Int32, _ name: String, package: String) throws(SQLError) {
    var error = [CChar](repeating: 0, count: 512)
    guard load(&error, Int32(error.count)) == 0 else {
        let why = error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        throw SQLError(.connect, "cannot load \(name) (\(why)); install it: apt-get install \(package)")
    }
}
