import SessionBasics
import SessionPayload

/// A web framework's way of storing sessions, as one row of ``Framework/all``: what an operator
/// names with `--framework` instead of a layout. Help, the man page, the completions and
/// `detect` read the same table. The facts behind each row: `shared/FRAMEWORKS.md`, checked
/// against the frameworks installed by `scripts/setup.sh`.
public struct Framework: Sendable {
    /// The name `--framework` takes.
    public let name: String
    /// One line for help: which stores and versions the row covers.
    public let summary: String
    /// The mapping template the application writes (`--mapping`).
    public let mapping: String
    /// Session-key globs (`--session-glob`): a key outside all of them is never read or deleted.
    public let sessionGlobs: [String]
    /// A prefix a session id may carry, such as Rack's private ids (`2::<sha256>`), which holds the
    /// mapping separator and so needs saying.
    public let sessionIdPrefix: String?
    /// How the payload is read.
    public let payload: PayloadKind
    /// Where the fields sit in a decoded payload.
    public let fields: FieldPaths
    /// How a cookie value becomes a session id.
    public let cookie: CookieTransform
    /// Session keys a revocation cannot end by deleting them, and why (Django's `cached_db`).
    public let unrevocable: [(glob: String, reason: String)]
    /// What stands just before the session id in a session key, tried in order (`index build`,
    /// `list --scan-payloads` read the id after the first that occurs).
    public let idMarkers: [String]
    /// The framework's own per-user index of session ids (Spring's principal index), used unless `--index` says otherwise.
    public var index: String? = nil
    /// Where a session id's data lives, for index members (`--session-key` when an index is used).
    public var sessionKeyTemplate: String? = nil
    /// Other copies the framework keeps of a session, which a revocation deletes too.
    public var companions: CompanionKind? = nil
    /// The session cookie's usual name (`--cookie-name` for `--verify-url`); Rails names it after the app.
    public var cookieName: String? = nil
    /// What a session of this framework is (rule 19): every path that deletes or maps refuses a key
    /// whose session is not of this shape, and counts it as "not a session"; `nil` when not declared.
    public var sessionShape: SessionShape? = nil

    /// How a framework's payloads are decoded.
    public enum PayloadKind: String, Sendable {
        /// Ruby Marshal (or JSON for `:json`/`:hybrid` stores), inside an `ActiveSupport::Cache::Entry` for the cache store.
        case rails
        /// PHP `serialize()` of the serialized session string, maybe encrypted with the app key.
        case laravel
        /// PHP's session format (`name|value`), or `php_serialize`.
        case php
        /// Pickle (integers stored as plain digits by Django's Redis cache).
        case django
        /// MessagePack (Flask-Session ≥ 0.7), JSON, or pickle before 0.7.
        case flask
        /// JSON.
        case express
        /// A hash of `creationTime`, `lastAccessedTime`, `maxInactiveInterval`, `sessionAttr:*`, each Java-serialized or JSON.
        case spring
        /// Whatever the bytes look like.
        case sniff
    }

    /// Laravel's session guard key: `login_<guard>_` + SHA-1 of `Illuminate\Auth\SessionGuard`.
    static let laravelLogin = "login_*_59ba36addc2b2f9401580f014c7f58ea4e30989d"

