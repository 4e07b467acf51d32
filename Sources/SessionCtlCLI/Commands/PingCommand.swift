import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `sessionctl ping`: connect, authenticate, and report the server and its latency.
enum PingCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        if ctx.targetIsSQL { return try sql(ctx) }
        let keyspace = try ctx.openKeyspace()
        let endpoint = keyspace.endpoint
        let nodes = try keyspace.serverInfo()
        let mode = keyspace.isCluster ? "cluster" : "standalone"
        let rows = nodes.map { n in
            let scan = n.scan.singleSlotScan ? "single-slot" : (n.scan.clusterEnabled ? "whole node (GETKEYSINSLOT for one slot)" : "whole node")
            return Printed.Node(
                address: n.address.description, version: n.server == "valkey" ? "valkey \(n.version)" : n.version, mode: n.mode, role: n.role,
                keys: n.keys, latency: n.latencyMilliseconds,
                scanJSON: [
                    ("server", .string(n.server)), ("single_slot_scan", .bool(n.scan.singleSlotScan)), ("clusterscan", .bool(n.scan.clusterScan)),
                ],
                scanText: scan + (n.scan.clusterScan ? ", CLUSTERSCAN" : ""))
        }
        ctx.printer.print(Printed(endpoint: endpoint.description, mode: mode, nodes: rows, counted: "KEYS"))
        return .success
    }

    /// A database: the same shape, one node; its mode is the engine, its role the sessions table.
    private static func sql(_ ctx: CommandContext) throws -> Outcome {
        let store = try ctx.openSQLStore()
        try ctx.checkServes(store)
        let p = try store.ping()
        let mode = store.connection.engine.rawValue
        let role = "\(store.table.schema.rawValue) table \(store.table.name)"
        let node = Printed.Node(
            address: store.display, version: p.version, mode: mode, role: role, keys: p.rows, latency: p.latencyMilliseconds, scanJSON: [],
            scanText: nil)
        ctx.printer.print(Printed(endpoint: store.display, mode: mode, nodes: [node], counted: "ROWS"))
        return .success
    }

    /// The nodes as `ping` prints them: a table, one JSON object, or a node a line.
    struct Printed: Printable {
        /// One server: a Redis node, or a database (its mode the engine, its role the sessions table).
        struct Node {
            let address: String
            let version: String
            let mode: String
            let role: String
            let keys: Int64
            let latency: Double
            /// How a lookup by a hash-tagged user is scanned (Redis only).
            let scanJSON: [(String, JSON)]
            /// The same for `-o wide`; `nil` where it does not apply.
            let scanText: String?
        }
        let endpoint: String
        let mode: String
        let nodes: [Node]
        /// What the keys column counts: KEYS or ROWS.
        let counted: String

        private func json(_ n: Node) -> JSON {
            .object(
                [
                    ("address", .string(n.address)), ("version", .string(n.version)), ("mode", .string(n.mode)), ("role", .string(n.role)),
                    ("keys", .int(n.keys)), ("latency_ms", .double((n.latency * 1000).rounded() / 1000)),
                ] + n.scanJSON)
        }

        func json() -> JSON {
            .object([("endpoint", .string(endpoint)), ("mode", .string(mode)), ("nodes", .array(nodes.map(json))), ("ok", .bool(true))])
        }

        func lines() -> [JSON] { nodes.map(json) }

        func text(_ style: TextStyle) -> String {
            // -o wide: what a lookup by a hash-tagged user costs on each node.
            let wide = style.wide && nodes.contains { $0.scanText != nil }
            var table = Table(
                headers: ["NODE", "VERSION", "MODE", "ROLE", counted, "LATENCY"] + (wide ? ["SCAN"] : []),
                alignments: [.left, .left, .left, .left, .right, .right, .left])
            for n in nodes {
                table.add(
                    [n.address, String(n.version.prefix(40)), n.mode, n.role, String(n.keys), formatLatency(n.latency)]
                        + (wide ? [n.scanText ?? "-"] : []))
            }
            return table.render(style)
        }
    }

    private static func formatLatency(_ ms: Double) -> String {
        let scaled = (ms * 100).rounded() / 100
        return "\(scaled) ms"
    }
}
