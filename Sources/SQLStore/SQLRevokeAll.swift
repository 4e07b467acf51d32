import SQLClient
import SessionBasics
import SessionCore

extension SQLSessionStore {
    /// Ends every session of the table that `filter` keeps (after a leaked secret): a page of rows at
    /// a time in id order, each page's audit record written ahead, then `DELETE … WHERE id IN (…)` in
    /// statements of ``batchSize``; counts are the rows the server deleted. Anonymous rows and rows
    /// the framework no longer accepts are sessions too (a cookie may still name them). Stops between
    /// pages on Ctrl-C. Memory: one page.
    public func revokeAll(
        filter: SessionFilter, dryRun: Bool,
        beforeDeleting: ([Bytes]) throws(AuditTrailError) -> Void = { _ in },
        afterPage: (RevokeAllResult) -> Void = { _ in }
    ) throws -> RevokeAllResult {
        var result = RevokeAllResult()
        // The ids deleted, for the watch after: on disk past a share of --memory-limit.
        let watch = settleWindow > 0 && !dryRun ? ExternalSorter(memory, share: 0.5, cancellation: cancellation) : nil
        // Before the first deletion: the watch's spill directory is made and written to.
        if let watch { try watch.prepare() }
        var watching = watch
        let now = WallClock.now()
        let id = table.schema.idColumn
        struct Stop: Error {}
        do {
            result.completeness = try eachPage(requestInfo: filter.ip != nil) { page in
                result.sessions += page.count
                var doomed: [Bytes] = []
                for r in page {
                    let rec = record(r, now: now, details: filter.needsPayload)
                    switch filter.verdict(session: r.id, idle: rec.idleSeconds, ttl: remaining(r, now: now), fields: rec.fields, now: now) {
                    case .keep: doomed.append(r.id)
                    case .drop(let why):
                        result.kept += 1
                        if result.keptExamples.count < 5 { result.keptExamples.append((r.id, why)) }
                    case .unknown(let why):
                        result.undecided += 1
                        if result.keptExamples.count < 5 { result.keptExamples.append((r.id, why)) }
                    }
                }
                defer { afterPage(result) }
                if doomed.isEmpty { return }
                for k in doomed.prefix(max(0, 5 - result.examples.count)) { result.examples.append(k) }
                if dryRun {
                    result.revoked += doomed.count
                    return
                }
                if let stop = Self.writeAhead(
                    doomed.map { SessionRef(user: [], session: $0, mappingKey: [], sessionKey: $0) },
                    { refs throws(AuditTrailError) in
                        try beforeDeleting(refs.map(\.sessionKey))
                    })
                {
                    result.stoppedBy = stop
                    throw Stop()
                }
                for chunk in doomed.chunked(batchSize) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    switch Result(catching: { () throws(SQLError) -> Int in
                        try connection.execute("DELETE FROM \(quotedTable) WHERE \(id) IN (\(marks))", chunk.map { .text($0) })
                    }) {
                    case .success(let n):
                        result.sessionKeysDeleted += n
                        result.revoked += n
                        do {
                            for key in chunk { try watching?.add(key) }
                        } catch let e as SpillError where !e.interrupted {
                            // Like Ctrl-C: no page more is deleted, and what was deleted cannot be watched.
                            watching = nil
                            result.completeness.record(
                                PartialFailure(
                                    .spillFailed, node: display,
                                    cause: "the watch's spill failed (\(e)) after \(result.revoked) sessions were revoked; no page more was deleted"))
                            throw Stop()
                        }
                    case .failure(let e):
                        // A refusal (a read-only user) or a lost connection: stop, and say what was done.
                        result.completeness.record(PartialFailure(.deletionFailed, node: display, cause: e.message), times: chunk.count)
                        throw Stop()
                    }
                }
            }
        } catch is Stop {
        } catch let e as SQLError where result.sessions > 0 {
            // Refused or lost after pages were revoked: what was done is reported, and the run is incomplete.
            result.completeness.record(PartialFailure(.commandFailed, node: display, cause: e.message))
        }
        if result.undecided > 0 {
            // The filters could not judge these (a field they need is unknown): kept, and the run is not complete.
            result.completeness.record(
                PartialFailure(.undecodable, node: display, cause: "sessions the filters cannot judge (a field they need is unknown): kept"),
                times: result.undecided)
        }
        if let watch = watching, watch.count > 0, !result.completeness.interrupted {
            result.settling = true
            afterPage(result)
            result.settle = try settle(count: watch.count, window: settleWindow) { body in try watch.batches(of: batchSize, body) }
            result.completeness.merge(result.settle.completeness)
        }
        return result
    }
}

extension SQLSessionStore {
    /// What `ping` reports of a database: the server's version, the rows of the sessions table, and
    /// the round trip of one statement.
    public func ping() throws -> (version: String, rows: Int64, latencyMilliseconds: Double) {
        let start = WallClock.now()
        let v = try connection.query(connection.engine == .sqlite ? "SELECT sqlite_version()" : "SELECT version()", [])
        let latency = (WallClock.now() - start) * 1000
        let rows = try connection.query("SELECT count(*) FROM \(quotedTable)", []).rows.first?.first?.integer ?? 0
        return (v.rows.first?.first?.string ?? "?", rows, latency)
    }
}
