import Foundation
import RedisClient
import SessionBasics

/// A real Redis Cluster on loopback: three primaries and three replicas, made with
/// `redis-cli --cluster create`, optionally over TLS, stopped when the value goes away.
public final class RedisCluster: @unchecked Sendable {
    /// The six nodes, primaries first as `redis-cli` assigns them.
    public private(set) var nodes: [RedisServer] = []
    /// TLS material when the cluster speaks TLS only.
    public let certificates: TestCertificates?

    /// Starts six nodes and joins them; `extraConfig` goes into every node's config.
    /// Which server it runs (Redis 7.0, or Valkey 8.1: cluster create still goes through redis-cli).
    public let kind: ServerKind

    public init(tls: TestCertificates? = nil, extraConfig: [String] = [], password: String? = nil, kind: ServerKind = .redis) throws {
        self.kind = kind
        certificates = tls
        var config = [
            "cluster-enabled yes", "cluster-node-timeout 1000", "cluster-require-full-coverage no",
            "cluster-allow-reads-when-down no", "appendonly no",
        ]
        if tls != nil { config += ["tls-cluster yes", "tls-replication yes"] }
        if let password { config += ["requirepass \(password)", "masterauth \(password)"] }
        for _ in 0..<6 {
            nodes.append(
                try RedisServer(extraConfig: config + ["cluster-config-file nodes.conf"] + extraConfig, tls: tls, clusterBus: true, kind: kind))
        }
        var args = ["--cluster", "create"] + nodes.map { "127.0.0.1:\($0.port)" } + ["--cluster-replicas", "1", "--cluster-yes"]
        args += cliAuth(password)
        let (status, output) = try Self.redisCLI(args)
        guard status == 0 else { throw TestSupportError("redis-cli --cluster create failed: \(output)") }
        try waitUntilHealthy(password: password)
    }

    deinit { for node in nodes { node.stop() } }

    /// Arguments redis-cli needs for this cluster's TLS and password.
    public func cliAuth(_ password: String?) -> [String] {
        var args: [String] = []
        if let c = certificates {
            args += ["--tls", "--cacert", c.path("ca.crt"), "--cert", c.path("client.crt"), "--key", c.path("client.key")]
        }
        if let password { args += ["-a", password, "--no-auth-warning"] }
        return args
    }

    /// A URL of one node.
    public var url: String { nodes[0].url }

