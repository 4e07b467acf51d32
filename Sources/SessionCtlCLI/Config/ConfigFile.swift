import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore
import Yams

#if canImport(Glibc)
    import Glibc
#endif

/// The configuration file: named contexts, each a set of options, and the current one. Parsed
/// with Yams; every key is checked, and an unknown one is an error that names its line.
public struct ConfigFile {
    /// One context: option name → value and the line it stands on.
    public struct Context {
        public var name: String
        var values: [(key: String, value: String, line: Int)]
        /// `identities:`: each person and the user ids they have in this context's application.
        var identities: [(person: String, ids: [String])] = []
        /// Whether it holds a password: a `password:` key, or one inside any URL (`redis://:pw@…`, `postgres://app:pw@…`).
        var hasPassword: Bool { values.contains { $0.key == "password" || ConfigFile.urlHasPassword($0.value) } }
    }

    let path: String
    var current: String?
    public var contexts: [Context]

    /// The options a context may set: connection, TLS, cluster, layout and audit options, and a password.
    static let allowedKeys: Set<String> = {
        let groups: Set<OptionGroup> = [.connection, .tls, .cluster, .layout]
        var keys = Set(OptionTable.all.filter { groups.contains($0.group) && $0.name != "context" && $0.name != "askpass" }.map(\.name))
        keys.formUnion([
            "audit-log", "actor", "audit-stream", "wait-replicas", "app-key-file", "secret-file", "password",
            "settle", "cookie-name", "verify-url", "verify-logged-in", "cached-db-url", "urls", "evidence", "identities", "identity-url",
            "identity-query",
        ])
        keys.remove("no-cluster")
        return keys
    }()

    /// A file to start from, shown by `sessionctl help context` (its test parses it with this type).
    static let example = """
        current-context: staging
        contexts:
          production:
            url: rediss://clustercfg.prod.abc123.memorydb.us-east-1.amazonaws.com:6379
            cluster: true
            framework: rails
            password-file: /etc/sessionctl/prod.password
            audit-log: /var/log/sessionctl/prod.log
          staging:
            url: rediss://clustercfg.staging.abc123.memorydb.us-east-1.amazonaws.com:6379
            cluster: true
            framework: rails
          laravel-db:
            url: mysql://sessionctl@db.internal:3306/app
            table: sessions
            framework: laravel
          self-hosted:
            urls:                 # seeds of one cluster, tried in turn
              - rediss://10.0.1.11:6379
              - rediss://10.0.2.11:6379
            framework: laravel

        """

    /// Where the file is: `$SESSIONCTL_CONFIG`, else `$XDG_CONFIG_HOME/sessionctl/config.yaml`, else `~/.config/sessionctl/config.yaml`.
    static func location(_ env: [String: String]) -> (path: String, explicit: Bool)? {
        if let p = env["SESSIONCTL_CONFIG"], !p.isEmpty { return (p, true) }
        if let x = env["XDG_CONFIG_HOME"], !x.isEmpty { return (x + "/sessionctl/config.yaml", false) }
        if let h = env["HOME"], !h.isEmpty { return (h + "/.config/sessionctl/config.yaml", false) }
        return nil
    }

    /// Reads and checks the file; `nil` when there is none at the default place.
    static func load(_ env: [String: String]) throws -> ConfigFile? {
        guard let (path, explicit) = location(env) else { return nil }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT && !explicit { return nil }
            throw CLIError(
                "cannot read the configuration file '\(path)': \(String(cString: strerror(errno)))",
                hint: explicit ? "check $SESSIONCTL_CONFIG" : nil, code: .usage)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CLIError("the configuration file '\(path)' is not a regular file (a directory?)", code: .usage)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count <= 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        guard bytes.count <= 1 << 20 else { throw CLIError("the configuration file '\(path)' is larger than 1 MiB", code: .usage) }
        var file = try parse(String(decoding: bytes, as: UTF8.self), path: path)
        // As ssh does: a file holding a password must be the owner's alone.
        if file.contexts.contains(where: \.hasPassword) && info.st_mode & 0o077 != 0 {
            throw CLIError(
                "the configuration file '\(path)' holds a password and group or others can read it",
                hint: "chmod 600 \(path)", code: .usage)
        }
        file.contexts.sort { $0.name < $1.name }
        return file
    }

    /// Whether `value` is a URL with a password in it (`scheme://user:password@…` or `scheme://:password@…`).
    static func urlHasPassword(_ value: String) -> Bool {
        guard let scheme = value.range(of: "://"), let at = value[scheme.upperBound...].lastIndex(of: "@") else { return false }
        return value[scheme.upperBound..<at].contains(":")
    }

    /// A context's value as it may be shown: a URL without its credentials, a password not at all.
    static func shown(key: String, value: String) -> String {
        if key == "password" { return "(set; not shown)" }
        return value.contains("://") ? RedisEndpoint.redact(value) : value
    }

