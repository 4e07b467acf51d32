import RedisClient
import SQLClient
import SessionBasics
import SessionCore
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// `--context a,b,c` and `--all-contexts`: one command over many contexts (one person across every
/// app). Each context runs as a child process of this binary, at most ``parallel`` at once, told
/// its context and to answer in JSON through the environment (``Override``); the results come
/// back as one table with a CONTEXT column, or JSON grouped by context, each with its own target,
/// completeness and exit status. A context that cannot be reached does not stop the others: the
/// run is then incomplete (exit 5; 4 when none could be). A destructive command asks once, naming
/// every target and its count from a dry run of each, then runs each with `--yes`.
enum FanOut {
    /// The commands that take more than one context.
    static let commands: Set<CommandName> = [.list, .users, .audit, .revoke, .revokeUser, .revokeAll, .watch]
    /// Contexts run at once.
    static let parallel = 4

    /// What a child is told, through the environment (the command line stays as the operator wrote it).
    enum Override {
        static let context = "SESSIONCTL_FANOUT_CONTEXT"
        static let dryRun = "SESSIONCTL_FANOUT_DRY_RUN"
        static let yes = "SESSIONCTL_FANOUT_YES"

        /// Applies a parent's instructions to a child's invocation: its one context, JSON, and the phase.
        static func apply(_ inv: inout Invocation, environment: [String: String]) -> Bool {
            guard let name = environment[context], !name.isEmpty else { return false }
            inv.context = name
            inv.allContexts = false
            inv.output.format = .json
            inv.output.source = nil
            if environment[dryRun] == "1" { inv.destructive.dryRun = true }
            if environment[yes] == "1" { inv.destructive.yes = true }
            return true
        }
    }

    /// Whether `inv` asks for more than one context.
    static func wanted(_ inv: Invocation) -> Bool {
        inv.allContexts || (inv.context?.contains(",") ?? false)
    }

    /// One context's run.
    struct Child {
        let context: String
        /// Where it points, without credentials (the context's URL).
        let target: String
        var status: Int32 = -1
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        /// The child's JSON, when it printed one.
        var result: PayloadValue? { stdout.isEmpty ? nil : try? JSONPayload.decode(stdout) }
        var reached: Bool { status != 4 && status != 2 && result != nil }
    }

    /// Runs the command over every context named, and returns the exit status.
    static func run(_ inv: Invocation, console: Console) throws -> Int32 {
        guard commands.contains(inv.command) else {
            throw CLIError(
                "'\(inv.command.rawValue)' takes one context; --context a,b and --all-contexts are for "
                    + commands.map(\.rawValue).sorted().joined(separator: ", "), code: .usage)
        }
        guard let file = try ConfigFile.load(console.environment) else {
            throw CLIError(
                "--context a,b and --all-contexts need the configuration file", hint: "'sessionctl help context' shows an example file", code: .usage)
        }
        var names: [String] = []
        if inv.allContexts {
            names = file.contexts.map(\.name)
        } else {
            for name in (inv.context ?? "").split(separator: ",").map({ String($0).trimmingSpaces }) where !name.isEmpty {
                // An unknown name is a usage error before anything connects.
                _ = try file.context(named: name)
                if !names.contains(name) { names.append(name) }
            }
        }
        guard !names.isEmpty else { throw CLIError("no context to run in: the configuration file '\(file.path)' has none", code: .usage) }
        let targets = Dictionary(
            uniqueKeysWithValues: names.map { name in
                (name, file.contexts.first { $0.name == name }?.values.first { $0.key == "url" || $0.key == "urls" }.map { display($0.value) } ?? "-")
            })
        let ctx = CommandContext(invocation: inv, console: console)
        if inv.command == .watch && inv.watch.revoke && !inv.destructive.dryRun && !inv.destructive.yes {
            // A dry run of a watch would be a whole window: the windows are confirmed by --yes.
            throw CLIError(
                "watch --revoke in \(Cell.plural(names.count, "context")) runs every window at once and cannot ask first", hint: "pass --yes",
                code: .usage)
        }
        let destructive = inv.command.changesKeys && !(inv.command == .watch && (!inv.watch.revoke || inv.destructive.yes))
        if destructive && !inv.destructive.dryRun && !inv.destructive.yes {
            guard console.stdinIsTerminal && console.stderrIsTerminal else {
                throw CLIError(
                    "'\(inv.command.rawValue)' deletes keys in \(Cell.plural(names.count, "context")) and there is no terminal to confirm on",
                    hint: "pass --yes to confirm, or --dry-run to see what would be deleted", code: .usage)
            }
            // A dry run of each first: the one question names every target and what it would delete there.
            let preview = runAll(names, targets: targets, inv: inv, console: console, extra: [Override.dryRun: "1"])
            relay(preview, console)
            guard confirm(preview, inv: inv, console: console) else {
                throw CLIError("aborted; nothing was deleted", ifInterrupted: "interrupted; nothing was deleted", code: .failure)
            }
            // Contexts the dry run could not reach are not asked again; they stay in the result as they failed.
            let reachable = preview.filter(\.reached).map(\.context)
            var done = runAll(reachable, targets: targets, inv: inv, console: console, extra: [Override.yes: "1"])
            done += preview.filter { !$0.reached }
            done.sort { a, b in names.firstIndex(of: a.context)! < names.firstIndex(of: b.context)! }
            return finish(done, ctx: ctx, relaying: done.filter { reachable.contains($0.context) })
        }
        let children = runAll(names, targets: targets, inv: inv, console: console, extra: [:])
        return finish(children, ctx: ctx, relaying: children)
    }

