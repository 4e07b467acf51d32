import HTTPProbe
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl show SESSION...`: one session in full.
enum ShowCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let ids = try CookieArguments.sessionIds(ctx)
        let store = try ctx.openBackend()
        ctx.noteReadsResetIdleTimes(store)
        var result = try store.show(sessions: ids.flatMap(\.self), user: ctx.invocation.sessions.user)
        if !ctx.invocation.show.reveal {
            var redacted = 0
            result.sessions = result.sessions.map { s in
                let (shown, n) = Self.redacted(s)
                redacted += n
                return shown
            }
            if redacted > 0 { ctx.note("\(Cell.plural(redacted, "secret value")) redacted (tokens, salts, keys); --reveal shows them") }
        }
        result.notFound = CookieArguments.notFound(ids, ctx, found: Set(result.sessions.map(\.record.ref.session) + result.refused.map(\.session)))
        ctx.progress.finish()
        ctx.printer.print(Printed(result: result))
        for id in result.notFound { ctx.console.error("session '\(Cell.text(id))' not found") }
        RefusalReport.warn(result.refused, ctx)
        ctx.reportIncomplete(result.completeness)
        return .finished(result.completeness, notFound: !result.notFound.isEmpty, didSomething: !result.sessions.isEmpty)
    }

    /// The sessions as `show` prints them: a block each for people, an object each for scripts.
    struct Printed: Printable {
        let result: ShowResult

        func json() -> JSON {
            .object(
                [
                    ("sessions", .array(result.sessions.map(ShowCommand.json))),
                    ("refused", .array(result.refused.map(JSONModels.refusal))),
                    ("not_found", .array(result.notFound.map { .bytes($0) })),
                ] + JSONModels.complete(result.completeness))
        }

        func lines() -> [JSON] { result.sessions.map(ShowCommand.json) }

        func text(_ style: TextStyle) -> String {
            result.sessions.map { ShowCommand.block($0, color: style.color) }.joined(separator: "\n")
        }
    }

    /// The session as `show` prints it without `--reveal`: its secrets redacted in the decoded
    /// payload and in a hash's fields, and the raw payload, which holds them too, replaced by a note.
    static func redacted(_ s: SessionDetail) -> (SessionDetail, Int) {
        var s = s
        var count = 0
        if let value = s.decoded?.value {
            let (clean, n) = Redaction.redact(value)
            s.decoded?.value = clean
            count += n
        }
        switch s.payload {
        case .hash(let pairs):
            let (clean, n) = Redaction.redact(fields: pairs)
            s.payload = .hash(clean)
            count += n
        case .string(let b) where count > 0:
            s.payload = .string(
                Array("(\(b.count) bytes holding \(Cell.plural(count, "secret value")): redacted; the decoded payload shows the rest)".utf8))
        default: break
        }
        return (s, count)
    }

    static func json(_ s: SessionDetail) -> JSON {
        var fields = JSONModels.record(s.record)
        fields.append(("type", .string(s.type)))
        fields.append(("idle_seconds", s.idleSeconds.map { .int($0) } ?? .null))
        switch s.payload {
        case .string(let b): fields.append(("payload", .bytes(b)))
        case .hash(let pairs):
            // Field names are bytes too: shown exactly when they are UTF-8, else escaped (never two names
            // for one), with the exact bytes beside them.
            fields.append(("payload", .object(pairs.map { (fieldName($0.field), .bytes($0.value)) })))
            let binary = pairs.filter { String(validating: $0.field, as: UTF8.self) == nil }
            if !binary.isEmpty {
                fields.append(("payload_field_names_base64", .object(binary.map { (fieldName($0.field), .string(JSON.base64($0.field))) })))
            }
        case .other: fields.append(("payload", .null))
        case .none:
            fields.append(("payload", .null))
            // The key is there but its data was not read (a refused GETRANGE, a lost node): never an empty payload.
            if s.record.exists { fields.append(("payload_error", .string("not read (see complete and stderr)"))) }
        }
        if s.payloadTruncated { fields.append(("payload_truncated", .bool(true))) }
        if let d = s.decoded {
            if let f = d.format { fields.append(("payload_format", .string(f))) }
            if let v = d.value { fields.append(("payload_decoded", PayloadRender.json(v))) }
            if let e = d.error { fields.append(("payload_error", .string(e))) }
        }
        if let f = s.record.fields { fields.append(("fields", PayloadRender.fieldsJSON(f))) }
        return .object(fields)
    }

    /// A hash field's name in JSON: itself when UTF-8 without a backslash, else visibly escaped (one name per field).
    private static func fieldName(_ field: [UInt8]) -> String {
        if let s = String(validating: field, as: UTF8.self), !field.contains(0x5C) { return s }
        return Escape.visible(field)
    }

    private static func block(_ s: SessionDetail, color: Bool) -> String {
        let r = s.record
        var rows: [(String, String)] = [
            ("session", Cell.text(r.ref.session)), ("user", Cell.text(r.ref.user)),
            ("mapping key", r.ref.mappingKey.isEmpty ? "- (a SQL row)" : Cell.text(r.ref.mappingKey)), ("session key", Cell.text(r.ref.sessionKey)),
            ("exists", r.exists ? "yes" : "no"), ("type", s.type),
            ("ttl", r.exists ? (r.ttl.map { "\(Cell.ttl($0)) (\($0)s)" } ?? "never expires") : "-"),
            ("bytes", r.bytes.map(String.init) ?? "-"),
            ("idle", s.idleSeconds.map { Cell.ttl($0) } ?? "-"),
        ]
        if let f = r.fields {
            if let u = f.user {
                rows.append(
                    ("payload user", u == String(decoding: r.ref.user, as: UTF8.self) ? u : "\(u) (the mapping says \(Cell.text(r.ref.user)))"))
            }
            if let t = f.createdAt { rows.append(("created", Cell.time(t))) }
            if let t = f.lastSeenAt { rows.append(("last seen", Cell.time(t))) }
            if let ip = f.ip { rows.append(("ip", Cell.text(Array(ip.utf8)))) }
            if let ua = f.userAgent { rows.append(("user agent", Cell.text(Array(ua.utf8)))) }
        }
        if let d = s.decoded {
            rows.append(("format", (d.format ?? "-") + (d.error.map { " (not decoded: \($0))" } ?? "")))
        }
        switch s.payload {
        case .string(let b) where s.decoded?.value != nil && String(validating: b, as: UTF8.self) == nil:
            rows.append(("payload", "\(b.count) bytes of binary data, decoded below (-o json has them)"))
        case .string(let b):
            let more = s.payloadTruncated ? " … (\(max(0, (r.bytes ?? 0) - Int64(b.count))) more bytes; --max-payload)" : ""
            rows.append(("payload", Cell.text(b) + more))
        case .hash(let pairs):
            rows.append(("payload", pairs.isEmpty ? "(empty hash)" : ""))
            for p in pairs { rows.append(("  " + Cell.text(p.field), Cell.text(p.value))) }
            if s.payloadTruncated { rows.append(("  …", "more fields or bytes not shown (--max-payload)")) }
        case .other(let t): rows.append(("payload", "(\(t): not shown)"))
        case .none: rows.append(("payload", r.exists ? "(not read: see the lines on stderr)" : "-"))
        }
        let width = rows.map { DisplayWidth.of($0.0) }.max() ?? 0
        var out = ""
        for (k, v) in rows {
            let label = k + String(repeating: " ", count: width - DisplayWidth.of(k))
            out += (color ? "\u{1B}[1m\(label)\u{1B}[0m" : label) + "  " + v + "\n"
        }
        if let v = s.decoded?.value {
            out += (color ? "\u{1B}[1mdecoded\u{1B}[0m" : "decoded") + "\n"
            for line in PayloadRender.tree(v, indent: 1) { out += line + "\n" }
        }
        return out
    }
}