    /// The line of the first YAML anchor (`&name`) or alias (`*name`) outside quotes and comments:
    /// an `&` or `*` where a node starts (at the start of a line, after `: `, `- ` or `? `, or after `[`,
    /// `{` or `,` inside a flow collection), followed by a name. `session:*` and `"*x"` are not.
    static func aliasLine(_ text: String) -> Int? {
        let b = Array(text.utf8)
        var line = 1
        var i = 0
        var flow = 0
        var quote: UInt8? = nil
        var atNodeStart = true  // nothing but spaces since a place where a node may start
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 9 }
        while i < b.count {
            let c = b[i]
            i += 1
            if c == 10 {
                line += 1
                if quote == nil { atNodeStart = true }
                continue
            }
            if let q = quote {
                if c == 92 && q == 34 {
                    i += 1
                } else if c == q {
                    quote = nil
                    atNodeStart = false
                }
                continue
            }
            if isSpace(c) { continue }
            if c == 35 && (i == 1 || isSpace(b[i - 2]) || b[i - 2] == 10) {  // a comment, to the end of the line
                while i < b.count && b[i] != 10 { i += 1 }
                continue
            }
            let next: UInt8 = i < b.count ? b[i] : 10
            if atNodeStart && (c == 38 || c == 42) && !isSpace(next) && next != 10 && ![44, 91, 93, 123, 125].contains(next) { return line }
            if atNodeStart && (c == 39 || c == 34) {
                quote = c
                continue
            }
            let indicatorWithSpace = (c == 58 || c == 45 || c == 63) && (isSpace(next) || next == 10)  // ": ", "- ", "? "
            if indicatorWithSpace {
                atNodeStart = true
            } else if (c == 91 || c == 123) && (atNodeStart || flow > 0) {  // a flow collection starts: [ {
                flow += 1
                atNodeStart = true
            } else if (c == 93 || c == 125) && flow > 0 {
                flow -= 1
                atNodeStart = false
            } else if c == 44 && flow > 0 {
                atNodeStart = true
            } else {
                atNodeStart = false
            }
        }
        return nil
    }

    /// Parses the YAML; errors name the line.
    public static func parse(_ text: String, path: String) throws -> ConfigFile {
        // Aliases are refused before Yams sees the text: a few lines of nested aliases expand
        // exponentially (a "billion laughs"), and a file of contexts never needs them.
        if let line = aliasLine(text) {
            throw CLIError(
                "the configuration file '\(path)', line \(line): YAML anchors and aliases (&name, *name) are not allowed here",
                hint: "write each value out", code: .usage)
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let e as YamlError {
            throw CLIError("the configuration file '\(path)' is not valid YAML: \(Self.oneLine("\(e)"))", code: .usage)
        }
        var file = ConfigFile(path: path, current: nil, contexts: [])
        guard let root else { return file }
        guard let top = root.mapping else { throw bad(path, root, "the file must be a mapping with current-context and contexts") }
        for (k, v) in top {
            switch k.string {
            case "current-context":
                guard let name = v.scalar?.string, !name.isEmpty else { throw bad(path, v, "current-context must be a context's name") }
                file.current = name
            case "contexts":
                guard let all = v.mapping else { throw bad(path, v, "contexts must map names to options") }
                for (nameNode, body) in all {
                    guard let name = nameNode.scalar?.string, !name.isEmpty else { throw bad(path, nameNode, "a context needs a name") }
                    guard let options = body.mapping else { throw bad(path, body, "context '\(name)' must map option names to values") }
                    var context = Context(name: name, values: [])
                    for (keyNode, valueNode) in options {
                        let key = keyNode.string ?? ""
                        guard allowedKeys.contains(key) else {
                            let hint = Suggest.closest(to: key, in: Array(allowedKeys)).map { "; did you mean '\($0)'?" } ?? ""
                            throw bad(path, keyNode, "unknown key '\(key)' in context '\(name)'\(hint)")
                        }
                        if key == "identities" {
                            // A person → the user id (or a list of them) the application knows them by.
                            guard let people = valueNode.mapping else {
                                throw bad(path, valueNode, "'identities' in context '\(name)' must map people to user ids")
                            }
                            for (personNode, idsNode) in people {
                                guard let person = personNode.scalar?.string, !person.isEmpty else {
                                    throw bad(path, personNode, "an identity needs a person")
                                }
                                let ids = idsNode.sequence.map { $0.compactMap { $0.scalar?.string } } ?? idsNode.scalar.map { [$0.string] } ?? []
                                guard !ids.isEmpty, ids.allSatisfy({ !$0.isEmpty }) else {
                                    throw bad(path, idsNode, "the identity '\(person)' must name a user id or a list of them")
                                }
                                for id in ids { context.values.append(("identities", person + ": " + id, personNode.mark?.line ?? 0)) }
                                context.identities.append((person, ids))
                            }
                            continue
                        }
                        if key == "urls" {
                            // Seeds of one cluster, tried in turn: a list of URLs.
                            guard let items = valueNode.sequence, !items.isEmpty else {
                                throw bad(path, valueNode, "'urls' in context '\(name)' must be a list of URLs")
                            }
                            for item in items {
                                guard let url = item.scalar?.string, !url.isEmpty else { throw bad(path, item, "each of 'urls' must be a URL") }
                                context.values.append((key, url, item.mark?.line ?? 0))
                            }
                            continue
                        }
                        guard let value = valueNode.scalar?.string else {
                            throw bad(path, valueNode, "'\(key)' in context '\(name)' must be a single value")
                        }
                        context.values.append((key, value, keyNode.mark?.line ?? 0))
                    }
                    file.contexts.append(context)
                }
            default:
                throw bad(path, k, "unknown key '\(k.string ?? "")': the file holds current-context and contexts")
            }
        }
        return file
    }

    private static func bad(_ path: String, _ node: Node, _ why: String) -> CLIError {
        CLIError("\(path), line \((node.mark?.line ?? 0)): \(why)", code: .usage)
    }

    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: { $0 == "\n" }).map { String($0).trimmingSpaces }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// The context named, or the current one; `nil` when none is named and there is no current one.
    public func context(named name: String?) throws -> Context? {
        guard let wanted = name ?? current else { return nil }
        guard let c = contexts.first(where: { $0.name == wanted }) else {
            let hint =
                Suggest.closest(to: wanted, in: contexts.map(\.name)).map { "did you mean '\($0)'?" }
                ?? "the contexts are: \(contexts.map(\.name).joined(separator: ", "))"
            throw CLIError("no context '\(wanted)' in \(path)", hint: hint, code: .usage)
        }
        return c
    }
}

