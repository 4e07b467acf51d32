import RedisClient
import SessionKit
#if canImport(Glibc)
import Glibc
#endif

/// The command line's entry point: parse, run one command, map the outcome to an exit status.
public enum SessionCtl {
    /// sessionctl's version.
    public static let version = "0.1.0"

    /// Runs with the process's argv, streams and environment, and returns the exit status.
    public static func main() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        // Without SA_RESTART, so that Ctrl-C also ends a read that is waiting (a confirmation prompt).
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interruption.request() }
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
        let console = Console.process()
        let code = run(arguments: arguments, console: console)
        console.flush()
        return code
    }

    /// Runs one command line against `console`.
    public static func run(arguments: [[UInt8]], console: Console) -> Int32 {
        let invocation: Invocation
        do {
            invocation = try Binder.parse(arguments)
        } catch {
            console.error(CLIError.from(error).line)
            return ExitCode.usage.rawValue
        }
        let context = CommandContext(invocation: invocation, console: console)
        defer {
            if let line = context.timings.line { console.err.write(line + "\n"); console.err.flush() }
        }
        do {
            let code = try dispatch(context)
            console.flush()
            return code.rawValue
        } catch {
            context.progress.finish()
            let e = CLIError.from(error)
            console.out.flush()
            console.error(e.line)
            return e.code.rawValue
        }
    }

    private static func dispatch(_ context: CommandContext) throws -> ExitCode {
        let inv = context.invocation
        if inv.help { return HelpCommand.run(context, topic: inv.command == .help ? nil : inv.command) }
        switch inv.command {
        case .help: return HelpCommand.run(context, topic: inv.arguments.first.flatMap { CommandName(rawValue: String(decoding: $0, as: UTF8.self)) })
        case .version: return VersionCommand.run(context)
        case .completion: return try CompletionCommand.run(context)
        case .list: return try ListCommand.run(context)
        case .show: return try ShowCommand.run(context)
        case .revoke, .revokeUser, .prune: return try RevokeCommand.run(context)
        case .audit: return try AuditCommand.run(context)
        case .users: return try UsersCommand.run(context)
        case .ping: return try PingCommand.run(context)
        }
    }
}
