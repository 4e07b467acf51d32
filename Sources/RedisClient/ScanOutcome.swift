import SessionBasics

/// How a scan found its keys (see ``ScanCapabilities``).
public enum ScanPath: String, Sendable {
    /// SCAN on every node that may hold matching keys, walking each one's keyspace.
    case scan
    /// SCAN on the slot's owner, which walks only that slot (Redis ≥ 7.4, Valkey ≥ 8).
    case singleSlotScan = "single-slot SCAN"
    /// The slot's keys asked of its owner (`CLUSTER GETKEYSINSLOT`), on an older server.
    case slotKeys = "CLUSTER GETKEYSINSLOT"
}

/// How a scan over the keyspace went: its completeness and how much it saw.
public struct ScanOutcome: Sendable, Equatable {
    /// Whether every node was scanned to cursor 0, and if not why.
    public var completeness = Completeness()
    /// Keys the server returned (after MATCH, before client-side checks).
    public var keysReturned = 0
    /// Keys the server examined, estimated as COUNT per SCAN call.
    public var keysExamined = 0
    /// Where each node's scan stood when it was interrupted (or stopped by the caller): the
    /// cursor of the last page handed over, which a resumed scan starts from again (that page is
    /// seen twice, never missed), or `nil` for a node whose scan had ended. Empty when the scan ran to its end.
    public var resume: [(node: RedisEndpoint.Address, cursor: Bytes?)] = []
    /// How the keys were found.
    public var path = ScanPath.scan

    public static func == (a: ScanOutcome, b: ScanOutcome) -> Bool {
        a.completeness == b.completeness && a.keysReturned == b.keysReturned && a.keysExamined == b.keysExamined
            && a.resume.map(\.node) == b.resume.map(\.node) && a.resume.map(\.cursor) == b.resume.map(\.cursor)
    }

    /// An outcome with nothing seen yet.
    public init() {}

    /// Whether every node was scanned to the end with no failure and no interruption.
    public var isComplete: Bool { completeness.isComplete }
}
