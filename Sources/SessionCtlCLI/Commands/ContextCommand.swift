import RedisClient
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// `sessionctl context list|current|show [NAME]|use NAME`: the contexts of the configuration file.
enum ContextCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let env = ctx.console.environment
        let args = ctx.invocation.arguments.map { String(decoding: $0, as: UTF8.self) }
        let sub = args.first ?? "list"
        guard let file = try ConfigFile.load(env) else {
            let place = ConfigFile.location(env)?.path ?? "~/.config/sessionctl/config.yaml"
            throw CLIError(
                "no configuration file at \(place)", hint: "'sessionctl help context' shows an example file", code: sub == "list" ? .notFound : .usage
            )
        }
        let fromEnvironment = env["SESSIONCTL_CONTEXT"].flatMap { $0.isEmpty ? nil : $0 }
        let selected = ctx.invocation.context ?? fromEnvironment ?? file.current
        switch sub {
        case "current":
            // As kubectl config current-context: the name alone, and where the choice came from on stderr.
            guard let name = selected else {
                throw CLIError("no context is selected and \(file.path) has no current-context", hint: "sessionctl context use NAME", code: .failure)
            }
            _ = try file.context(named: name)
            let source =
                ctx.invocation.context != nil ? "--context" : fromEnvironment != nil ? "$SESSIONCTL_CONTEXT" : "current-context in \(file.path)"
            ctx.printer.print(Current(name: name, source: source))
        case "use":
            let name = args[1]
            _ = try file.context(named: name)
            try setCurrent(name, in: file.path)
            ctx.note("current context: \(name) (\(file.path))")
        case "show":
            guard let c = try file.context(named: args.count > 1 ? args[1] : selected) else {
                throw CLIError(
                    "no context is selected and \(file.path) has no current-context", hint: "name one: sessionctl context show NAME", code: .usage)
            }
            // A password is never printed, in a password: key or inside a URL: only that one is set.
            let values = c.values.map { ($0.key, ConfigFile.shown(key: $0.key, value: $0.value)) }
            ctx.printer.print(Shown(name: c.name, current: c.name == selected, values: values, rows: effective(c, env: env)))
        default:
            ctx.printer.print(Listed(file: file, selected: selected))
        }
        return .finished(Completeness(), didSomething: true)
    }

    /// `context current`: the context a command would use, and what chose it.
    struct Current: Printable {
        let name: String
        let source: String

        func json() -> JSON { .object([("name", .string(name)), ("source", .string(source))]) }
        func text(_ style: TextStyle) -> String { name + "\n" }
    }

    /// `context show`: the context's own settings, and what each option is with where it came from.
    struct Shown: Printable {
        let name: String
        let current: Bool
        /// The context's settings as written, passwords hidden.
        let values: [(String, String)]
        let rows: [Effective]

        func json() -> JSON {
            .object([
                ("name", .string(name)), ("current", .bool(current)),
                ("options", .object(values.map { ($0.0, .string($0.1)) })),
                (
                    "effective",
                    .array(rows.map { r in .object([("option", .string(r.option)), ("value", .string(r.value)), ("source", .string(r.source))]) })
                ),
            ])
        }

        func text(_ style: TextStyle) -> String {
            var table = Table(headers: ["OPTION", "VALUE", "FROM"])
            for r in rows { table.add([r.option, r.value, r.source]) }
            return "context \(name)\(current ? " (current)" : "")\n" + table.render(style)
        }
    }

    /// `context list`: the file's contexts, the current one marked.
    struct Listed: Printable {
        let file: ConfigFile
        let selected: String?

        private func url(_ c: ConfigFile.Context) -> String? { c.values.first { $0.key == "url" }.map { RedisEndpoint.redact($0.value) } }

        func json() -> JSON {
            .object([
                ("file", .string(file.path)), ("current", selected.map { .string($0) } ?? .null),
                ("contexts", .array(file.contexts.map { c in .object([("name", .string(c.name)), ("url", url(c).map { .string($0) } ?? .null)]) })),
            ])
        }

        func text(_ style: TextStyle) -> String {
            var table = Table(headers: ["CURRENT", "NAME", "URL", "FRAMEWORK"])
            for c in file.contexts {
                table.add([c.name == selected ? "*" : "", c.name, url(c) ?? "-", c.values.first { $0.key == "framework" }?.value ?? "-"])
            }
            return table.render(style)
        }
    }

    /// One setting as a command would use it with this context selected: its value and where it comes from.
    struct Effective: Equatable {
        var option: String
        var value: String
        var source: String
    }

    /// What the context gives, merged as a command merges it (the environment, then the context, then the default;
    /// a flag on the command itself ranks above all three): the environment variables that rank above the context
    /// are named where they are set. A password
    /// is never printed; only where it comes from.
    static func effective(_ c: ConfigFile.Context, env: [String: String]) -> [Effective] {
        func set(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let fromContext = "context"
        var rows: [Effective] = []
        var seen: Set<String> = []
        for (key, value, _) in c.values {
            seen.insert(key)
            switch key {
            case "url":
                if let name = ["SESSIONCTL_URL", "REDIS_URL"].first(where: { set($0) != nil }) {
                    rows.append(
                        .init(option: key, value: RedisEndpoint.redact(set(name)!), source: "$\(name) (context: \(RedisEndpoint.redact(value)))"))
                } else {
                    rows.append(.init(option: key, value: RedisEndpoint.redact(value), source: fromContext))
                }
            case "password", "password-file":
                let shown = key == "password" ? "(set; not shown)" : value
                rows.append(
                    .init(
                        option: key, value: shown,
                        source: set("REDISCLI_AUTH") != nil ? "context, below $REDISCLI_AUTH and a URL password" : fromContext))
            case "framework", "audit-log", "settle":
                let name = ["framework": "SESSIONCTL_FRAMEWORK", "audit-log": "SESSIONCTL_AUDIT_LOG"][key] ?? "SESSIONCTL_SETTLE"
                if let e = set(name) {
                    rows.append(.init(option: key, value: e, source: "$\(name) (context: \(value))"))
                } else {
                    rows.append(.init(option: key, value: value, source: fromContext))
                }
            default:
                rows.append(.init(option: key, value: ConfigFile.shown(key: key, value: value), source: fromContext))
            }
        }
        // The settings every command uses, when the context leaves them out.
        if !seen.contains("url") {
            if let name = ["SESSIONCTL_URL", "REDIS_URL"].first(where: { set($0) != nil }) {
                rows.append(.init(option: "url", value: RedisEndpoint.redact(set(name)!), source: "$\(name)"))
            } else {
                rows.append(.init(option: "url", value: RedisEndpoint.defaultURL, source: "default"))
            }
        }
        if !seen.contains("framework"), let e = set("SESSIONCTL_FRAMEWORK") {
            rows.append(.init(option: "framework", value: e, source: "$SESSIONCTL_FRAMEWORK"))
        }
        if !seen.contains("audit-log"), let e = set("SESSIONCTL_AUDIT_LOG") {
            rows.append(.init(option: "audit-log", value: e, source: "$SESSIONCTL_AUDIT_LOG"))
        }
        if !seen.contains("actor") {
            let who = [set("SUDO_USER").map { ($0, "$SUDO_USER") }, set("USER").map { ($0, "$USER") }].compactMap { $0 }.first
            rows.append(.init(option: "actor", value: who?.0 ?? AuditTrail.accountName(), source: who?.1 ?? "the account's name"))
        }
        return rows
    }

    /// Rewrites the `current-context:` line (or adds one at the top), keeping the rest of the file and its mode.
    static func setCurrent(_ name: String, in path: String) throws {
        let rfd = open(path, O_RDONLY | O_CLOEXEC)
        guard rfd >= 0 else { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))", code: .failure) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count <= 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(rfd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        close(rfd)
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let line = "current-context: \(name)"
        if let i = lines.firstIndex(where: { $0.hasPrefix("current-context:") }) { lines[i] = line } else { lines.insert(line, at: 0) }
        let out = lines.joined(separator: "\n")
        let tmp = path + ".sessionctl-new"
        var info = stat()
        _ = stat(path, &info)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, info.st_mode & 0o777)
        guard fd >= 0 else { throw CLIError("cannot write \(tmp): \(String(cString: strerror(errno)))", code: .failure) }
        let data = Array(out.utf8)
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw CLIError("cannot write \(path)", code: .failure)
        }
    }
}
