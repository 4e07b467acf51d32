import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore
import SessionPayload

/// Opening the store a command runs against: the preset, the key layout, the filters and the
/// settings of the options, made into one configuration; the Redis store here, the SQL store in
/// SQLBackend.swift.
extension CommandContext {
    /// The framework preset: `--framework`, else `$SESSIONCTL_FRAMEWORK`; `nil` for none.
    func framework() throws -> Framework? {
        if let name = invocation.layout.framework { return Framework.named(name) }
        if invocation.fromContext.explicit, let named = invocation.fromContext.framework { return Framework.named(named) }
        guard let env = console.environment["SESSIONCTL_FRAMEWORK"], !env.isEmpty else {
            return invocation.fromContext.framework.flatMap(Framework.named)
        }
        guard let f = Framework.named(env) else {
            let hint =
                Suggest.closest(to: env, in: Framework.names).map { "did you mean '\($0)'?" } ?? "expected \(OptionBinding.list(Framework.names))"
            throw CLIError("$SESSIONCTL_FRAMEWORK names no framework: '\(env)'", hint: hint, code: .usage)
        }
        return f
    }

    /// The key layout: each option given, else the framework's, else the default.
    func layout() throws -> SessionLayout {
        let f = try framework()
        let globs = invocation.layout.sessionGlob.map { [$0] } ?? f?.sessionGlobs ?? [SessionLayout.defaultSessionGlob]
        // With an index, members are session ids: the framework says where their data lives.
        let derived = try indexTemplate() != nil ? f?.sessionKeyTemplate : nil
        var layout = try SessionLayout(
            mapping: invocation.layout.mapping ?? f?.mapping ?? MappingTemplate.defaultSource,
            sessionKey: invocation.layout.sessionKey ?? derived ?? SessionLayout.defaultSessionKey,
            sessionGlobs: globs,
            // A prefix only applies to the framework's own template.
            sessionIdPrefix: invocation.layout.mapping == nil ? f?.sessionIdPrefix : nil,
            unrevocable: f?.unrevocable ?? [])
        layout.companions = f?.companions
        layout.shape = f?.sessionShape
        if let length = invocation.layout.sessionIdLength {
            guard let shape = layout.shape else {
                throw CLIError(
                    "--session-id-length changes the shape of a framework's session ids, and no --framework names one",
                    hint: "give --framework (\(OptionBinding.list(Framework.names)))", code: .usage)
            }
            layout.shape = shape.withIdLength(length)
        }
        return layout
    }

    /// The index: `--index`, else the framework's own (Spring's principal index); `nil` for none.
    func indexTemplate() throws -> IndexTemplate? {
        let preset = try framework()?.index
        guard let source = invocation.layout.index ?? preset else { return nil }
        return try IndexTemplate(source)
    }

    /// Where decoded payloads name the user and the rest: `--user-field` first, then the framework's (or the common names).
    func fieldPaths() throws -> FieldPaths {
        var paths = try framework()?.fields ?? .generic
        if let text = invocation.layout.userField {
            guard let p = PayloadPath(text) else {
                throw CLIError(
                    "--user-field '\(text)' has more than \(PayloadPath.maxParts) parts", hint: "name the field with fewer dots", code: .usage)
            }
            paths.user.insert(p, at: 0)
        }
        return paths
    }

    /// The secrets `--secret-file` and `--app-key-file` name.
    func cookieSecrets(appKeyFile: String? = nil) throws -> CookieSecrets {
        if appKeyFile == nil && !invocation.layout.moreAppKeyFiles.isEmpty && invocation.command != .verify {
            throw CLIError("--app-key-file is given more than once", hint: "only verify asks with several keys", code: .usage)
        }
        var secrets = CookieSecrets()
        if let file = invocation.sessions.secretFile {
            let text = try readSmallFile(file, option: "--secret-file")
            secrets.signing = text.split(whereSeparator: { $0 == 10 || $0 == 13 }).map(Array.init).filter { !$0.isEmpty }
            guard !secrets.signing.isEmpty else { throw CLIError("--secret-file '\(file)' holds no secret", hint: "one secret a line", code: .usage) }
        }
        if let file = appKeyFile ?? invocation.layout.appKeyFile {
            guard let key = CookieSecrets.laravelAppKey(fromFile: try readSmallFile(file, option: "--app-key-file")) else {
                throw CLIError(
                    "--app-key-file '\(file)' holds no Laravel app key",
                    hint: "give a file with APP_KEY=base64:… (as in .env) or the base64: key alone; the key is 32 bytes", code: .usage)
            }
            secrets.appKey = key
        }
        return secrets
    }

