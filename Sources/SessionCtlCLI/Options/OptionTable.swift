import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

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

/// One option's declaration, its whole truth in one row: spelling, short name, value kind
/// and where the value lands, group, scope and help.
public struct OptionSpec: Sendable {
    /// The long spelling without `--`: the option's identity.
    public let name: String
    /// The one-letter spelling without `-`, if any.
    public let short: Character?
    /// How its value is read and where it lands.
    public let binding: OptionBinding
    /// Where it sits in help.
    public let group: OptionGroup
    /// The commands it applies to; `nil` for every command.
    public let commands: Set<CommandName>?
    /// One line of help.
    public let help: String
    /// What the store must be able to do for it to apply (rule 15): a store that cannot is
    /// refused once, before anything runs (``CommandContext/checkServes(_:)``).
    public var requires: StoreCapabilities = []

    /// What value it takes.
    public var value: OptionValue { binding.value }

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
    private static let changing: Set<CommandName> = Set(CommandName.allCases.filter(\.changesKeys))
    private static let revoking: Set<CommandName> = [.revoke, .revokeUser, .revokeAll, .watch]

    /// Every option, in help order.
    public static let all: [OptionSpec] = [
        OptionSpec(
            name: "context", short: nil, binding: .text(\.context, meta: "NAME"), group: .connection, commands: nil,
            help:
                "the configuration file's context NAME (default $SESSIONCTL_CONTEXT, then current-context); NAME,NAME,… runs list, users, audit, revoke, revoke-user, revoke-all and watch in each"
        ),
        OptionSpec(
            name: "all-contexts", short: nil, binding: .flag(\.allContexts), group: .connection,
            commands: [.list, .users, .audit, .revoke, .revokeUser, .revokeAll, .watch],
            help: "run in every context of the configuration file, in parallel: one table with a CONTEXT column, JSON grouped by context"),
        OptionSpec(
            name: "url", short: "u", binding: .seeds(), group: .connection, commands: server,
            help:
                "redis://[[user][:password]@]host[:port][/db], rediss://…, unix:///path[?db=N]; a sessions table: postgres://…, mysql://…, sqlite:///path (default: $SESSIONCTL_URL, $REDIS_URL, redis://127.0.0.1:6379); given again, more seeds of one cluster, tried in turn"
        ),
        OptionSpec(
            name: "password-file", short: nil, binding: .text(\.connection.passwordFile, meta: "FILE", isFile: true), group: .connection,
            commands: server,
            help: "read the password from the first line of FILE (else $REDISCLI_AUTH)"),
        OptionSpec(
            name: "iam", short: nil, binding: .flag(\.connection.iam), group: .connection, commands: server,
            help:
                "authenticate with IAM tokens (ElastiCache, MemoryDB): the URL's user, --region and --cache-name (or the context's); each connection gets a fresh token"
        ),
        OptionSpec(
            name: "askpass", short: nil, binding: .flag(\.connection.askpass), group: .connection, commands: server,
            help: "type the password at a prompt without echo (read from stdin without a terminal), as redis-cli --askpass"),
        OptionSpec(
            name: "connect-timeout", short: nil, binding: .seconds(\.connection.connectTimeout), group: .connection, commands: server,
            help: "give up connecting after SECONDS (default 5)"),
        OptionSpec(
            name: "timeout", short: nil, binding: .seconds(\.connection.timeout), group: .connection, commands: server,
            help: "give up on a reply after SECONDS (default 10)"),

        OptionSpec(
            name: "tls", short: nil, binding: .flag(\.connection.tls), group: .tls, commands: server,
            help: "connect with TLS (the same as a rediss:// URL)"),
        OptionSpec(
            name: "cacert", short: nil, binding: .text(\.connection.cacert, meta: "FILE", isFile: true), group: .tls, commands: server,
            help: "trust the CA certificates in FILE (PEM) instead of the system store"),
        OptionSpec(
            name: "cacertdir", short: nil, binding: .text(\.connection.cacertdir, meta: "DIR", isFile: true), group: .tls, commands: server,
            help: "trust the hashed CA certificates in DIR instead of the system store"),
        OptionSpec(
            name: "cert", short: nil, binding: .text(\.connection.cert, meta: "FILE", isFile: true), group: .tls, commands: server,
            help: "client certificate (PEM), for servers that require one"),
        OptionSpec(
            name: "key", short: nil, binding: .text(\.connection.key, meta: "FILE", isFile: true), group: .tls, commands: server,
            help: "private key of --cert (PEM)"),
        OptionSpec(
            name: "sni", short: nil, binding: .text(\.connection.sni, meta: "NAME"), group: .tls, commands: server,
            help: "server name to send and to verify the certificate against, instead of each node's host"),
        OptionSpec(
            name: "insecure", short: nil, binding: .flag(\.connection.insecure), group: .tls, commands: server,
            help: "do not verify the server's certificate or host name (warns; never in production)"),

        OptionSpec(
            name: "cluster", short: nil, binding: .cluster(true), group: .cluster, commands: server,
            help: "the server is a Redis Cluster (default: detect)", requires: .cluster),
        OptionSpec(
            name: "no-cluster", short: nil, binding: .cluster(false), group: .cluster, commands: server,
            help: "treat the server as standalone, even if it is a cluster node"),

        OptionSpec(
            name: "output", short: "o", binding: .output(nil), group: .output, commands: nil,
            help: "table (default), wide (list: idle, created, last seen, IP, user agent), json or ndjson"),
        OptionSpec(
            name: "json", short: nil, binding: .output(.json), group: .output, commands: nil,
            help: "the same as --output json"),
        OptionSpec(
            name: "no-color", short: nil, binding: .flag(\.output.noColor), group: .output, commands: nil,
            help: "never colour the output (also: NO_COLOR=1, TERM=dumb)"),
        OptionSpec(
            name: "no-headers", short: nil, binding: .flag(\.output.noHeaders), group: .output, commands: nil,
            help: "tables without their header line, as kubectl has"),
        OptionSpec(
            name: "quiet", short: "q", binding: .flag(\.output.quiet), group: .output, commands: server,
            help: "no progress or summaries on stderr; errors still show"),

        OptionSpec(
            name: "framework", short: "f", binding: .framework(), group: .layout, commands: server,
            help:
                "the layout and payload format of a framework: \(OptionBinding.list(Framework.names)) (default $SESSIONCTL_FRAMEWORK); the options below override it"
        ),
        OptionSpec(
            name: "mapping", short: nil, binding: .text(\.layout.mapping, meta: "TEMPLATE"), group: .layout, commands: server,
            help: "mapping-key template with <user> and <session> (default user:<user>:<session>)", requires: .keyLayout),
        OptionSpec(
            name: "session-key", short: nil, binding: .text(\.layout.sessionKey, meta: "TEMPLATE"), group: .layout, commands: server,
            help: "where session data lives: <value> (the mapping's value, default) or a template such as session:<session>", requires: .keyLayout),
        OptionSpec(
            name: "session-glob", short: nil, binding: .text(\.layout.sessionGlob, meta: "GLOB"), group: .layout, commands: server,
            help: "never read or delete a session key outside GLOB (default session:*, or the framework's)", requires: .keyLayout),
        OptionSpec(
            name: "session-id-length", short: nil, binding: .lengths(\.layout.sessionIdLength, 8...256), group: .layout, commands: server,
            help:
                "the length of the application's session ids where it sets another than its framework's (Flask-Session's SESSION_ID_LENGTH 64 makes 86, PHP's session.sid_length): a key under the glob with an id of another shape is not a session and is never deleted or mapped",
            requires: .keyLayout),
        OptionSpec(
            name: "index", short: nil, binding: .text(\.layout.index, meta: "TEMPLATE"), group: .layout, commands: server,
            help: "a per-user SET or ZSET of session ids with <user> (user_sessions:<user>): list, revoke-user and users read it instead of scanning",
            requires: .index),
        OptionSpec(
            name: "against", short: nil, binding: .text(\.diff.against, meta: "NAME|URL|FILE"), group: .selection, commands: [.diff],
            help:
                "the store to compare with: a context's name (B gets its URL, TLS files, password, cluster mode and framework), a URL (redis://, postgres://, mysql://, sqlite:///…: B takes A's key layout and none of its connection settings), or a file 'sessionctl snapshot' wrote"
        ),
        OptionSpec(
            name: "exit-code", short: nil, binding: .flag(\.diff.exitCode), group: .selection, commands: [.diff],
            help: "exit 1 when the stores differ (as git diff --exit-code)"),
        OptionSpec(
            name: "table", short: nil, binding: .text(\.layout.table, meta: "NAME"), group: .layout, commands: server,
            help: "the sessions table of a SQL URL (default sessions, then django_session); Laravel's and Django's columns are recognised"),
        OptionSpec(
            name: "lifetime", short: nil,
            binding: .durationWithUnit(
                \Invocation.layout.lifetime, 1...315_360_000,
                why: "Laravel's SESSION_LIFETIME counts minutes, so its 120 is --lifetime 120m (a bare number is not taken for seconds)"),
            group: .layout, commands: server,
            help: "Laravel's session lifetime (config/session.php, default 120m): a row idle longer is dead, audit counts it and prune deletes it"),
        OptionSpec(
            name: "user-field", short: nil, binding: .text(\.layout.userField, meta: "PATH"), group: .layout, commands: server,
            help: "where a decoded payload names the user, as a dot path (warden.user.admin.key.0.0); tried before the framework's"),
        OptionSpec(
            name: "scan-count", short: nil, binding: .count(\.layout.scanCount, 1...1_000_000), group: .layout, commands: server,
            help: "SCAN COUNT hint (default 1000)"),
        OptionSpec(
            name: "rate", short: nil, binding: .count(\.layout.rate, 1...1_000_000_000, meta: "KEYS_PER_SECOND"), group: .layout, commands: server,
            help: "examine at most this many keys a second on each primary, to spare a busy server (verify: ask at most this many questions a second)"
        ),

        OptionSpec(
            name: "user", short: nil, binding: .bytes(\.sessions.user, meta: "USER", what: "a user id"), group: .selection,
            commands: [.revoke, .show, .auditLog, .iamToken],
            help:
                "only sessions of USER (the mapping key is then read directly, no scan; audit-log show: runs that touched USER; iam-token: the cache's IAM-enabled user)"
        ),
        OptionSpec(
            name: "region", short: nil, binding: .text(\.iam.region, meta: "REGION"), group: .connection, commands: server.union([.iamToken]),
            help: "the AWS region of the cache, for its IAM tokens (us-east-1)"),
        OptionSpec(
            name: "cache-name", short: nil, binding: .text(\.iam.cacheName, meta: "NAME"), group: .connection, commands: server.union([.iamToken]),
            help:
                "the ElastiCache replication group or serverless cache, or the MemoryDB cluster, for its IAM tokens (lower-cased as their host)"
        ),
        OptionSpec(
            name: "service", short: nil, binding: .choice(\.iam.service, meta: "SERVICE"), group: .connection, commands: server.union([.iamToken]),
            help: "the service of the IAM tokens: elasticache (default) or memorydb"),
        OptionSpec(
            name: "serverless", short: nil, binding: .flag(\.iam.serverless), group: .connection, commands: server.union([.iamToken]),
            help: "the cache is an ElastiCache serverless cache (its IAM tokens say ResourceType=ServerlessCache)"),
        OptionSpec(
            name: "run", short: nil, binding: .text(\.auditLogs.run, meta: "ID"), group: .selection, commands: [.auditLog],
            help: "audit-log show: only the run whose id (trace.id) starts with ID"),
        OptionSpec(
            name: "since", short: nil, binding: .text(\.auditLogs.since, meta: "TIME"), group: .selection, commands: [.auditLog],
            help: "audit-log show: only runs started at or after TIME (2026-12-07, 2026-12-07T14:00Z, or a duration ago: 24h, 7d)"),
        OptionSpec(
            name: "sample", short: nil, binding: .count(\.detect.sample, 1...10_000_000), group: .selection, commands: [.detect],
            help: "how many keys detect samples (default 5000); what it concludes is from the sample, and says so"),
        OptionSpec(
            name: "sort", short: nil, binding: .choice(\.users.sort, meta: "KEY"), group: .selection, commands: [.users],
            help: "order users by count (default) or user"),
        OptionSpec(
            name: "min", short: nil, binding: .count(\.users.min, 1...Int(Int32.max)), group: .selection, commands: [.users],
            help: "only users with at least N sessions"),
        OptionSpec(
            name: "top", short: nil, binding: .count(\.counting.top, 1...Int(Int32.max)), group: .selection, commands: [.users, .audit],
            help: "only the first N users (users), or how many top users to report (audit, default 10)"),

        OptionSpec(
            name: "idle-over", short: nil, binding: .duration(\Invocation.filters.idleOver, 0...315_360_000), group: .selection,
            commands: [.list, .users, .revokeUser, .revokeAll],
            help: "only sessions idle for longer than DURATION (OBJECT IDLETIME, read before anything touches them)"),
        OptionSpec(
            name: "older-than", short: nil, binding: .duration(\Invocation.filters.olderThan, 0...315_360_000), group: .selection,
            commands: [.list, .users, .revokeUser, .revokeAll],
            help: "only sessions created longer than DURATION ago (from the payload; a session of unknown age is never matched)"),
        OptionSpec(
            name: "ttl-over", short: nil, binding: .duration(\Invocation.filters.ttlOver, 0...315_360_000), group: .selection,
            commands: [.list, .users, .revokeUser, .revokeAll],
            help: "only sessions with more than DURATION left to live (no expiry counts as more)"),
        OptionSpec(
            name: "identity", short: nil, binding: .appending(\.identities, meta: "PERSON", what: "a person"), group: .selection,
            commands: [.list, .revokeUser, .watch],
            help:
                "a person (an email) whose user ids the context resolves (identities:, or identity-url: with identity-query: against the app's own users table, read-only); may be given more than once"
        ),
        OptionSpec(
            name: "ip", short: nil, binding: .cidr(\.filters.ip), group: .selection, commands: [.list, .users, .revokeUser, .revokeAll],
            help: "only sessions whose payload's IP address is in CIDR (IPv4 or IPv6); list and users need no user then, and look across all"),
        OptionSpec(
            name: "idle-under", short: nil, binding: .duration(\Invocation.filters.idleUnder, 0...315_360_000), group: .selection,
            commands: [.list, .users, .revokeUser, .revokeAll],
            help: "only sessions idle for less than DURATION: in use lately (OBJECT IDLETIME, read before anything touches them)"),
        OptionSpec(
            name: "created-after", short: nil, binding: .text(\.filters.createdAfter, meta: "TIME"), group: .selection,
            commands: [.list, .users, .revokeUser, .revokeAll],
            help:
                "only sessions created after TIME: an RFC 3339 date or time (2026-12-07, 2026-12-07T14:00Z) or a duration ago (2h); from the payload, unknown ages never match"
        ),
        OptionSpec(
            name: "user-agent", short: nil, binding: .text(\.filters.userAgent, meta: "REGEX"), group: .selection,
            commands: [.list, .users, .revokeUser, .revokeAll],
            help: "only sessions whose payload's user agent matches REGEX (case ignored; unknown agents never match)"),
        OptionSpec(
            name: "except", short: nil, binding: .appending(\.filters.except, meta: "SESSION", what: "a session id"), group: .selection,
            commands: [.revokeUser],
            help: "keep this session (log out everywhere but here); may be given more than once"),
        OptionSpec(
            name: "cookie", short: nil, binding: .flag(\.sessions.cookie), group: .selection, commands: [.show, .revoke],
            help: "the arguments are cookie values as the browser holds them, turned into session ids by --framework"),
        OptionSpec(
            name: "reveal", short: nil, binding: .flag(\.show.reveal), group: .selection, commands: [.show],
            help: "print the secrets a session holds (CSRF tokens, password salts and digests, API keys), which show redacts by default"),
        OptionSpec(
            name: "secret-file", short: nil, binding: .text(\.sessions.secretFile, meta: "FILE", isFile: true), group: .selection,
            commands: [.show, .revoke],
            help: "express-session secrets, one a line: --cookie checks the cookie's signature against them"),
        OptionSpec(
            name: "app-key-file", short: nil, binding: .appKeyFiles(), group: .selection, commands: server,
            help:
                "Laravel's APP_KEY (a .env file or base64:…): opens encrypted cookies and SESSION_ENCRYPT payloads; verify takes it more than once (a blue/green deploy's keys)"
        ),
        OptionSpec(
            name: "live", short: nil, binding: .flag(\.users.live), group: .selection, commands: [.users],
            help: "check each mapping's session (pipelined EXISTS): count live sessions, and stale mappings apart"),
        OptionSpec(
            name: "memory-limit", short: nil, binding: .size(\.counting.memoryLimit, MemoryLimit.minimumBytes...(1 << 40)), group: .selection,
            commands: [.users, .audit, .diff, .revokeAll],
            help:
                "the memory users, audit and diff may use for what they count, and revoke-all for the keys it watches after deleting (default 64MiB); past it they spill sorted runs to a private directory under $TMPDIR and merge them, exactly"
        ),
        OptionSpec(
            name: "max-payload", short: nil, binding: .size(\.show.maxPayload, 1...(1 << 30)), group: .selection, commands: [.show],
            help: "read and show at most SIZE bytes of each payload (default 64KiB); the rest is counted"),
        OptionSpec(
            name: "dry-run", short: nil, binding: .flag(\.destructive.dryRun), group: .destructive, commands: changing,
            help: "print exactly what would be deleted and delete nothing"),
        OptionSpec(
            name: "wait-replicas", short: nil, binding: .count(\.revoke.waitReplicas, 0...1_000), group: .destructive,
            commands: [.revoke, .revokeUser],
            help: "replicas per primary that must confirm the session keys' deletion (WAIT) before mappings go (default: all; 0: no check)",
            requires: .replicas),
        OptionSpec(
            name: "settle", short: nil, binding: .duration(\Invocation.destructive.settle, 0...86_400), group: .destructive, commands: revoking,
            help:
                "after deleting, watch the revoked keys this long for sessions a request in flight writes back, delete them again, and wait until a whole DURATION passes without one (default 5s, else $SESSIONCTL_SETTLE; 0: off)"
        ),
        OptionSpec(
            name: "verify-url", short: nil, binding: .text(\.revoke.verifyURL, meta: "URL"), group: .destructive,
            commands: [.revoke, .revokeUser, .verify],
            help:
                "after settling, ask the application: GET URL with each revoked session's cookie, and report whether it still logs in (http:// or https://)"
        ),
        OptionSpec(
            name: "verify-logged-in", short: nil, binding: .text(\.revoke.verifyLoggedIn, meta: "STATUS|REGEX"), group: .destructive,
            commands: [.revoke, .revokeUser, .verify],
            help:
                "what --verify-url's answer looks like when the cookie still logs in: statuses or classes (200, 2xx, 401,403), or a pattern in the body (default: any 2xx status)"
        ),
        OptionSpec(
            name: "cookie-name", short: nil, binding: .text(\.revoke.cookieName, meta: "NAME"), group: .destructive,
            commands: [.revoke, .revokeUser, .verify],
            help: "the session cookie's name for --verify-url (default: the framework's, e.g. laravel_session, sessionid, PHPSESSID)"),
        OptionSpec(
            name: "cached-db-url", short: nil, binding: .text(\.revoke.cachedDBURL, meta: "URL"), group: .destructive,
            commands: [.revoke, .revokeUser],
            help:
                "Django cached_db: the database (postgres://, mysql://, sqlite:///…) whose django_session rows are deleted with their cache keys; without it such sessions are refused"
        ),
        OptionSpec(
            name: "ignore-not-found", short: nil, binding: .flag(\.revoke.ignoreNotFound), group: .destructive, commands: [.revoke, .revokeUser],
            help: "a session or user with nothing to revoke is not an error (exit 0, not 3); it is still listed in not_found"),
        OptionSpec(
            name: "show-all", short: nil, binding: .flag(\.revoke.showAll), group: .destructive, commands: [.revoke, .revokeUser, .prune],
            help: "the confirmation lists every session, not (past 20) the counts by user and kind and the first rows"),
        OptionSpec(
            name: "evidence", short: nil, binding: .text(\.revoke.evidence, meta: "FILE", isFile: true), group: .destructive,
            commands: [.revoke, .revokeUser, .revokeAll],
            help:
                "before deleting, write each session (user, IP, user agent, created, last seen, idle, TTL, payload digest, the payload redacted) to FILE as NDJSON, 0600, never overwriting; <time>, <run> and <context> in FILE are replaced"
        ),
        OptionSpec(
            name: "for", short: nil, binding: .duration(\Invocation.watch.duration, 1...604_800), group: .selection, commands: [.watch],
            help: "watch: how long the window lasts (default 15m); Ctrl-C ends it sooner"),
        OptionSpec(
            name: "interval", short: nil, binding: .duration(\Invocation.watch.interval, 0.1...3_600), group: .selection, commands: [.watch],
            help: "watch: how often the users' sessions are read (default 2s)"),
        OptionSpec(
            name: "revoke", short: nil, binding: .flag(\.watch.revoke), group: .destructive, commands: [.watch],
            help: "watch: end each new session at once (asks first on a terminal; --yes without one)"),
        OptionSpec(
            name: "grace", short: nil, binding: .duration(\.prune.grace, 0...604_800), group: .destructive, commands: [.prune],
            help: "a mapping is orphaned when its session was missing on two checks this far apart (default 60s; 0: one immediate re-check)"),
        OptionSpec(
            name: "resume", short: nil, binding: .text(\.indexBuild.resume, meta: "TOKEN"), group: .destructive, commands: [.index],
            help: "index build: continue an interrupted run from the token it printed (host:port=cursor,…)"),
        OptionSpec(
            name: "scan-payloads", short: nil, binding: .flag(\.list.scanPayloads), group: .selection, commands: [.list],
            help: "no mapping needed: find the users' sessions by decoding every payload under the glob (O(keyspace); index build makes it fast)",
            requires: .payloadScan),
        OptionSpec(
            name: "yes", short: "y", binding: .flag(\.destructive.yes), group: .destructive, commands: destructive.union([.watch]),
            help: "do not ask for confirmation (required without a terminal)"),
        OptionSpec(
            name: "audit-log", short: nil, binding: .text(\.destructive.auditLog, meta: "FILE", isFile: true), group: .destructive,
            commands: changing,
            help: "append the run's audit records to FILE, each deletion's before it, chained (default $SESSIONCTL_AUDIT_LOG)"),
        OptionSpec(
            name: "actor", short: nil, binding: .text(\.destructive.actor, meta: "NAME"), group: .destructive, commands: changing,
            help: "who is acting, for the audit trail (default $SUDO_USER, then $USER, then the account's name)"),
        OptionSpec(
            name: "reason", short: nil, binding: .text(\.destructive.reason, meta: "TEXT"), group: .destructive, commands: changing,
            help: "why, for the audit trail (a ticket or incident id)"),
        OptionSpec(
            name: "audit-stream", short: nil, binding: .bytes(\.destructive.auditStream, meta: "KEY", what: "a stream key"), group: .destructive,
            commands: changing,
            help: "also XADD each audit record to the Redis stream KEY", requires: .auditStream),
        OptionSpec(
            name: "audit-syslog", short: nil, binding: .text(\.destructive.auditSyslog, meta: "DEST"), group: .destructive, commands: changing,
            help: "also send each audit record to syslog (RFC 5424): local, unix:PATH, udp://HOST:PORT or tcp://HOST:PORT"),

        OptionSpec(
            name: "help", short: "h", binding: .flag(\.help), group: .general, commands: nil,
            help: "show help (also: sessionctl help COMMAND)"),
        OptionSpec(
            name: "version", short: nil, binding: .flag(\.version), group: .general, commands: nil,
            help: "print the version"),
    ]

    /// The option spelt `--name`.
    public static func long(_ name: String) -> OptionSpec? {
        all.first { $0.name == name }
    }

    /// The option spelt `-c`.
    public static func short(_ c: Character) -> OptionSpec? {
        all.first { $0.short == c }
    }
}