    /// A URL for messages: its password hidden.
    static func display(_ url: String) -> String {
        SQLURL.isSQL(url) ? ((try? SQLURL(url))?.display ?? url) : RedisEndpoint.redact(url)
    }

    // MARK: The question

    /// One question for every context: its target and what the dry run found there.
    private static func confirm(_ preview: [Child], inv: Invocation, console: Console) -> Bool {
        var table = Table(headers: ["CONTEXT", "TARGET", "SESSIONS", "USERS", "STATUS"], alignments: [.left, .left, .right, .right, .left])
        var total = 0
        for c in preview {
            let (sessions, users) = counts(c, command: inv.command)
            total += sessions
            table.add([
                c.context, c.target, String(sessions), users.map(String.init) ?? "-",
                c.reached
                    ? (c.status == 0 || c.status == 3 ? "ready" : "incomplete (exit \(c.status))")
                    : "cannot reach (exit \(c.status)): not asked again",
            ])
        }
        console.err.write(table.render(color: false, width: console.stderrIsTerminal ? console.columns() : nil))
        let reachable = preview.filter(\.reached).count
        let verb = inv.command == .revokeAll ? "End" : "Revoke"
        console.discardTypeahead()
        console.err.write(
            "\(verb) \(Cell.plural(total, "session")) in \(Cell.plural(reachable, "context")) (each on its own target above)? [y/N] ")
        console.err.flush()
        guard let answer = console.readLine()?.trimmingSpaces.lowercased() else { return false }
        return answer == "y" || answer == "yes"
    }

    /// Sessions (and users) a context's JSON counts: revoked for the destructive commands.
    private static func counts(_ c: Child, command: CommandName) -> (Int, Int?) {
        guard let r = c.result else { return (0, nil) }
        if command == .revokeAll, case .int(let n)? = r["revoked"] { return (Int(n), nil) }
        guard case .list(let revoked)? = r["revoked"] else { return (0, nil) }
        return (revoked.count, Set(revoked.compactMap { $0["user"]?.text }).count)
    }

    // MARK: The result

    /// Prints the merged result and returns the exit status: the worst of the contexts', where one
    /// that could not be reached makes the run incomplete (5) unless none could be (4).
    private static func finish(_ children: [Child], ctx: CommandContext, relaying: [Child]) -> Int32 {
        let statuses = children.map(\.status)
        let code = worst(statuses)
        let complete = children.allSatisfy { $0.status == 0 || $0.status == 3 } && !children.isEmpty
        let merged = Merged(children: children, command: ctx.invocation.command, complete: complete, exitCode: code)
        // The result, then what each context said about it (as one run prints its table, then its notes).
        ctx.printer.print(merged)
        ctx.console.out.flush()
        relay(relaying, ctx.console)
        for c in children where !c.reached {
            let last = String(decoding: c.stderr, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "exit \(c.status)"
            ctx.console.error(
                "context '\(c.context)' (\(c.target)) was not reached: \(last.hasPrefix("sessionctl: ") ? String(last.dropFirst(12)) : last)")
        }
        if !complete && children.contains(where: \.reached) {
            ctx.console.error(
                "incomplete: \(children.filter { $0.status != 0 && $0.status != 3 }.map(\.context).joined(separator: ", ")) did not finish whole")
        }
        ctx.printer.summary(command: ctx.invocation.command.rawValue, complete: complete, exitCode: code)
        ctx.console.flush()
        return code
    }

    /// The exit status of many runs: interrupted, usage, then failure, incomplete, not found, success;
    /// a context that cannot be reached counts as incomplete while another was reached.
    static func worst(_ statuses: [Int32]) -> Int32 {
        if statuses.isEmpty { return 0 }
        if statuses.allSatisfy({ $0 == 4 }) { return 4 }
        // One context out of reach while others were reached: the run is incomplete.
        let mapped = statuses.map { $0 == 4 ? 5 : $0 }
        let rank: [Int32: Int] = [0: 0, 3: 1, 5: 2, 1: 3, 2: 4, 130: 5]
        let w = mapped.max { (rank[$0] ?? 3) < (rank[$1] ?? 3) } ?? 0
        // Not found is the answer only when it is every context's: found somewhere is a success.
        if w == 3 { return mapped.allSatisfy { $0 == 3 } ? 3 : 0 }
        return rank[w] == nil ? 1 : w
    }
}
