import Dispatch
import HTTPProbe
import RedisClient
import RedisStore
import SQLClient
import SQLStore
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// `sessionctl diff --against NAME|URL|FILE`: the two stores compared user by user, in bounded memory
/// (both sides' sessions sorted together within `--memory-limit`, spilled past it, and read back
/// in order: a first pass counts, a second writes the differences).
enum DiffCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let against = inv.diff.against ?? ""
        let a = try ctx.openBackend()
        let labelA = a.auditTarget.endpoint
        // B: a store's URL, a context of the configuration file, or a snapshot file.
        var other: (any SessionBackend)?
        if let b = try sideB(against, ctx) {
            other = try b.openBackend()
            ctx.note("B is read \(b.readWith())")
        } else {
            var info = stat()
            guard stat(against, &info) == 0 else {
                throw CLIError(
                    "--against '\(against)' is neither a store's URL, a context, nor a snapshot file: \(String(cString: strerror(errno)))",
                    hint: "give redis://…, postgres://…, mysql://…, sqlite:///…, a context's name, or a file 'sessionctl snapshot' wrote",
                    code: .usage)
            }
        }
        let labelB = other?.auditTarget.endpoint ?? against
        let spill = DiffSpill(memory: ctx.memoryLimit, cancellation: ctx.console.cancellation)
        // A on this thread, B on another at the same time: the stores are independent, and each
        // side's reading is single-threaded work (the server's, the decoding, the digests).
        final class Background: @unchecked Sendable {
            var completeness = Completeness()
            var error: (any Error)?
            let done = DispatchSemaphore(value: 0)
        }
        let b = Background()
        let readB: () throws -> Completeness = {
            if let other { return try other.snapshot { try spill.add($0, side: .b) } }
            do {
                return try SnapshotFile.read(against, cancellation: ctx.console.cancellation) { try spill.add($0, side: .b) }
            } catch let e as SnapshotError {
                throw CLIError(e.description, code: .usage)
            }
        }
        struct Job: @unchecked Sendable { let run: () throws -> Completeness }
        let job = Job(run: readB)
        DispatchQueue.global().async {
            do { b.completeness = try job.run() } catch { b.error = error }
            b.done.signal()
        }
        var completeness = Completeness()
        var errorA: (any Error)?
        do {
            ctx.progress.pass = "A"
            completeness.merge(try a.snapshot { try spill.add($0, side: .a) })
        } catch {
            errorA = error  // reported once B is done (B is not stopped: Ctrl-C would be the only reason to)
        }
        b.done.wait()
        ctx.progress.finish()
        for e in [errorA, b.error].compactMap({ $0 }) {
            throw e
        }
        completeness.merge(b.completeness)
        if completeness.interrupted { return .finished(completeness, didSomething: false) }
        // Pass one counts; the printer's passes write (a table's measures its columns first).
        let summary = try spill.compare { _ in }
        try ctx.printer.print(Comparison(spill: spill, summary: summary, labelA: labelA, labelB: labelB, completeness: completeness))
        ctx.note(
            "A \(labelA): \(Cell.plural(summary.sessionsA, "session")) of \(Cell.plural(summary.usersA, "user")); "
                + "B \(labelB): \(Cell.plural(summary.sessionsB, "session")) of \(Cell.plural(summary.usersB, "user"))")
        if summary.identical {
            ctx.note(
                "identical: every session of every user is in both, with the same data (whether the application accepts their cookies, after a deploy with another key, is another question: 'sessionctl verify' asks it)"
            )
        } else {
            ctx.note(
                "\(Cell.plural(summary.usersDiffering, "user")) differ (\(summary.usersIdentical) identical): \(summary.onlyInA) only in A, \(summary.onlyInB) only in B, \(summary.differ) with different data"
            )
        }
        ctx.reportIncomplete(completeness)
        if inv.diff.exitCode && !summary.identical { return .differs(completeness) }
        return .finished(completeness, didSomething: true)
    }

    /// Side B's own command context, or `nil` for a snapshot file. A context's name gives B that
    /// context whole (its URL, TLS files, password, cluster mode and framework), as `--context`
    /// would; a URL gives B that URL and A's key layout (the same application), and none of A's
    /// connection settings: its TLS is verified against the system's CAs, its password is the URL's
    /// or its engine's variable, its cluster mode detected. What B was read with is said on stderr.
    static func sideB(_ against: String, _ ctx: CommandContext) throws -> CommandContext? {
        let env = ctx.console.environment
        let isURL =
            SQLURL.isSQL(against) || ["redis://", "rediss://", "unix://", "valkey://", "valkeys://"].contains { against.lowercased().hasPrefix($0) }
        let contextNamed = isURL ? nil : try ConfigFile.load(env)?.contexts.first { $0.name == against }
        if contextNamed != nil {
            var info = stat()
            if stat(against, &info) == 0 {
                throw CLIError(
                    "--against '\(against)' names both a context and a file", hint: "give the file as ./\(against)", code: .usage)
            }
        }
        guard isURL || contextNamed != nil else { return nil }
        var b = Invocation()
        b.command = .diff
        b.output.quiet = true  // one progress line, A's: B is read at the same time on another thread
        b.connection.connectTimeout = ctx.invocation.connection.connectTimeout
        b.connection.timeout = ctx.invocation.connection.timeout
        if isURL {
            b.connection.url = against
            b.connection.urlSource = "--against"
            b.layout = ctx.invocation.layout
            b.layout.framework = try ctx.framework()?.name
        } else {
            b.context = against
            b = try b.applyingContext(environment: env)
            if try CommandContext(invocation: b, console: ctx.console).framework() == nil {
                // A context without a framework reads the same application as A.
                b.layout = ctx.invocation.layout
                b.layout.framework = try ctx.framework()?.name
            }
        }
        return CommandContext(invocation: b, console: ctx.console)
    }

    /// The differences as `diff` prints them, read back from the spill files a user at a time on each pass.
    struct Comparison: Listing {
        let spill: DiffSpill
        let summary: DiffSummary
        let labelA: String
        let labelB: String
        let completeness: Completeness

        var itemsName: String { "users" }

        func head() -> [(String, JSON)] {
            func side(_ label: String, _ sessions: Int, _ users: Int) -> JSON {
                .object([("source", .string(label)), ("sessions", .int(Int64(sessions))), ("users", .int(Int64(users)))])
            }
            return [("a", side(labelA, summary.sessionsA, summary.usersA)), ("b", side(labelB, summary.sessionsB, summary.usersB))]
        }

        func forEachItem(_ body: (UserDifference) throws -> Void) throws { _ = try spill.compare(body) }

        func json(_ d: UserDifference) -> JSON {
            .object([
                ("user", .bytes(d.user)), ("only_in_a", .array(d.onlyInA.map { .bytes($0) })),
                ("only_in_b", .array(d.onlyInB.map { .bytes($0) })), ("differs", .array(d.differ.map { .bytes($0) })),
            ])
        }

        func lines(_ d: UserDifference) -> [JSON] {
            [("only_in_a", d.onlyInA), ("only_in_b", d.onlyInB), ("differs", d.differ)].flatMap { kind, ids in
                ids.map { JSON.object([("user", .bytes(d.user)), ("session", .bytes($0)), ("difference", .string(kind))]) }
            }
        }

        func table(_ style: TextStyle) -> Table { Table(headers: ["USER", "SESSION", "DIFFERENCE"]) }

        func rows(_ d: UserDifference, _ style: TextStyle) -> [[String]] {
            d.onlyInA.map { [Cell.text(d.user), Cell.text($0), "only in A"] } + d.onlyInB.map { [Cell.text(d.user), Cell.text($0), "only in B"] }
                + d.differ.map { [Cell.text(d.user), Cell.text($0), "data differs"] }
        }

        func tail() -> [(String, JSON)] {
            [
                (
                    "summary",
                    .object([
                        ("only_in_a", .int(Int64(summary.onlyInA))), ("only_in_b", .int(Int64(summary.onlyInB))),
                        ("differs", .int(Int64(summary.differ))), ("users_differing", .int(Int64(summary.usersDiffering))),
                        ("users_identical", .int(Int64(summary.usersIdentical))),
                    ])
                ),
                ("identical", .bool(summary.identical)),
            ] + JSONModels.complete(completeness)
        }
    }
}
