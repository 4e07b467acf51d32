import SessionBasics
import SessionTransport

/// Where a server is and how to log in: what a `redis://`, `rediss://` or `unix://` URL says.
public struct RedisEndpoint: Equatable, Sendable, CustomStringConvertible {
    /// A TCP host and port, or a unix socket path.
    public typealias Address = SocketAddress

    /// Where to connect.
    public var address: Address
    /// Whether the URL asked for TLS (`rediss://`).
    public var tls: Bool
    /// The ACL user name from the URL, if any.
    public var username: String?
    /// The password from the URL, if any (the CLI warns that argv is visible to others).
    public var password: String?
    /// The logical database to `SELECT` (0 by default).
    public var database: Int

    /// An endpoint from its parts.
    public init(address: Address, tls: Bool = false, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.tls = tls
        self.username = username
        self.password = password
        self.database = database
    }

    /// `host:port`, `[v6]:port` or `unix:/path`, for messages (never carries the password).
    public var description: String { address.description }

    /// The default when no URL is given: `redis://127.0.0.1:6379`.
    public static let defaultURL = "redis://127.0.0.1:6379"
}

// MARK: - Parsing

extension RedisEndpoint {
    /// Parses `redis://[[user][:password]@]host[:port][/db]`, `rediss://…` and
    /// `unix://[[user][:password]@]/path/to/socket[?db=N]`.
    public static func parse(_ url: String) throws -> RedisEndpoint {
        guard let schemeEnd = schemeSeparator(in: url) else {
            if url.contains("@") { throw invalid("malformed URL '\(redact(url))': no scheme", hint: "write redis://user:password@host:port") }
            throw invalid(
                "malformed URL '\(url)': no scheme",
                hint: url.contains("/") ? "write unix:///path/to/socket" : "write redis://\(url)")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        let rest = String(url[schemeEnd.upperBound...])
        // An `@` after a `/`, `?` or `#` means the user or password holds one of them unescaped: the
        // URL would split inside the password, and an error would show part of it.
        if let at = rest.lastIndex(of: "@"), rest[..<at].contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            throw invalid(
                "malformed URL '\(redact(url))': the user or password holds '/', '?', '#' or '@' unescaped",
                hint: "percent-encode them in the password: / as %2F, ? as %3F, # as %23, @ as %40")
        }
        switch scheme {
        case "redis", "rediss":
            return try parseTCP(rest, tls: scheme == "rediss", url: url)
        case "unix", "redis+unix":
            return try parseUnix(rest, url: url)
        default:
            throw invalid(
                "unsupported URL scheme '\(scheme)' in '\(redact(url))'",
                hint: "use redis://, rediss:// or unix://")
        }
    }

    private static func parseTCP(_ rest: String, tls: Bool, url: String) throws -> RedisEndpoint {
        let (beforeQuery, query) = split(rest, at: "?")
        let (authority, path) = split(beforeQuery, at: "/")
        let (userinfo, hostport) = splitUserinfo(authority)
        var endpoint = RedisEndpoint(address: .tcp(host: "", port: 6379), tls: tls)
        try applyUserinfo(userinfo, to: &endpoint, url: url)
        let (host, port) = try parseHostPort(hostport, url: url)
        endpoint.address = .tcp(host: host, port: port)
        if let path, !path.isEmpty {
            guard let db = Int(path), db >= 0, path.allSatisfy(\.isASCII) else {
                throw invalid(
                    "malformed URL '\(redact(url))': database '\(path)' is not a number",
                    hint: "the path is the database number, as in redis://host:6379/0")
            }
            endpoint.database = db
        }
        try applyQuery(query, to: &endpoint, url: url)
        return endpoint
    }

    private static func parseUnix(_ rest: String, url: String) throws -> RedisEndpoint {
        let (beforeQuery, query) = split(rest, at: "?")
        var (userinfo, path) = splitUserinfo(beforeQuery)
        if userinfo == nil, !path.hasPrefix("/") {
            throw invalid(
                "malformed URL '\(redact(url))': the socket path must be absolute",
                hint: "write unix:///path/to/redis.sock (three slashes)")
        }
        path = percentDecode(path) ?? path
        guard path.hasPrefix("/"), path.count > 1 else {
            throw invalid(
                "malformed URL '\(redact(url))': the socket path must be absolute",
                hint: "write unix:///path/to/redis.sock (three slashes)")
        }
        var endpoint = RedisEndpoint(address: .unix(path: path))
        try applyUserinfo(userinfo, to: &endpoint, url: url)
        try applyQuery(query, to: &endpoint, url: url)
        return endpoint
    }

