/// Every option sessionctl knows, declared once: spelling, short name, value, help, and where it applies.
///
/// Help text, the man page and the completion scripts are checked against this table.
public enum OptionID: String, CaseIterable, Sendable {
    // Connection
    case url, passwordFile, connectTimeout, timeout
    // TLS
    case tls, cacert, cacertdir, cert, key, sni, insecure
    // Cluster
    case cluster, noCluster
    // Output
    case output, json, noColor, quiet
    // Key layout
    case mapping, sessionKey, sessionGlob, scanCount, rate
    // Selection
    case user, sort, min, top
    // Destructive commands
    case dryRun, yes, auditLog, actor, reason, auditStream
    // Help
    case help, version
}

/// The kind of value an option takes.
public enum OptionValue: Equatable, Sendable {
    /// A flag with no value.
    case none
    /// A value shown in help as `meta`; `choices` when the set is fixed; `isFile` when it names a file.
    case value(meta: String, choices: [String] = [], isFile: Bool = false)
}

/// Where an option sits in help.
public enum OptionGroup: String, CaseIterable, Sendable {
    case connection = "Connection"
    case tls = "TLS"
    case cluster = "Cluster"
    case output = "Output"
    case layout = "Key layout"
    case selection = "Selection"
    case destructive = "Destructive commands"
    case general = "General"
}

/// One option's declaration.
public struct OptionSpec: Sendable {
    /// Its identity.
    public let id: OptionID
    /// The long spelling without `--`.
    public let name: String
    /// The one-letter spelling without `-`, if any.
    public let short: Character?
    /// What value it takes.
    public let value: OptionValue
    /// Where it sits in help.
    public let group: OptionGroup
    /// The commands it applies to; `nil` for every command.
    public let commands: Set<CommandName>?
    /// One line of help.
    public let help: String

    /// Whether it takes a value.
    public var takesValue: Bool { value != .none }

    /// `--name` or `-s, --name`, with the meta-variable.
    public var spelling: String {
        var s = short.map { "-\($0), " } ?? ""
        s += "--\(name)"
        if case .value(let meta, _, _) = value { s += " \(meta)" }
        return s
    }
}

/// The option table.
public enum OptionTable {
    private static let server: Set<CommandName> = Set(CommandName.allCases.filter(\.talksToServer))
    private static let destructive: Set<CommandName> = Set(CommandName.allCases.filter(\.isDestructive))

