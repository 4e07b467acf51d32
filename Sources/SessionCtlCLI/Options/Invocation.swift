import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// The output format.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, wide, json, ndjson

    /// Whether the output is a table for people (`table` or `wide`).
    public var isTable: Bool { self == .table || self == .wide }
}

/// Settings a context holds whose environment variables rank above it.
public struct ContextDefaults: Sendable, Equatable {
    public var name: String?
    /// Whether the operator named the context (`--context`, `$SESSIONCTL_CONTEXT`): then it ranks
    /// above ambient environment variables (`$REDIS_URL`, `$SESSIONCTL_FRAMEWORK`, …), which only
    /// the configuration file's `current-context` ranks below.
    public var explicit = false
    public var url: String?
    public var password: String?
    public var passwordFile: String?
    public var framework: String?
    public var auditLog: String?
    public var actor: String?
    /// `settle:` as the context wrote it (checked when the file is read).
    public var settle: String?
    public init() {}
}

/// A command line bound to typed values: stage two's result.
public struct Invocation: Sendable {
    /// The command to run.
    public var command: CommandName = .help
    /// Positional arguments after the command, as bytes (ids are binary).
    public var arguments: [Bytes] = []
    /// Argv index of each positional argument, for messages.
    public var argumentIndexes: [Int] = []

    // Connection
    public var url: String?
    public var passwordFile: String?
    public var askpass = false
    public var connectTimeout: Double = 5
    public var timeout: Double = 10
    // TLS
    public var tls = false
    public var cacert: String?
    public var cacertdir: String?
    public var cert: String?
    public var key: String?
    public var sni: String?
    public var insecure = false
    // Cluster: nil detects
    public var cluster: Bool?
    // Output
    public var output: OutputFormat = .table
    /// How the output format was asked for (`--json`, `-o table`), to name both sides of a conflict.
    var outputSource: String?
    public var noColor = false
    public var quiet = false
    // Layout: `nil` takes the framework's, else the default
    public var framework: String?
    public var mapping: String?
    public var sessionKey: String?
    public var sessionGlob: String?
    public var userField: String?
    /// What `diff` compares with (`--against`): a URL or a snapshot file.
    public var against: String?
    /// `diff --exit-code`.
    public var exitCode = false
    /// The sessions table of a SQL URL (`--table`).
    public var table: String?
    /// Laravel's session lifetime in seconds (`--lifetime`).
    public var lifetime: Double?
    /// `--index TEMPLATE`: a per-user SET or ZSET of session ids.
    public var index: String?
    public var scanCount = 1000
    public var rate: Int?
    // Selection
    public var user: Bytes?
    public var sort: UserSort = .count
    public var min = 1
    public var top: Int?
    /// The most payload bytes `show` reads and prints per session.
    public var maxPayload = 64 * 1024
    /// The memory `users`, `audit`, `diff` may spend on what they count (`--memory-limit`).
    public var memoryLimit = MemoryLimit.defaultBytes
    /// `users --live`: check each mapping's session, count live and stale apart.
    public var live = false
    /// The arguments of `show`/`revoke` are cookie values.
    public var cookie = false
    /// `show --reveal`: secrets the session holds are printed, not redacted.
    public var reveal = false
    // Filters (list, revoke-user, revoke-all): seconds, or a network
    public var idleOver: Double?
    public var olderThan: Double?
    public var ttlOver: Double?
    public var ip: String?
    /// `revoke-user --except SESSION` (repeatable).
    public var except: [Bytes] = []
    /// Whether any filter was given.
    public var hasFilters: Bool { idleOver != nil || olderThan != nil || ttlOver != nil || ip != nil || !except.isEmpty }
    /// Tables without their header line.
    public var noHeaders = false
    /// `list --scan-payloads`: find sessions by decoding payloads, not by mappings.
    public var scanPayloads = false
    /// `index build --resume TOKEN`.
    public var resume: String?
    public var secretFile: String?
    public var appKeyFile: String?
    // Destructive
    public var dryRun = false
    /// Replicas per primary that must confirm session-key deletions before mappings go (`nil`: all; 0: no check).
    public var waitReplicas: Int?
    /// `--settle`: seconds of quiet the revoked keys are watched for write-backs (`nil`: `$SESSIONCTL_SETTLE`, the context, 5).
    public var settle: Double?
    /// `--verify-url`: the application page each revoked cookie is tried on afterwards.
    public var verifyURL: String?
    /// `--verify-logged-in`: a status code, or a pattern in the body, that means "logged in".
    public var verifyLoggedIn: String?
    /// `--cookie-name`: the session cookie's name for `--verify-url` (default: the framework's).
    public var cookieName: String?
    /// `--cached-db-url`: Django's database, where a `cached_db` session's row is deleted with its cache key.
    public var cachedDBURL: String?
    /// Seconds between the two checks that make a mapping orphaned (`prune`).
    public var grace: Double = 60
    public var yes = false
    public var auditLog: String?
    public var actor: String?
    public var reason: String?
    public var auditStream: Bytes?
    // General
    public var help = false
    public var version = false

    /// `--context NAME`.
    public var context: String?
    /// The long names of the options argv gave (a context fills in only the others).
    public var given: Set<String> = []
    /// What the context gives that the environment may override (flag, then environment, then context).
    public var fromContext = ContextDefaults()
    /// The long names of the options the context set, as argv would have (`cluster: false` is `no-cluster`).
    public var setByContext: Set<String> = []

    /// Whether the option named `name` was given, on the command line or by the context.
    public func isSet(_ name: String) -> Bool { given.contains(name) || setByContext.contains(name) }

    /// An invocation with every default.
    public init() {}
}
