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
        let (endpoint, options) = try ctx.connectionSettings()
        let keyspace = try ctx.openKeyspace(endpoint, options)
        let nodes = try keyspace.serverInfo()
        let mode = keyspace.isCluster ? "cluster" : "standalone"
        switch ctx.invocation.output {
        case .json, .ndjson:
            let list = nodes.map { n -> JSON in
                .object([
                    ("address", .string(n.address.description)), ("version", .string(n.version)), ("mode", .string(n.mode)),
                    ("role", .string(n.role)), ("keys", .int(n.keys)), ("latency_ms", .double((n.latencyMilliseconds * 1000).rounded() / 1000)),
                    ("single_slot_scan", .bool(n.scan.singleSlotScan)), ("clusterscan", .bool(n.scan.clusterScan)),
                ])
            }
            if ctx.invocation.output == .json {
                ctx.emit(
                    .object([("endpoint", .string(endpoint.description)), ("mode", .string(mode)), ("nodes", .array(list)), ("ok", .bool(true))]))
            } else {
                for n in list { ctx.emit(n) }
            }
        case .table, .wide:
            // -o wide: what a lookup by a hash-tagged user costs on each node.
            let wide = ctx.invocation.output == .wide
            var table = Table(
                headers: ["NODE", "VERSION", "MODE", "ROLE", "KEYS", "LATENCY"] + (wide ? ["SCAN"] : []),
                alignments: [.left, .left, .left, .left, .right, .right, .left])
            for n in nodes {
                let scan = n.scan.singleSlotScan ? "single-slot" : (n.scan.clusterEnabled ? "whole node (GETKEYSINSLOT for one slot)" : "whole node")
                table.add(
                    [n.address.description, n.version, n.mode, n.role, String(n.keys), formatLatency(n.latencyMilliseconds)]
                        + (wide ? [scan + (n.scan.clusterScan ? ", CLUSTERSCAN" : "")] : []))
            }
            ctx.print(table.render(color: ctx.color, headers: !ctx.invocation.noHeaders))
        }
        return .success
    }

    /// A database: the same shape, one node; its mode is the engine, its role the sessions table.
    private static func sql(_ ctx: CommandContext) throws -> Outcome {
        let store = try ctx.openSQLStore()
        try ctx.checkServes(store)
        let p = try store.ping()
        let mode = store.connection.engine.rawValue
        let role = "\(store.table.schema.rawValue) table \(store.table.name)"
        switch ctx.invocation.output {
        case .json, .ndjson:
            let node = JSON.object([
                ("address", .string(store.display)), ("version", .string(p.version)), ("mode", .string(mode)), ("role", .string(role)),
                ("keys", .int(p.rows)), ("latency_ms", .double((p.latencyMilliseconds * 1000).rounded() / 1000)),
            ])
            if ctx.invocation.output == .json {
                ctx.emit(.object([("endpoint", .string(store.display)), ("mode", .string(mode)), ("nodes", .array([node])), ("ok", .bool(true))]))
            } else {
                ctx.emit(node)
            }
        case .table, .wide:
            var table = Table(
                headers: ["NODE", "VERSION", "MODE", "ROLE", "ROWS", "LATENCY"],
                alignments: [.left, .left, .left, .left, .right, .right])
            table.add([store.display, String(p.version.prefix(40)), mode, role, String(p.rows), formatLatency(p.latencyMilliseconds)])
            ctx.print(table.render(color: ctx.color, headers: !ctx.invocation.noHeaders))
        }
        return .success
    }

    private static func formatLatency(_ ms: Double) -> String {
        let scaled = (ms * 100).rounded() / 100
        return "\(scaled) ms"
    }
}
