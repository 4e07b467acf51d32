import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Splits `records` (read with their idle time) by the filter: kept, and left out with the
    /// reason. The payload's fields are read first when a filter needs them.
    func applyFilter(_ records: [SessionRecord], completeness: inout Completeness) throws -> (kept: [SessionRecord], out: [FilteredOut]) {
        var records = records
        if filter.needsPayload && records.contains(where: { $0.fields == nil }) { try readDetails(&records, completeness: &completeness) }
        return filter.split(records, now: Double(WallClock.nowMillis()) / 1000)
    }
}