    private static func parseHostPort(_ s: String, url: String) throws -> (String, Int) {
        var host: String
        var portText: String?
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else {
                throw invalid("malformed URL '\(redact(url))': unclosed '[' in the host", hint: "write IPv6 hosts as [::1]")
            }
            host = String(s[s.index(after: s.startIndex)..<close])
            let after = s[s.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw invalid("malformed URL '\(redact(url))': unexpected '\(after)' after the host", hint: nil)
                }
                portText = String(after.dropFirst())
            }
            guard host.contains(":") else {
                throw invalid("malformed URL '\(redact(url))': '[\(host)]' is not an IPv6 address", hint: nil)
            }
        } else {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count > 2 {
                throw invalid("malformed URL '\(redact(url))': IPv6 addresses need brackets", hint: "write redis://[::1]:6379")
            }
            host = String(parts[0])
            if parts.count == 2 { portText = String(parts[1]) }
        }
        if host.isEmpty {
            throw invalid("malformed URL '\(redact(url))': no host", hint: "write redis://127.0.0.1:6379")
        }
        if host.contains(where: { $0 == " " || $0 == "/" || $0 == "@" }) {
            throw invalid("malformed URL '\(redact(url))': bad host '\(host)'", hint: nil)
        }
        var port = 6379
        if let portText {
            guard let p = Int(portText), portText.allSatisfy(\.isASCII), (1...65535).contains(p) else {
                throw invalid("malformed URL '\(redact(url))': port '\(portText)' is not a number from 1 to 65535", hint: nil)
            }
            port = p
        }
        return (host, port)
    }

    private static func applyUserinfo(_ userinfo: String?, to e: inout RedisEndpoint, url: String) throws {
        guard let userinfo else { return }
        let (user, password) = split(userinfo, at: ":")
        guard let u = percentDecode(user), password.map({ percentDecode($0) != nil }) ?? true else {
            throw invalid("malformed URL '\(redact(url))': bad %-escape in the user or password", hint: nil)
        }
        e.username = u.isEmpty ? nil : u
        if let password { e.password = percentDecode(password) }
    }

    private static func applyQuery(_ query: String?, to e: inout RedisEndpoint, url: String) throws {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&") {
            let (key, value) = split(String(pair), at: "=")
            switch key {
            case "db":
                guard let value, let db = Int(value), db >= 0 else {
                    throw invalid("malformed URL '\(redact(url))': db=\(value ?? "") is not a number", hint: nil)
                }
                e.database = db
            default:
                throw invalid("malformed URL '\(redact(url))': unknown parameter '\(key)'", hint: "the only URL parameter is db=N")
            }
        }
    }

    // MARK: Helpers

    private static func invalid(_ message: String, hint: String?) -> RedisClientError {
        .invalidURL(message, hint: hint)
    }

    /// The range of the first `://` in `url`.
    private static func schemeSeparator(in url: String) -> Range<String.Index>? {
        var i = url.startIndex
        while i < url.endIndex {
            if url[i...].hasPrefix("://") { return i..<url.index(i, offsetBy: 3) }
            i = url.index(after: i)
        }
        return nil
    }

    private static func split(_ s: String, at separator: Character) -> (String, String?) {
        guard let i = s.firstIndex(of: separator) else { return (s, nil) }
        return (String(s[..<i]), String(s[s.index(after: i)...]))
    }

    /// Splits `userinfo@rest` at the last `@` (a password may contain `@`).
    private static func splitUserinfo(_ s: String) -> (String?, String) {
        guard let at = s.lastIndex(of: "@") else { return (nil, s) }
        return (String(s[..<at]), String(s[s.index(after: at)...]))
    }

    /// The URL with its user and password (everything before the last `@`) replaced by `***`,
    /// safe to print whatever the password holds.
    public static func redact(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@") else { return url }
        let start = schemeSeparator(in: url).map(\.upperBound) ?? url.startIndex
        guard start <= at else { return url }
        return String(url[..<start]) + "***" + String(url[at...])
    }

    /// Decodes `%XX` escapes; `nil` when an escape is malformed or the result is not UTF-8.
    static func percentDecode(_ s: String) -> String? {
        var out = Bytes()
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let hi = hexValue(it.removeFirst()), let lo = hexValue(it.removeFirst()) else { return nil }
                out.append(hi << 4 | lo)
            } else {
                out.append(c)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
