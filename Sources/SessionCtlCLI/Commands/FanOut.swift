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

    // MARK: Children

    /// Runs a child per context, at most ``parallel`` at once; each one's output is kept in unlinked temporary files.
    static func runAll(_ names: [String], targets: [String: String], inv: Invocation, console: Console, extra: [String: String]) -> [Child] {
        var children = names.map { Child(context: $0, target: targets[$0] ?? "-") }
        var running: [pid_t: (index: Int, out: Int32, err: Int32)] = [:]
        var next = 0
        while next < children.count || !running.isEmpty {
            while running.count < parallel && next < children.count {
                var env = console.environment
                env[Override.context] = children[next].context
                for (k, v) in extra { env[k] = v }
                if let (pid, out, err) = spawn(inv.rawArguments, environment: env) {
                    running[pid] = (next, out, err)
                } else {
                    children[next].status = 1
                    children[next].stderr = Array("sessionctl: cannot start a process for this context: \(String(cString: strerror(errno)))\n".utf8)
                }
                next += 1
            }
            guard !running.isEmpty else { continue }
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid < 0 {
                if errno == EINTR { continue }
                break
            }
            guard let slot = running.removeValue(forKey: pid) else { continue }
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            children[slot.index].status = code
            children[slot.index].stdout = readAll(slot.out)
            children[slot.index].stderr = readAll(slot.err)
        }
        return children
    }

    /// Starts this binary with `arguments`, its output to two unlinked temporary files.
    private static func spawn(_ arguments: [[UInt8]], environment: [String: String]) -> (pid_t, Int32, Int32)? {
        guard let out = temporary(), let err = temporary() else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        let argv: [UnsafeMutablePointer<CChar>?] =
            ([Array("sessionctl".utf8)] + arguments).map { bytes in
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
                p[bytes.count] = 0
                return p
            } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { p?.deallocate() }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, envp)
        guard rc == 0 else {
            close(out)
            close(err)
            errno = rc
            return nil
        }
        return (pid, out, err)
    }

    /// A file in $TMPDIR, unlinked at once: nothing is left behind, whatever ends the run.
    private static func temporary() -> Int32? {
        let dir = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(dir)/sessionctl-fanout-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        defer { close(fd) }
        lseek(fd, 0, SEEK_SET)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// Each child's stderr, a context at a time (never interleaved), each line marked with its context.
    static func relay(_ children: [Child], _ console: Console) {
        for c in children where !c.stderr.isEmpty {
            for line in c.stderr.split(separator: UInt8(ascii: "\n")) {
                console.err.write("[\(c.context)] " + String(decoding: line, as: UTF8.self) + "\n")
            }
        }
        console.err.flush()
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

    /// The contexts' results as one: a table with a CONTEXT column, JSON grouped by context.
    struct Merged: Printable {
        let children: [Child]
        let command: CommandName
        let complete: Bool
        let exitCode: Int32

        func json() -> JSON {
            .object([
                (
                    "contexts",
                    .array(
                        children.map { c in
                            var fields: [(String, JSON)] = [
                                ("context", .string(c.context)), ("target", .string(c.target)), ("exit_code", .int(Int64(c.status))),
                                ("complete", .bool(c.status == 0 || c.status == 3)),
                            ]
                            if c.result != nil {
                                // The child's pretty JSON, indented to stand where it stands (JSON strings hold no raw newline).
                                let text = String(decoding: c.stdout, as: UTF8.self).trimmingSpaces
                                fields.append(("result", .raw(text.replacingOccurrences(of: "\n", with: "\n      "))))
                            } else {
                                fields.append(("result", .null))
                                let last = String(decoding: c.stderr, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
                                fields.append(("error", .string(last)))
                            }
                            return .object(fields)
                        })
                ),
                ("complete", .bool(complete)), ("exit_code", .int(Int64(exitCode))),
            ])
        }

        /// NDJSON: each item of each context's result, with its context.
        func lines() -> [JSON] {
            var out: [JSON] = []
            for c in children {
                let base: [(String, JSON)] = [("context", .string(c.context))]
                guard let r = c.result else {
                    out.append(.object(base + [("result", .string("unreachable")), ("exit_code", .int(Int64(c.status)))]))
                    continue
                }
                let items = Self.items(r, command: command)
                if items.isEmpty {
                    out.append(.object(base + [("result", PayloadRender.json(r))]))
                } else {
                    for item in items {
                        if case .object(let fields) = PayloadRender.json(item) { out.append(.object(base + fields)) }
                    }
                }
            }
            return out
        }

        /// The per-session (or per-user) entries of a context's JSON, with their result words.
        static func items(_ r: PayloadValue, command: CommandName) -> [PayloadValue] {
            switch command {
            case .list: if case .list(let s)? = r["sessions"] { return s }
            case .users: if case .list(let u)? = r["users"] { return u }
            case .watch: if case .list(let e)? = r["events"] { return e }
            case .revoke, .revokeUser:
                var all: [PayloadValue] = []
                for name in ["revoked", "stale", "refused", "not_held"] { if case .list(let e)? = r[name] { all += e } }
                if case .list(let missing)? = r["not_found"] {
                    all += missing.map {
                        .map([
                            PayloadEntry(.string(Array((command == .revokeUser ? "user" : "session").utf8)), $0),
                            PayloadEntry(.string(Array("result".utf8)), .string(Array("not_found".utf8))),
                        ])
                    }
                }
                return all
            default: break
            }
            return []
        }

        var emptyNote: String? { "no sessions found in any context" }

        func text(_ style: TextStyle) -> String {
            func int(_ v: PayloadValue?) -> String {
                switch v {
                case .int(let n)?: return String(n)
                case .null?: return "never"
                default: return "-"
                }
            }
            var table: Table
            switch command {
            case .list:
                table = Table(
                    headers: ["CONTEXT", "USER", "SESSION", "TTL", "BYTES", "SESSION KEY"], alignments: [.left, .left, .left, .right, .right, .left])
                for c in children {
                    for s in c.result.map({ Self.items($0, command: command) }) ?? [] {
                        let ttl: String
                        if case .bool(false)? = s["exists"] {
                            ttl = "gone"
                        } else if case .int(let t)? = s["ttl"] {
                            ttl = Cell.ttl(t)
                        } else {
                            ttl = "never"
                        }
                        table.add([c.context, s["user"]?.text ?? "-", s["session"]?.text ?? "-", ttl, int(s["bytes"]), s["session_key"]?.text ?? "-"])
                    }
                }
            case .users:
                table = Table(headers: ["CONTEXT", "USER", "SESSIONS"], alignments: [.left, .left, .right])
                for c in children {
                    for u in c.result.map({ Self.items($0, command: command) }) ?? [] {
                        table.add([c.context, u["user"]?.text ?? "-", int(u["sessions"])])
                    }
                }
            case .revoke, .revokeUser:
                table = Table(headers: ["CONTEXT", "USER", "SESSION", "SESSION KEY", "RESULT"], cuts: [.middle, .middle, .middle, .middle, .end])
                for c in children {
                    for e in c.result.map({ Self.items($0, command: command) }) ?? [] {
                        table.add([
                            c.context, e["user"]?.text ?? "-", e["session"]?.text ?? "-", e["session_key"]?.text ?? "-", e["result"]?.text ?? "-",
                        ])
                    }
                }
            case .watch:
                table = Table(
                    headers: ["CONTEXT", "TIME", "USER", "SESSION", "IP", "RESULT"], cuts: [.middle, .never, .middle, .middle, .middle, .end])
                for c in children {
                    for e in c.result.map({ Self.items($0, command: command) }) ?? [] {
                        table.add([
                            c.context, e["time"]?.text ?? "-", e["user"]?.text ?? "-", e["session"]?.text ?? "-", e["fields"]?["ip"]?.text ?? "-",
                            e["result"]?.text ?? "-",
                        ])
                    }
                }
            case .revokeAll:
                table = Table(
                    headers: ["CONTEXT", "TARGET", "REVOKED", "KEPT", "UNDECIDED", "REFUSED"],
                    alignments: [.left, .left, .right, .right, .right, .right])
                for c in children {
                    let r = c.result
                    table.add([c.context, c.target, int(r?["revoked"]), int(r?["kept"]), int(r?["undecided"]), int(r?["refused"])])
                }
            default:
                // audit: each count a row, each context a column.
                var names: [String] = []
                for c in children {
                    if case .map(let entries)? = c.result?["counts"] {
                        for e in entries { if let k = e.key.text, !names.contains(k) { names.append(k) } }
                    }
                }
                table = Table(headers: ["FINDING"] + children.map(\.context), alignments: [.left] + children.map { _ in .right })
                for n in names { table.add([n] + children.map { int($0.result?["counts"]?[n]) }) }
            }
            return table.rows.isEmpty ? "" : table.render(style)
        }
    }
}
