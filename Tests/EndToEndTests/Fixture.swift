import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// A real server with a few users' sessions, and a way to run the binary against it.
final class Fixture {
    let server: RedisServer
    let password: String?

    init(extraConfig: [String] = [], password: String? = nil, unixSocket: Bool = false, kind: ServerKind = .redis) throws {
        server = try RedisServer(extraConfig: extraConfig, unixSocket: unixSocket, kind: kind)
        self.password = password
    }

    /// Seeds `user:<user>:<session> -> session:<session>` with a payload and a TTL.
    func seed(_ sessions: [(String, String)], ttl: Int = 3600) throws {
        var commands: [[String]] = []
        for (user, session) in sessions {
            commands.append(["SET", "user:\(user):\(session)", "session:\(session)"])
            commands.append(["SET", "session:\(session)", "{\"user\":\"\(user)\"}", "EX", String(ttl)])
        }
        try server.run(commands, password: password)
    }

    /// Runs sessionctl with SESSIONCTL_URL pointing at the server.
    func run(_ args: String..., env: [String: String] = [:], stdin: String? = nil) throws -> Sessionctl.Run {
        try run(args: args, env: env, stdin: stdin)
    }

    /// The same with the arguments in an array.
    func run(args: [String], env: [String: String] = [:], stdin: String? = nil) throws -> Sessionctl.Run {
        var environment = ["SESSIONCTL_URL": server.url]
        environment.merge(env) { _, new in new }
        return try Sessionctl.run(args, environment: environment, stdin: stdin.map { Data($0.utf8) })
    }

    func exists(_ key: String) throws -> Bool {
        try server.run([["EXISTS", key]], password: password)[0] == .integer(1)
    }

    /// The keys matching `pattern` (KEYS: a test's small keyspace).
    func keys(_ pattern: String) throws -> [String] {
        guard case .array(let items) = try server.run([["KEYS", pattern]], password: password)[0] else { return [] }
        return items.compactMap(\.text)
    }

    func dbsize() throws -> Int64 {
        try server.run([["DBSIZE"]], password: password)[0].integer ?? -1
    }
}

/// Runs a command line in a pseudo-terminal with `script(1)` (util-linux), typing `input`.
func inTerminal(_ commandLine: String, input: String, env: [String: String]) throws -> Sessionctl.Run {
    try Sessionctl.exec(
        "/usr/bin/script", ["-qec", commandLine, "/dev/null"].map { Data($0.utf8) },
        environment: env, stdin: Data(input.utf8), timeout: 30)
}

func assertExitStatus(_ run: Sessionctl.Run, _ status: Int32, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(run.status, status, "\(run)", file: file, line: line)
}

/// Runs sessionctl in a pseudo-terminal `columns` wide (Python's pty module), typing
/// `typeAhead` at once, then `answer` once `prompt` has been up for a moment; `-u url` is added
/// unless `url` is "-" (the contexts then say where).
func inPseudoTerminal(
    _ args: [String], url: String, columns: Int = 80, typeAhead: String = "", answer: String? = nil,
    prompt: String = "[y/N]", env: [String: String] = [:]
) throws -> Sessionctl.Run {
    let driver = """
        import fcntl, os, pty, select, signal, struct, sys, termios, time
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(sys.argv[1], [sys.argv[1]] + sys.argv[5:] + (["-u", sys.argv[2]] if sys.argv[2] != "-" else []))
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, int(sys.argv[3]), 0, 0))
        os.kill(pid, signal.SIGWINCH)
        answer = sys.argv[4]
        ahead = os.environ.get("TYPE_AHEAD", "")
        if ahead:
            os.write(fd, ahead.encode())
        out = b""
        asked = None
        deadline = time.time() + 40
        while time.time() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break  # the child closed the terminal: it has ended
                if not data:
                    break
                out += data
            if os.environ["PROMPT_MARK"].encode() in out and asked is None:
                asked = time.time()
            if asked is not None and answer != "-" and time.time() - asked > 1.0:
                # Still waiting a second after the question: the typed-ahead answer was not taken.
                out += b"\\n<<still asking>>\\n" if os.waitpid(pid, os.WNOHANG)[0] == 0 else b"\\n<<had ended>>\\n"
                os.write(fd, (answer + "\\n").encode())
                answer = "-"
        for _ in range(50):
            reaped, status = os.waitpid(pid, os.WNOHANG)
            if reaped:
                sys.stdout.write(out.decode(errors="replace"))
                sys.exit(os.waitstatus_to_exitcode(status))
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)  # never left behind: the test fails on the status
        os.waitpid(pid, 0)
        sys.stdout.write(out.decode(errors="replace"))
        sys.exit(99)
        """
    return try Sessionctl.exec(
        "/usr/bin/python3", (["-c", driver, Sessionctl.binary, url, String(columns), answer ?? "-"] + args).map { Data($0.utf8) },
        environment: env.merging(["TERM": "dumb", "TYPE_AHEAD": typeAhead, "PROMPT_MARK": prompt]) { _, new in new },
        stdin: nil, timeout: 60)
}
