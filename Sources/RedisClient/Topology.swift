import SessionBasics

/// Which primary serves which slots: a cluster's, from `CLUSTER SHARDS` (Redis 7+) or
/// `CLUSTER SLOTS`, or a standalone server's, one node serving every slot.
///
/// Everything read from the network is checked before use: slot ranges outside 0…16383 or
/// reversed, and ports outside 1…65535, are dropped.
public struct Topology: Equatable, Sendable {
    /// One shard: a primary, its replicas and its slot ranges.
    public struct Shard: Equatable, Sendable {
        /// The primary's address.
        public var primary: RedisEndpoint.Address
        /// The replicas' addresses.
        public var replicas: [RedisEndpoint.Address]
        /// The slot ranges the shard serves.
        public var slots: [ClosedRange<Int>]
    }

    /// Whether this is a Redis Cluster (else one standalone node).
    public let isCluster: Bool
    /// Shards that serve at least one slot, ordered by their first slot.
    public private(set) var shards: [Shard]
    private var owner: [Int32]

    /// A cluster topology from shards.
    public init(shards: [Shard]) {
        self.init(shards: shards, isCluster: true)
    }

    private init(shards: [Shard], isCluster: Bool) {
        self.isCluster = isCluster
        // One shard per primary: a reply naming one address twice must not make two scans share a connection.
        var merged: [Shard] = []
        for shard in shards where !shard.slots.isEmpty {
            if let i = merged.firstIndex(where: { $0.primary == shard.primary }) {
                merged[i].slots += shard.slots
                merged[i].replicas += shard.replicas.filter { !merged[i].replicas.contains($0) }
            } else {
                merged.append(shard)
            }
        }
        self.shards = merged.sorted { ($0.slots.map(\.lowerBound).min() ?? 0) < ($1.slots.map(\.lowerBound).min() ?? 0) }
        owner = [Int32](repeating: -1, count: HashSlot.count)
        for (i, shard) in self.shards.enumerated() {
            for range in shard.slots { for slot in range { owner[slot] = Int32(i) } }
        }
    }

    /// A standalone server: one node serving every slot.
    public static func standalone(_ address: RedisEndpoint.Address) -> Topology {
        Topology(shards: [Shard(primary: address, replicas: [], slots: [0...(HashSlot.count - 1)])], isCluster: false)
    }

    /// A slot range from two network integers, if both are slots and in order.
    static func range(_ lo: Int64, _ hi: Int64) -> ClosedRange<Int>? {
        guard lo >= 0, hi >= lo, hi < Int64(HashSlot.count) else { return nil }
        return Int(lo)...Int(hi)
    }

    /// A TCP port from a network integer, if it is one.
    static func port(_ p: Int64?) -> Int? {
        guard let p, p > 0, p <= 65_535 else { return nil }
        return Int(p)
    }

    /// The primaries, one per shard.
    public var primaries: [RedisEndpoint.Address] { shards.map(\.primary) }

    /// The primary that serves `slot`, if any.
    public func primary(forSlot slot: Int) -> RedisEndpoint.Address? {
        guard slot >= 0 && slot < HashSlot.count else { return nil }
        let i = owner[slot]
        return i < 0 ? nil : shards[Int(i)].primary
    }

    /// The number of slots no primary serves.
    public var uncoveredSlots: Int { owner.filter { $0 < 0 }.count }

    /// The ranges of slots no primary serves (a shard whose primary failed, slots never assigned).
    public var uncoveredRanges: [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        var start: Int?
        for slot in 0...HashSlot.count {
            let free = slot < HashSlot.count && owner[slot] < 0
            if free, start == nil { start = slot }
            if !free, let s = start {
                out.append(s...(slot - 1))
                start = nil
            }
        }
        return out
    }

    /// How a set of slot ranges is named in messages: `slots 0-5460, 10923`.
    public static func describe(_ ranges: [ClosedRange<Int>]) -> String {
        let parts = ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
        return (ranges.count == 1 && ranges[0].count == 1 ? "slot " : "slots ") + parts.joined(separator: ", ")
    }

    /// Records a `MOVED` redirect: `slot` now lives on `address` (a slot out of range is ignored).
    public mutating func move(slot: Int, to address: RedisEndpoint.Address) {
        guard slot >= 0 && slot < HashSlot.count else { return }
        if let i = shards.firstIndex(where: { $0.primary == address }) {
            owner[slot] = Int32(i)
        } else {
            shards.append(Shard(primary: address, replicas: [], slots: [slot...slot]))
            owner[slot] = Int32(shards.count - 1)
        }
    }

