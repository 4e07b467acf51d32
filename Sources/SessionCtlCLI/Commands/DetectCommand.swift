import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl detect`: which framework, payload format and mapping a sample of the keyspace looks like.
enum DetectCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let store = try ctx.openRedisStore()
        ctx.noteReadsResetIdleTimes(store)
        let report = try store.detect(sample: ctx.invocation.detect.sample)
        ctx.progress.finish()
        let flags = suggestion(report)
        ctx.printer.print(Printed(report: report, flags: flags))
        ctx.reportIncomplete(report.completeness)
        return .finished(report.completeness, didSomething: report.sampled > 0)
    }

    /// The report as `detect` prints it, with the flags that fit it.
    struct Printed: Printable {
        let report: DetectReport
        let flags: [String]?

        func json() -> JSON {
            .object(
                [
                    ("sampled", .int(Int64(report.sampled))), ("total_keys", .int(report.totalKeys)),
                    // Whether what follows is from part of the keyspace (a larger --sample looks at more).
                    ("from_sample", .bool(Int64(report.sampled) < report.totalKeys)),
                    (
                        "sessions",
                        .array(
                            report.sessions.map { s in
                                .object([
                                    ("glob", .string(s.glob)), ("keys", .int(Int64(s.keys))),
                                    ("formats", .object(s.formats.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
                                    ("frameworks", .array(s.frameworks.map { .string($0) })), ("example", .bytes(s.example)),
                                    ("not_sessions", .int(Int64(s.notSessions))),
                                    ("not_session_example", s.notSessionExample.map { .bytes($0) } ?? .null),
                                ])
                            })
                    ),
                    (
                        "mappings",
                        .array(
                            report.mappings.map { m in
                                .object([
                                    ("template", .string(m.template)), ("keys", .int(Int64(m.keys))), ("example", .bytes(m.example)),
                                    ("points_to", m.pointsTo.map { .bytes($0) } ?? .null),
                                ])
                            })
                    ),
                    (
                        "indexes",
                        .array(
                            report.indexes.map { o in
                                .object([("prefix", .bytes(o.prefix)), ("keys", .int(Int64(o.keys))), ("example", .bytes(o.example))])
                            })
                    ),
                    (
                        "other",
                        .array(
                            report.other.prefix(20).map { o in
                                .object([("prefix", .bytes(o.prefix)), ("keys", .int(Int64(o.keys))), ("example", .bytes(o.example))])
                            })
                    ),
                    (
                        "suggestion",
                        flags.map {
                            .object([("framework", report.framework.map { .string($0) } ?? .null), ("flags", .array($0.map { .string($0) }))])
                        } ?? .null
                    ),
                ] + JSONModels.complete(report.completeness))
        }

        func text(_ style: TextStyle) -> String {
            var out = ""
            out += "sampled \(report.sampled) of \(report.totalKeys) keys\n\n"
            var table = Table(
                headers: ["KIND", "PATTERN", "KEYS", "FORMAT", "FRAMEWORK", "EXAMPLE"],
                alignments: [.left, .left, .right, .left, .left, .left])
            for s in report.sessions {
                let formats = s.formats.sorted { $0.value > $1.value }.map { "\($0.key)" }.joined(separator: ", ")
                if s.keys > 0 {
                    table.add([
                        "sessions", s.glob, String(s.keys), formats.isEmpty ? "-" : formats,
                        s.frameworks.isEmpty ? "?" : s.frameworks.joined(separator: ", "), Cell.text(s.example),
                    ])
                }
                if let example = s.notSessionExample {
                    // Under a framework's glob, but no session id of its: a cache entry or another application's key.
                    table.add(["not sessions", s.glob, String(s.notSessions), "-", "-", Cell.text(example)])
                }
            }
            for m in report.mappings {
                table.add([
                    "mappings", m.template, String(m.keys), "-", "-",
                    Cell.text(m.example)
                        + (m.pointsTo.map { " -> " + Cell.text($0) } ?? ""),
                ])
            }
            for o in report.indexes {
                table.add(["index", Cell.text(o.prefix) + "*", String(o.keys), "-", "spring", Cell.text(o.example)])
            }
            for o in report.other.prefix(10) {
                table.add(["other", Cell.text(o.prefix) + ":*", String(o.keys), "-", "-", Cell.text(o.example)])
            }
            out += table.render(style)
            out += "\n"
            if let flags {
                out += "use: sessionctl \(flags.joined(separator: " ")) …\n"
            } else {
                out += "no framework's session keys were found in the sample: name the layout with --session-glob and --mapping\n"
            }
            // What is concluded is from the sample: a sample of part of the keyspace says so, and how to look further.
            let partial = Int64(report.sampled) < report.totalKeys
            let seen = partial ? "in the \(report.sampled) keys sampled of \(report.totalKeys)" : "among the \(report.totalKeys) keys"
            if report.mappings.isEmpty {
                out +=
                    "no mapping keys (user:<user>:<session>) were found \(seen): the application must write one per session for list and revoke-user to find users"
                    + (partial ? " (a larger --sample, or 'sessionctl audit', looks at more)" : "") + "\n"
            } else if partial {
                out += "from a sample of \(report.sampled) of \(report.totalKeys) keys: a larger --sample looks at more\n"
            }
            return out
        }
    }

    /// The flags that fit what was seen: the framework, and its glob when a narrower one fits.
    static func suggestion(_ r: DetectReport) -> [String]? {
        guard let name = r.framework, let f = Framework.named(name) else { return nil }
        var flags = ["--framework", name]
        if f.sessionGlobs.count > 1, let top = r.sessions.first(where: { $0.frameworks.contains(name) }) {
            flags += ["--session-glob", "'\(top.glob)'"]
        }
        if let m = r.mappings.first, m.template != f.mapping { flags += ["--mapping", "'\(m.template)'"] }
        return flags
    }
}
