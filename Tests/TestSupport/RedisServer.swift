import Foundation
import RedisClient

/// A real `redis-server` started for a test in its own temporary folder, on a free loopback
/// port or a unix socket, and stopped when the value goes away.
public final class RedisServer: @unchecked Sendable {
    /// The TCP port, when listening on TCP.
    public let port: Int
    /// The unix socket path, when asked for one.
    public let socketPath: String?
    /// The server's temporary folder (config, log).
    public let directory: URL
    private let process: Process

    /// Starts a server; `extraConfig` lines go into its config file (e.g. `requirepass x`, `user …`).
    public init(extraConfig: [String] = [], unixSocket: Bool = false, ipv6: Bool = false) throws {
        let binary = try Self.locate("redis-server")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try FreePort.pick()
        socketPath = unixSocket ? directory.appendingPathComponent("redis.sock").path : nil
        var config = [
            "port \(port)", ipv6 ? "bind 127.0.0.1 ::1" : "bind 127.0.0.1", "save \"\"", "appendonly no", "daemonize no",
            "dir \(directory.path)", "logfile \(directory.appendingPathComponent("redis.log").path)", "loglevel warning",
            "protected-mode no",
        ]
        if let socketPath { config += ["unixsocket \(socketPath)", "unixsocketperm 700"] }
        config += extraConfig
        let configFile = directory.appendingPathComponent("redis.conf")
        try config.joined(separator: "\n").appending("\n").write(to: configFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [configFile.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try waitUntilReady()
    }

    deinit { stop() }

    /// Stops the server and removes its folder.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `redis://127.0.0.1:PORT`.
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// The TCP address.
    public var address: RedisEndpoint.Address { .tcp(host: "127.0.0.1", port: port) }

    private func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning {
                let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
                throw TestSupportError("redis-server exited at start: \(log)")
            }
            if (try? Connection(address: address, options: ConnectionOptions(connectTimeout: 0.5, commandTimeout: 0.5))) != nil
                || (try? Connection(address: address, options: ConnectionOptions(password: "x", connectTimeout: 0.5, commandTimeout: 0.5))) != nil {
                return
            }
            // A server with requirepass answers AUTH errors, which still means it is up.
            if Self.answers(port: port) { return }
            usleep(50_000)
        }
        throw TestSupportError("redis-server on port \(port) did not start within 10 s")
    }

    private static func answers(port: Int) -> Bool {
        do {
            let t = try SocketTransport(address: .tcp(host: "127.0.0.1", port: port), connectTimeout: 0.5)
            let ping = Array("PING\r\n".utf8)
            try ping.withUnsafeBytes { try t.write($0, deadline: .after(seconds: 0.5)) }
            var buf = [UInt8](repeating: 0, count: 64)
            let n = try buf.withUnsafeMutableBytes { try t.read(into: $0, deadline: .after(seconds: 0.5)) }
            return n > 0
        } catch {
            return false
        }
    }

    /// A connection as the admin (`default` user, with `password` when the server has one).
    public func admin(password: String? = nil) throws -> Connection {
        try Connection(address: address, options: ConnectionOptions(password: password))
    }

    /// Runs commands as the admin and returns the replies.
    @discardableResult
    public func run(_ commands: [[String]], password: String? = nil) throws -> [RESPValue] {
        try admin(password: password).pipeline(commands.map { $0.map { Array($0.utf8) } })
    }

    /// Finds a program on PATH or in the usual Debian places.
    public static func locate(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError("\(name) is not installed: run 'apt-get install redis-server redis-tools' (the tests start real servers and never skip)")
    }
}

/// A test set-up failure with a message that says what to do.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
