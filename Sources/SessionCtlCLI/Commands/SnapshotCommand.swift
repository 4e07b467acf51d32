import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore
import SessionCrypto

/// `sessionctl snapshot`: every session as NDJSON (a header line, then user, session and digest),
/// the file `diff --against FILE` compares with. Written page by page: memory stays bounded.
enum SnapshotCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        if inv.given.contains("output") && inv.output != .ndjson {
            throw CLIError("snapshot writes NDJSON (one session a line)", hint: "drop -o, or pass -o ndjson", code: .usage)
        }
        let store = try ctx.openBackend()
        ctx.emit(
            .object([
                (SnapshotFile.marker, .int(Int64(SnapshotFile.version))), ("source", .string(store.auditTarget.endpoint)),
                ("taken_at", .string(Timestamp.rfc3339(Cell.now()))),
            ]))
        var written = 0
        let completeness = try store.snapshot { page in
            for e in page {
                ctx.emit(.object([("user", .bytes(e.user)), ("session", .bytes(e.session)), ("digest", .string(Digest.hex(e.digest)))]))
            }
            written += page.count
            ctx.console.out.flush()
        }
        ctx.progress.finish()
        ctx.note("wrote \(Cell.plural(written, "session"))")
        ctx.reportIncomplete(completeness)
        return .finished(completeness, didSomething: written > 0)
    }
}
