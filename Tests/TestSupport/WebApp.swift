import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real web application (Flask, Django, PHP, Rails, Laravel) started for a test class on a
/// free loopback port from `Tests/Apps`, and stopped when the value goes away. Each app logs a
/// user in at `/login?user=ID` (writing the mapping key, as the production design does) and
/// answers `/me` with 200 and `user=ID` while the session authenticates, 401 when it does not.
public final class WebApp: @unchecked Sendable {
    /// The loopback port it listens on.
    public let port: Int
    /// The session cookie's name.
    public let cookieName: String
    /// The app's folder in the temporary directory (its log, its database).
    public let directory: URL
    private let process: Process
    private let log: URL

    /// The folder holding the apps' sources (`Tests/Apps`).
    public static var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Apps")
    }

    /// Starts `program arguments…` with `$PORT`, `$REDIS_PORT` and `environment`; `{port}` in an argument is replaced by the port.
    /// Fails with `installHint` when the program is missing, and with the app's log when it does not answer.
    public init(
        name: String, program: String, arguments: [String], environment: [String: String], cookieName: String,
        installHint: String, readyPath: String = "/me", timeout: TimeInterval = 60
    ) throws {
        guard let path = WebApp.which(program) else {
            throw TestSupportError("\(program) is not installed, needed for the \(name) app: \(installHint) (scripts/setup.sh installs it)")
        }
        self.cookieName = cookieName
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-app-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        log = directory.appendingPathComponent("app.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let port = try FreePort.pick()
        self.port = port
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments.map { $0.replacingOccurrences(of: "{port}", with: String(port)) }
        p.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "PYENV_ROOT", "PYTHONPATH", "GEM_HOME"].contains($0.key) }
        env["PORT"] = String(port)
        env["APP_DIR"] = directory.path
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let r = try? request("GET", readyPath, timeout: 2), r.status > 0 { break }
            guard process.isRunning, Date() < deadline else {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                stop()
                throw TestSupportError("the \(name) app did not answer on port \(port) within \(Int(timeout))s:\n\(text.suffix(3000))")
            }
            usleep(100_000)
        }
    }

    deinit { stop() }

    /// Stops the app and its children (SIGTERM, then SIGKILL): PHP's built-in server with
    /// `PHP_CLI_SERVER_WORKERS` forks workers that outlive a parent told to stop, so they go first.
    public func stop() {
        guard process.isRunning else { return }
        for child in Self.descendants(of: process.processIdentifier) { kill(child, SIGKILL) }
        process.terminate()
        var deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(50_000) }
    }

    /// Every process below `pid`, children first found, from /proc.
    static func descendants(of pid: Int32) -> [Int32] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let p = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // pid (comm) state ppid …: the name may hold spaces, so read after its closing parenthesis.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parents[p] = ppid }
        }
        var out: [Int32] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            for (child, parent) in parents where parent == next {
                out.append(child)
                frontier.append(child)
            }
        }
        return out
    }

    /// What the app wrote to its log.
    public var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    // MARK: HTTP

    /// An HTTP response.
    public struct Response: CustomStringConvertible {
        public let status: Int
        public let headers: [(String, String)]
        public let body: String
        /// The values of every `Set-Cookie` header, by cookie name.
        public var cookies: [String: String] {
            var out: [String: String] = [:]
            for (name, value) in headers where name.lowercased() == "set-cookie" {
                let pair = value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
                guard let eq = pair.firstIndex(of: "=") else { continue }
                out[String(pair[..<eq]).trimmingCharacters(in: .whitespaces)] = String(pair[pair.index(after: eq)...])
            }
            return out
        }
        public var description: String { "HTTP \(status)\n\(headers.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))\n\n\(body.prefix(2000))" }
    }

    /// A browser: one cookie jar.
    public final class Browser: @unchecked Sendable {
        let app: WebApp
        /// The cookies it holds.
        public var cookies: [String: String] = [:]
        /// The User-Agent it sends.
        public let userAgent: String
        init(_ app: WebApp, userAgent: String = "sessionctl-test/1.0") {
            self.app = app
            self.userAgent = userAgent
        }

        /// GET `path` with the jar's cookies, keeping what the response sets.
        @discardableResult
        public func get(_ path: String) throws -> Response {
            let r = try app.request("GET", path, cookies: cookies, userAgent: userAgent)
            for (k, v) in r.cookies { cookies[k] = v }
            return r
        }

        /// The session cookie's value.
        public var session: String? { cookies[app.cookieName] }

        /// The user id the app says this browser is logged in as (`/me`'s `user=ID`), or `nil`.
        public func userId() throws -> String? {
            let r = try app.request("GET", "/me", cookies: cookies)
            guard r.status == 200, r.body.hasPrefix("user=") else { return nil }
            return String(r.body.dropFirst(5)).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Whether the app says this browser is logged in (`/me` answers 200), without keeping new cookies.
        public func isLoggedIn() throws -> Bool {
            let r = try app.request("GET", "/me", cookies: cookies)
            return r.status == 200
        }
    }

    /// A new browser with an empty cookie jar.
    public func browser(userAgent: String = "sessionctl-test/1.0") -> Browser { Browser(self, userAgent: userAgent) }

    /// Logs `user` in with a new browser and returns it; fails with the app's answer when the login did not take.
    public func login(_ user: String, userAgent: String = "sessionctl-test/1.0") throws -> Browser {
        let b = browser(userAgent: userAgent)
        let r = try b.get("/login?user=\(user)")
        guard r.status == 200, b.session != nil, try b.isLoggedIn() else {
            throw TestSupportError("login of \(user) failed: \(r)\n--- app log\n\(logText.suffix(3000))")
        }
        return b
    }

    /// One HTTP/1.1 request on a new loopback connection (`Connection: close`), with a deadline.
    public func request(
        _ method: String, _ path: String, cookies: [String: String] = [:], timeout: TimeInterval = 30, userAgent: String = "sessionctl-test/1.0"
    ) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = FreePort.loopback(port: port)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { throw TestSupportError("connect to port \(port): \(String(cString: strerror(errno)))") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUser-Agent: \(userAgent)\r\nConnection: close\r\n"
        if !cookies.isEmpty { head += "Cookie: " + cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") + "\r\n" }
        head += "Content-Length: 0\r\n\r\n"
        let bytes = Array(head.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestSupportError("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var data = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw TestSupportError("recv from port \(port): \(String(cString: strerror(errno)))") }
            data += buf[0..<n]
            if data.count > 16 << 20 { break }
        }
        return try Self.parse(data)
    }

    static func parse(_ data: [UInt8]) throws -> Response {
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw TestSupportError("not an HTTP response: \(text.prefix(200))") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let c = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<c]), String(line[line.index(after: c)...]).trimmingCharacters(in: .whitespaces))
        }
        var body = String(text[split.upperBound...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = dechunk(body)
        }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let nl = rest.range(of: "\r\n"), let n = Int(rest[..<nl.lowerBound].split(separator: ";").first ?? "", radix: 16), n > 0 {
            let start = nl.upperBound
            let end = rest.utf8.index(start, offsetBy: n, limitedBy: rest.endIndex) ?? rest.endIndex
            out += rest[start..<end]
            rest = rest[end...].dropFirst(2)
        }
        return out
    }

    static func which(_ program: String) -> String? {
        if program.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