    /// Every preset, in help order.
    public static let all: [Framework] = [
        Framework(
            name: "rails", summary: "Rails/Rack Redis stores (redis-rack, redis-session-store, CacheStore; Marshal or JSON; Devise/Warden)",
            mapping: "user:<user>:<session>", sessionGlobs: ["rack:session:*", "session:*", "_session_id:*"], sessionIdPrefix: "2::",
            payload: .rails,
            fields: FieldPaths(
                user: ["warden.user.*.key.0.0", "@value.warden.user.*.key.0.0", "user_id"],
                lastSeenAt: ["warden.user.*.session.last_request_at", "last_seen_at"]),
            cookie: .rackPrivateId, unrevocable: [], idMarkers: ["rack:session:", "_session_id:", "session:"], companions: .rack,
            sessionShape: SessionShape(
                ids: [.init(prefix: "2::", length: 64...64, alphabet: .lowercaseHex), .init(length: 32...32, alphabet: .lowercaseHex)],
                described: "2:: and 64 hex digits (Rack's private id), or 32 hex digits (a public id)")),
        Framework(
            name: "laravel", summary: "Laravel's Redis session driver (PHP serialize, twice; SESSION_ENCRYPT with --app-key-file)",
            mapping: "laravel_database_user:<user>:<session>",
            sessionGlobs: ["*_database_*_cache:*", "*_database_*_cache_*", "*-database-*-cache-*"], sessionIdPrefix: nil,
            payload: .laravel, fields: FieldPaths(user: [laravelLogin, "user_id"]),
            cookie: .laravelEncrypted, unrevocable: [], idMarkers: ["_cache:", "_cache_", "-cache-"],
            sessionKeyTemplate: "laravel_database_laravel_cache:<session>", cookieName: "laravel_session",
            sessionShape: SessionShape(
                ids: [.init(length: 40...40, alphabet: .alphanumeric)], payloadKey: "_token",
                described: "40 letters and digits, its data holding _token")),
        Framework(
            name: "php", summary: "PHP native sessions on phpredis (PHPREDIS_SESSION:, php or php_serialize handler)",
            mapping: "user:<user>:<session>", sessionGlobs: ["PHPREDIS_SESSION:*", "PHPREDIS_CLUSTER_SESSION:*"], sessionIdPrefix: nil,
            payload: .php, fields: FieldPaths(user: ["user_id", laravelLogin]),
            cookie: .plain, unrevocable: [], idMarkers: ["PHPREDIS_CLUSTER_SESSION:", "PHPREDIS_SESSION:"],
            sessionKeyTemplate: "PHPREDIS_SESSION:<session>", cookieName: "PHPSESSID",
            sessionShape: SessionShape(
                ids: [.init(length: 22...256, alphabet: .phpSessionId)],
                described: "22 to 256 letters, digits, ',' and '-' (session.sid_length, sid_bits_per_character)")),
        Framework(
            name: "django", summary: "Django cache and cached_db session backends on Django's Redis cache (pickle)",
            mapping: "user:<user>:<session>", sessionGlobs: ["*:django.contrib.sessions.cache*"], sessionIdPrefix: nil,
            payload: .django, fields: FieldPaths(user: ["_auth_user_id"]),
            cookie: .plain,
            unrevocable: [
                (
                    "*:django.contrib.sessions.cached_db*",
                    "a cached_db session is reloaded from the django_session table and written back: deleting the Redis key does not log the user out; delete the row (or use the cache backend)"
                )
            ], idMarkers: ["django.contrib.sessions.cached_db", "django.contrib.sessions.cache"],
            sessionKeyTemplate: ":1:django.contrib.sessions.cache<session>", cookieName: "sessionid",
            sessionShape: SessionShape(
                ids: [.init(length: 32...32, alphabet: .lowercaseAlphanumeric)], described: "32 lower-case letters and digits (get_random_string)")),
        Framework(
            name: "flask", summary: "Flask-Session's Redis interface (msgpack since 0.7, pickle before), Flask-Login",
            mapping: "user:<user>:<session>", sessionGlobs: ["session:*"], sessionIdPrefix: nil,
            payload: .flask, fields: FieldPaths(user: ["_user_id"]),
            cookie: .plain, unrevocable: [], idMarkers: ["session:"], sessionKeyTemplate: "session:<session>", cookieName: "session",
            sessionShape: SessionShape(
                ids: [.init(length: 43...43, alphabet: .urlSafe), .init(length: 36...36, alphabet: .uuid)],
                described: "43 URL-safe characters (token_urlsafe(32), Flask-Session 0.6 and later) or a UUID (before 0.6)")),
        Framework(
            name: "express", summary: "express-session with connect-redis (JSON, passport)",
            mapping: "user:<user>:<session>", sessionGlobs: ["sess:*"], sessionIdPrefix: nil,
            payload: .express, fields: FieldPaths(user: ["passport.user", "user_id"]),
            cookie: .expressSigned, unrevocable: [], idMarkers: ["sess:"], sessionKeyTemplate: "sess:<session>", cookieName: "connect.sid",
            sessionShape: SessionShape(ids: [.init(length: 32...32, alphabet: .urlSafe)], described: "32 URL-safe characters (uid-safe's 24 bytes)")),
        Framework(
            name: "spring", summary: "Spring Session's Redis hashes (creationTime, lastAccessedTime; Java serialization or JSON)",
            mapping: "user:<user>:<session>", sessionGlobs: ["spring:session:sessions:*"], sessionIdPrefix: nil,
            payload: .spring,
            fields: FieldPaths(
                user: ["sessionAttr:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME", "sessionAttr:user_id"],
                createdAt: ["creationTime"], lastSeenAt: ["lastAccessedTime"],
                ip: ["sessionAttr:ip"], userAgent: ["sessionAttr:user_agent"]),
            cookie: .base64, unrevocable: [], idMarkers: ["spring:session:sessions:"],
            index: "spring:session:index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:<user>",
            sessionKeyTemplate: "spring:session:sessions:<session>", companions: .spring, cookieName: "SESSION",
            sessionShape: SessionShape(
                ids: [.init(length: 36...36, alphabet: .uuid), .init(prefix: "expires:", length: 36...36, alphabet: .uuid)],
                described: "a UUID (Spring's session ids), or expires: and one (its expiry key)")),
    ]

