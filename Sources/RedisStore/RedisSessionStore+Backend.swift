import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore: SessionBackend {
    public var auditTarget: AuditTrail.Target {
        AuditTrail.Target(
            kind: "redis", endpoint: keyspace.endpoint.description, database: String(keyspace.options.database),
            cluster: keyspace.isCluster, tls: keyspace.options.tls != nil)
    }

    public var hasIndex: Bool { index != nil }

    public var readsResetIdleTimes: Bool { keyspace.readsTouchKeys }

    /// Everything the CLI's tables name: keys are named by templates, and sessions can be found by scanning.
    public var capabilities: StoreCapabilities { [.keyLayout, .index, .payloadScan, .auditStream, .cluster, .replicas, .detect] }

    public func lacking(_ feature: String) -> String { "\(feature) does not work on this Redis store" }

    public func auditStream(key: Bytes) -> (any AuditSink)? { AuditStream(keyspace: keyspace, key: key) }

    /// A thousand keys sampled, a few payloads read: what `detect` would name, when this layout
    /// would miss it: its session keys lie outside this layout's globs, or its ids hold this
    /// layout's separator (Rack's `2::<sha256>`), so mapping keys split into users that end in it.
    public func deleteProbeSessions(_ ids: [Bytes]) throws -> ProbeCleanup {
        var out = ProbeCleanup()
        guard let template = configuration.sessionKeyOfId else {
            for id in ids { out.kept.append((id, "the key of a session without a mapping is not known without a preset")) }
            return out
        }
        var keys: [(id: Bytes, key: Bytes)] = []
        for id in ids {
            guard let key = template.render([.session: id]), layout.isSessionKey(key) else {
                out.kept.append((id, "its key is outside --session-glob"))
                continue
            }
            if let shape = layout.shape, !shape.matchesId(id) {
                out.kept.append((id, "not a session: the preset's sessions are \(shape.described)"))
                continue
            }
            keys.append((id, key))
        }
        let limit = Bytes(String(max(maxPayload, 1) - 1).utf8)
        let replies = try batched(keys, completeness: &out.completeness) { [[Verb.getrange, $0.key, Verb.zero, limit]] }
        var doomed: [(id: Bytes, key: Bytes)] = []
        for (k, reply) in zip(keys, replies) {
            guard case .bulk(let b)? = out.completeness.value(of: reply[0]), !b.isEmpty else {
                out.kept.append((k.id, "no such key"))
                continue
            }
            guard let v = payloadReader.decode(b).value else {
                out.kept.append((k.id, "its data does not decode"))
                continue
            }
            if fieldPaths.extract(from: v).user != nil {
                out.kept.append((k.id, "it belongs to a user"))
                continue
            }
            doomed.append(k)
        }
        let deleted = try batched(doomed, completeness: &out.completeness) { [[Verb.unlink, $0.key]] }
        for (k, reply) in zip(doomed, deleted) {
            if out.completeness.value(of: reply[0])?.integer == 1 { out.deleted += 1 } else { out.kept.append((k.id, "gone before it was deleted")) }
        }
        return out
    }

    public func frameworkHint() throws -> String? {
        // detect's own sample: a smaller one can miss every mapping where unmapped sessions outnumber them.
        let report = try detect(sample: 5000, examples: 5)
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
