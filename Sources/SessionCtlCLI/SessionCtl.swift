import CMalloc
import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// The process's one request to stop, set by SIGINT and SIGTERM and passed down from here.
private let signalled = Cancellation()

/// The command line's entry point: parse, run one command, map the outcome to an exit status.
public enum SessionCtl {
    /// sessionctl's version.
    public static let version = "0.1.0"

    /// Runs with the process's argv, streams and environment, and returns the exit status.
    public static func main() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        // Large buffers (a sort's runs, a merge's reads) straight from mmap and back to the system
        // when freed: glibc would otherwise raise the threshold and keep freed buffers in the heap,
        // and the peak RSS would not come down to what --memory-limit promises.
        sessionctl_mmap_large_blocks(256 << 10)
        // A file-size limit (ulimit -f) is a write error to report (EFBIG), not a signal that kills mid-work.
        signal(SIGXFSZ, SIG_IGN)
        // Without SA_RESTART, so that Ctrl-C also ends a read that is waiting (a confirmation prompt).
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in signalled.cancel() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        var arguments: [[UInt8]] = []
        for i in 1..<Int(CommandLine.argc) {
            // Raw bytes: ids may be any bytes, and String(cString:) would repair them.
            guard let p = CommandLine.unsafeArgv[i] else { continue }
            arguments.append(Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p))))
        }
        let console = Console.process(cancellation: signalled)
        let code = run(arguments: arguments, console: console)
        console.flush()
        return code
    }

    /// Runs one command line against `console`; Ctrl-C is `console.cancellation`.
    public static func run(arguments: [[UInt8]], console: Console) -> Int32 {
        if arguments.isEmpty {
            // No command at all: the help, on stderr (stdout is for data), and a usage status, as gh does.
            console.err.write(HelpCommand.overview())
            console.flush()
            return ExitCode.usage.rawValue
        }
        var invocation: Invocation
        do {
            invocation = try Binder.parse(arguments)
            invocation.rawArguments = arguments
        } catch {
            console.error(ExitCode.describe(error).line)
            return ExitCode.usage.rawValue
        }
        // Many contexts: a child per context (each told its own through the environment), merged here.
        if !FanOut.Override.apply(&invocation, environment: console.environment) && FanOut.wanted(invocation) && !invocation.help {
            do {
                let code = try FanOut.run(invocation, console: console)
                console.flush()
                return code
            } catch {
                let e = ExitCode.describe(error)
                console.error(e.line)
                console.flush()
                return e.code.rawValue
            }
        }
        do {
            // The configuration file's context fills in what the command line did not give.
            invocation = try invocation.applyingContext(environment: console.environment)
        } catch {
            console.error(ExitCode.describe(error).line)
            return ExitCode.usage.rawValue
        }
        if !invocation.identities.isEmpty && !invocation.help {
            // The people first: each resolved to the user ids of this context's application, said on stderr.
            do { invocation.arguments += try IdentityResolver.resolve(invocation, console: console) } catch {
                let e = ExitCode.describe(error)
                console.error(e.line)
                return e.code.rawValue
            }
        }
        let context = CommandContext(invocation: invocation, console: console)
        context.warnOverriddenEnvironment()
        defer {
            if let line = context.timings.line {
                console.err.write(line + "\n")
                console.err.flush()
            }
        }
        let result = Result { try dispatch(context) }
        context.progress.finish()
        console.out.flush()
        let (status, error) = ExitCode.of(result, cancelled: console.cancellation.isCancelled)
        var code = status
        if let error { console.error(error.line) }
        // The run's end in the audit trail, after Ctrl-C, a failure or success alike; a trail that
        // cannot take it makes a run that succeeded a failure (its record is not whole).
        if let trail = context.auditTrail {
            // A record after a batch that a sink refused was said when it happened; the trail is not whole, so neither is the run.
            if trail.lost != nil && (code == .success || code == .notFound) {
                console.error("the audit trail lacks a record that could not be written (said above): exit status 1")
                code = .failure
            }
            if let failed = trail.end(exitStatus: code.rawValue, error: error?.line) {
                console.error("\(failed.message) (the run's end record)")
                if code == .success || code == .notFound { code = .failure }
            }
        }
        // NDJSON's last line says how the run ended (snapshot's file has its own trailer; help and completion print text).
        if ![.help, .completion, .snapshot].contains(invocation.command) && !invocation.help {
            context.printer.summary(command: invocation.command.rawValue, complete: complete(result, code), exitCode: code.rawValue)
        }
        console.flush()
        // Output that could not be written is a failure (as jq does); a closed pipe stays quiet.
        if let failed = console.out.writeError {
            console.error("cannot write to standard output: \(failed)")
            return code == .success || code == .notFound ? ExitCode.failure.rawValue : code.rawValue
        }
        return code.rawValue
    }

    /// Whether a run read all it had to: a finished command says so itself; one that stopped on
    /// an error did not, unless the error is that what was named does not exist.
    private static func complete(_ result: Result<Outcome, any Error>, _ code: ExitCode) -> Bool {
        guard code != .interrupted else { return false }
        switch result {
        case .success(.success): return true
        case .success(.finished(let c, _, _)), .success(.differs(let c)): return c.isComplete
        case .success(.stopped): return false
        case .failure: return code == .notFound
        }
    }

    private static func dispatch(_ context: CommandContext) throws -> Outcome {
        let inv = context.invocation
        if inv.help { return HelpCommand.run(context, topic: inv.command == .help ? nil : inv.command) }
        switch inv.command {
        case .help: return HelpCommand.run(context, topic: inv.arguments.first.flatMap { CommandName(rawValue: String(decoding: $0, as: UTF8.self)) })
        case .version: return VersionCommand.run(context)
        case .completion: return try CompletionCommand.run(context)
        case .list: return try ListCommand.run(context)
        case .show: return try ShowCommand.run(context)
        case .revoke, .revokeUser, .prune: return try RevokeCommand.run(context)
        case .revokeAll: return try RevokeAllCommand.run(context)
        case .audit: return try AuditCommand.run(context)
        case .users: return try UsersCommand.run(context)
        case .ping: return try PingCommand.run(context)
        case .detect: return try DetectCommand.run(context)
        case .context: return try ContextCommand.run(context)
        case .index: return try IndexCommand.run(context)
        case .snapshot: return try SnapshotCommand.run(context)
        case .diff: return try DiffCommand.run(context)
        case .verify: return try VerifyCommand.run(context)
        case .watch: return try WatchCommand.run(context)
        case .iamToken: return try IAMTokenCommand.run(context)
        case .auditLog: return try AuditLogCommand.run(context)
        }
    }
}