    /// Runs `redis-cli` and returns its status and output.
    public static func redisCLI(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try RedisServer.locate("redis-cli"))
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Waits until every node reports `cluster_state:ok` and every shard has a replica in sync.
    public func waitUntilHealthy(password: String? = nil, timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var ok = true
            for node in nodes where node.isRunning {
                guard let info = try? node.run([["CLUSTER", "INFO"]], password: password).first?.text, info.contains("cluster_state:ok") else {
                    ok = false
                    break
                }
            }
            if ok, let shards = try? primaries(password: password), shards.count == 3 {
                let replicas = try nodes.filter(\.isRunning).filter { try role(of: $0, password: password) == "slave" }
                let synced = try replicas.allSatisfy { r in
                    (try r.run([["INFO", "replication"]], password: password).first?.text ?? "").contains("master_link_status:up")
                }
                if synced && replicas.count >= nodes.filter(\.isRunning).count - 3 { return }
            }
            usleep(200_000)
        }
        throw TestSupportError("the cluster did not become healthy within \(Int(timeout)) s")
    }

    /// The running nodes that are primaries serving slots.
    public func primaries(password: String? = nil) throws -> [RedisServer] {
        nodes.filter(\.isRunning).filter { node in
            // A node just killed may not be reaped yet: one that refuses the connection is not a primary.
            guard let text = (try? node.run([["CLUSTER", "NODES"]], password: password))?.first?.text else { return false }
            guard let myself = text.split(separator: "\n").first(where: { $0.contains("myself") }) else { return false }
            return myself.split(separator: " ")[2].contains("master") && !Self.slotRanges(String(myself)).isEmpty
        }
    }

    /// `master` or `slave`.
    public func role(of node: RedisServer, password: String? = nil) throws -> String {
        let info = try node.run([["INFO", "replication"]], password: password).first?.text ?? ""
        return ServerInfo.fields(info)["role"] ?? "unknown"
    }

    /// The node that serves `key`'s slot now.
    public func owner(of key: String, password: String? = nil) throws -> RedisServer {
        let slot = HashSlot.of(Array(key.utf8))
        for node in try primaries(password: password) {
            let reply = try node.run([["CLUSTER", "COUNTKEYSINSLOT", String(slot)], ["CLUSTER", "NODES"]], password: password)
            let myself = (reply[1].text ?? "").split(separator: "\n").first { $0.contains("myself") } ?? ""
            if Self.slotRanges(String(myself)).contains(where: { $0.contains(slot) }) { return node }
        }
        throw TestSupportError("no primary serves slot \(slot)")
    }

    /// Which primary serves each slot now (16384 entries), read once from every primary.
    public func slotMap(password: String? = nil) throws -> [RedisServer?] {
        var map = [RedisServer?](repeating: nil, count: HashSlot.count)
        for node in try primaries(password: password) {
            // A node that died since it was listed (a failover under test) serves nothing.
            guard let text = (try? node.run([["CLUSTER", "NODES"]], password: password))?.first?.text else { continue }
            let myself = text.split(separator: "\n").first { $0.contains("myself") } ?? ""
            for range in Self.slotRanges(String(myself)) { for slot in range { map[slot] = node } }
        }
        return map
    }

    /// Writes `commands` pipelined, each to the primary serving its key's slot.
    public func writeAll(_ commands: [[String]], password: String? = nil) throws {
        let map = try slotMap(password: password)
        var groups: [ObjectIdentifier: (RedisServer, [[[UInt8]]])] = [:]
        for command in commands {
            guard let owner = map[HashSlot.of(Array(command[1].utf8))] else { throw TestSupportError("no primary serves \(command[1])") }
            groups[ObjectIdentifier(owner), default: (owner, [])].1.append(command.map { Array($0.utf8) })
        }
        for (node, batch) in groups.values {
            for reply in try node.admin(password: password).pipeline(batch) {
                if let err = reply.redisError { throw TestSupportError(err.message) }
            }
        }
    }

    /// Writes `commands` through redis-cli's cluster mode (`-c` follows redirects).
    public func write(_ commands: [[String]], password: String? = nil) throws {
        for command in commands {
            let owner = try self.owner(of: command[1], password: password)
            let reply = try owner.run([command], password: password)[0]
            if let err = reply.redisError { throw TestSupportError("\(command): \(err.message)") }
        }
    }

    /// Writes about `keysPerPrimary` filler keys (`noise:…`) to every primary, pipelined.
    public func fill(keysPerPrimary: Int, password: String? = nil) throws {
        for node in try primaries(password: password) {
            let text = try node.run([["CLUSTER", "NODES"]], password: password).first?.text ?? ""
            let myself = text.split(separator: "\n").first { $0.contains("myself") } ?? ""
            let ranges = Self.slotRanges(String(myself))
            var commands: [[[UInt8]]] = []
            var i = 0
            while commands.count < keysPerPrimary {
                let key = "noise:\(i)"
                if ranges.contains(where: { $0.contains(HashSlot.of(Array(key.utf8))) }) {
                    commands.append([Array("SET".utf8), Array(key.utf8), Array("x".utf8)])
                }
                i += 1
            }
            _ = try node.admin(password: password).pipeline(commands)
        }
    }

    /// The node id of a node.
    public func id(of node: RedisServer, password: String? = nil) throws -> String {
        try node.run([["CLUSTER", "MYID"]], password: password)[0].text ?? ""
    }

    static func slotRanges(_ line: String) -> [ClosedRange<Int>] {
        line.split(separator: " ").dropFirst(8).compactMap { field -> ClosedRange<Int>? in
            if field.hasPrefix("[") { return nil }
            let parts = field.split(separator: "-")
            guard let lo = Int(parts[0]) else { return nil }
            let hi = parts.count > 1 ? Int(parts[1]) ?? lo : lo
            return lo...hi
        }
    }
}
