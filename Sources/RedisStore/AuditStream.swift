import RedisClient
import SessionBasics
import SessionCore

/// A Redis stream that receives each audit record with `XADD` (`--audit-stream`), on the server the command changes.
public final class AuditStream: AuditSink {
    private let keyspace: RedisKeyspace
    private let key: Bytes

    /// Records go to the stream `key` in `keyspace`.
    public init(keyspace: RedisKeyspace, key: Bytes) {
        self.keyspace = keyspace
        self.key = key
    }

    /// `XADD key * record <the JSON line> action <event.action> run <trace.id>` per record: the
    /// line whole (with the log file's chain, when there is one), and two fields to select by.
    public func write(_ lines: [AuditLine], sync: Bool) throws(AuditTrailError) {
        let commands = lines.map { line -> [Bytes] in
            [
                Bytes("XADD"), key, Bytes("*"), Bytes("record"), line.bytes, Bytes("action"), Array(line.action.utf8), Bytes("run"),
                Array(line.run.utf8),
            ]
        }
        let results: [CommandResult]
        do {
            results = try keyspace.send(commands)
        } catch {
            throw AuditTrailError("cannot write the audit stream: \(error)")
        }
        for result in results {
            switch Result(catching: { () throws(CommandFailure) in try result.get() }) {
            case .success(let value):
                if let e = value.redisError { throw AuditTrailError("cannot write the audit stream: \(e.message)") }
            case .failure(.failed(let f)):
                throw AuditTrailError("cannot write the audit stream: \(f)")
            case .failure(.cancelled):
                throw AuditTrailError("interrupted before the audit stream was written")
            }
        }

    }
}