    /// The Redis store, for a command only Redis serves (`detect`, `index build`): checks the layout,
    /// connects and authenticates.
    func openRedisStore() throws -> RedisSessionStore {
        if targetIsSQL {
            throw CLIError(
                "'\(invocation.command.rawValue)' works on Redis stores; a SQL table answers list, show, revoke, revoke-user, revoke-all, users, audit, prune, snapshot, diff and ping",
                code: .usage)
        }
        return try openRedis(rackPublicIds: [:])
    }

    /// Checks the layout, connects and authenticates, and returns the store made whole: every
    /// setting the options give is in its configuration. `rackPublicIds`: the public ids of Rack
    /// cookies given to `revoke --cookie`, by private id (their legacy keys go with them).
    func openRedis(rackPublicIds: [Bytes: Bytes]) throws -> RedisSessionStore {
        let layout = try layout()
        if invocation.command == .show || invocation.command == .revoke {
            for id in invocation.arguments where !layout.mapping.acceptsSession(id) {
                throw CLIError(
                    "session id '\(Escape.visible(id))' contains '\(layout.mapping.separatorText)', the separator of --mapping; no mapping key can name it",
                    hint: "check the id, or --mapping", code: .usage)
            }
        }
        let keyspace = try openKeyspace()
        var configuration = RedisSessionStore.Configuration()
        configuration.scanCount = invocation.layout.scanCount
        configuration.scanRate = invocation.layout.rate
        configuration.waitReplicas = invocation.revoke.waitReplicas
        configuration.maxPayload = invocation.show.maxPayload
        configuration.memory = memoryLimit
        configuration.payloadReader = PayloadReader(kind: try framework()?.payload ?? .sniff, appKey: try cookieSecrets().appKey)
        configuration.fieldPaths = try fieldPaths()
        configuration.index = try indexTemplate()
        configuration.filter = filterFromOptions()
        configuration.settleWindow = try settleWindow()
        configuration.rackPublicIds = rackPublicIds
        configuration.sessionKeyOfId = try framework()?.sessionKeyTemplate.map { try KeyTemplate($0, allowed: [.session]) }
        if invocation.command == .revoke || invocation.command == .revokeUser { configuration.cachedDBRows = try openCachedDBRows() }
        let progress = self.progress
        if progress.enabled {
            progress.total = keyspace.totalKeys()
            configuration.progress = { progress.scanned($0) }
            configuration.settleProgress = { progress.status(Self.settleLine($0)) }
        }
        return RedisSessionStore(keyspace: keyspace, layout: layout, configuration: configuration)
    }

    /// Refuses, before anything runs, an option or a command that needs what `store` cannot do:
    /// the option and command tables say what each needs (rule 15), the store what it can.
    func checkServes(_ store: any SessionBackend) throws {
        let missing = CommandTable.spec(invocation.command).requires.subtracting(store.capabilities)
        if !missing.isEmpty { throw CLIError(store.lacking(invocation.command.rawValue), code: .usage) }
        for spec in OptionTable.all where !spec.requires.isSubset(of: store.capabilities) && invocation.isSet(spec.name) {
            throw CLIError(store.lacking("--\(spec.name)"), code: .usage)
        }
    }

    /// The watch after a revocation: `--settle`, else `$SESSIONCTL_SETTLE`, else the context's
    /// `settle:`, else 5 seconds (0 turns it off).
    func settleWindow() throws -> Double {
        if let s = invocation.destructive.settle { return s }
        if let env = console.environment["SESSIONCTL_SETTLE"], !env.isEmpty {
            guard let s = OptionBinding.parseDuration(env), s <= 86_400 else {
                throw CLIError("$SESSIONCTL_SETTLE is not a duration: '\(env)'", hint: "such as 5s, 0.5s or 0 (off)", code: .usage)
            }
            return s
        }
        return invocation.fromContext.settle.flatMap(OptionBinding.parseDuration) ?? 5
    }

    /// The progress line while the revoked keys (or a table's rows) are watched.
    static func settleLine(_ p: SettleProgress, watching thing: String = "key") -> String {
        "settling (--settle): watching \(Cell.plural(p.watched, thing)) for write-backs by requests in flight, "
            + "\(Int(p.secondsLeft.rounded(.up)))s of quiet to go" + (p.writtenBack > 0 ? "; \(p.writtenBack) written back and deleted again" : "")
    }

