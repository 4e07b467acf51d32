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

    /// A thousand keys sampled, a few payloads read: what `detect` would name, when this layout
    /// would miss it: its session keys lie outside this layout's globs, or its ids hold this
    /// layout's separator (Rack's `2::<sha256>`), so mapping keys split into users that end in it.
    public func frameworkHint() throws -> String? {
        let report = try detect(sample: 1000, examples: 3)
        guard let name = report.framework else { return nil }
        let outside = report.sessions.contains { $0.frameworks.first == name && !layout.sessionGlobs.contains(Bytes($0.glob.utf8)) }
        let separator = Array(layout.mapping.separatorText.utf8)
        let splitWrong = report.mappings.contains { m in
            guard let user = layout.mapping.parse(m.example)?.user, user.count > separator.count else { return false }
            return Array(user.suffix(separator.count)) == separator
        }
        return outside || splitWrong ? name : nil
    }

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
