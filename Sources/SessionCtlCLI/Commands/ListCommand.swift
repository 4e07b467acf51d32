import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl list USER...`: the sessions of each user.
enum ListCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let store = try ctx.openBackend()
        var details = try wantsDetails(ctx)
        ctx.noteReadsResetIdleTimes(store, reading: details || ctx.invocation.list.scanPayloads || store.filter.needsPayload)
        if ctx.invocation.arguments.isEmpty { return try hunt(store, ctx, details: details) }
        let result: ListResult
        if ctx.invocation.list.scanPayloads {
            ctx.note(
                "--scan-payloads decodes every session under the glob: it reads the whole keyspace, server and client; 'sessionctl index build' writes the mappings that make list fast"
            )
            result = try store.listByPayloads(users: ctx.invocation.arguments, markers: try ctx.framework()?.idMarkers ?? [])
            details = details || !ctx.printer.isText || ctx.printer.isWide
        } else {
            if ctx.printer.streams { return try stream(store, ctx, details: details) }
            result = try store.list(users: ctx.invocation.arguments, details: details)
        }
        ctx.progress.finish()
        ctx.printer.print(Printed(result: result, details: details, filtered: ctx.invocation.filters.isSet))
        RefusalReport.warn(result.refused, ctx)
        try FrameworkHint.afterEmptyResult(found: !result.sessions.isEmpty || !result.refused.isEmpty, store, ctx)
        if !result.filteredOut.isEmpty {
            let undecided = result.filteredOut.filter(\.undecided).count
            ctx.note(
                "\(Cell.plural(result.filteredOut.count, "session")) left out by the filters\(undecided > 0 ? " (\(undecided) undecided: age or IP unknown)" : "")"
            )
        }
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, didSomething: !result.sessions.isEmpty)
    }
}

extension ListCommand {
    /// The sessions as `list` prints them: a table (`-o wide` with what the payloads say), one
    /// JSON object, or a session a line.
    struct Printed: Printable {
        let result: ListResult
        /// Whether the records hold what the payloads say (their JSON then has it).
        let details: Bool
        /// Whether filters were given (the JSON then says what they left out).
        let filtered: Bool

        func json() -> JSON {
            var fields: [(String, JSON)] = [
                ("sessions", .array(lines())),
                ("refused", .array(result.refused.map(JSONModels.refusal))),
            ]
            if filtered { fields.append(("filtered_out", JSONModels.filteredOut(result.filteredOut))) }
            // What "bytes" measures: the payload, or (where reading its length would reset the idle time) the key's memory.
            fields.append(("bytes_measure", .string(result.bytesAreMemory ? "memory" : "payload")))
            fields += JSONModels.complete(result.completeness)
            return .object(fields)
        }

        func lines() -> [JSON] { result.sessions.map { .object(JSONModels.record($0, details: details)) } }

        var emptyNote: String? { result.completeness.isComplete ? "no sessions found" : "no sessions could be read (see below)" }

        func text(_ style: TextStyle) -> String {
            guard !result.sessions.isEmpty else { return "" }
            if style.wide {
                var table = Table(
                    headers: ["USER", "SESSION", "TTL", "IDLE", "CREATED", "LAST SEEN", "IP", "USER AGENT", "SESSION KEY"],
                    alignments: [.left, .left, .right, .right, .right, .right, .left, .left, .left])
                let now = Cell.now()
                for s in result.sessions {
                    let f = s.fields ?? SessionFields()
                    // "?": the payload was not read (refused, see stderr) or did not decode; "-": it holds no such field.
                    let none = s.exists && s.fields == nil ? "?" : "-"
                    table.add([
                        Cell.text(s.ref.user), Cell.text(s.ref.session), s.exists ? Cell.ttl(s.ttl) : "gone",
                        s.idleSeconds.map { Cell.ttl($0) } ?? "-", f.createdAt.map { Cell.ago($0, now: now) } ?? none,
                        f.lastSeenAt.map { Cell.ago($0, now: now) } ?? none, f.ip.map { Cell.text(Array($0.utf8)) } ?? none,
                        f.userAgent.map { Cell.text(Array($0.utf8.prefix(40))) } ?? none, Cell.text(s.ref.sessionKey),
                    ])
                }
                return table.render(style)
            }
            var table = Table(
                headers: ["USER", "SESSION", "TTL", result.bytesAreMemory ? "MEMORY" : "BYTES", "SESSION KEY"],
                alignments: [.left, .left, .right, .right, .left])
            for s in result.sessions {
                table.add([
                    Cell.text(s.ref.user), Cell.text(s.ref.session), s.exists ? Cell.ttl(s.ttl) : "gone",
                    s.bytes.map(String.init) ?? "-", Cell.text(s.ref.sessionKey),
                ])
            }
            return table.render(style)
        }
    }
    /// Payloads are read (idle time, decoded fields) for `-o wide`, and for JSON with `--framework`.
    static func wantsDetails(_ ctx: CommandContext) throws -> Bool {
        if ctx.printer.isWide { return true }
        let framework = try ctx.framework()
        return !ctx.printer.isText && framework != nil
    }

    /// No user, a filter (`list --ip 203.0.113.0/24`): every user's sessions the filters keep, with
    /// their users, found a page at a time (NDJSON prints each page as it comes); stderr says how
    /// they were found and what that cost.
    private static func hunt(_ store: any SessionBackend, _ ctx: CommandContext, details: Bool) throws -> Outcome {
        var all = ListResult()
        let markers = ctx.invocation.list.scanPayloads ? (try ctx.framework()?.idMarkers ?? []) : nil
        let summary = try store.hunt(details: details, payloadMarkers: markers) { page in
            if ctx.printer.streams {
                ctx.progress.finish()
                ctx.printer.print(Printed(result: page, details: details, filtered: false))
                ctx.console.out.flush()
            } else {
                all.sessions += page.sessions
                all.bytesAreMemory = all.bytesAreMemory || page.bytesAreMemory
            }
            all.refused += page.refused
        }
        ctx.progress.finish()
        all.completeness = summary.completeness
        // In the order list prints a user's sessions: by user, then session (SCAN's order is none).
        all.sessions.sort { a, b in
            a.ref.user != b.ref.user ? a.ref.user.lexicographicallyPrecedes(b.ref.user) : a.ref.session.lexicographicallyPrecedes(b.ref.session)
        }
        if !ctx.printer.streams { ctx.printer.print(Printed(result: all, details: details, filtered: false)) }
        HuntReport.note(summary, ctx)
        ctx.reportIncomplete(summary.completeness)
        return .finished(summary.completeness, didSomething: summary.matched > 0)
    }

    /// NDJSON: users in batches, each batch's sessions printed as soon as it is read.
    private static func stream(_ store: any SessionBackend, _ ctx: CommandContext, details: Bool) throws -> Outcome {
        var completeness = Completeness()
        var found = false
        var start = 0
        let users = ctx.invocation.arguments
        while start < users.count {
            let batch = Array(users[start..<min(start + 1000, users.count)])
            start += batch.count
            let result = try store.list(users: batch, details: details)
            ctx.progress.finish()
            ctx.printer.print(Printed(result: result, details: details, filtered: false))
            found = found || !result.sessions.isEmpty
            ctx.console.out.flush()
            RefusalReport.warn(result.refused, ctx)
            completeness.merge(result.completeness)
            if completeness.interrupted { break }
        }
        ctx.reportIncomplete(completeness)
        return .finished(completeness, didSomething: found)
    }
}

/// How a hunt across every user found its sessions, and what that cost: said on stderr (unless `--quiet`).
enum HuntReport {
    static func note(_ s: HuntSummary, _ ctx: CommandContext) {
        let how =
            switch s.method {
            case "index": "every user's index"
            case "rows": "the table's rows"
            case "payloads": "every session's payload"
            default: "the mapping keys"
            }
        ctx.note(
            "looked across every user through \(how) (\(s.walked)): \(Cell.plural(s.examined, "session")) examined, \(s.matched) kept by the filters"
                + (s.method == "mappings" ? "; sessions without a mapping are not seen (--scan-payloads reads them; index build maps them)" : ""))
    }
}

/// Warnings on stderr for mappings that were not followed.
enum RefusalReport {
    static func warn(_ refused: [Refusal], _ ctx: CommandContext) {
        for r in refused {
            // A row of a table has no mapping key: it is named by its id.
            guard !r.mappingKey.isEmpty else {
                ctx.console.warn("refused session '\(Cell.text(r.session))': \(r.reason)")
                continue
            }
            let target = r.sessionKey.map { " -> \(Cell.text($0))" } ?? ""
            ctx.console.warn("refused \(Cell.text(r.mappingKey))\(target): \(r.reason)")
        }
    }
}

/// Without a preset, a framework's ids can be split wrongly (Rack's `2::<sha256>` holds the
/// mapping's separator: user `1` reads as `1:2:`): say which `--framework` the keys look like.
enum FrameworkHint {
    /// After a lookup by user found nothing, with no preset: the cheap part of `detect`.
    static func afterEmptyResult(found: Bool, _ store: any SessionBackend, _ ctx: CommandContext) throws {
        guard !found, try ctx.framework() == nil, ctx.invocation.layout.mapping == nil, let name = try store.frameworkHint() else { return }
        ctx.console.warn("nothing found, and the keys look like \(name)'s: its ids may be split another way; try --framework \(name)")
    }

    /// A user id that ends in the mapping's separator: the session ids hold it, and the split is wrong.
    static func oddUser(_ user: Bytes, separator: Bytes) -> Bool {
        !separator.isEmpty && user.count > separator.count && Array(user.suffix(separator.count)) == separator
    }
}
