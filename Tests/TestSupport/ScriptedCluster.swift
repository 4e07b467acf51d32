import Foundation
import RedisClient
import SessionBasics
import SessionTransport

/// What a scripted node does with one command: answer, close the connection, or say nothing.
public enum ScriptedAnswer {
    case reply(RESPValue)
    /// Several replies to one command: a server or proxy out of step.
    case replies([RESPValue])
    /// Bytes as they are, RESP or not (hostile replies: huge length claims, deep nesting, garbage).
    case raw([UInt8])
    /// These bytes, then the connection closes (a reply cut off in the middle).
    case rawThenClose([UInt8])
    case close
    case silence
}

/// An in-process stand-in for Redis, standalone or a cluster of primaries, reached through
/// ``ScriptedTransport``s instead of sockets, so that routing, retries, lost nodes and
/// interruption can be driven exactly, in-process.
///
/// Each node keeps its own string keys and the slot ranges it owns; a key command for a
/// slot it does not own is answered with `MOVED`. `hook` sees every command first and may
/// answer it instead (a lost node, a redirect, a stall); `log` records every command per node.
public final class ScriptedCluster {
    /// One node: its address, slots and keys.
    public final class Node {
        public let address: RedisEndpoint.Address
        public var slots: [ClosedRange<Int>]
        public var keys: [Bytes: Bytes] = [:]
        public var ttls: [Bytes: Int64] = [:]
        /// Whether new connections to it are refused.
        public var down = false
        /// The keys a SCAN started with (at cursor 0): like Redis, a key present for the whole scan is returned.
        var scanSnapshot: [Bytes] = []

        init(address: RedisEndpoint.Address, slots: [ClosedRange<Int>]) {
            self.address = address
            self.slots = slots
        }

        public func owns(_ slot: Int) -> Bool { slots.contains { $0.contains(slot) } }
    }

    /// The nodes, in order.
    public private(set) var nodes: [Node] = []
    /// Whether the nodes answer `CLUSTER SHARDS` as a cluster (else as a standalone server).
    public let isCluster: Bool
    /// Sees every command before the node does; a non-nil answer replaces the node's.
    public var hook: ((Node, [Bytes]) -> ScriptedAnswer?)?
    /// What `INFO` answers (a version reply decides which scan path the client takes).
    public var info = "redis_version:7.0.0"
    /// Whether `COMMAND INFO CLUSTERSCAN` names the command (a Valkey that has it).
    public var knowsClusterScan = false
    /// Every command each node received, as text, in order.
    public private(set) var log: [(node: RedisEndpoint.Address, command: String)] = []

    /// A cluster of `primaries` nodes sharing the slots evenly (one node: standalone unless `cluster`),
    /// at `addresses` (by default made-up ones, for in-process transports).
    public init(primaries: Int, cluster: Bool = true, addresses: [RedisEndpoint.Address]? = nil) {
        isCluster = cluster
        let per = HashSlot.count / primaries
        for i in 0..<primaries {
            let lo = i * per
            let hi = i == primaries - 1 ? HashSlot.count - 1 : lo + per - 1
            nodes.append(Node(address: addresses?[i] ?? .tcp(host: "10.0.0.\(i + 1)", port: 7000 + i), slots: [lo...hi]))
        }
    }

    /// The node at `address`.
    public func node(_ address: RedisEndpoint.Address) -> Node? {
        nodes.first { $0.address == address }
    }

    /// The node owning `key`'s slot.
    public func owner(of key: String) -> Node {
        let slot = HashSlot.of(Array(key.utf8))
        return nodes.first { $0.owns(slot) } ?? nodes[0]
    }

    /// Stores `value` under `key` on its owner.
    public func set(_ key: String, _ value: String) {
        owner(of: key).keys[Array(key.utf8)] = Array(value.utf8)
    }

