import RedisClient
import SessionBasics
import SessionCore

/// `--verify-url`: after a revocation has settled, the application itself is asked whether each
/// revoked cookie still logs in, an HTTP GET with the cookie, so that an operator can show an
/// auditor that the application agrees. One request at a time, each with a deadline; the bytes
/// leave through RedisClient's transports (plain or TLS, the host name verified).
public struct VerifyProbe {
    /// Where to ask: `http://host[:port]/path?query` or `https://…`.
    public let secure: Bool
    public let host: String
    public let port: Int
    public let target: String
    /// What "still logged in" looks like.
    public let rule: Rule
    /// The session cookie's name.
    public let cookieName: String
    public var connectTimeout: Double = 5
    public var timeout: Double = 10
    /// For `https://`: the system's CAs (OpenSSL's default paths, `$SSL_CERT_FILE`), made once for every cookie.
    private let context: TLSContext?
    /// The most body bytes read (a pattern is matched against them).
    public static let maxBody = 1 << 20

    /// An answer that means the cookie still logs in.
    public enum Rule: Equatable, Sendable, CustomStringConvertible {
        /// Any 2xx status (the default: a login page redirects, an API answers 401 or 403).
        case success
        /// This status.
        case status(Int)
        /// A body that matches this regular expression.
        case pattern(String)

        public var description: String {
            switch self {
            case .success: return "a 2xx status"
            case .status(let s): return "status \(s)"
            case .pattern(let p): return "a body matching /\(p)/"
            }
        }
    }

    /// Why a probe could not be set up or made.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    /// What the application said for one cookie.
    public typealias Answer = Verification.Answer

    /// A probe of `url`; `loggedIn` is a status (`200`) or a regular expression for the body.
    public init(url: String, loggedIn: String?, cookieName: String) throws(Failure) {
        let rest: Substring
        if url.hasPrefix("https://") {
            secure = true
            rest = url.dropFirst(8)
        } else if url.hasPrefix("http://") {
            secure = false
            rest = url.dropFirst(7)
        } else {
            throw Failure("--verify-url '\(url)' is not an http:// or https:// URL")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        target = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard !authority.isEmpty, !authority.contains("@") else {
            throw Failure("--verify-url '\(url)' has no host (or has credentials, which it must not)")
        }
        var hostPart = Substring(authority)
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Failure("--verify-url '\(url)': an IPv6 host needs its closing ]") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portPart = after.dropFirst()
            } else if !after.isEmpty {
                throw Failure("--verify-url '\(url)': junk after the host")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        host = String(hostPart)
        if let portPart {
            guard let p = Int(portPart), (1...65_535).contains(p) else { throw Failure("--verify-url '\(url)': the port must be 1 to 65535") }
            port = p
        } else {
            port = secure ? 443 : 80
        }
        guard !target.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) else {
            throw Failure("--verify-url '\(url)': the path holds a space or a line break")
        }
        guard !cookieName.isEmpty, cookieName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.$!#%&'*+^`|~".contains($0)) }) else {
            throw Failure("--cookie-name '\(cookieName)' is not a cookie name (letters, digits and _-. only)")
        }
        self.cookieName = cookieName
        do { context = secure ? try TLSContext(settings: TLSSettings()) : nil } catch {
            throw Failure("--verify-url: TLS cannot be set up: \(error)")
        }
        switch loggedIn {
        case nil: rule = .success
        case let text? where text.count == 3 && text.allSatisfy(\.isNumber): rule = .status(Int(text)!)
        case let text?:
            guard (try? Regex(text)) != nil else { throw Failure("--verify-logged-in '\(text)' is neither a status code nor a regular expression") }
            rule = .pattern(text)
        }
    }

    /// Asks the application with `cookie` (already percent-encoded) and judges its answer.
    public func ask(cookie: Bytes, cancellation: Cancellation) -> Answer {
        do {
            let (status, body) = try get(cookie: cookie, cancellation: cancellation)
            return judge(status: status, body: body) ? .loggedIn(status: status) : .refused(status: status)
        } catch let f as Failure {
            return .failed(f.description)
        } catch {
            return .failed("\(error)")
        }
    }

    /// Whether an answer means "logged in".
    public func judge(status: Int, body: Bytes) -> Bool {
        switch rule {
        case .success: return (200..<300).contains(status)
        case .status(let s): return status == s
        case .pattern(let p):
            guard let regex = try? Regex(p) else { return false }
            return String(decoding: body, as: UTF8.self).contains(regex)
        }
    }

    /// One GET on a new connection (`Connection: close`), with the deadlines; the status and the body.
    func get(cookie: Bytes, cancellation: Cancellation) throws -> (Int, Bytes) {
        let socket = try SocketTransport(address: .tcp(host: host, port: port), connectTimeout: connectTimeout, cancellation: cancellation)
        let deadline = Deadline.after(seconds: timeout)
        let transport: any Transport =
            try context.map { try TLSTransport(socket: socket, context: $0, host: host, endpoint: "\(host):\(port)", deadline: deadline) } ?? socket
        let hostHeader = host.contains(":") ? "[\(host)]" : host
        let defaultPort = port == (secure ? 443 : 80)
        let head =
            Array(
                ("GET \(target) HTTP/1.1\r\nHost: \(hostHeader)\(defaultPort ? "" : ":\(port)")\r\nUser-Agent: sessionctl-verify\r\n"
                    + "Accept: */*\r\nConnection: close\r\nCookie: \(cookieName)=").utf8) + cookie + Array("\r\n\r\n".utf8)
        try head.withUnsafeBytes { try transport.write($0, deadline: deadline) }
        var data = Bytes()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while data.count < Self.maxBody + 16_384 {
            let n = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, deadline: deadline) }
            if n == 0 { break }
            data += buffer[0..<n]
            if let (status, body, complete) = Self.parse(data), complete { return (status, body) }
        }
        guard let (status, body, _) = Self.parse(data) else { throw Failure("\(host):\(port) did not answer with HTTP") }
        return (status, body)
    }

    /// The status, the body so far (de-chunked), and whether it is all there; `nil` before the head is in.
    static func parse(_ data: Bytes) -> (Int, Bytes, Bool)? {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { data[$0..<($0 + 4)].elementsEqual(crlf2) }) else { return nil }
        let head = String(decoding: data[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { return nil }
        var length: Int?
        var chunked = false
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingPrefix(" ")
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
        }
        var body = Array(data[(end + 4)...])
        if chunked {
            var out = Bytes()
            var i = 0
            while let nl = (i..<max(i, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }),
                let size = Int(String(decoding: body[i..<nl], as: UTF8.self).split(separator: ";").first ?? "", radix: 16)
            {
                if size == 0 { return (status, out, true) }
                guard size <= body.count, nl + 2 + size <= body.count else { break }
                out += body[(nl + 2)..<(nl + 2 + size)]
                i = nl + 2 + size + 2
            }
            return (status, out, false)
        }
        if let length {
            if body.count >= length {
                body = Array(body.prefix(length))
                return (status, body, true)
            }
            return (status, body, false)
        }
        return (status, body, false)
    }
}

extension VerifyProbe.Failure: ClassifiedError {
    public var failureClass: FailureClass { .usage }
}