extension Invocation {
    /// Fills in what the context gives and the command line did not (flag, then environment,
    /// then context, then default); the context is `--context`, `$SESSIONCTL_CONTEXT` or current-context.
    func applyingContext(environment env: [String: String]) throws -> Invocation {
        guard command.talksToServer || command == .context else { return self }
        let named = context ?? env["SESSIONCTL_CONTEXT"].flatMap { $0.isEmpty ? nil : $0 }
        guard let file = try ConfigFile.load(env) else {
            if let named {
                throw CLIError(
                    "no configuration file holds the context '\(named)'", hint: "'sessionctl help context' shows an example file", code: .usage)
            }
            return self
        }
        guard command != .context, let ctx = try file.context(named: named) else { return self }
        var inv = self
        inv.fromContext.name = ctx.name
        inv.fromContext.explicit = named != nil
        for (key, value, line) in ctx.values {
            let place = "\(file.path), line \(line)"
            switch key {
            case "url": inv.fromContext.url = value
            case "urls":
                if ctx.values.contains(where: { $0.key == "url" }) {
                    throw CLIError("\(place): a context has url or urls, not both", code: .usage)
                }
                if inv.fromContext.url == nil { inv.fromContext.url = value } else { inv.fromContext.moreURLs.append(value) }
            case "password": inv.fromContext.password = value
            case "password-file": inv.fromContext.passwordFile = value
            case "framework":
                guard Framework.named(value) != nil else {
                    throw CLIError("\(place): no framework '\(value)'", hint: "expected \(OptionBinding.list(Framework.names))", code: .usage)
                }
                inv.fromContext.framework = value
            case "audit-log": inv.fromContext.auditLog = value
            case "identities": continue  // read from the context's own list below
            case "identity-url": inv.fromContext.identityURL = value
            case "identity-query": inv.fromContext.identityQuery = value
            case "actor": inv.fromContext.actor = value
            case "settle":
                guard let s = OptionBinding.parseDuration(value), s <= 86_400 else {
                    throw CLIError("\(place): settle is a duration such as 5s, 0.5s or 0 (off)", code: .usage)
                }
                inv.fromContext.settle = value
            default:
                guard let spec = OptionTable.long(key), !inv.given.contains(key) else { continue }
                if key == "cluster" {
                    // cluster: true|false means --cluster or --no-cluster.
                    if inv.given.contains("no-cluster") { continue }
                    guard value == "true" || value == "false" else { throw CLIError("\(place): cluster is true or false", code: .usage) }
                    inv.connection.cluster = value == "true"
                    inv.setByContext.insert(value == "true" ? "cluster" : "no-cluster")
                    continue
                }
                var bytes: [UInt8]? = Array(value.utf8)
                if spec.value == .none {
                    guard value == "true" || value == "false" else { throw CLIError("\(place): \(key) is true or false", code: .usage) }
                    if value == "false" { continue }
                    bytes = nil
                }
                do {
                    try spec.binding.bind(&inv, bytes, key, 0)
                    inv.setByContext.insert(key)
                } catch {
                    throw CLIError("\(place): \(ExitCode.describe(error).line)", code: .usage)
                }
            }
        }
        for (person, ids) in ctx.identities { inv.fromContext.identities[person, default: []] += ids }
        if (inv.fromContext.identityURL == nil) != (inv.fromContext.identityQuery == nil) {
            throw CLIError("\(file.path): context '\(ctx.name)' needs identity-url and identity-query together", code: .usage)
        }
        return inv
    }
}