    /// Whether `key` exists on its owner.
    public func exists(_ key: String) -> Bool {
        owner(of: key).keys[Array(key.utf8)] != nil
    }

    /// The endpoint of the first node.
    public var endpoint: RedisEndpoint { RedisEndpoint(address: nodes[0].address) }

    /// Opens scripted connections; pass it as `RedisKeyspace`'s connector.
    public var connector: Connector {
        { [unowned self] address, options, select in
            guard let node = self.node(address), !node.down else {
                throw RedisClientError.connectFailed(endpoint: address.description, reason: "Connection refused")
            }
            return try Connection(address: address, transport: ScriptedTransport(cluster: self, node: node), options: options, selectDatabase: select)
        }
    }

    /// How many commands named `name` (upper case) were received.
    public func count(_ name: String) -> Int {
        log.filter { $0.command.split(separator: " ").first.map(String.init) == name }.count
    }

    // MARK: Answering

    /// What `node` answers to `command` (the hook first, then the node's own keys).
    public func answer(_ node: Node, _ command: [Bytes]) -> ScriptedAnswer {
        let text = command.map { String(decoding: $0, as: UTF8.self) }
        log.append((node.address, text.joined(separator: " ")))
        if let answer = hook?(node, command) { return answer }
        let name = text.first?.uppercased() ?? ""
        func ok(_ s: String = "OK") -> ScriptedAnswer { .reply(.status(s)) }
        func int(_ n: Int) -> ScriptedAnswer { .reply(.integer(Int64(n))) }
        switch name {
        case "PING": return ok("PONG")
        case "AUTH", "SELECT", "ASKING": return ok()
        case "INFO":
            let section = text.count > 1 ? text[1].lowercased() : "server"
            if section == "cluster" { return .reply(.bulk(Array("# Cluster\r\ncluster_enabled:\(isCluster ? 1 : 0)\r\n".utf8))) }
            return .reply(
                .bulk(
                    Array(
                        "# Server\r\n\(info.replacingOccurrences(of: "\n", with: "\r\n"))\r\nredis_mode:\(isCluster ? "cluster" : "standalone")\r\n"
                            .utf8)))
        case "COMMAND":
            return .reply(.array([knowsClusterScan ? .array([.bulk(Array("clusterscan".utf8)), .integer(-2)]) : .null]))
        case "DBSIZE": return int(node.keys.count)
        case "CLUSTER":
            guard isCluster else { return .reply(.error(RedisError(message: "ERR This instance has cluster support disabled"))) }
            let sub = text.count > 1 ? text[1].uppercased() : ""
            if sub == "COUNTKEYSINSLOT" || sub == "GETKEYSINSLOT", text.count > 2, let slot = Int(text[2]) {
                // Like Redis: the node's own keys of the slot (none if it does not serve it).
                let keys = node.keys.keys.filter { HashSlot.of($0) == slot }.sorted { $0.lexicographicallyPrecedes($1) }
                if sub == "COUNTKEYSINSLOT" { return int(keys.count) }
                let n = text.count > 3 ? Int(text[3]) ?? 0 : 0
                return .reply(.array(keys.prefix(n).map { .bulk($0) }))
            }
            if sub == "NODES" {
                // One line a node, as Redis writes them: no slot is migrating.
                let lines = nodes.enumerated().map { i, n -> String in
                    let addr: String
                    if case .tcp(let h, let p) = n.address { addr = "\(h):\(p)@\(p + 10000)" } else { addr = ":0@0" }
                    let slots = n.slots.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                    return (["node\(i)", addr, n === node ? "myself,master" : "master", "-", "0", "0", "1", "connected"] + slots).joined(
                        separator: " ")
                }
                return .reply(.bulk(Array((lines.joined(separator: "\n") + "\n").utf8)))
            }
            return .reply(shards())
        case "SCAN": return scan(node, command)
        default: break
        }
        guard command.count > 1 else { return .reply(.error(RedisError(message: "ERR wrong number of arguments"))) }
        let key = command[1]
        let slot = HashSlot.of(key)
        if isCluster && !node.owns(slot), let owner = nodes.first(where: { $0.owns(slot) }), case .tcp(let h, let p) = owner.address {
            return .reply(.error(RedisError(message: "MOVED \(slot) \(h):\(p)")))
        }
        switch name {
        case "GET": return .reply(node.keys[key].map { .bulk($0) } ?? .null)
        case "SET":
            node.keys[key] = command.count > 2 ? command[2] : []
            return ok()
        case "EXISTS": return int(node.keys[key] == nil ? 0 : 1)
        case "UNLINK", "DEL":
            let had = node.keys.removeValue(forKey: key) != nil
            node.ttls[key] = nil
            return int(had ? 1 : 0)
        case "TTL", "PTTL":
            guard node.keys[key] != nil else { return int(-2) }
            return .reply(.integer(node.ttls[key].map { name == "TTL" ? $0 / 1000 : $0 } ?? -1))
        case "STRLEN": return int(node.keys[key]?.count ?? 0)
        case "TYPE": return ok(node.keys[key] == nil ? "none" : "string")
        case "OBJECT": return node.keys[command[2]] == nil ? .reply(.null) : int(7)
        case "XADD": return .reply(.bulk(Array("1-0".utf8)))
        default: return .reply(.error(RedisError(message: "ERR unknown command '\(text[0])'")))
        }
    }

