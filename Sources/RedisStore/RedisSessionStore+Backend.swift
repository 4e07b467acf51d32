import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore: SessionBackend {
    public var auditTarget: AuditTrail.Target {
        AuditTrail.Target(
            endpoint: keyspace.endpoint.description, database: keyspace.options.database,
            cluster: keyspace.isCluster, tls: keyspace.options.tls != nil)
    }

    public var hasIndex: Bool { index != nil }

    /// Everything the CLI's tables name: keys are named by templates, and sessions can be found by scanning.
    public var capabilities: StoreCapabilities { [.keyLayout, .index, .payloadScan, .auditStream, .cluster, .replicas, .detect] }

    public func lacking(_ feature: String) -> String { "\(feature) does not work on this Redis store" }

    public func auditStream(key: Bytes) -> (any AuditSink)? { AuditStream(keyspace: keyspace, key: key) }

    public var revokeAllScope: String {
        "every session under " + layout.sessionGlobs.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
    }

    public var confirmationHost: String {
        switch keyspace.endpoint.address {
        case .tcp(let h, _): return h
        case .unix(let path): return path
        }
    }

    public func sizeDescription() -> String { "\(keyspace.totalKeys()) keys on the server" }
}
