import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore
import SessionCrypto
import SessionPayload
import SessionTransport

#if canImport(Glibc)
    import Glibc
#endif

/// What every command gets: the bound command line, the console, and a way to reach the server.
final class CommandContext {
    let invocation: Invocation
    let console: Console
    let progress: Progress
    /// Phase durations, printed with `SESSIONCTL_TIMINGS=1`.
    let timings: Timings
    /// What `-o` asked for, made once: every command hands its result to it.
    let printer: Printer
    /// The audit trail of a command that changes keys, once made: its `run_end` is written
    /// by the top level, whatever ends the run.
    var auditTrail: AuditTrail?

    init(invocation: Invocation, console: Console) {
        self.invocation = invocation
        self.console = console
        progress = Progress(console: console, quiet: invocation.output.quiet)
        timings = Timings(environment: console.environment)
        printer = Printer(invocation.output, color: console.colorEnabled(noColorFlag: invocation.output.noColor), console: console)
    }

    // MARK: Connection settings

    /// The URL and where it came from, for messages: `--url`, then a context the operator named,
    /// then `$SESSIONCTL_URL` or `$REDIS_URL` (set on many application hosts), then the current
    /// context, then the default.
    func targetURL() -> (url: String, source: String) {
        if let u = invocation.connection.url { return (u, invocation.connection.urlSource ?? "--url") }
        let context = invocation.fromContext
        if context.explicit, let u = context.url, let name = context.name { return (u, "context '\(name)'") }
        if let (name, u) = environmentURL() { return (u, "$\(name)") }
        if let u = context.url, let name = context.name { return (u, "context '\(name)'") }
        return (RedisEndpoint.defaultURL, "the default URL")
    }

    /// `$SESSIONCTL_URL` or `$REDIS_URL`, whichever is set first.
    private func environmentURL() -> (name: String, url: String)? {
        for name in ["SESSIONCTL_URL", "REDIS_URL"] {
            if let u = console.environment[name], !u.isEmpty { return (name, u) }
        }
        return nil
    }

    /// Whether the target came from the context (a URL it names, not one from the flag or the environment).
    var targetIsTheContexts: Bool { targetURL().source.hasPrefix("context ") }

    /// Whether the context's password is for the target: the context names no URL, or the target is its URL
    /// (a password is never sent to a server that `$REDIS_URL` or `--url` chose instead).
    var contextPasswordFits: Bool { invocation.fromContext.url.map { $0 == targetURL().url } ?? true }

    /// One line on stderr for each environment variable that a context the operator named overrides:
    /// the operator sees that `$REDIS_URL` (say) was set, and that it is not the target.
    func warnOverriddenEnvironment() {
        let context = invocation.fromContext
        guard context.explicit, let name = context.name, invocation.command.talksToServer else { return }
        if invocation.connection.url == nil, let u = context.url, let (variable, value) = environmentURL(), value != u {
            console.warn(
                "$\(variable) is set (\(RedisEndpoint.redact(value))) but the context '\(name)' you named wins: the target is \(RedisEndpoint.redact(u))"
            )
        }
        if invocation.layout.framework == nil, let f = context.framework, let env = console.environment["SESSIONCTL_FRAMEWORK"], !env.isEmpty,
            env != f
        {
            console.warn("$SESSIONCTL_FRAMEWORK is set (\(env)) but the context '\(name)' you named wins: the framework is \(f)")
        }
    }

