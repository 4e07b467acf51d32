import RedisClient
import SQLClient
import SessionBasics
import SessionCore

/// `--identity PERSON`: one person, known to each application by its own user id (`1` in Rails,
/// `42` in Laravel's table, `alice` in Flask), resolved through the context before anything else:
/// its `identities:` map, and its `identity-url:` with `identity-query:` (the application's own
/// users table, asked read-only with the person as the one parameter). Every resolution is said on
/// stderr, and so is a person it found nothing for.
enum IdentityResolver {
    /// The user ids of `inv.identities` in the context `inv` was given: added to the command's users.
    /// Throws exit 3 when no person resolves to anyone, 2 when the context has no way to resolve.
    static func resolve(_ inv: Invocation, console: Console) throws -> [Bytes] {
        let people = inv.identities.map { String(decoding: $0, as: UTF8.self) }
        let ctx = inv.fromContext
        let place = ctx.name.map { "context '\($0)'" } ?? "no context"
        guard !ctx.identities.isEmpty || ctx.identityURL != nil else {
            throw CLIError(
                "--identity needs the context's identities: (a map of people to user ids) or identity-url: with identity-query: (\(place) has neither)",
                hint: "'sessionctl help context' shows a context", code: .usage)
        }
        var found: [Bytes] = []
        var nobody: [String] = []
        let lookup = try ctx.identityURL.map { try Lookup(url: $0, query: ctx.identityQuery ?? "", inv: inv, console: console) }
        for person in people {
            var ids: [String] = []
            var sources: [String] = []
            var gave: [String] = []
            if !ctx.identities.isEmpty {
                sources.append("identities:")
                if let mapped = ctx.identities[person] {
                    ids += mapped
                    gave.append("identities:")
                }
            }
            if let lookup {
                let rows = try lookup.ids(of: person)
                ids += rows
                sources.append("identity-query on \(lookup.display)")
                if !rows.isEmpty { gave.append("identity-query on \(lookup.display)") }
            }
            var seen = Set<String>()
            ids = ids.filter { seen.insert($0).inserted }
            if ids.isEmpty {
                nobody.append(person)
                console.warn("identity '\(person)' resolves to no user in \(place) (looked in \(sources.joined(separator: " and ")))")
            } else if !inv.output.quiet {
                console.err.write(
                    "identity '\(person)' in \(place): \(ids.count == 1 ? "user" : "users") \(ids.map { Cell.text(Array($0.utf8)) }.joined(separator: ", ")) (from \(gave.joined(separator: " and ")))\n"
                )
            }
            found += ids.map { Array($0.utf8) }
        }
        if found.isEmpty {
            throw CLIError("no person named by --identity resolves to a user in \(place): nothing to do", code: .notFound)
        }
        return found
    }

    /// The application's users table: one read-only connection, one parameterised query per person.
    final class Lookup {
        let display: String
        private let connection: any SQLConnection
        private let query: String

        init(url text: String, query: String, inv: Invocation, console: Console) throws {
            guard SQLURL.isSQL(text) else {
                throw CLIError(
                    "identity-url '\(RedisEndpoint.redact(text))' is not a database URL (postgres://, mysql://, sqlite:///path)", code: .usage)
            }
            let url: SQLURL
            do { url = try SQLURL(text) } catch { throw CLIError("identity-url: " + error.message, code: .usage) }
            self.query = try Self.checked(query)
            display = url.display
            var options = SQLOptions()
            options.readOnly = true
            options.connectTimeout = inv.connection.connectTimeout
            options.timeout = inv.connection.timeout
            let envName = url.engine == .postgres ? "PGPASSWORD" : "MYSQL_PWD"
            if url.password == nil, let env = console.environment[envName], !env.isEmpty { options.password = env }
            do { connection = try openSQL(url, options: options) } catch {
                throw CLIError("identity-url: " + error.message, code: ExitCode(error.failureClass))
            }
        }

        /// The query as the client takes it: one statement that reads (SELECT or WITH), one
        /// parameter (`?`, or PostgreSQL's `$1`), no second statement.
        static func checked(_ query: String) throws -> String {
            var q = query.trimmingSpaces
            if q.hasSuffix(";") { q.removeLast() }
            let head = q.prefix(6).uppercased()
            guard head.hasPrefix("SELECT") || head.hasPrefix("WITH") else {
                throw CLIError("identity-query must be a SELECT (it is only ever read): '\(query)'", code: .usage)
            }
            guard !q.contains(";") else { throw CLIError("identity-query must be one statement: '\(query)'", code: .usage) }
            q = q.replacingOccurrences(of: "$1", with: "?")
            guard q.filter({ $0 == "?" }).count == 1 else {
                throw CLIError("identity-query takes exactly one parameter, the person (? or $1): '\(query)'", code: .usage)
            }
            return q
        }

        /// The first column of every row the query returns for `person`, as text.
        func ids(of person: String) throws -> [String] {
            do {
                let rows = try connection.query(query, [.string(person)])
                return rows.rows.compactMap { row -> String? in
                    guard let v = row.first else { return nil }
                    switch v {
                    case .int(let i): return String(i)
                    default: return v.string
                    }
                }
            } catch {
                throw CLIError("identity-query on \(display) failed: \(error.message)", code: ExitCode(error.failureClass))
            }
        }
    }
}
