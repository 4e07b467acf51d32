import SQLClient
import SessionBasics
import SessionCore

extension SQLSessionStore: SessionBackend {
    public var auditTarget: AuditTrail.Target {
        AuditTrail.Target(
            kind: configuration.engine, endpoint: display + "/" + table.name, address: configuration.address, database: configuration.database,
            table: table.name, cluster: false, tls: tls)
    }

    public var hasIndex: Bool { false }

    public var readsResetIdleTimes: Bool { false }

    public var revokeAllScope: String { "every row of the table \(table.name)" }

    public var confirmationHost: String { host }

    public func sizeDescription() -> String {
        let n = (try? connection.query("SELECT count(*) FROM \(quotedTable)", []))?.rows.first?.first?.integer
        return n.map { "\($0) rows" } ?? "rows not counted"
    }

    /// A table keeps one row per session: no key templates, no index, no payload scans.
    public var capabilities: StoreCapabilities { [] }

    public func lacking(_ feature: String) -> String {
        "\(feature) works on Redis stores; a SQL table keeps one row per session (users by \(table.schema == .laravel ? "its user_id column" : "the decoded _auth_user_id"))"
    }

    public func listByPayloads(users: [Bytes], markers: [String]) throws -> ListResult {
        throw SQLStoreError(lacking("--scan-payloads"), usage: true)
    }

    public func auditStream(key: Bytes) -> (any AuditSink)? { nil }

    /// A table's schema names its framework already.
    public func frameworkHint() throws -> String? { nil }

    public func deleteProbeSessions(_ ids: [Bytes]) throws -> ProbeCleanup {
        var out = ProbeCleanup()
        let found = try rows(ids: ids)
        for id in ids where !found.contains(where: { $0.id == id }) { out.kept.append((id, "no such row")) }
        let payloadColumn = table.schema == .laravel ? "payload" : "session_data"
        for r in found {
            guard r.user == nil, r.undecodable == nil else {
                out.kept.append((r.id, r.undecodable != nil ? "its data does not decode" : "it belongs to a user"))
                continue
            }
            // Deleted only as it was read: a row changed since (it cannot be: only this run holds its cookie) is kept.
            do {
                let n = try connection.execute(
                    "DELETE FROM \(quotedTable) WHERE \(table.schema.idColumn) = ? AND \(payloadColumn) = ?", [.text(r.id), .text(r.payload)])
                if n == 1 { out.deleted += 1 } else { out.kept.append((r.id, "changed since it was read")) }
            } catch {
                out.completeness.record(PartialFailure(.deletionFailed, node: display, cause: "a session --verify-url started: \(error.message)"))
            }
        }
        return out
    }
}

extension SQLSessionStore {
    /// A table's rows are the sessions: the plan's targets are what would be revoked.
    public func dryRun(_ plan: RevokePlan) throws -> RevokeResult { plan.resultWithoutDeleting(listingTargets: true) }
}
