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

/// `sessionctl diff --against URL|FILE`: the two stores compared user by user, in bounded memory
/// (both sides' sessions sorted together within `--memory-limit`, spilled past it, and read back
/// in order: a first pass counts, a second writes the differences).
enum DiffCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let against = inv.against ?? ""
        let a = try ctx.openBackend()
        let labelA = a.auditTarget.endpoint
        // B: a store's URL, or a snapshot file.
        let isURL =
            SQLURL.isSQL(against) || ["redis://", "rediss://", "unix://", "valkey://", "valkeys://"].contains { against.lowercased().hasPrefix($0) }
        var other: (any SessionBackend)?
        if isURL {
            var b = inv
            b.url = against
            b.passwordFile = nil  // --password-file is A's; B's password comes from its URL or its engine's variable
            b.fromContext = ContextDefaults()
            b.quiet = true  // one progress line, A's: B is read at the same time on another thread
            other = try CommandContext(invocation: b, console: ctx.console).openBackend()
        } else {
            var info = stat()
            guard stat(against, &info) == 0 else {
                throw CLIError(
                    "--against '\(against)' is neither a store's URL nor a snapshot file: \(String(cString: strerror(errno)))",
                    hint: "give redis://…, postgres://…, mysql://…, sqlite:///… or a file 'sessionctl snapshot' wrote", code: .usage)
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
        // Pass one counts (and measures the table's columns); pass two writes.
        let table = Table(headers: ["USER", "SESSION", "DIFFERENCE"])
        var widths = table.headers.map(DisplayWidth.of)
        func rows(_ d: UserDifference) -> [[String]] {
            d.onlyInA.map { [Cell.text(d.user), Cell.text($0), "only in A"] } + d.onlyInB.map { [Cell.text(d.user), Cell.text($0), "only in B"] }
                + d.differ.map { [Cell.text(d.user), Cell.text($0), "data differs"] }
        }
        let summary = try spill.compare { d in
            guard inv.output.isTable else { return }
            for r in rows(d) { for (i, c) in r.enumerated() { widths[i] = max(widths[i], DisplayWidth.of(c)) } }
        }
        switch inv.output {
        case .json:
            // The same text as one pretty JSON value, a user at a time.
            func side(_ label: String, _ sessions: Int, _ users: Int) -> JSON {
                .object([("source", .string(label)), ("sessions", .int(Int64(sessions))), ("users", .int(Int64(users)))])
            }
            ctx.print("{\n  \"a\": \(side(labelA, summary.sessionsA, summary.usersA).render(pretty: true, indent: 1)),\n")
            ctx.print("  \"b\": \(side(labelB, summary.sessionsB, summary.usersB).render(pretty: true, indent: 1)),\n  \"users\": [")
            try ctx.printJSONItems { item in
                _ = try spill.compare { d in
                    item(
                        .object([
                            ("user", .bytes(d.user)), ("only_in_a", .array(d.onlyInA.map { .bytes($0) })),
                            ("only_in_b", .array(d.onlyInB.map { .bytes($0) })), ("differs", .array(d.differ.map { .bytes($0) })),
                        ]))
                }
            }
            let tail = JSON.object([
                (
                    "summary",
                    .object([
                        ("only_in_a", .int(Int64(summary.onlyInA))), ("only_in_b", .int(Int64(summary.onlyInB))),
                        ("differs", .int(Int64(summary.differ))), ("users_differing", .int(Int64(summary.usersDiffering))),
                        ("users_identical", .int(Int64(summary.usersIdentical))),
                    ])
                ),
                ("identical", .bool(summary.identical)),
                ("complete", .bool(completeness.isComplete)),
            ]).render(pretty: true)
            // The tail object's fields, inside the object already open.
            ctx.print(String(tail.dropFirst(2)))
            ctx.print("\n")
        case .ndjson:
            _ = try spill.compare { d in
                for (kind, ids) in [("only_in_a", d.onlyInA), ("only_in_b", d.onlyInB), ("differs", d.differ)] {
                    for s in ids { ctx.emit(.object([("user", .bytes(d.user)), ("session", .bytes(s)), ("difference", .string(kind))])) }
                }
            }
        case .table, .wide:
            if !summary.identical {
                if !inv.noHeaders { ctx.print(table.header(widths: widths, color: ctx.color)) }
                _ = try spill.compare { d in for r in rows(d) { ctx.print(table.line(r, widths: widths) + "\n") } }
            }
        }
        ctx.note(
            "A \(labelA): \(Cell.plural(summary.sessionsA, "session")) of \(Cell.plural(summary.usersA, "user")); "
                + "B \(labelB): \(Cell.plural(summary.sessionsB, "session")) of \(Cell.plural(summary.usersB, "user"))")
        if summary.identical {
            ctx.note("identical: every session of every user is in both, with the same data")
        } else {
            ctx.note(
                "\(Cell.plural(summary.usersDiffering, "user")) differ (\(summary.usersIdentical) identical): \(summary.onlyInA) only in A, \(summary.onlyInB) only in B, \(summary.differ) with different data"
            )
        }
        ctx.reportIncomplete(completeness)
        if inv.exitCode && !summary.identical { return .differs(completeness) }
        return .finished(completeness, didSomething: true)
    }
}
