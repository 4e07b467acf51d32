import SQLClient
import SessionBasics
import SessionCore

/// The sessions tables the frameworks' database drivers write, recognised by their columns.
public enum SQLSessionSchema: String, Sendable, CaseIterable {
    /// Laravel's database driver: `id, user_id, ip_address, user_agent, payload, last_activity`;
    /// the payload is base64 of the serialized session; a row is dead `--lifetime` after its last activity.
    case laravel
    /// Django's database backend, `django_session`: `session_key, session_data, expire_date`; the user
    /// is `_auth_user_id` in the decoded data.
    case django

    /// The columns the schema needs.
    public var columns: [String] {
        switch self {
        case .laravel: return ["id", "user_id", "ip_address", "user_agent", "payload", "last_activity"]
        case .django: return ["session_key", "session_data", "expire_date"]
        }
    }

    /// The table name its framework uses by default.
    public var defaultTable: String { self == .laravel ? "sessions" : "django_session" }

    /// The row key's column.
    var idColumn: String { self == .laravel ? "id" : "session_key" }
}

/// A sessions table found in a database: which schema, and how its user column compares.
public struct SQLSessionTable: Sendable {
    /// The table's name as given (checked: letters, digits, `_`, optionally `schema.table`).
    public var name: String
    public var schema: SQLSessionSchema
    /// Whether `user_id` is an integer column (then an id that is not an integer matches nothing).
    public var integerUsers: Bool

    /// Finds the table: `name` if given, else `sessions`, else `django_session` (`prefer` first when
    /// a framework is named). A table without the expected columns is an error that names them.
    public static func locate(_ connection: any SQLConnection, name: String?, prefer: SQLSessionSchema?) throws -> SQLSessionTable {
        let candidates = name.map { [$0] } ?? ([prefer?.defaultTable].compactMap { $0 } + ["sessions", "django_session"])
        var seen: [(String, [SQLColumn])] = []
        for table in candidates where !seen.contains(where: { $0.0 == table }) {
            let columns = try connection.columns(of: table)
            seen.append((table, columns))
            guard !columns.isEmpty else { continue }
            let names = Set(columns.map { $0.name.lowercased() })
            let ordered = prefer.map { [$0] + SQLSessionSchema.allCases.filter { $0 != prefer } } ?? SQLSessionSchema.allCases
            if let schema = ordered.first(where: { Set($0.columns).isSubset(of: names) }) {
                let user = columns.first { $0.name.lowercased() == "user_id" }
                return SQLSessionTable(name: table, schema: schema, integerUsers: user?.isInteger ?? false)
            }
            let closest = ordered.max { Set($0.columns).intersection(names).count < Set($1.columns).intersection(names).count }!
            let missing = closest.columns.filter { !names.contains($0) }
            throw SQLStoreError(
                "table '\(table)' is not a sessions table: it lacks \(missing.joined(separator: ", ")) (\(closest.rawValue)'s schema has \(closest.columns.joined(separator: ", ")))"
            )
        }
        if let name { throw SQLStoreError("no table '\(name)' in the database") }
        throw SQLStoreError("no sessions table in the database (looked for \(candidates.joined(separator: ", ")); name it with --table)")
    }
}

/// A SQL store failure sessionctl itself detects (a table that is not a sessions table, an operation
/// the store cannot do), with the words to show.
public struct SQLStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    /// Whether it is the operator's request that cannot work here (exit 2) rather than the store (exit 1).
    public var isUsage: Bool

    public init(_ description: String, usage: Bool = false) {
        self.description = description
        isUsage = usage
    }
}

extension SQLStoreError: ClassifiedError {
    public var failureClass: FailureClass { isUsage ? .usage : .failure }
}