    /// The endpoint and connection options, with the password from `--password-file`, the URL or `$REDISCLI_AUTH`.
    func connectionSettings() throws -> (RedisEndpoint, ConnectionOptions) {
        let (url, source) = targetURL()
        let fromArgv = source == "--url"
        var endpoint = try RedisEndpoint.parse(url)
        if invocation.connection.tls { endpoint.tls = true }
        let tls = try tlsContext(enabled: endpoint.tls, endpoint: endpoint)
        if invocation.connection.iam { return try iamSettings(endpoint, tls: tls) }
        var password = endpoint.password
        if endpoint.password != nil && fromArgv && !invocation.output.quiet {
            console.warn("a password in --url is visible to other users of this machine; use $REDISCLI_AUTH or --password-file")
        }
        if invocation.connection.askpass {
            password = try askPassword(for: endpoint)
        } else if let file = invocation.connection.passwordFile {
            password = try readPasswordFile(file)
        } else if password == nil, invocation.fromContext.explicit && targetIsTheContexts,
            let own = try invocation.fromContext.passwordFile.map(readPasswordFile) ?? invocation.fromContext.password
        {
            // The context the operator named brings its own password for its own server.
            password = own
        } else if password == nil, let env = console.environment["REDISCLI_AUTH"], !env.isEmpty {
            password = env
        } else if password == nil, contextPasswordFits, let file = invocation.fromContext.passwordFile {
            password = try readPasswordFile(file)
        } else if password == nil, contextPasswordFits, let inContext = invocation.fromContext.password {
            password = inContext
        }
        if let user = endpoint.username, password == nil {
            // Never fall back to the `default` user: the operator named another one.
            guard console.stdinIsTerminal && console.stderrIsTerminal && !invocation.arguments.contains([UInt8(ascii: "-")]) else {
                throw CLIError(
                    "the URL names the user '\(user)' but no password was given (\(targetURL().source))",
                    hint: "give it in $REDISCLI_AUTH, with --password-file FILE, or type it with --askpass", code: .usage)
            }
            password = try askPassword(for: endpoint)
        }
        let options = ConnectionOptions(
            username: endpoint.username, password: password, database: endpoint.database,
            connectTimeout: invocation.connection.connectTimeout, commandTimeout: invocation.connection.timeout, tls: tls,
            cancellation: console.cancellation)
        return (endpoint, options)
    }

    /// Said once, before a command reads payloads on a server whose reads reset idle times.
    func noteReadsResetIdleTimes(_ store: any SessionBackend, reading: Bool = true) {
        guard reading, store.readsResetIdleTimes else { return }
        note("reading payloads resets idle times on Redis < 7.2 (this server has no CLIENT NO-TOUCH): the sessions read will look used")
    }

    /// `--iam`: the password of every connection is a fresh IAM token for the URL's user, signed
    /// with credentials found as the AWS SDKs find them (found once; each token made when its
    /// connection is opened, so that one opened late in a long run is not refused).
    private func iamSettings(_ endpoint: RedisEndpoint, tls: TLSContext?) throws -> (RedisEndpoint, ConnectionOptions) {
        let iam = invocation.iam
        guard let user = endpoint.username, !user.isEmpty else {
            throw CLIError("--iam needs the IAM-enabled user in the URL (rediss://USER@host:port)", code: .usage)
        }
        guard endpoint.password == nil else { throw CLIError("--iam makes the password: give none in the URL", code: .usage) }
        guard let region = iam.region, let name = iam.cacheName else {
            throw CLIError("--iam needs --region and --cache-name (or the context's region: and cache-name:)", code: .usage)
        }
        if tls == nil && !invocation.output.quiet {
            console.warn("--iam without TLS: ElastiCache and MemoryDB take IAM tokens only over TLS (rediss://)")
        }
        let found = try AWSCredentials.find(
            environment: console.environment, timeout: invocation.connection.connectTimeout, cancellation: console.cancellation)
        let service = iam.service.rawValue
        let serverless = iam.serverless
        let credentials = found.credentials
        var options = ConnectionOptions(
            username: user, password: nil, database: endpoint.database, connectTimeout: invocation.connection.connectTimeout,
            commandTimeout: invocation.connection.timeout, tls: tls, cancellation: console.cancellation)
        options.passwordProvider = {
            SigV4.connectToken(
                service: service, region: region, name: name, user: user, serverless: serverless, credentials: credentials, time: Int(WallClock.now())
            )
        }
        note("authenticating as \(user) with IAM tokens for \(name.lowercased()) (\(service), \(region)), credentials from \(found.source)")
        return (endpoint, options)
    }

