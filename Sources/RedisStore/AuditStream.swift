import RedisClient
import SessionBasics
import SessionCore

/// A Redis stream that receives each audit record with `XADD` (`--audit-stream`).
public final class AuditStream: AuditSink {
    private let keyspace: RedisKeyspace
    private let key: Bytes

    /// Records go to the stream `key` in `keyspace`.
    public init(keyspace: RedisKeyspace, key: Bytes) {
        self.keyspace = keyspace
        self.key = key
    }

    /// `XADD key * field value …` per record; digest lists are joined with commas.
    public func write(_ records: [[(String, JSON)]]) throws(AuditTrailError) {
        let commands = records.map { fields -> [Bytes] in
            var c: [Bytes] = [Bytes("XADD"), key, Bytes("*")]
            for (name, value) in fields {
                c.append(Array(name.utf8))
                switch value {
                case .string(let s): c.append(Array(s.utf8))
                case .bytes(let b): c.append(b)
                case .int(let i): c.append(Array(String(i).utf8))
                case .array(let items):
                    c.append(Array(items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }.joined(separator: ",").utf8))
                case .object: c.append(Array(value.render(pretty: false).utf8))
                default: c.append([])
                }
            }
            return c
        }
        let results: [CommandResult]
        do {
            results = try keyspace.send(commands)
        } catch {
            throw AuditTrailError("cannot write the audit stream: \(error); nothing more was deleted")
        }
        for result in results {
            switch Result(catching: { () throws(CommandFailure) in try result.get() }) {
            case .success(let value):
                if let e = value.redisError { throw AuditTrailError("cannot write the audit stream: \(e.message); nothing more was deleted") }
            case .failure(.failed(let f)):
                throw AuditTrailError("cannot write the audit stream: \(f); nothing more was deleted")
            case .failure(.cancelled):
                throw AuditTrailError("interrupted before the audit stream was written; nothing more was deleted")
            }
        }

    }
}
