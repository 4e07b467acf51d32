import SessionBasics

/// What a server's key iteration can do, told from its `INFO server` reply (and, for a
/// command, `COMMAND INFO`): the cheaper paths a large cluster offers.
///
/// - **Single-slot SCAN** (Redis ≥ 7.4, redis/redis#12536; Valkey ≥ 8.0, which forked after it):
///   in cluster mode, `SCAN … MATCH p` where `p` can only match keys of one hash slot walks
///   that slot alone, not the node's whole keyspace. With a hash-tagged mapping template
///   (`user:{<user>}:<session>`), a lookup by user then costs the user's slot, not the shard.
/// - **CLUSTERSCAN** (Valkey, valkey-io/valkey#2934): one cursor over the whole cluster that
///   survives resharding and failovers slot by slot. It walks every key once, as a SCAN of each
///   primary in parallel does, so it saves no server time; sessionctl reports it and keeps its
///   parallel per-primary SCAN (see the README's scale section).
///
/// Without single-slot SCAN, a lookup whose pattern fixes a slot asks the owner for the slot's
/// keys directly (`CLUSTER COUNTKEYSINSLOT`, then `CLUSTER GETKEYSINSLOT`, matched here) when
/// the slot holds few enough keys, instead of walking the node's keyspace.
public struct ScanCapabilities: Sendable, Equatable, CustomStringConvertible {
    /// Which server it is.
    public enum Server: String, Sendable {
        case redis, valkey
    }

    public var server: Server
    /// The server's own version (Valkey's `valkey_version`, not the `redis_version` it reports for compatibility).
    public var version: [Int]
    /// Whether `INFO` says cluster mode is on (`cluster_enabled:1`, or `redis_mode:cluster`).
    public var clusterEnabled: Bool
    /// A SCAN whose pattern fixes a hash slot walks that slot only.
    public var singleSlotScan: Bool
    /// The server knows `CLUSTERSCAN`.
    public var clusterScan: Bool

    /// From the fields of `INFO server` (and `INFO cluster`, for `cluster_enabled`), and whether
    /// `COMMAND INFO CLUSTERSCAN` named the command.
    public init(info fields: [String: String], knowsClusterScan: Bool = false) {
        let isValkey = fields["server_name"]?.lowercased() == "valkey" || fields["valkey_version"] != nil
        server = isValkey ? .valkey : .redis
        version = Self.parse(isValkey ? (fields["valkey_version"] ?? fields["redis_version"] ?? "") : (fields["redis_version"] ?? ""))
        clusterEnabled = fields["cluster_enabled"] == "1" || fields["redis_mode"] == "cluster"
        let atLeast: [Int] = isValkey ? [8, 0] : [7, 4]
        singleSlotScan = clusterEnabled && version.lexicographicallyPrecedes(atLeast) == false
        clusterScan = knowsClusterScan
    }

    /// Whether a `COMMAND INFO name` reply describes the command (an unknown one is `[nil]`).
    public static func namesCommand(_ reply: RESPValue) -> Bool {
        guard case .array(let items) = reply, let first = items.first else { return false }
        if case .array(let details) = first { return !details.isEmpty }
        return false
    }

    /// `7.4.2` → `[7, 4, 2]`; anything unreadable → `[]` (no capability assumed).
    static func parse(_ text: String) -> [Int] {
        var out: [Int] = []
        for part in text.split(separator: ".") {
            guard let n = Int(part.prefix { $0.isNumber }) else { break }
            out.append(n)
        }
        return out
    }

    /// Whether this server walks only one slot for `pattern`: its rule (`patternHashSlot`) takes a
    /// `{tag}` with no `*`, `?`, `[` or `\` before its end, and not empty.
    public func walksOneSlot(_ pattern: Bytes) -> Bool {
        singleSlotScan && Self.serverSlot(ofPattern: pattern) != nil
    }

    /// The slot the server itself infers from a pattern, or `nil` (Redis's `patternHashSlot`).
    public static func serverSlot(ofPattern pattern: Bytes) -> Int? {
        var open: Int?
        for (i, c) in pattern.enumerated() {
            if c == UInt8(ascii: "*") || c == UInt8(ascii: "?") || c == UInt8(ascii: "[") || c == UInt8(ascii: "\\") { return nil }
            if c == UInt8(ascii: "{"), open == nil {
                open = i
            } else if c == UInt8(ascii: "}"), let o = open {
                guard i > o + 1 else { return nil }
                return Int(HashSlot.crc16(pattern[(o + 1)..<i]) & 0x3FFF)
            }
        }
        return nil
    }

    public var description: String {
        let name = server == .valkey ? "Valkey" : "Redis"
        let v = version.isEmpty ? "unknown version" : version.map(String.init).joined(separator: ".")
        var parts: [String] = []
        if !clusterEnabled { parts.append("not in cluster mode") }
        parts.append(singleSlotScan ? "single-slot SCAN" : "SCAN walks the whole node even for a single-slot pattern")
        if clusterScan { parts.append("CLUSTERSCAN") }
        return "\(name) \(v): " + parts.joined(separator: ", ")
    }
}