    /// The filters the options give (`--idle-over`, `--older-than`, `--ttl-over`, `--ip`, `--except`).
    func filterFromOptions() -> SessionFilter {
        var filter = SessionFilter()
        filter.idleOver = invocation.filters.idleOver.map { Int64($0.rounded(.down)) }
        filter.olderThan = invocation.filters.olderThan
        filter.ttlOver = invocation.filters.ttlOver.map { Int64($0.rounded(.down)) }
        filter.ip = invocation.filters.ip.flatMap(CIDR.init)
        filter.except = Set(invocation.filters.except)
        filter.idleUnder = invocation.filters.idleUnder.map { Int64($0.rounded(.up)) }
        filter.createdAfter = invocation.filters.createdAfter.flatMap { TimeArgument.seconds($0, now: WallClock.now()) }
        filter.userAgent = invocation.filters.userAgent.flatMap(UserAgentPattern.init)
        return filter
    }

    /// Connects with the cluster mode the options ask for.
    func openKeyspace() throws -> RedisKeyspace {
        let (first, options) = try connectionSettings()
        let mode: ClusterMode = invocation.connection.cluster.map { $0 ? .cluster : .standalone } ?? .detect
        // More seeds of the same cluster (`--url` again, a context's `urls:`): the same credentials
        // and TLS, another address, tried in turn while a seed cannot be reached.
        var endpoints = [first]
        for url in moreSeedURLs {
            let seed = try RedisEndpoint.parse(url)
            guard seed.tls == first.tls || invocation.connection.tls else {
                throw CLIError("the seeds \(first) and \(seed) mix TLS and plain connections", hint: "give one cluster's seeds", code: .usage)
            }
            var e = first
            e.address = seed.address
            endpoints.append(e)
        }
        var unreachable: [String] = []
        for (i, endpoint) in endpoints.enumerated() {
            do {
                let keyspace = try timings.measure("connect") { try RedisKeyspace(endpoint: endpoint, options: options, mode: mode) }
                if !unreachable.isEmpty {
                    console.warn("connected through the seed \(endpoint.address) (\(unreachable.joined(separator: "; ")))")
                }
                for w in keyspace.warnings { console.warn(w) }
                return keyspace
            } catch let e as RedisClientError where e.isConnectFailure {
                // A seed that cannot be reached: the next one is tried; a refused login is the same on every seed.
                let reachable: Bool
                switch e {
                case .authenticationFailed, .permissionDenied: reachable = true
                default: reachable = false
                }
                if !reachable && i + 1 < endpoints.count {
                    unreachable.append(e.description)
                    continue
                }
                // Say where the target came from: a stale $REDIS_URL is a common surprise.
                let tried =
                    endpoints.count > 1 ? "; \(endpoints.count) seeds tried: " + endpoints.map(\.address.description).joined(separator: ", ") : ""
                throw CLIError("\(e.description) (target from \(targetURL().source)\(tried))", hint: e.hint, code: .connect)
            }
        }
        throw CLIError("no seed to connect to", code: .usage)
    }

    /// The seeds beyond the target's URL: `--url` given again, or the context's `urls:` after its first.
    var moreSeedURLs: [String] {
        if invocation.connection.url != nil { return invocation.connection.moreURLs }
        return targetIsTheContexts ? invocation.fromContext.moreURLs : []
    }

    /// `--memory-limit`, spilling under `$TMPDIR`.
    var memoryLimit: MemoryLimit {
        MemoryLimit(bytes: invocation.counting.memoryLimit, temporaryDirectory: MemoryLimit.temporaryDirectory(console.environment))
    }
}

extension CommandContext {
    /// What this side of a `diff` is read with, for the note that says so: its target and where it
    /// came from, the framework, TLS, the password's source and the cluster mode.
    func readWith() -> String {
        let (url, source) = targetURL()
        var parts = ["from \(RedisEndpoint.redact(url)) (\(source))"]
        if let f = (try? framework()) ?? nil {
            parts.append("--framework \(f.name)" + (invocation.fromContext.framework == nil && invocation.layout.framework != nil ? " (A's)" : ""))
        } else {
            parts.append("no framework preset")
        }
        if targetIsSQL { return parts.joined(separator: ", ") }
        let tls = url.lowercased().hasPrefix("rediss://") || url.lowercased().hasPrefix("valkeys://") || invocation.connection.tls
        if tls { parts.append(invocation.connection.cacert.map { "TLS verified against \($0)" } ?? "TLS verified against the system's CAs") }
        let endpoint = try? RedisEndpoint.parse(url)
        let password =
            endpoint?.password != nil
            ? "the URL's password"
            : invocation.fromContext.passwordFile != nil || invocation.fromContext.password != nil
                ? "the context's password"
                : (console.environment["REDISCLI_AUTH"].map { !$0.isEmpty } ?? false) ? "$REDISCLI_AUTH" : "no password"
        parts.append(password)
        parts.append(invocation.connection.cluster.map { $0 ? "as a cluster" : "as a standalone server" } ?? "cluster mode detected")
        return parts.joined(separator: ", ")
    }
}
