import Foundation

/// Runs the built `sessionctl` binary and captures what it did.
public enum Sessionctl {
    /// What a run printed and how it exited.
    public struct Run: CustomStringConvertible {
        public let stdout: String
        public let stderr: String
        public let status: Int32
        public let stdoutBytes: Data
        public var description: String { "status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }

        /// stdout parsed as JSON.
        public func json() throws -> [String: Any] {
            guard let obj = try JSONSerialization.jsonObject(with: stdoutBytes) as? [String: Any] else {
                throw TestSupportError("stdout is not a JSON object: \(stdout)")
            }
            return obj
        }

        /// NDJSON's lines before its summary, and the summary (`{"summary": {…}}`, the last line).
        public func ndjson() throws -> (lines: [[String: Any]], summary: [String: Any]) {
            var lines = try stdout.split(separator: "\n").map { line in
                guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw TestSupportError("not a JSON object: \(line)")
                }
                return obj
            }
            guard let summary = lines.popLast()?["summary"] as? [String: Any] else {
                throw TestSupportError("NDJSON without its summary line: \(stdout)")
            }
            return (lines, summary)
        }
    }

    /// The binary next to the test bundle, in the same build folder.
    public static var binary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test binary lives at <build>/<name>.xctest (a file) on Linux.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("sessionctl").path
    }

    /// Runs sessionctl with `arguments` and a clean environment plus `environment`, feeding `stdin`.
    /// With `holdStdinOpen`, standard input is a pipe that stays open (and empty) until the run ends.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil,
        timeout: TimeInterval = 60, interruptAfter: TimeInterval? = nil, holdStdinOpen: Bool = false
    ) throws -> Run {
        let run = try exec(
            binary, arguments.map { Data($0.utf8) }, environment: environment, stdin: stdin, timeout: timeout,
            interruptAfter: interruptAfter, holdStdinOpen: holdStdinOpen)
        try AuditSchema.validate(AuditSchema.logs(arguments.map { Data($0.utf8) }, environment))
        return run
    }

    /// Runs with raw-byte arguments (ids that are not UTF-8).
    public static func run(
        _ arguments: [Data], environment: [String: String] = [:], stdin: Data? = nil,
        timeout: TimeInterval = 60
    ) throws -> Run {
        let run = try exec(binary, arguments, environment: environment, stdin: stdin, timeout: timeout)
        try AuditSchema.validate(AuditSchema.logs(arguments, environment))
        return run
    }

    /// Runs any program with raw-byte arguments through posix_spawn and collects its output.
    /// With `interruptAfter`, SIGINT is sent that many seconds after the start, as Ctrl-C would.
    public static func exec(
        _ program: String, _ arguments: [Data], environment: [String: String], stdin: Data?,
        timeout: TimeInterval, interruptAfter: TimeInterval? = nil, holdStdinOpen: Bool = false
    ) throws -> Run {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-run-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inPath = dir.appendingPathComponent("in").path
        let outPath = dir.appendingPathComponent("out").path
        let errPath = dir.appendingPathComponent("err").path
        guard FileManager.default.createFile(atPath: inPath, contents: stdin ?? Data()) else {
            throw TestSupportError("cannot write \(inPath)")
        }
        var pipeFDs: [Int32] = [-1, -1]
        if holdStdinOpen {
            guard pipe(&pipeFDs) == 0 else { throw TestSupportError("pipe: \(String(cString: strerror(errno)))") }
        }
        defer { for fd in pipeFDs where fd >= 0 { close(fd) } }
        // A revocation watches what it deleted for 5 s by default (--settle); the suite's runs watch
        // for 0.2 s, so the watch still runs everywhere, unless a test sets SESSIONCTL_SETTLE itself
        // ("" for the real default, as the framework write-back tests do).
        var env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": dir.path, "LANG": "C.UTF-8", "SESSIONCTL_SETTLE": "0.2s"]
        env.merge(environment) { _, new in new }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if holdStdinOpen {
            posix_spawn_file_actions_adddup2(&actions, pipeFDs[0], 0)
            posix_spawn_file_actions_addclose(&actions, pipeFDs[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv: [UnsafeMutablePointer<CChar>?] =
            ([Data(program.utf8)] + arguments).map { d in
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: d.count + 1)
                d.withUnsafeBytes { raw in for (i, b) in raw.enumerated() { p[i] = CChar(bitPattern: b) } }
                p[d.count] = 0
                return p
            } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { p?.deallocate() }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, argv, envp)
        guard rc == 0 else { throw TestSupportError("cannot run \(program): \(String(cString: strerror(rc)))") }

        let deadline = Date().addingTimeInterval(timeout)
        let interruptAt = interruptAfter.map { Date().addingTimeInterval($0) }
        var interrupted = false
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if let interruptAt, !interrupted, Date() > interruptAt {
                kill(pid, SIGINT)
                interrupted = true
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw TestSupportError("\(program) \(arguments.map { String(decoding: $0, as: UTF8.self) }) did not finish within \(timeout) s")
            }
            usleep(5_000)
        }
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        return Run(
            stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
            status: exitStatus, stdoutBytes: out)
    }
}

extension Sessionctl {
    /// A run in the background (a watch window while the test logs a user in), collected when it ends.
    public final class Background {
        private let process = Process()
        private let out = Pipe()
        private let err = Pipe()

        fileprivate init(_ arguments: [String], environment: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: Sessionctl.binary)
            process.arguments = arguments
            process.environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "SESSIONCTL_SETTLE": "0.2s"].merging(environment) {
                _, new in new
            }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = out
            process.standardError = err
            try process.run()
        }

        /// Sends SIGINT, as Ctrl-C would.
        public func interrupt() { kill(process.processIdentifier, SIGINT) }

        /// Waits for the end and returns what the run printed.
        public func wait() -> Run {
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Run(
                stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self), status: process.terminationStatus,
                stdoutBytes: stdout)
        }
    }

    /// Starts sessionctl with `arguments` in the background.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Background {
        try Background(arguments, environment: environment)
    }

    /// Runs `sql` on the SQLite database at `path` (created if missing) with Debian's sqlite3.
    public static func sqlite(_ path: String, _ sql: String) throws {
        let made = try exec("/usr/bin/sqlite3", [Data(path.utf8), Data(sql.utf8)], environment: [:], stdin: nil, timeout: 30)
        guard made.status == 0 else { throw TestSupportError("sqlite3 \(path) failed: \(made)") }
    }
}
