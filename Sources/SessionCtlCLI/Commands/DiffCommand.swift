import Dispatch
import RedisClient
import SQLClient
import SessionKit
#if canImport(Glibc)
import Glibc
#endif

/// `sessionctl diff --against URL|FILE`: the two stores compared user by user, in bounded memory
/// (both sides spilled by user into partition files, compared a partition at a time).
enum DiffCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let against = inv.against ?? ""
        let a = try ctx.openBackend()
        let labelA = a.auditTarget.endpoint
        // B: a store's URL, or a snapshot file.
        let isURL = SQLURL.isSQL(against) || ["redis://", "rediss://", "unix://", "valkey://", "valkeys://"].contains { against.lowercased().hasPrefix($0) }
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
                throw CLIError("--against '\(against)' is neither a store's URL nor a snapshot file: \(String(cString: strerror(errno)))",
                               hint: "give redis://…, postgres://…, mysql://…, sqlite:///… or a file 'sessionctl snapshot' wrote", code: .usage)
            }
        }
        let labelB = other?.auditTarget.endpoint ?? against
        let spill: DiffSpill
        do { spill = try DiffSpill(temporaryDirectory: ctx.console.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") } catch let e as DiffError {
            throw CLIError(e.description, code: .failure)
        }
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
            if let d = e as? DiffError { throw CLIError(d.description, hint: "set $TMPDIR to a directory with room (the spill is about 100 bytes a session)", code: .failure) }
            throw e
        }
        completeness.merge(b.completeness)
        if completeness.interrupted { return .finished(completeness, didSomething: false) }
        var users: [UserDifference] = []
        let summary: DiffSummary
        do {
            summary = try spill.compare { d in
                switch inv.output {
                case .ndjson:
                    for (kind, ids) in [("only_in_a", d.onlyInA), ("only_in_b", d.onlyInB), ("differs", d.differ)] {
                        for s in ids { ctx.emit(.object([("user", .bytes(d.user)), ("session", .bytes(s)), ("difference", .string(kind))])) }
                    }
                default:
                    users.append(d)
                }
            }
        } catch let e as DiffError {
            throw CLIError(e.description, code: .failure)
        }
        switch inv.output {
        case .json:
            ctx.emit(.object([
                ("a", .object([("source", .string(labelA)), ("sessions", .int(Int64(summary.sessionsA))), ("users", .int(Int64(summary.usersA)))])),
                ("b", .object([("source", .string(labelB)), ("sessions", .int(Int64(summary.sessionsB))), ("users", .int(Int64(summary.usersB)))])),
                ("users", .array(users.map { d in
                    .object([("user", .bytes(d.user)), ("only_in_a", .array(d.onlyInA.map { .bytes($0) })),
                             ("only_in_b", .array(d.onlyInB.map { .bytes($0) })), ("differs", .array(d.differ.map { .bytes($0) }))])
                })),
                ("summary", .object([("only_in_a", .int(Int64(summary.onlyInA))), ("only_in_b", .int(Int64(summary.onlyInB))),
                                     ("differs", .int(Int64(summary.differ))), ("users_differing", .int(Int64(summary.usersDiffering))),
                                     ("users_identical", .int(Int64(summary.usersIdentical)))])),
                ("identical", .bool(summary.identical)),
                ("complete", .bool(completeness.isComplete)),
            ]))
        case .ndjson:
            break
        case .table, .wide:
            if !users.isEmpty {
                var table = Table(headers: ["USER", "SESSION", "DIFFERENCE"])
                for d in users {
                    for s in d.onlyInA { table.add([Cell.text(d.user), Cell.text(s), "only in A"]) }
                    for s in d.onlyInB { table.add([Cell.text(d.user), Cell.text(s), "only in B"]) }
                    for s in d.differ { table.add([Cell.text(d.user), Cell.text(s), "data differs"]) }
                }
                ctx.print(table.render(color: ctx.color, headers: !inv.noHeaders))
            }
        }
        ctx.note("A \(labelA): \(Cell.plural(summary.sessionsA, "session")) of \(Cell.plural(summary.usersA, "user")); "
                 + "B \(labelB): \(Cell.plural(summary.sessionsB, "session")) of \(Cell.plural(summary.usersB, "user"))")
        if summary.identical {
            ctx.note("identical: every session of every user is in both, with the same data")
        } else {
            ctx.note("\(Cell.plural(summary.usersDiffering, "user")) differ (\(summary.usersIdentical) identical): \(summary.onlyInA) only in A, \(summary.onlyInB) only in B, \(summary.differ) with different data")
        }
        ctx.reportIncomplete(completeness)
        if inv.exitCode && !summary.identical { return .differs(completeness) }
        return .finished(completeness, didSomething: true)
    }
}