    private func shards() -> RESPValue {
        .array(
            nodes.map { node in
                guard case .tcp(let host, let port) = node.address else { return .array([]) }
                let slots = node.slots.flatMap { [RESPValue.integer(Int64($0.lowerBound)), .integer(Int64($0.upperBound))] }
                let me: [RESPValue] = [
                    .bulk(Array("ip".utf8)), .bulk(Array(host.utf8)), .bulk(Array("port".utf8)), .integer(Int64(port)),
                    .bulk(Array("role".utf8)), .bulk(Array("master".utf8)), .bulk(Array("health".utf8)), .bulk(Array("online".utf8)),
                ]
                return .array([.bulk(Array("slots".utf8)), .array(slots), .bulk(Array("nodes".utf8)), .array([.array(me)])])
            })
    }

    /// SCAN with MATCH and COUNT over the node's keys in sorted order; the cursor is an index.
    private func scan(_ node: Node, _ command: [Bytes]) -> ScriptedAnswer {
        let cursor = Int(String(decoding: command[1], as: UTF8.self)) ?? 0
        var pattern = "*"
        var count = 10
        var i = 2
        while i + 1 < command.count {
            let word = String(decoding: command[i], as: UTF8.self).uppercased()
            if word == "MATCH" { pattern = String(decoding: command[i + 1], as: UTF8.self) }
            if word == "COUNT" { count = Int(String(decoding: command[i + 1], as: UTF8.self)) ?? 10 }
            i += 2
        }
        if cursor == 0 { node.scanSnapshot = node.keys.keys.sorted { $0.lexicographicallyPrecedes($1) } }
        let all = node.scanSnapshot
        let end = min(all.count, cursor + max(count, 1))
        let page = all[min(cursor, all.count)..<end].filter {
            node.keys[$0] != nil && fnmatch(pattern, String(decoding: $0, as: UTF8.self), 0) == 0
        }
        let next = end >= all.count ? 0 : end
        return .reply(.array([.bulk(Array(String(next).utf8)), .array(page.map { .bulk($0) })]))
    }
}

/// A connection's transport to a ``ScriptedCluster`` node: what the client writes is parsed as
/// RESP commands and answered at once into a buffer that reads drain.
public final class ScriptedTransport: Transport {
    private unowned let cluster: ScriptedCluster
    private let node: ScriptedCluster.Node
    private let parser = RESPReader()
    private var outbound: [UInt8] = []
    private var closed = false
    private let quiet: [Int32]

