/// The engines a sessions table can live in.
public enum SQLEngine: String, Sendable, CaseIterable {
    case postgres, mysql, sqlite

    /// How the engine is named in messages.
    public var displayName: String {
        switch self {
        case .postgres: return "PostgreSQL"
        case .mysql: return "MySQL/MariaDB"
        case .sqlite: return "SQLite"
        }
    }
}

/// A database URL: `postgres://user:pass@host:port/db?sslmode=verify-full`,
/// `mysql://user@host:port/db?ssl-ca=/ca.pem`, `sqlite:///absolute/path.db`. Percent-escapes
/// are decoded; a password in the URL is kept apart so it is never printed.
public struct SQLURL: Equatable, Sendable {
    public var engine: SQLEngine
    public var user: String?
    public var password: String?
    public var host: String?
    public var port: Int?
    public var database: String?
    /// `sqlite:///path`: the file.
    public var path: String?
    /// The query's parameters, in order (`sslmode`, `sslrootcert`, `host` for a unix socket, …).
    public var parameters: [(String, String)]

    public static func == (a: SQLURL, b: SQLURL) -> Bool {
        a.engine == b.engine && a.user == b.user && a.password == b.password && a.host == b.host && a.port == b.port
            && a.database == b.database && a.path == b.path && a.parameters.map { $0.0 + "=" + $0.1 } == b.parameters.map { $0.0 + "=" + $0.1 }
    }

    /// The schemes that name a SQL store.
    public static let schemes: [String: SQLEngine] = [
        "postgres": .postgres, "postgresql": .postgres, "mysql": .mysql,
        "mariadb": .mysql, "sqlite": .sqlite,
    ]

    /// Whether `text` names a SQL store (by its scheme).
    public static func isSQL(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":") else { return false }
        return schemes[text[..<colon].lowercased()] != nil
    }

    /// Parses; errors say what is wrong in one line.
    public init(_ text: String) throws(SQLError) {
        guard let sep = Self.schemeSeparator(text) else {
            throw SQLError(.usage, "'\(Self.redact(text))' is not a database URL (postgres://, mysql://, sqlite:///path)")
        }
        guard let engine = Self.schemes[text[..<sep.lowerBound].lowercased()] else {
            throw SQLError(.usage, "unknown database scheme '\(text[..<sep.lowerBound])' (postgres, mysql, sqlite)")
        }
        self.engine = engine
        parameters = []
        var rest = Substring(text[sep.upperBound...])
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") where !pair.isEmpty {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = try Self.unescape(kv[0])
                let value = kv.count > 1 ? try Self.unescape(kv[1]) : ""
                parameters.append((key, value))
            }
            rest = rest[..<q]
        }
        if engine == .sqlite {
            // sqlite:///abs/path or sqlite://./relative: the rest is the file.
            let file = try Self.unescape(rest)
            guard !file.isEmpty else { throw SQLError(.usage, "a sqlite URL names a file: sqlite:///path/to/sessions.db") }
            path = file
            return
        }
        let slash = rest.firstIndex(of: "/")
        let authority = slash.map { rest[..<$0] } ?? rest
        if let slash {
            let db = try Self.unescape(rest[rest.index(after: slash)...])
            database = db.isEmpty ? nil : db
        }
        var hostPart = authority
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            hostPart = authority[authority.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                user = try Self.unescape(info[..<colon])
                password = try Self.unescape(info[info.index(after: colon)...])
            } else {
                user = try Self.unescape(info)
            }
            if user == "" { user = nil }
        }
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw SQLError(.usage, "unclosed '[' in the database URL's host") }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            hostPart = hostPart[hostPart.index(after: close)...]
            if hostPart.hasPrefix(":") { try setPort(hostPart.dropFirst()) }
        } else if let colon = hostPart.lastIndex(of: ":") {
            host = try Self.unescape(hostPart[..<colon])
            try setPort(hostPart[hostPart.index(after: colon)...])
        } else if !hostPart.isEmpty {
            host = try Self.unescape(hostPart)
        }
        if host == "" { host = nil }
    }

    private mutating func setPort(_ text: Substring) throws(SQLError) {
        guard let p = Int(text), (1...65_535).contains(p) else { throw SQLError(.usage, "bad port '\(text)' in the database URL") }
        port = p
    }

    /// The value of a query parameter.
    public func parameter(_ name: String) -> String? { parameters.last { $0.0 == name }?.1 }

    /// Where it points, for messages: no password.
    public var display: String {
        if engine == .sqlite { return "sqlite://\(path ?? "")" }
        let h = parameter("host") ?? parameter("socket") ?? host ?? "localhost"
        return "\(engine.rawValue)://\(user.map { $0 + "@" } ?? "")\(h)\(port.map { ":\($0)" } ?? "")/\(database ?? "")"
    }

    /// The text with any password replaced by `***`.
    public static func redact(_ text: String) -> String {
        guard let sep = schemeSeparator(text) else { return text }
        let rest = text[sep.upperBound...]
        let end = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<end].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<sep.upperBound]) + rest[..<colon] + ":***" + rest[at...]
    }

    /// The range of the first `://`.
    static func schemeSeparator(_ text: String) -> Range<String.Index>? {
        var i = text.startIndex
        while i < text.endIndex {
            if text[i...].hasPrefix("://") { return i..<text.index(i, offsetBy: 3) }
            i = text.index(after: i)
        }
        return nil
    }

    static func unescape(_ s: Substring) throws(SQLError) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%") {
                guard bytes.count >= 2, let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) else {
                    throw SQLError(.usage, "bad percent-escape in the database URL")
                }
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        guard !out.contains(0) else { throw SQLError(.usage, "the database URL contains a NUL byte") }
        return String(decoding: out, as: UTF8.self)
    }
}
