import RedisClient
import SessionBasics
import SessionCore

extension Completeness {
    /// The reply of a command the operation needs to succeed: an error reply (`NOPERM`,
    /// `WRONGTYPE`, …) is recorded as a refused command, a missing reply as its failure.
    mutating func required(_ result: CommandResult, _ command: String) -> RESPValue? {
        guard let value = value(of: result) else { return nil }
        if let e = value.redisError {
            record(PartialFailure(.commandFailed, node: nil, cause: "\(command): \(e.message)"))
            return nil
        }
        return value
    }
}
