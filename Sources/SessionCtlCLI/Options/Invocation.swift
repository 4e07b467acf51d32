import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// The output format.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, wide, json, ndjson
}

/// Settings a context holds whose environment variables rank above it.
public struct ContextDefaults: Sendable, Equatable {
    public var name: String?
    /// Whether the operator named the context (`--context`, `$SESSIONCTL_CONTEXT`): then it ranks
    /// above ambient environment variables (`$REDIS_URL`, `$SESSIONCTL_FRAMEWORK`, …), which only
    /// the configuration file's `current-context` ranks below.
    public var explicit = false
    public var url: String?
    /// More seed URLs of the same cluster (`urls:` beyond its first), tried in turn when one is down.
    public var moreURLs: [String] = []
    public var password: String?
    public var passwordFile: String?
    public var framework: String?
    public var auditLog: String?
    public var actor: String?
    /// `settle:` as the context wrote it (checked when the file is read).
    public var settle: String?
    /// `identities:`: a person (an email, a name) → the user ids the application knows them by.
    public var identities: [String: [String]] = [:]
    /// `identity-url:` and `identity-query:`: the application's own users table, asked read-only
    /// with one parameter (the person) for the user ids.
    public var identityURL: String?
    public var identityQuery: String?
    public init() {}
}

/// Where the server is and how to reach it: every command that talks to one.
public struct TargetOptions: Sendable {
    /// `--iam`: IAM tokens as passwords (ElastiCache, MemoryDB).
    public var iam = false
    public var url: String?
    /// `--url` given again: more seeds of the same cluster, tried in turn when one is down.
    public var moreURLs: [String] = []
    /// Where ``url`` came from when not `--url` (`--against`, for diff's side B), for messages.
    public var urlSource: String?
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
    /// `--cluster`/`--no-cluster`; `nil` detects.
    public var cluster: Bool?
}

/// How the result is written: the printer is made from these once per run (``Printer``).
public struct OutputOptions: Sendable {
    public var format: OutputFormat = .table
    /// How the format was asked for (`--json`, `-o table`), to name both sides of a conflict.
    var source: String?
    public var noColor = false
    /// Tables without their header line.
    public var noHeaders = false
    public var quiet = false
}

/// Where sessions live and how their payloads read: `nil` takes the framework's, else the default.
public struct LayoutOptions: Sendable {
    public var framework: String?
    public var mapping: String?
    public var sessionKey: String?
    public var sessionGlob: String?
    public var userField: String?
    /// The sessions table of a SQL URL (`--table`).
    public var table: String?
    /// Laravel's session lifetime in seconds (`--lifetime`).
    public var lifetime: Double?
    /// `--index TEMPLATE`: a per-user SET or ZSET of session ids.
    public var index: String?
    public var scanCount = 1000
    public var rate: Int?
    /// Laravel's APP_KEY (`--app-key-file`).
    public var appKeyFile: String?
    /// `--app-key-file` given again (`verify`: each key is asked with in turn).
    public var moreAppKeyFiles: [String] = []
    /// The length of the application's session ids where it configures another than its framework's
    /// (`--session-id-length`): the preset's shape then takes this many characters.
    public var sessionIdLength: ClosedRange<Int>?
}

/// The filters of `list`, `revoke-user` and `revoke-all`: seconds, or a network.
public struct FilterOptions: Sendable {
    public var idleOver: Double?
    public var olderThan: Double?
    public var ttlOver: Double?
    public var ip: String?
    /// `revoke-user --except SESSION` (repeatable).
    public var except: [Bytes] = []
    public var idleUnder: Double?
    /// `--created-after`: an RFC 3339 time or a duration ago, as given (checked by the parser).
    public var createdAfter: String?
    /// `--user-agent REGEX`, as given (checked by the parser).
    public var userAgent: String?
    /// Whether any filter was given.
    public var isSet: Bool { hunts || !except.isEmpty }
    /// Whether a filter that picks sessions by what they are was given (every filter but --except):
    /// `list` and `users` then need no user, and hunt across all of them.
    public var hunts: Bool {
        idleOver != nil || olderThan != nil || ttlOver != nil || ip != nil || idleUnder != nil || createdAfter != nil || userAgent != nil
    }
}

/// What every command that changes keys shares: the dry run, the confirmation, the audit trail, the watch.
public struct DestructiveOptions: Sendable {
    public var dryRun = false
    public var yes = false
    public var auditLog: String?
    public var actor: String?
    public var reason: String?
    public var auditStream: Bytes?
    /// `--audit-syslog DEST`: `local` (/dev/log), `unix:PATH`, `udp://HOST:PORT` or `tcp://HOST:PORT`.
    public var auditSyslog: String?
    /// `--settle`: seconds of quiet the revoked keys are watched for write-backs (`nil`: `$SESSIONCTL_SETTLE`, the context, 5).
    public var settle: Double?
}

