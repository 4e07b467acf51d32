import HTTPProbe
import RedisClient
import RedisStore
import SQLClient
import SQLStore
import SessionBasics
import SessionCore

extension CommandContext {
    /// Whether the target is a SQL table (`postgres://`, `mysql://`, `sqlite:///path`).
    var targetIsSQL: Bool { SQLURL.isSQL(targetURL().url) }

    /// The store the command runs against, made whole: a SQL table for a database URL, else Redis;
    /// options it cannot serve are refused before anything runs. `rackPublicIds`: see ``openRedis(rackPublicIds:)``.
    func openBackend(rackPublicIds: [Bytes: Bytes] = [:]) throws -> any SessionBackend {
        let store: any SessionBackend = targetIsSQL ? try openSQLStore() : try openRedis(rackPublicIds: rackPublicIds)
        try checkServes(store)
        return store
    }

    /// Connects to the database and finds the sessions table. Commands that only look connect
    /// read-only; the password comes from `--password-file`, `$PGPASSWORD`/`$MYSQL_PWD`, the
    /// context, or the URL, and is never printed.
    func openSQLStore() throws -> SQLSessionStore {
        let (text, source) = targetURL()
        if !moreSeedURLs.isEmpty {
            throw CLIError(
                "a sessions table has one URL (\(source) gives \(moreSeedURLs.count + 1)); several are seeds of one Redis cluster", code: .usage)
        }
        return try openSQLStore(text, source: source, auxiliary: false)
    }

    /// Django's database for `--cached-db-url`: the `django_session` table whose rows a
    /// `cached_db` revocation deletes before the cache keys (Django would reload them).
    func openCachedDBRows() throws -> SQLSessionStore? {
        guard let text = invocation.revoke.cachedDBURL else { return nil }
        guard SQLURL.isSQL(text) else {
            throw CLIError(
                "--cached-db-url '\(RedisEndpoint.redact(text))' is not a database URL",
                hint: "postgres://…, mysql://… or sqlite:///path to Django's database", code: .usage)
        }
        let store = try openSQLStore(text, source: "--cached-db-url", auxiliary: true)
        guard store.table.schema == .django else {
            throw CLIError(
                "--cached-db-url: the table \(store.table.name) is not Django's django_session", hint: "name it with --table", code: .usage)
        }
        return store
    }

    /// The store at `text`; `auxiliary` for a second store beside Redis (Redis options are then not its business).
    private func openSQLStore(_ text: String, source: String, auxiliary: Bool) throws -> SQLSessionStore {
        let url: SQLURL
        do { url = try SQLURL(text) } catch { throw CLIError(error.message, code: .usage) }
        let inv = invocation
        var options = SQLOptions()
        options.connectTimeout = inv.connection.connectTimeout
        options.timeout = inv.connection.timeout
        // verify, and a dry run that asks the application (--verify-url), delete the sessions their own
        // questions made the application start, and nothing else; every other look is read-only.
        let asks = inv.command == .verify || inv.revoke.verifyURL != nil
        options.readOnly = !(inv.command.changesKeys || asks) || (inv.destructive.dryRun && !asks)
        if url.password != nil && source == "--url" && !inv.output.quiet {
            console.warn(
                "a password in --url is visible to other users of this machine; use --password-file or $\(url.engine == .postgres ? "PGPASSWORD" : "MYSQL_PWD")"
            )
        }
        let envName = url.engine == .postgres ? "PGPASSWORD" : "MYSQL_PWD"
        // Beside Redis (--cached-db-url), --password-file and the context's password are Redis's:
        // the database's comes from its own variable (or the URL).
        if auxiliary {
            if url.password == nil, let env = console.environment[envName], !env.isEmpty { options.password = env }
        } else if let file = inv.connection.passwordFile {
            options.password = try readPasswordFile(file)
        } else if url.password == nil, inv.fromContext.explicit && targetIsTheContexts,
            let own = try inv.fromContext.passwordFile.map(readPasswordFile) ?? inv.fromContext.password
        {
            // The context the operator named brings its own password for its own database.
            options.password = own
        } else if url.password == nil, let env = console.environment[envName], !env.isEmpty {
            options.password = env
        } else if url.password == nil, contextPasswordFits, let file = inv.fromContext.passwordFile {
            options.password = try readPasswordFile(file)
        } else if url.password == nil, contextPasswordFits, let p = inv.fromContext.password {
            options.password = p
        }
        let connection: any SQLConnection
        do {
            connection = try timings.measure("connect") { () throws(SQLError) in try openSQL(url, options: options) }
        } catch let error as SQLError {
            throw CLIError(error.message + " (target from \(source))", code: Self.exitCode(error))
        }
        let framework = try framework()
        let prefer: SQLSessionSchema? = auxiliary ? .django : framework.flatMap { SQLSessionSchema(rawValue: $0.name) }
        let table: SQLSessionTable
        do { table = try SQLSessionTable.locate(connection, name: auxiliary ? nil : inv.layout.table, prefer: prefer) } catch let e as SQLStoreError {
            throw CLIError(e.description, hint: "name the table with --table", code: .usage)
        } catch let e as SQLError {
            throw CLIError(e.message, code: Self.exitCode(e))
        }
        var configuration = SQLSessionStore.Configuration()
        if let lifetime = inv.layout.lifetime { configuration.lifetime = Int64(lifetime) }
        configuration.memory = memoryLimit
        configuration.host = url.path ?? url.parameter("host") ?? url.parameter("socket") ?? url.host ?? "localhost"
        configuration.engine = url.engine.rawValue
        configuration.address =
            url.path ?? url.parameter("socket") ?? "\(url.parameter("host") ?? url.host ?? "localhost")\(url.port.map { ":\($0)" } ?? "")"
        configuration.database = url.engine == .sqlite ? (url.path ?? "") : (url.database ?? "")
        configuration.appKey = try cookieSecrets().appKey
        if framework != nil || inv.layout.userField != nil { configuration.fieldPaths = try fieldPaths() }
        configuration.filter = filterFromOptions()
        if !auxiliary { configuration.settleWindow = try settleWindow() }
        let progress = self.progress
        if progress.enabled {
            configuration.progress = { progress.scanned($0) }
            configuration.settleProgress = { progress.status(Self.settleLine($0, watching: "row")) }
        }
        return try SQLSessionStore(
            connection: connection, table: table, display: url.display,
            tls: url.parameter("sslmode").map { $0 != "disable" } ?? (url.parameter("ssl-mode").map { $0.uppercased() != "DISABLED" } ?? false),
            cancellation: console.cancellation, configuration: configuration)
    }

    /// The exit status of a database failure (SPEC.md): connect and authentication 4, the rest 1.
    static func exitCode(_ e: SQLError) -> ExitCode { ExitCode(e.failureClass) }
}
