import SessionBasics
import SessionCore
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

extension FanOut {
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