/// `revoke` and `revoke-user`: the replicas' confirmation, the question to the application, Django's database.
public struct RevokeOptions: Sendable {
    /// Replicas per primary that must confirm session-key deletions before mappings go (`nil`: all; 0: no check).
    public var waitReplicas: Int?
    /// `--verify-url`: the application page each revoked cookie is tried on afterwards.
    public var verifyURL: String?
    /// `--verify-logged-in`: a status code, or a pattern in the body, that means "logged in".
    public var verifyLoggedIn: String?
    /// `--cookie-name`: the session cookie's name for `--verify-url` (default: the framework's).
    public var cookieName: String?
    /// `--cached-db-url`: Django's database, where a `cached_db` session's row is deleted with its cache key.
    public var cachedDBURL: String?
    /// `--ignore-not-found`: a session or user with nothing to revoke is not exit 3 (as kubectl delete's).
    public var ignoreNotFound = false
    /// `--show-all`: the confirmation lists every row, not counts and the first rows.
    public var showAll = false
    /// `--evidence FILE`: each session to be revoked, read in full, written here first.
    public var evidence: String?
}

/// `show` and `revoke`: how their arguments name sessions.
public struct SessionArgumentOptions: Sendable {
    /// `--user`: only this user's sessions (the mapping key is read directly).
    public var user: Bytes?
    /// The arguments are cookie values.
    public var cookie = false
    /// express-session's secrets, for `--cookie`.
    public var secretFile: String?
}

/// `users`: the ranking.
public struct UsersOptions: Sendable {
    public var sort: UserSort = .count
    public var min = 1
    /// `--live`: check each mapping's session, count live and stale apart.
    public var live = false
}

/// What the counting commands (`users`, `audit`, `diff`, `revoke-all`) may hold and report.
public struct CountingOptions: Sendable {
    /// `--top`: the first N users (`users`), or how many top users to report (`audit`, default 10).
    public var top: Int?
    /// The memory they may spend on what they count (`--memory-limit`).
    public var memoryLimit = MemoryLimit.defaultBytes
}

/// `show`.
public struct ShowOptions: Sendable {
    /// The most payload bytes read and printed per session.
    public var maxPayload = 64 * 1024
    /// `--reveal`: secrets the session holds are printed, not redacted.
    public var reveal = false
}

/// `audit-log show`.
public struct AuditLogOptions: Sendable {
    /// `--run`: a run id or its start.
    public var run: String?
    /// `--since`: a time or a duration ago, as given.
    public var since: String?
}

/// `list`.
/// The AWS service whose IAM authentication a token is for.
public enum IAMService: String, CaseIterable, Sendable {
    case elasticache, memorydb
}

/// `iam-token`: the cache and the service it is for.
public struct IAMOptions: Sendable {
    public var region: String?
    public var cacheName: String?
    public var service: IAMService = .elasticache
    public var serverless = false
}

public struct WatchOptions: Sendable {
    /// `--for`: how long the window lasts, in seconds.
    public var duration: Double?
    /// `--interval`: seconds between reads.
    public var interval: Double?
    /// `--revoke`: end each new session as it appears.
    public var revoke = false
}

public struct ListOptions: Sendable {
    /// `--scan-payloads`: find sessions by decoding payloads, not by mappings.
    public var scanPayloads = false
}

/// `detect`.
public struct DetectOptions: Sendable {
    /// How many keys are sampled (`--sample`).
    public var sample = 5000
}

/// `diff`.
public struct DiffOptions: Sendable {
    /// What is compared with (`--against`): a URL or a snapshot file.
    public var against: String?
    /// `--exit-code`: exit 1 when the stores differ.
    public var exitCode = false
}

/// `prune`.
public struct PruneOptions: Sendable {
    /// Seconds between the two checks that make a mapping orphaned (`--grace`).
    public var grace: Double = 60
}

/// `index build`.
public struct IndexBuildOptions: Sendable {
    /// `--resume TOKEN`.
    public var resume: String?
}

/// A command line bound to typed values: stage two's result. The options sit in structs by
/// who reads them (as gh's per-command `Options`): the shared ones by concern, each command's
/// own in its struct, so a command reads its own and the few shared ones it needs.
public struct Invocation: Sendable {
    /// The command to run.
    public var command: CommandName = .help
    /// Positional arguments after the command, as bytes (ids are binary).
    public var arguments: [Bytes] = []
    /// `--identity PERSON` (repeatable): people whose user ids the context resolves, added to the arguments.
    public var identities: [Bytes] = []
    /// Argv index of each positional argument, for messages.
    public var argumentIndexes: [Int] = []

    public var connection = TargetOptions()
    public var output = OutputOptions()
    public var layout = LayoutOptions()
    public var filters = FilterOptions()
    public var destructive = DestructiveOptions()
    public var revoke = RevokeOptions()
    public var sessions = SessionArgumentOptions()
    public var users = UsersOptions()
    public var counting = CountingOptions()
    public var show = ShowOptions()
    public var list = ListOptions()
    public var diff = DiffOptions()
    public var detect = DetectOptions()
    public var prune = PruneOptions()
    public var indexBuild = IndexBuildOptions()
    public var auditLogs = AuditLogOptions()

    // General
    public var help = false
    public var version = false

    /// `--context NAME`.
    public var context: String?
    /// `--all-contexts`: the command in every context of the configuration file.
    public var allContexts = false
    public var watch = WatchOptions()
    public var iam = IAMOptions()
    /// argv as given (after the program's name), for the audit trail's `run_start`.
    public var rawArguments: [Bytes] = []
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