    // MARK: Parsing

    /// Parses a `CLUSTER SHARDS` reply. Node hosts come from `endpoint`, else `hostname`, else `ip`;
    /// an empty or `?` host means the node we asked (`seedHost`). With `tls`, `tls-port` is used when present.
    /// The most shards a topology may name: Redis Cluster is built for up to 1,000 nodes.
    public static let maxShards = 1_000

    public static func parseShards(_ reply: RESPValue, seedHost: String, tls: Bool) -> Topology? {
        guard let list = reply.array, list.count <= maxShards * 4 else { return nil }
        var shards: [Shard] = []
        for entry in list {
            let shard = map(entry)
            var slots: [ClosedRange<Int>] = []
            let bounds = shard["slots"]?.array?.compactMap(\.integer) ?? []
            var i = 0
            while i + 1 < bounds.count {
                if let r = range(bounds[i], bounds[i + 1]) { slots.append(r) }
                i += 2
            }
            var primary: RedisEndpoint.Address?
            var replicas: [RedisEndpoint.Address] = []
            for node in shard["nodes"]?.array ?? [] {
                let n = map(node)
                let health = n["health"]?.text ?? "online"
                guard let address = address(n, seedHost: seedHost, tls: tls) else { continue }
                if n["role"]?.text == "master" {
                    if health != "fail" { primary = address }
                } else if health != "fail" {
                    // "loading" also covers replicas whose offset has not been gossiped yet.
                    replicas.append(address)
                }
            }
            if let primary { shards.append(Shard(primary: primary, replicas: replicas, slots: slots)) }
        }
        let topology = Topology(shards: shards)
        return topology.shards.isEmpty || topology.shards.count > maxShards ? nil : topology
    }

    /// Parses a `CLUSTER SLOTS` reply (servers older than 7.0).
    public static func parseSlots(_ reply: RESPValue, seedHost: String) -> Topology? {
        guard let list = reply.array, list.count <= HashSlot.count else { return nil }
        var byPrimary: [RedisEndpoint.Address: Shard] = [:]
        var order: [RedisEndpoint.Address] = []
        for entry in list {
            guard let e = entry.array, e.count >= 3, let lo = e[0].integer, let hi = e[1].integer, let slots = range(lo, hi),
                let node = e[2].array, node.count >= 2, let primaryPort = Topology.port(node[1].integer)
            else { continue }
            let primary = RedisEndpoint.Address.tcp(host: host(node[0].text, seedHost), port: primaryPort)
            let replicas = e.dropFirst(3).compactMap { r -> RedisEndpoint.Address? in
                guard let r = r.array, r.count >= 2, let p = Topology.port(r[1].integer) else { return nil }
                return .tcp(host: host(r[0].text, seedHost), port: p)
            }
            if byPrimary[primary] == nil {
                byPrimary[primary] = Shard(primary: primary, replicas: replicas, slots: [])
                order.append(primary)
            }
            byPrimary[primary]!.slots.append(slots)
        }
        let topology = Topology(shards: order.compactMap { byPrimary[$0] })
        return topology.shards.isEmpty || topology.shards.count > maxShards ? nil : topology
    }

    private static func address(_ n: [String: RESPValue], seedHost: String, tls: Bool) -> RedisEndpoint.Address? {
        let raw = (tls ? n["tls-port"]?.integer : nil) ?? n["port"]?.integer ?? n["tls-port"]?.integer
        guard let port = Topology.port(raw) else { return nil }
        let name = [n["endpoint"]?.text, n["hostname"]?.text, n["ip"]?.text].compactMap { $0 }.first { !$0.isEmpty && $0 != "?" }
        return .tcp(host: host(name, seedHost), port: port)
    }

    private static func host(_ text: String?, _ seed: String) -> String {
        guard let text, !text.isEmpty, text != "?" else { return seed }
        return text
    }

    /// A RESP2 flat `[key, value, key, value…]` array as a dictionary.
    private static func map(_ value: RESPValue) -> [String: RESPValue] {
        var out: [String: RESPValue] = [:]
        let items = value.array ?? []
        var i = 0
        while i + 1 < items.count {
            if let k = items[i].text { out[k] = items[i + 1] }
            i += 2
        }
        return out
    }
}
