import SessionBasics
import SessionCore
import SessionTransport

/// `--verify-url`: after a revocation has settled, the application itself is asked whether each
/// revoked cookie still logs in, an HTTP GET with the cookie, so that an operator can show an
/// auditor that the application agrees. One request at a time, each with a deadline; the bytes
/// leave through the shared transports (SessionTransport) (plain or TLS, the host name verified).
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
        /// Any of these statuses or classes (`2xx`, `401,403`), as the operator wrote them.
        case statuses([ClosedRange<Int>], written: String)
        /// A body that matches this regular expression.
        case pattern(String)

        public var description: String {
            switch self {
            case .success: return "a 2xx status"
            case .status(let s): return "status \(s)"
            case .statuses(_, let text): return "status \(text)"
            case .pattern(let p): return "a body matching /\(p)/"
            }
        }

        /// Whether the rule names `status` itself (then that status is a definite answer).
        func names(_ status: Int) -> Bool {
            switch self {
            case .success: return (200..<300).contains(status)
            case .status(let s): return s == status
            case .statuses(let ranges, _): return ranges.contains { $0.contains(status) }
            case .pattern: return false
            }
        }

        /// A status rule from `401`, `2xx` or `401,403,5xx`; `nil` when the text is not one.
        static func statuses(_ text: String) -> Rule? {
            var ranges: [ClosedRange<Int>] = []
            for part in text.lowercased().split(separator: ",", omittingEmptySubsequences: false) {
                let p = Array(part.utf8)
                guard p.count == 3, (UInt8(ascii: "1")...UInt8(ascii: "5")).contains(p[0]) else { return nil }
                let first = Int(p[0] - UInt8(ascii: "0"))
                if p[1] == UInt8(ascii: "x") && p[2] == UInt8(ascii: "x") {
                    ranges.append((first * 100)...(first * 100 + 99))
                } else if let n = Int(String(part)), n >= 100, n <= 599 {
                    ranges.append(n...n)
                } else {
                    return nil
                }
            }
            if ranges.count == 1, ranges[0].count == 1 { return .status(ranges[0].lowerBound) }
            return .statuses(ranges, written: text)
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
        case let text? where Rule.statuses(text) != nil: rule = Rule.statuses(text)!
        case let text?:
            guard (try? Regex(text)) != nil else { throw Failure("--verify-logged-in '\(text)' is neither a status code nor a regular expression") }
            rule = .pattern(text)
        }
    }

    /// Asks the application with `cookie` (already percent-encoded) and judges its answer.
    public func ask(cookie: Bytes, cancellation: Cancellation) -> Answer {
        askIssuing(cookie: cookie, cancellation: cancellation).answer
    }

    /// The same, with the session cookie the answer set (`Set-Cookie` of the session cookie's
    /// name), if any: an application that refuses a revoked cookie often starts a new session
    /// for the request, which asking must not leave behind.
    public func askIssuing(cookie: Bytes, cancellation: Cancellation) -> (answer: Answer, issued: Bytes?) {
        do {
            let response = try get(cookie: cookie, cancellation: cancellation)
            return (verdict(response), response.issued)
        } catch let f as Failure {
            return (.failed(f.description), nil)
        } catch TransportError.tlsFailed(let endpoint, let reason) {
            // The probe has no --sni: the URL's host is the name the certificate must hold.
            let why = reason.replacing("(use the name on the certificate, or --sni)", with: "(give --verify-url the name on the certificate)")
                .replacing("(connect by host name, or --sni)", with: "(give --verify-url the host name on the certificate)")
            return (.failed("TLS with \(endpoint) failed: \(why)"), nil)
        } catch {
            return (.failed("\(error)"), nil)
        }
    }

    /// What an application's answer proves. Only a definite answer proves anything: a status the
    /// rule names is "logged in"; a redirect or a server error it does not name proves nothing
    /// (`inconclusive`); a body pattern not found in a body that was cut (by the cap or the
    /// connection) is `failed`, never "refused".
    func verdict(_ r: Response) -> Answer {
        switch rule {
        case .pattern:
            if judge(status: r.status, body: r.body) { return .loggedIn(status: r.status) }
            if let why = inconclusive(r) { return .inconclusive(status: r.status, reason: why) }
            guard r.complete else {
                return .failed(
                    "the answer (status \(r.status)) was cut \(r.body.count >= Self.maxBody ? "at \(Self.maxBody >> 20) MiB" : "by the connection") before \(rule) could be ruled out"
                )
            }
            return .refused(status: r.status)
        case .success, .status, .statuses:
            if rule.names(r.status) { return .loggedIn(status: r.status) }
            if let why = inconclusive(r) { return .inconclusive(status: r.status, reason: why) }
            return .refused(status: r.status)
        }
    }

    /// Why a status the rule does not name proves nothing about the cookie; `nil` for a refusal.
    private func inconclusive(_ r: Response) -> String? {
        switch r.status {
        case 300..<400:
            let to = r.location.map { " to \($0)" } ?? ""
            return
                "a redirect\(to) proves nothing about the cookie; point --verify-url at the page it leads to, or name the status in --verify-logged-in"
        case 500..<600:
            return "the application failed (status \(r.status)): no answer about the cookie"
        default:
            return nil
        }
    }

    /// One answer as read: the final status (after any 1xx), the body (at most ``maxBody``),
    /// whether the whole body arrived, and where a redirect points.
    struct Response {
        var status: Int
        var body: Bytes
        var complete: Bool
        var location: String?
        /// The session cookie the answer set, if any (``issuedCookie(_:name:)``).
        var issued: Bytes?
    }

    /// Whether an answer means "logged in".
    public func judge(status: Int, body: Bytes) -> Bool {
        switch rule {
        case .success, .status, .statuses: return rule.names(status)
        case .pattern(let p):
            guard let regex = try? Regex(p) else { return false }
            return String(decoding: body, as: UTF8.self).contains(regex)
        }
    }

    /// One GET on a new connection (`Connection: close`), with the deadlines: the answer, its body
    /// read to its end, to the connection's close, or to the cap.
    func get(cookie: Bytes, cancellation: Cancellation) throws -> Response {
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
        var closed = false
        while data.count < Self.maxBody + 16_384 {
            let n = try buffer.withUnsafeMutableBytes { try transport.read(into: $0, deadline: deadline) }
            if n == 0 {
                closed = true
                break
            }
            data += buffer[0..<n]
            if let (status, body, complete, location) = Self.parse(data), complete {
                return Response(status: status, body: body, complete: true, location: location, issued: Self.issuedCookie(data, name: cookieName))
            }
        }
        guard let (status, body, complete, location) = Self.parse(data, closed: closed) else {
            throw Failure("\(host):\(port) did not answer with HTTP")
        }
        return Response(
            status: status, body: Array(body.prefix(Self.maxBody)), complete: complete && body.count <= Self.maxBody, location: location,
            issued: Self.issuedCookie(data, name: cookieName))
    }

    /// The value a `Set-Cookie` of the final answer gives the cookie `name` (interim 1xx answers
    /// skipped); `nil` when it sets none, or only deletes it (empty, `Max-Age=0`, an expiry in 1970).
    static func issuedCookie(_ data: Bytes, name: String) -> Bytes? {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        var rest = data[...]
        while true {
            guard let end = (rest.startIndex..<max(rest.startIndex, rest.endIndex - 3)).first(where: { rest[$0..<($0 + 4)].elementsEqual(crlf2) })
            else { return nil }
            let head = String(decoding: rest[..<end], as: UTF8.self)
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
            let status = lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            if (100..<200).contains(status) && status != 101 {
                rest = rest[(end + 4)...]
                continue
            }
            var issued: Bytes?
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "set-cookie" else { continue }
                let attributes = line[line.index(after: colon)...].split(separator: ";").map {
                    String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
                }
                guard let pair = attributes.first, let eq = pair.firstIndex(of: "="), pair[..<eq] == name else { continue }
                let value = pair[pair.index(after: eq)...]
                let lower = attributes.dropFirst().map { $0.lowercased() }
                let deletes = value.isEmpty || lower.contains("max-age=0") || lower.contains { $0.hasPrefix("expires=") && $0.contains("1970") }
                issued = deletes ? nil : Array(value.utf8)
            }
            return issued
        }
    }

    /// The final status (interim 1xx answers skipped), the body so far (de-chunked), whether it is
    /// all there (a body that ends with the connection is, once `closed`), and the redirect's
    /// `Location`; `nil` before the head is in.
    static func parse(_ data: Bytes, closed: Bool = false) -> (Int, Bytes, Bool, String?)? {
        let crlf2: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, data.count - 3)).first(where: { data[$0..<($0 + 4)].elementsEqual(crlf2) }) else { return nil }
        let head = String(decoding: data[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]), (100...599).contains(status) else { return nil }
        // 100 Continue, 103 Early Hints: an interim answer; the final one follows.
        if (100..<200).contains(status) && status != 101 { return parse(Array(data[(end + 4)...]), closed: closed) }
        var length: Int?
        var chunked = false
        var location: String?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingPrefix(" ")
            if name == "content-length" { length = Int(value) }
            if name == "transfer-encoding" && value.lowercased().contains("chunked") { chunked = true }
            if name == "location" { location = String(value.prefix(200)) }
        }
        var body = Array(data[(end + 4)...])
        if chunked {
            var out = Bytes()
            var i = 0
            while let nl = (i..<max(i, body.count - 1)).first(where: { body[$0] == 13 && body[$0 + 1] == 10 }),
                let size = Int(String(decoding: body[i..<nl], as: UTF8.self).split(separator: ";").first ?? "", radix: 16)
            {
                if size == 0 { return (status, out, true, location) }
                guard size <= body.count, nl + 2 + size <= body.count else {
                    // A chunk not all here: what came of it is body too (a marker in it is found).
                    if nl + 2 < body.count { out += body[(nl + 2)..<(nl + 2 + min(size, body.count - (nl + 2)))] }
                    break
                }
                out += body[(nl + 2)..<(nl + 2 + size)]
                i = nl + 2 + size + 2
            }
            return (status, out, false, location)
        }
        if let length {
            if body.count >= length {
                body = Array(body.prefix(length))
                return (status, body, true, location)
            }
            return (status, body, false, location)
        }
        // No length and not chunked: the body ends when the connection does.
        return (status, body, closed, location)
    }
}

extension VerifyProbe.Failure: ClassifiedError {
    public var failureClass: FailureClass { .usage }
}
