import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore
import SessionCrypto

/// `sessionctl snapshot`: every session as NDJSON (a header line, then user, session and digest,
/// then a trailer with the count, the completeness and the lines' digest), the file
/// `diff --against FILE` compares with. Written page by page: memory stays bounded.
enum SnapshotCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        if inv.given.contains("output") && inv.output.format != .ndjson {
            throw CLIError("snapshot writes NDJSON (one session a line)", hint: "drop -o, or pass -o ndjson", code: .usage)
        }
        let store = try ctx.openBackend()
        ctx.noteReadsResetIdleTimes(store)
        // The file is NDJSON whatever the printer: its lines are the format diff reads.
        let header = JSON.object([
            (SnapshotFile.marker, .int(Int64(SnapshotFile.version))), ("source", .string(store.auditTarget.endpoint)),
            ("taken_at", .string(Timestamp.rfc3339(Cell.now()))),
        ])
        ctx.print(header.render(pretty: false) + "\n")
        let writer = SnapshotFile.Writer()
        let completeness = try store.snapshot { page in
            for e in page { ctx.print(writer.line(e) + "\n") }
            ctx.console.out.flush()
        }
        // The trailer: how many lines, whether everything was read, and their digest (diff refuses a file cut short).
        ctx.print(writer.trailer(complete: completeness.isComplete) + "\n")
        let written = writer.count
        ctx.progress.finish()
        ctx.note("wrote \(Cell.plural(written, "session"))")
        // The file is NDJSON whatever -o says: its trailer, not a table's marker line, says it is partial.
        ctx.reportIncomplete(completeness, markTable: false)
        return .finished(completeness, didSomething: written > 0)
    }
}