    /// Every option, in help order.
    public static let all: [OptionSpec] = [
        OptionSpec(id: .url, name: "url", short: "u", value: .value(meta: "URL"), group: .connection, commands: server,
                   help: "redis://[[user][:password]@]host[:port][/db], rediss://…, unix:///path[?db=N] (default: $SESSIONCTL_URL, $REDIS_URL, redis://127.0.0.1:6379)"),
        OptionSpec(id: .passwordFile, name: "password-file", short: nil, value: .value(meta: "FILE", isFile: true), group: .connection, commands: server,
                   help: "read the password from the first line of FILE (else $REDISCLI_AUTH)"),
        OptionSpec(id: .connectTimeout, name: "connect-timeout", short: nil, value: .value(meta: "SECONDS"), group: .connection, commands: server,
                   help: "give up connecting after SECONDS (default 5)"),
        OptionSpec(id: .timeout, name: "timeout", short: nil, value: .value(meta: "SECONDS"), group: .connection, commands: server,
                   help: "give up on a reply after SECONDS (default 10)"),

        OptionSpec(id: .tls, name: "tls", short: nil, value: .none, group: .tls, commands: server,
                   help: "connect with TLS (the same as a rediss:// URL)"),
        OptionSpec(id: .cacert, name: "cacert", short: nil, value: .value(meta: "FILE", isFile: true), group: .tls, commands: server,
                   help: "trust the CA certificates in FILE (PEM) instead of the system store"),
        OptionSpec(id: .cacertdir, name: "cacertdir", short: nil, value: .value(meta: "DIR", isFile: true), group: .tls, commands: server,
                   help: "trust the hashed CA certificates in DIR instead of the system store"),
        OptionSpec(id: .cert, name: "cert", short: nil, value: .value(meta: "FILE", isFile: true), group: .tls, commands: server,
                   help: "client certificate (PEM), for servers that require one"),
        OptionSpec(id: .key, name: "key", short: nil, value: .value(meta: "FILE", isFile: true), group: .tls, commands: server,
                   help: "private key of --cert (PEM)"),
        OptionSpec(id: .sni, name: "sni", short: nil, value: .value(meta: "NAME"), group: .tls, commands: server,
                   help: "server name to send and to verify the certificate against, instead of each node's host"),
        OptionSpec(id: .insecure, name: "insecure", short: nil, value: .none, group: .tls, commands: server,
                   help: "do not verify the server's certificate or host name (warns; never in production)"),

        OptionSpec(id: .cluster, name: "cluster", short: nil, value: .none, group: .cluster, commands: server,
                   help: "the server is a Redis Cluster (default: detect)"),
        OptionSpec(id: .noCluster, name: "no-cluster", short: nil, value: .none, group: .cluster, commands: server,
                   help: "treat the server as standalone, even if it is a cluster node"),

        OptionSpec(id: .output, name: "output", short: "o", value: .value(meta: "FORMAT", choices: ["table", "json", "ndjson"]), group: .output, commands: nil,
                   help: "table (default), json or ndjson"),
        OptionSpec(id: .json, name: "json", short: nil, value: .none, group: .output, commands: nil,
                   help: "the same as --output json"),
        OptionSpec(id: .noColor, name: "no-color", short: nil, value: .none, group: .output, commands: nil,
                   help: "never colour the output (also: NO_COLOR=1, TERM=dumb)"),
        OptionSpec(id: .quiet, name: "quiet", short: "q", value: .none, group: .output, commands: server,
                   help: "no progress or summaries on stderr; errors still show"),

        OptionSpec(id: .mapping, name: "mapping", short: nil, value: .value(meta: "TEMPLATE"), group: .layout, commands: server,
                   help: "mapping-key template with <user> and <session> (default user:<user>:<session>)"),
        OptionSpec(id: .sessionKey, name: "session-key", short: nil, value: .value(meta: "TEMPLATE"), group: .layout, commands: server,
                   help: "where session data lives: <value> (the mapping's value, default) or a template such as session:<session>"),
        OptionSpec(id: .sessionGlob, name: "session-glob", short: nil, value: .value(meta: "GLOB"), group: .layout, commands: server,
                   help: "never read or delete a session key outside GLOB (default session:*)"),
        OptionSpec(id: .scanCount, name: "scan-count", short: nil, value: .value(meta: "N"), group: .layout, commands: server,
                   help: "SCAN COUNT hint (default 1000)"),
        OptionSpec(id: .rate, name: "rate", short: nil, value: .value(meta: "KEYS_PER_SECOND"), group: .layout, commands: server,
                   help: "examine at most this many keys a second on each primary, to spare a busy server"),

        OptionSpec(id: .user, name: "user", short: nil, value: .value(meta: "USER"), group: .selection, commands: [.revoke, .show],
                   help: "only sessions of USER (the mapping key is then read directly, no scan)"),
        OptionSpec(id: .sort, name: "sort", short: nil, value: .value(meta: "KEY", choices: UserSortChoices.all), group: .selection, commands: [.users],
                   help: "order users by count (default) or user"),
        OptionSpec(id: .min, name: "min", short: nil, value: .value(meta: "N"), group: .selection, commands: [.users],
                   help: "only users with at least N sessions"),
        OptionSpec(id: .top, name: "top", short: nil, value: .value(meta: "N"), group: .selection, commands: [.users, .audit],
                   help: "only the first N users (users), or how many top users to report (audit, default 10)"),

        OptionSpec(id: .dryRun, name: "dry-run", short: nil, value: .none, group: .destructive, commands: destructive,
                   help: "print exactly what would be deleted and delete nothing"),
        OptionSpec(id: .yes, name: "yes", short: "y", value: .none, group: .destructive, commands: destructive,
                   help: "do not ask for confirmation (required without a terminal)"),
        OptionSpec(id: .auditLog, name: "audit-log", short: nil, value: .value(meta: "FILE", isFile: true), group: .destructive, commands: destructive,
                   help: "append a JSON line per affected user to FILE before deleting (default $SESSIONCTL_AUDIT_LOG)"),
        OptionSpec(id: .actor, name: "actor", short: nil, value: .value(meta: "NAME"), group: .destructive, commands: destructive,
                   help: "who is acting, for the audit trail (default $SUDO_USER, then $USER)"),
        OptionSpec(id: .reason, name: "reason", short: nil, value: .value(meta: "TEXT"), group: .destructive, commands: destructive,
                   help: "why, for the audit trail (a ticket or incident id)"),
        OptionSpec(id: .auditStream, name: "audit-stream", short: nil, value: .value(meta: "KEY"), group: .destructive, commands: destructive,
                   help: "also XADD each audit record to the Redis stream KEY"),

        OptionSpec(id: .help, name: "help", short: "h", value: .none, group: .general, commands: nil,
                   help: "show help (also: sessionctl help COMMAND)"),
        OptionSpec(id: .version, name: "version", short: nil, value: .none, group: .general, commands: nil,
                   help: "print the version"),
    ]

    /// The declaration of `id`.
    public static func spec(_ id: OptionID) -> OptionSpec {
        all.first { $0.id == id }!
    }

    /// The option spelt `--name`.
    public static func long(_ name: String) -> OptionSpec? {
        all.first { $0.name == name }
    }

    /// The option spelt `-c`.
    public static func short(_ c: Character) -> OptionSpec? {
        all.first { $0.short == c }
    }
}

/// The values `--sort` takes.
enum UserSortChoices {
    static let all = ["count", "user"]
}