    /// The preset called `name`.
    public static func named(_ name: String) -> Framework? { all.first { $0.name == name } }

    /// Every preset's name.
    public static var names: [String] { all.map(\.name) }

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(
        name: String, summary: String, mapping: String, sessionGlobs: [String], sessionIdPrefix: String? = nil, payload: PayloadKind,
        fields: FieldPaths, cookie: CookieTransform, unrevocable: [(glob: String, reason: String)], idMarkers: [String], index: String? = nil,
        sessionKeyTemplate: String? = nil, companions: CompanionKind? = nil, cookieName: String? = nil, sessionShape: SessionShape? = nil
    ) {
        self.name = name
        self.summary = summary
        self.mapping = mapping
        self.sessionGlobs = sessionGlobs
        self.sessionIdPrefix = sessionIdPrefix
        self.payload = payload
        self.fields = fields
        self.cookie = cookie
        self.unrevocable = unrevocable
        self.idMarkers = idMarkers
        self.index = index
        self.sessionKeyTemplate = sessionKeyTemplate
        self.companions = companions
        self.cookieName = cookieName
        self.sessionShape = sessionShape
    }
}

/// Where a session's fields sit in its decoded payload: for each, paths tried in order.
public struct FieldPaths: Sendable {
    public var user: [PayloadPath]
    public var createdAt: [PayloadPath]
    public var lastSeenAt: [PayloadPath]
    public var ip: [PayloadPath]
    public var userAgent: [PayloadPath]

    /// Common names applications use for what frameworks do not record themselves.
    static let commonCreated = ["created_at", "login_at"], commonLastSeen = ["last_seen_at", "last_activity"]
    static let commonIP = ["ip", "ip_address", "remote_ip"], commonAgent = ["user_agent"]

    /// Paths from text; each list falls back to the common names.
    public init(user: [String], createdAt: [String] = [], lastSeenAt: [String] = [], ip: [String] = [], userAgent: [String] = []) {
        func paths(_ list: [String]) -> [PayloadPath] { list.compactMap(PayloadPath.init) }
        self.user = paths(user)
        self.createdAt = paths(createdAt + Self.commonCreated)
        self.lastSeenAt = paths(lastSeenAt + Self.commonLastSeen)
        self.ip = paths(ip + Self.commonIP)
        self.userAgent = paths(userAgent + Self.commonAgent)
    }

    /// With no framework: the common names only, and the usual user keys.
    public static let generic = FieldPaths(user: [
        "user_id", "_auth_user_id", "_user_id", "passport.user", "warden.user.*.key.0.0", Framework.laravelLogin,
    ])
}

/// How a cookie value, as a browser holds it, becomes the session id in the store.
public enum CookieTransform: String, Sendable {
    /// The cookie is the session id (PHP, Django, Flask); percent-encoding removed.
    case plain
    /// Rack: the cookie is the public id; the store holds `2::` + its SHA-256 (and, before redis-rack 2.1, the public id).
    case rackPrivateId
    /// express-session: `s:<id>.<HMAC-SHA256>`, the signature checked with `--secret-file`.
    case expressSigned
    /// Laravel: an encrypted JSON envelope (`iv`, `value`, `mac`), opened with `--app-key-file`.
    case laravelEncrypted
    /// Spring Session: the id in base64.
    case base64
}
