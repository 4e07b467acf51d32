import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl index build`: writes the mapping for sessions that have none, from their payloads.
enum IndexCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        let start = try inv.indexBuild.resume.map(parseResume) ?? [:]
        let trail = try RevokeCommand.auditTrail(ctx)
        let store = try ctx.openRedisStore()
        ctx.noteReadsResetIdleTimes(store)
        if let stream = inv.destructive.auditStream, !inv.destructive.dryRun { trail.add(AuditStream(keyspace: store.keyspace, key: stream)) }
        trail.target = store.auditTarget
        try trail.start()
        let markers = try ctx.framework()?.idMarkers ?? []
        let result = try store.buildIndex(markers: markers, dryRun: inv.destructive.dryRun, from: start) { refs throws(AuditTrailError) in
            try trail.record(refs, event: "index_build")
        }
        ctx.progress.finish()
        ctx.printer.print(Printed(result: result, dryRun: inv.destructive.dryRun))
        if let stop = result.stoppedBy { return .stopped(stop) }
        let verb = inv.destructive.dryRun ? "dry run: would map" : "mapped"
        ctx.note(
            "\(verb) \(Cell.plural(result.mapped, "session")) (\(result.alreadyMapped) already mapped, \(result.anonymous) anonymous, \(result.undecodable) undecodable, \(result.refused) refused)"
        )
        if result.mapped + result.alreadyMapped == 0 && result.anonymous + result.undecodable > 0 {
            ctx.console.warn("no session named a user: check --framework and --user-field (sessionctl show SESSION decodes one)")
        }
        if !result.resume.isEmpty {
            ctx.console.error("resume with: --resume '\(resumeToken(result.resume))'")
        }
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, didSomething: result.mapped + result.alreadyMapped > 0)
    }

    /// What `index build` did, as a table of outcomes with an example each, or one JSON object.
    struct Printed: Printable {
        let result: IndexBuildResult
        let dryRun: Bool

        /// Each outcome: its JSON name, its label, its count.
        private var outcomes: [(String, String, Int)] {
            [
                ("mapped", dryRun ? "would map" : "mapped", result.mapped),
                ("already_mapped", "already mapped", result.alreadyMapped),
                ("anonymous", "anonymous (no user; not mapped)", result.anonymous),
                ("undecodable", "undecodable", result.undecodable),
                ("refused", "refused (no usable session id)", result.refused),
                ("not_sessions", "not sessions (another shape: a cache entry, another app's key)", result.notSessions),
            ]
        }

        func json() -> JSON {
            var fields: [(String, JSON)] = [("dry_run", .bool(dryRun))]
            for (name, _, n) in outcomes { fields.append((name, .int(Int64(n)))) }
            fields.append(
                ("examples", .object(outcomes.compactMap { name, _, _ in result.examples[name].map { (name, .array($0.map { .bytes($0) })) } })))
            fields.append(
                (
                    "undecodable_reasons",
                    .array(
                        result.reasons.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
                            .object([("session_key", .bytes($0.key)), ("reason", .string($0.value))])
                        })
                ))
            fields += JSONModels.complete(result.completeness)
            if !result.resume.isEmpty { fields.append(("resume", .string(IndexCommand.resumeToken(result.resume)))) }
            return .object(fields)
        }

        func text(_ style: TextStyle) -> String {
            var table = Table(headers: ["RESULT", "SESSIONS", "EXAMPLE"], alignments: [.left, .right, .left])
            for (name, label, n) in outcomes {
                let example = result.examples[name]?.first.map { Cell.text($0) + (result.reasons[$0].map { " (\($0))" } ?? "") } ?? ""
                table.add([label, String(n), example])
            }
            return table.render(style)
        }
    }

    /// `host:port=cursor,…` (`done` for a node whose scan had ended).
    static func resumeToken(_ resume: [(node: RedisEndpoint.Address, cursor: Bytes?)]) -> String {
        resume.map { "\($0.node)=\($0.cursor.map { String(decoding: $0, as: UTF8.self) } ?? "done")" }.joined(separator: ",")
    }

    /// Reads a token `resumeToken` printed.
    static func parseResume(_ token: String) throws -> [RedisEndpoint.Address: Bytes?] {
        var out: [RedisEndpoint.Address: Bytes?] = [:]
        for part in token.split(separator: ",") {
            guard let eq = part.lastIndex(of: "=") else { throw bad(token) }
            let node = String(part[..<eq])
            let cursor = String(part[part.index(after: eq)...])
            guard cursor == "done" || (!cursor.isEmpty && cursor.count <= 20 && cursor.allSatisfy(\.isASCII) && cursor.allSatisfy(\.isNumber)) else {
                throw bad(token)
            }
            let address: RedisEndpoint.Address
            if node.hasPrefix("unix:") {
                address = .unix(path: String(node.dropFirst(5)))
            } else if let colon = node.lastIndex(of: ":"), let port = Int(node[node.index(after: colon)...]), (1...65_535).contains(port) {
                var host = String(node[..<colon])
                if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
                guard !host.isEmpty else { throw bad(token) }
                address = .tcp(host: host, port: port)
            } else {
                throw bad(token)
            }
            out[address] = cursor == "done" ? .some(nil) : .some(Array(cursor.utf8))
        }
        guard !out.isEmpty else { throw bad(token) }
        return out
    }

    private static func bad(_ token: String) -> CLIError {
        CLIError(
            "--resume '\(token)' is not a resume token", hint: "give the token an interrupted 'index build' printed (host:port=cursor,…)",
            code: .usage)
    }
}
