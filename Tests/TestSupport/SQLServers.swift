import Foundation

/// A real PostgreSQL server (Debian's `postgresql`) made by `initdb` in a temporary folder and
/// started on a free loopback port and a unix socket in that folder; stopped when the value goes
/// away. TCP connections need a password (scram-sha-256); the socket is trusted, for set-up.
/// As root, it runs as the `postgres` user (PostgreSQL refuses root), through `setpriv`.
public final class PostgresServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    /// The superuser's password over TCP.
    public let password = "pg-secret"
    private let process: Process
    private let bin: String

    /// Starts a server; with `tls`, it also offers TLS with the certificate for `localhost` and 127.0.0.1.
    public init(tls: TestCertificates? = nil) throws {
        bin = try Self.binaries()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-pg-\(UUID().uuidString.prefix(8))")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pwfile = directory.appendingPathComponent("pw")
        try password.write(to: pwfile, atomically: true, encoding: .utf8)
        let asUser = getuid() == 0 ? ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] : []
        if getuid() == 0 {
            guard getpwnam("postgres") != nil else { throw TestSupportError("no 'postgres' user: run 'apt-get install postgresql'") }
            _ = try Self.run(["/bin/chown", "-R", "postgres:postgres", directory.path])
        }
        let initdb = try Self.run(
            asUser + [
                "\(bin)/initdb", "-D", data.path, "-U", "postgres", "--pwfile", pwfile.path,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync",
            ])
        guard initdb.status == 0 else { throw TestSupportError("initdb failed: \(initdb.output)") }
        var tlsOptions: [String] = []
        if let tls {
            // The key must be the server user's alone.
            for f in ["server.crt", "server.key"] {
                let to = data.appendingPathComponent(f).path
                try FileManager.default.copyItem(atPath: tls.path(f), toPath: to)
                chmod(to, 0o600)
                if getuid() == 0 { _ = try Self.run(["/bin/chown", "postgres:postgres", to]) }
            }
            tlsOptions = ["-c", "ssl=on", "-c", "ssl_cert_file=server.crt", "-c", "ssl_key_file=server.key"]
        }
        let log = directory.appendingPathComponent("postgres.log")
        let bin = self.bin
        let directory = self.directory
        (port, process) = try startOnFreePort(name: "postgres", log: log, attempts: 300) { port in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: asUser.first ?? "\(bin)/postgres")
            p.arguments =
                Array(asUser.dropFirst()) + (asUser.isEmpty ? [] : ["\(bin)/postgres"]) + [
                    "-D", data.path, "-p", String(port), "-k", directory.path, "-c", "listen_addresses=127.0.0.1",
                    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "logging_collector=off",
                ] + tlsOptions
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = try FileHandle(forWritingTo: log)
            return p
        } ready: { port in
            (try? Self.run(["\(bin)/pg_isready", "-h", directory.path, "-p", String(port), "-q"]))?.status == 0
        }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGINT)  // fast shutdown
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `postgres://user:password@127.0.0.1:port/database`.
    public func url(user: String = "postgres", password: String? = nil, database: String = "postgres") -> String {
        "postgres://\(user):\(password ?? self.password)@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL through `psql` over the trusted socket, as the superuser; returns its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let r = try Self.run([
            "\(bin)/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory.path, "-p", String(port),
            "-U", "postgres", "-d", database, "-c", sql,
        ])
        guard r.status == 0 else { throw TestSupportError("psql failed: \(r.output)") }
        return r.output
    }

    static func binaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
        for v in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/postgres") { return "\(root)/\(v)/bin" }
        throw TestSupportError("PostgreSQL is not installed: run 'apt-get install postgresql' (the tests start a real server and never skip)")
    }

    /// Runs a program to its end; its status and its stdout and stderr together.
    public static func run(_ argv: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.currentDirectoryURL = URL(fileURLWithPath: "/")
        if let stdin {
            let inp = Pipe()
            p.standardInput = inp
            try p.run()
            inp.fileHandleForWriting.write(Data(stdin.utf8))
            try inp.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A real MariaDB server (Debian's `mariadb-server`) made by `mariadb-install-db` in a temporary
/// folder, on a free loopback port and a socket there; stopped when the value goes away. Root
/// has no password on the socket, for set-up; the tests make their own users.
public final class MariaDBServer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    public var socket: String { directory.appendingPathComponent("mysqld.sock").path }
    private let process: Process

    /// Starts a server; with `tls`, it also offers TLS with the certificate for `localhost` and 127.0.0.1.
    public init(tls: TestCertificates? = nil) throws {
        for tool in ["/usr/sbin/mariadbd", "/usr/bin/mariadb-install-db", "/usr/bin/mariadb"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            throw TestSupportError(
                "MariaDB is not installed (\(tool)): run 'apt-get install mariadb-server mariadb-client' (the tests start a real server and never skip)"
            )
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-my-\(UUID().uuidString.prefix(8))")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let user = getuid() == 0 ? "root" : String(cString: getpwuid(getuid()).pointee.pw_name)
        let install = try PostgresServer.run([
            "/usr/bin/mariadb-install-db", "--no-defaults", "--datadir=\(data.path)", "--user=\(user)",
            "--auth-root-authentication-method=normal", "--skip-test-db",
        ])
        guard install.status == 0 else { throw TestSupportError("mariadb-install-db failed: \(install.output.suffix(800))") }
        let log = directory.appendingPathComponent("mariadb.log")
        let sock = directory.appendingPathComponent("mysqld.sock").path
        let directory = self.directory
        (port, process) = try startOnFreePort(name: "mariadbd", log: log, attempts: 300) { port in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/mariadbd")
            try? FileManager.default.removeItem(at: log)
            p.arguments =
                [
                    "--no-defaults", "--datadir=\(data.path)", "--socket=\(sock)",
                    "--port=\(port)", "--bind-address=127.0.0.1", "--user=\(user)", "--log-error=\(log.path)",
                    "--pid-file=\(directory.appendingPathComponent("mariadb.pid").path)", "--skip-name-resolve",
                    "--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin",
                ]
                + (tls.map { ["--ssl-ca=\($0.path("ca.crt"))", "--ssl-cert=\($0.path("server.crt"))", "--ssl-key=\($0.path("server.key"))"] } ?? [])
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        } ready: { _ in
            (try? PostgresServer.run(["/usr/bin/mariadb", "--no-defaults", "-S", sock, "-u", "root", "-e", "SELECT 1"]))?.status == 0
        }
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// `mysql://user:password@127.0.0.1:port/database`.
    public func url(user: String, password: String, database: String) -> String {
        "mysql://\(user):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// Runs SQL through the `mariadb` client over the socket, as root; returns its tab-separated output.
    @discardableResult
    public func sql(_ text: String, database: String? = nil) throws -> String {
        let r = try PostgresServer.run(
            ["/usr/bin/mariadb", "--no-defaults", "-S", socket, "-u", "root", "-N", "-B"] + (database.map { [$0] } ?? []), stdin: text)
        guard r.status == 0 else { throw TestSupportError("mariadb failed: \(r.output)") }
        return r.output
    }
}

/// Starts a server on a free port, retrying with another when one found free was taken before the
/// server bound it; waits until `ready`, else fails with the end of its log.
func startOnFreePort(name: String, log: URL, attempts: Int, _ make: (Int) throws -> Process, ready: (Int) -> Bool) throws -> (Int, Process) {
    var attempt = 0
    while true {
        attempt += 1
        let port = try FreePort.pick()
        let p = try make(port)
        try p.run()
        for _ in 0..<attempts {
            if !p.isRunning { break }
            if ready(port) { return (port, p) }
            usleep(50_000)
        }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard attempt < 5, text.contains("already in use") else { throw TestSupportError("\(name) did not start: \(text.suffix(800))") }
    }
}