    init(cluster: ScriptedCluster, node: ScriptedCluster.Node) {
        self.cluster = cluster
        self.node = node
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)  // a descriptor that never becomes readable, for poll while a node is silent
        quiet = fds
    }

    deinit {
        for fd in quiet where fd >= 0 { close(fd) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws {
        if closed { throw TransportError.connectionLost(endpoint: node.address.description, reason: "closed by the script") }
        try parser.feed(Array(bytes))
        while let value = try parser.next() {
            let command = value.array?.compactMap(\.bytes) ?? []
            switch cluster.answer(node, command) {
            case .reply(let v): RESPWriter.append(v, to: &outbound)
            case .replies(let vs): for v in vs { RESPWriter.append(v, to: &outbound) }
            case .raw(let bytes): outbound += bytes
            case .rawThenClose(let bytes):
                outbound += bytes
                closed = true
            case .close: closed = true
            case .silence: break
            }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int {
        if !outbound.isEmpty {
            let n = min(buffer.count, outbound.count)
            outbound.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            outbound.removeFirst(n)
            return n
        }
        if closed { return 0 }
        while !deadline.hasPassed { usleep(1_000) }
        throw TransportError.timedOut(endpoint: node.address.description, operation: "a command", seconds: deadline.seconds)
    }

    public var descriptor: Int32 { quiet[0] }
    public var hasBufferedData: Bool { !outbound.isEmpty || closed }
    public var hasUnreadBytes: Bool { !outbound.isEmpty }
}

/// RESP2 encoding of replies, for scripted servers.
public enum RESPWriter {
    /// Appends `value`'s RESP2 bytes to `out`.
    public static func append(_ value: RESPValue, to out: inout [UInt8]) {
        switch value {
        case .status(let s): out += Array("+\(s)\r\n".utf8)
        case .error(let e): out += Array("-\(e.message)\r\n".utf8)
        case .integer(let i): out += Array(":\(i)\r\n".utf8)
        case .bulk(let b): out += Array("$\(b.count)\r\n".utf8) + b + [13, 10]
        case .null: out += Array("$-1\r\n".utf8)
        case .array(let items):
            out += Array("*\(items.count)\r\n".utf8)
            for item in items { append(item, to: &out) }
        }
    }
}

extension ScriptedCluster {
    /// A keyspace over this cluster's scripted transports.
    public func keyspace(timeout: Double = 1, cancellation: Cancellation = Cancellation()) throws -> RedisKeyspace {
        try RedisKeyspace(endpoint: endpoint, options: ConnectionOptions(commandTimeout: timeout, cancellation: cancellation), connector: connector)
    }

    /// Mappings (`user:<u>:<id>` → `session:<id>`) and sessions for `users` × `sessions` each; returns the session ids.
    @discardableResult
    public func seedSessions(users: [String], sessions: Int, withSessionKeys: Bool = true) -> [String] {
        var ids: [String] = []
        for u in users {
            for i in 0..<sessions {
                let id = "\(u)-\(i)"
                set("user:\(u):\(id)", "session:\(id)")
                if withSessionKeys { set("session:\(id)", "payload") }
                ids.append(id)
            }
        }
        return ids
    }
}

extension ScriptedCluster {
    /// Three primaries holding hash-tagged mappings of alice, bob and carol (20 each), and a key in
    /// alice's slot that no mapping pattern matches (a client must filter it out); `info` is the
    /// servers' INFO (their version decides the scan path).
    public static func hashTaggedUsers(info: String) -> ScriptedCluster {
        let c = ScriptedCluster(primaries: 3)
        c.info = info
        for u in ["alice", "bob", "carol"] {
            for i in 0..<20 { c.set("user:{\(u)}:s\(i)", "session:\(u)\(i)") }
        }
        c.set("other:{alice}:x", "y")
        return c
    }
}
