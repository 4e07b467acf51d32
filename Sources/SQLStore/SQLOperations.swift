import SQLClient
import SessionBasics
import SessionCore

extension SQLSessionStore {
    // MARK: list, show

    /// Every session row of each user, with the filter applied.
    public func list(users: [Bytes], details: Bool = false) throws -> ListResult {
        var result = ListResult()
        let now = WallClock.now()
        let (rows, completeness, unknown) = try rows(users: users)
        result.completeness = completeness
        result.refused = unknown
        let order = Dictionary(users.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let records = rows.map { record($0, now: now, details: details) }
            .sorted { a, b in
                // Users in the order named, then sessions by id.
                let x = order[a.ref.user] ?? 0
                let y = order[b.ref.user] ?? 0
                return x != y ? x < y : a.ref.session.lexicographicallyPrecedes(b.ref.session)
            }
        (result.sessions, result.filteredOut) = filter.split(records, now: now)
        return result
    }

    /// Every row the filter keeps, a page at a time in id order (rows that name no user too:
    /// their user is the empty id, anonymous).
    public func hunt(details: Bool, payloadMarkers: [String]? = nil, _ page: (ListResult) throws -> Void) throws -> HuntSummary {
        var summary = HuntSummary(method: "rows", walked: "every row of \(table.name), a page of \(pageSize) at a time")
        let completeness = try eachPage { rows in
            let now = WallClock.now()
            var part = ListResult()
            (part.sessions, part.filteredOut) = filter.split(rows.map { record($0, now: now, details: details || filter.needsPayload) }, now: now)
            summary.examined += rows.count
            summary.matched += part.sessions.count
            try page(part)
        }
        summary.completeness.merge(completeness)
        return summary
    }

    /// A table tells no one of its changes.
    public func changeNotifier(users: [Bytes]) throws -> (notifier: (any ChangeNotifier)?, why: String) {
        (nil, "a table sends no notifications")
    }

    /// Each session row named, in full.
    public func show(sessions ids: [Bytes], user: Bytes? = nil) throws -> ShowResult {
        var result = ShowResult()
        let now = WallClock.now()
        let found = Dictionary(try rows(ids: ids).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for id in ids {
            guard let r = found[id], user == nil || r.user == user else {
                result.notFound.append(id)
                continue
            }
            let rec = record(r, now: now, details: true)
            result.sessions.append(
                SessionDetail(
                    record: rec, type: "row", idleSeconds: rec.idleSeconds,
                    payload: .string(r.payload), decoded: decode(r)))
        }
        return result
    }

    /// Rows already found (a plan's targets), each in full.
    public func details(_ refs: [SessionRef]) throws -> ShowResult {
        try show(sessions: refs.map(\.session))
    }

    // MARK: revoke

    /// The rows of the sessions named (narrowed to `user`), to delete.
    public func planRevoke(sessions ids: [Bytes], user: Bytes? = nil) throws -> RevokePlan {
        var plan = RevokePlan()
        let found = Dictionary(try rows(ids: ids).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let now = WallClock.now()
        var records: [SessionRecord] = []
        for id in ids {
            guard let r = found[id], user == nil || r.user == user else {
                plan.notFound.append(id)
                continue
            }
            records.append(record(r, now: now, details: false))
        }
        let (kept, out) = filter.split(records, now: now)
        plan.targets = kept.map(\.ref)
        plan.filteredOut = out
        return plan
    }

    /// Every session row of each user, to delete (dead rows too: deleting them is harmless and tidy).
    public func planRevoke(users: [Bytes]) throws -> RevokePlan {
        var plan = RevokePlan()
        let now = WallClock.now()
        let (rows, completeness, unknown) = try rows(users: users)
        plan.completeness = completeness
        plan.refused = unknown
        let (kept, out) = filter.split(rows.map { record($0, now: now, details: false) }, now: now)
        plan.targets = kept.map(\.ref)
        plan.filteredOut = out
        let had = Set(rows.compactMap(\.user))
        plan.notFound = users.filter { !had.contains($0) }
        return plan
    }

    /// Deletes the planned rows, a batch at a time, each batch's audit record written first. A row
    /// that was already gone is counted as stale, never as revoked; one that could not be deleted
    /// (a permission error) fails the batch and is reported.
    public func revoke(
        _ plan: RevokePlan, beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void = { _ in },
        afterDeleting: (DeletionOutcome) -> Void = { _ in }
    ) throws -> RevokeResult {
        var result = plan.resultWithoutDeleting(listingTargets: false)
        try deleteRows(plan.targets, extra: nil, &result, beforeDeleting: beforeDeleting, afterDeleting: afterDeleting)
        result.settled(try settle((result.revoked + result.stale).map(\.sessionKey), window: settleWindow))
        return result
    }

    /// Watches the rows of `ids` (just deleted) for `window` seconds: a row an application writes
    /// back is deleted again (``SettleWatch``), with `SELECT … WHERE id IN (…)` and `DELETE`, a
    /// statement per ``batchSize`` ids.
    func settle(_ ids: [Bytes], window: Double) throws -> SettleReport {
        try settle(count: ids.count, window: window) { body in try body(ids) }
    }

    /// The watch over ids given a batch at a time by `each` (`revoke-all` reads them from its spill).
    func settle(count: Int, window: Double, each: (([Bytes]) throws -> Void) throws -> Void) throws -> SettleReport {
        let id = table.schema.idColumn
        let watch = SettleWatch(window: window, count: count, cancellation: cancellation ?? Cancellation(), progress: settleProgress)
        return try watch.run(
            each: each,
            present: { keys, completeness in
                var back: [Bytes] = []
                for chunk in keys.chunked(batchSize) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    do {
                        back += try connection.query("SELECT \(id) FROM \(quotedTable) WHERE \(id) IN (\(marks))", chunk.map { .text($0) }).rows
                            .compactMap { $0.first?.bytes }
                    } catch {
                        completeness.record(PartialFailure(.commandFailed, node: display, cause: (error as? SQLError)?.message ?? "\(error)"))
                        return back
                    }
                }
                return back
            },
            delete: { keys, completeness in
                var done: [Bytes] = []
                for chunk in keys.chunked(batchSize) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                    do {
                        _ = try connection.execute("DELETE FROM \(quotedTable) WHERE \(id) IN (\(marks))", chunk.map { .text($0) })
                        done += chunk
                    } catch {
                        completeness.record(
                            PartialFailure(.deletionFailed, node: display, cause: (error as? SQLError)?.message ?? "\(error)"), times: chunk.count)
                    }
                }
                return done
            })
    }

    /// Deletes rows by id (and `extra`, a condition re-checked at deletion: prune deletes only rows still dead).
    func deleteRows(
        _ targets: [SessionRef], extra: (sql: String, params: [SQLValue])?, _ result: inout RevokeResult,
        beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void, afterDeleting: (DeletionOutcome) -> Void
    ) throws {
        let id = table.schema.idColumn
        for chunk in targets.chunked(batchSize) {
            if cancellation?.isCancelled == true {
                result.completeness.recordInterruption()
                break
            }
            if let stop = Self.writeAhead(chunk, beforeDeleting) {
                result.stoppedBy = stop
                break
            }
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let params = chunk.map { SQLValue.text($0.sessionKey) } + (extra?.params ?? [])
            let present = Set(
                try connection.query("SELECT \(id) FROM \(quotedTable) WHERE \(id) IN (\(marks))", chunk.map { .text($0.sessionKey) })
                    .rows.compactMap { $0.first?.bytes })
            switch Result(catching: { () throws(SQLError) -> Int in
                try connection.execute("DELETE FROM \(quotedTable) WHERE \(id) IN (\(marks))" + (extra.map { " AND " + $0.sql } ?? ""), params)
            }) {
            case .success(let n):
                result.sessionKeysDeleted += n
            case .failure(let e):
                result.failed += chunk
                result.completeness.record(PartialFailure(.deletionFailed, node: display, cause: e.message), times: chunk.count)
                afterDeleting(DeletionOutcome(deleted: [], failed: chunk))
                if e.kind == .permission || e.kind == .connect || e.kind == .timeout { return }
                continue
            }
            // What is still there was not deleted (prune's condition kept it, or something wrote it back).
            let remaining = Set(
                try connection.query("SELECT \(id) FROM \(quotedTable) WHERE \(id) IN (\(marks))", chunk.map { .text($0.sessionKey) })
                    .rows.compactMap { $0.first?.bytes })
            for ref in chunk {
                // A row prune's condition kept (used again since the plan) is not a failure.
                if remaining.contains(ref.sessionKey) {
                    if extra == nil { result.failed.append(ref) }
                } else if present.contains(ref.sessionKey) {
                    result.revoked.append(ref)
                } else {
                    result.stale.append(ref)
                }
            }
            // Prune's condition keeps a row used again since the plan: neither deleted nor failed.
            let failed = extra == nil ? chunk.filter { remaining.contains($0.sessionKey) } : []
            if !failed.isEmpty {
                result.completeness.record(
                    PartialFailure(.deletionFailed, node: display, cause: "row still present after DELETE"), times: failed.count)
            }
            afterDeleting(DeletionOutcome(deleted: chunk.filter { !remaining.contains($0.sessionKey) }, failed: failed))
        }
    }

    /// The audit record of a batch, written before it is deleted; the error that stops the run.
    static func writeAhead(_ chunk: [SessionRef], _ beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void) -> AuditTrailError? {
        do {
            try beforeDeleting(chunk)
            return nil
        } catch {
            return error
        }
    }

    // MARK: users, audit, prune

    /// Live sessions per user: a `GROUP BY` over the indexed column (Laravel), or one pass decoding every row (Django).
    /// Rows are the sessions themselves (those past the lifetime left out), so `live` changes nothing.
    public func users(sort: UserSort = .count, minimum: Int = 1, top: Int? = nil, live: Bool = false) throws -> UsersResult {
        var completeness = Completeness()
        let tally = UserTally(memory, cancellation: cancellation)
        let now = WallClock.now()
        switch table.schema {
        case .laravel:
            // Counted by the server; the rows (one a user) come back in pages of the client library.
            let r = try connection.query(
                "SELECT user_id, count(*) FROM \(quotedTable) WHERE user_id IS NOT NULL AND last_activity > ? GROUP BY user_id",
                [.int(Int64(now) - lifetime)])
            for v in r.rows { if let u = v[0].bytes { try tally.add(user: u, count: Int(v[1].integer ?? 0)) } }
        case .django:
            var unknown = 0
            completeness = try eachRow { r in
                if r.undecodable != nil { unknown += 1 }
                if let u = r.user, (remaining(r, now: now) ?? 1) > 0 { try tally.add(user: u, key: r.id) }
            }
            if unknown > 0 {
                completeness.record(
                    PartialFailure(.undecodable, node: display, cause: "session data that does not decode: not counted for any user"), times: unknown)
            }
        }
        return UsersResult(ranking: try tally.ranking(sort: sort, minimum: minimum, top: top), completeness: completeness)
    }

    /// One pass over the table: live sessions, distinct users, anonymous sessions, sessions the
    /// framework no longer accepts, payloads that do not decode, TTL buckets and the top users.
    public func audit(top: Int = 10, examples: Int = 3) throws -> KeyspaceReport {
        var report = KeyspaceReport()
        report.applicable = [.liveSessions, .users, .anonymousSessions, .expiredSessions, .undecodablePayloads]
        let perUser = UserTally(memory, cancellation: cancellation)
        let now = WallClock.now()
        report.completeness = try eachRow { r in
            let ttl = remaining(r, now: now) ?? 1
            if ttl <= 0 {
                report.note(.expiredSessions, r.id, examples: examples)
                return
            }
            report.counts[.liveSessions, default: 0] += 1
            report.bucket(ttlSeconds: ttl)
            // Data that does not decode is counted apart: its user is unknown, never "anonymous".
            if r.undecodable != nil {
                report.note(.undecodablePayloads, r.id, examples: examples)
                return
            }
            guard let u = r.user else {
                report.note(.anonymousSessions, r.id, examples: examples)
                return
            }
            try perUser.add(user: u, key: r.id)
        }
        let ranking = try perUser.ranking(sort: .count, top: top)
        report.topUsers = try ranking.prefix(top)
        report.counts[.users] = ranking.distinctUsers ?? 0
        return report
    }

    /// The rows the framework no longer accepts, to delete.
    public func planPrune() throws -> RevokePlan {
        var plan = RevokePlan()
        let now = WallClock.now()
        plan.completeness = try eachRow { r in
            if let ttl = remaining(r, now: now), ttl <= 0 { plan.targets.append(ref(r)) }
        }
        return plan
    }

    /// Deletes the dead rows in batches; each `DELETE` re-checks that the row is still dead, so a
    /// session used again since the plan is kept (and reported as not deleted, without failing).
    public func prune(
        _ plan: RevokePlan, grace: Double = 0, waiting: (Double) -> Void = { _ in },
        beforeDeleting: ([SessionRef]) throws(AuditTrailError) -> Void = { _ in },
        afterDeleting: (DeletionOutcome) -> Void = { _ in }
    ) throws -> RevokeResult {
        var result = plan.resultWithoutDeleting(listingTargets: false)
        let now = Int64(WallClock.now())
        let still: (sql: String, params: [SQLValue])
        switch table.schema {
        case .laravel: still = ("last_activity <= ?", [.int(now - lifetime)])
        case .django:
            switch connection.engine {
            case .postgres: still = ("expire_date <= to_timestamp(?)", [.int(now)])
            case .mysql: still = ("expire_date <= FROM_UNIXTIME(?)", [.int(now)])
            case .sqlite: still = ("CAST(strftime('%s', expire_date) AS INTEGER) <= ?", [.int(now)])
            }
        }
        // Rows used again since the plan are kept by the condition, and are not failures; a DELETE
        // the server refused is one (recorded by deleteRows, on top of the plan's completeness).
        try deleteRows(plan.targets, extra: still, &result, beforeDeleting: beforeDeleting, afterDeleting: afterDeleting)
        return result
    }
}