    /// The TLS context when TLS is on; TLS options without TLS are a usage error.
    private func tlsContext(enabled: Bool, endpoint: RedisEndpoint) throws -> TLSContext? {
        let inv = invocation
        // Only flags on the command line: a context's TLS files wait for a TLS URL (one from the environment may be plain).
        let given: [(String, Bool)] = [
            ("--cacert", inv.connection.cacert != nil), ("--cacertdir", inv.connection.cacertdir != nil), ("--cert", inv.connection.cert != nil),
            ("--sni", inv.connection.sni != nil), ("--insecure", inv.connection.insecure),
        ].filter { inv.given.contains(String($0.0.dropFirst(2))) }
        guard enabled else {
            if let (name, _) = given.first(where: { $0.1 }) {
                throw CLIError("\(name) needs TLS", hint: "use a rediss:// URL or --tls", code: .usage)
            }
            return nil
        }
        if case .unix = endpoint.address {
            throw CLIError("TLS over a unix socket is not supported", hint: "use redis:// for unix sockets", code: .usage)
        }
        if inv.connection.insecure {
            console.warn("--insecure: the server's certificate and host name are not verified; anyone on the path can read and change this session")
        }
        let settings = TLSSettings(
            caFile: inv.connection.cacert, caDirectory: inv.connection.cacertdir, certificateFile: inv.connection.cert,
            keyFile: inv.connection.key, serverName: inv.connection.sni, insecure: inv.connection.insecure)
        do {
            return try TLSContext(settings: settings)
        } catch TransportError.tlsFailed(_, let reason) {
            throw CLIError(reason, code: .usage)
        }
    }

    /// Reads a password without echo: at the terminal's prompt, or the first line of standard
    /// input when that is not a terminal (`--askpass` in scripts).
    private func askPassword(for endpoint: RedisEndpoint) throws -> String {
        if invocation.arguments.contains([UInt8(ascii: "-")]) {
            throw CLIError(
                "--askpass reads the password from standard input, which '-' also reads", hint: "use $REDISCLI_AUTH or --password-file", code: .usage)
        }
        let who = endpoint.username.map { "\($0)@" } ?? ""
        guard let line = console.readSecret("Password for \(who)\(endpoint): "), !line.isEmpty else {
            throw CLIError("no password was typed", ifInterrupted: "interrupted at the password prompt", code: .usage)
        }
        return line
    }

    /// The first 64 KiB of a regular file named by `option` (a directory or FIFO is refused, never waited on).
    func readSmallFile(_ path: String, option: String) throws -> [UInt8] {
        // Non-blocking, so a FIFO with no writer cannot hang the open; then only regular files are read.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIError("cannot read \(option) '\(path)': \(String(cString: strerror(errno)))", code: .usage)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "a directory" : info.st_mode & S_IFMT == S_IFIFO ? "a FIFO" : "not a regular file"
            throw CLIError("\(option) '\(path)' is \(kind); it must be a regular file", code: .usage)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65_536 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    func readPasswordFile(_ path: String) throws -> String {
        let bytes = try readSmallFile(path, option: "--password-file")
        let line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        var password = Array(line)
        if password.last == UInt8(ascii: "\r") { password.removeLast() }
        guard !password.isEmpty, let text = String(validating: password, as: UTF8.self) else {
            throw CLIError("--password-file '\(path)' has no password on its first line", code: .usage)
        }
        return text
    }

    // MARK: Output

    /// Writes text to stdout.
    func print(_ text: String) {
        console.out.write(text)
    }

    /// Writes a note to stderr unless `--quiet`.
    func note(_ text: String) {
        guard !invocation.output.quiet else { return }
        console.err.write("\(text)\n")
    }

    /// Reports a partial result on stderr (always, even with `--quiet`): one line per kind of
    /// failure, node and cause, with a count and what to do.
    func reportIncomplete(_ completeness: Completeness, markTable: Bool = true) {
        if !completeness.isComplete && printer.isText && markTable {
            // The table says itself that it is partial, wherever it is read (JSON has "complete": false).
            print("# partial result (\(completeness.interrupted ? "interrupted" : "incomplete")): see the lines on stderr\n")
        }
        // The result first, then what is wrong with it: on a terminal both streams interleave.
        console.out.flush()
        for line in completeness.summary(running: invocation.command) { console.error("incomplete: \(line)") }
        // What went wrong and was made good: the result is whole, and the operator knows what happened.
        for line in completeness.recoveries { console.warn(line) }
        if completeness.interrupted { console.error("interrupted: the result above is partial") }
    }
}
