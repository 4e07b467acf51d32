import SQLClient
import SessionBasics
import SessionCore

extension SQLSessionStore {
    /// Every row of a user (anonymous rows and rows the framework no longer accepts are left out),
    /// a page at a time in id order.
    public func snapshot(_ body: ([SnapshotEntry]) throws -> Void) throws -> Completeness {
        let now = WallClock.now()
        var page: [SnapshotEntry] = []
        let c = try eachRow(requestInfo: false) { r in
            guard let u = r.user, (remaining(r, now: now) ?? 1) > 0 else { return }
            page.append(SnapshotEntry(user: u, session: r.id, digest: SessionDigest.of(decode(r), raw: r.payload)))
            if page.count >= batchSize {
                try body(page)
                page.removeAll(keepingCapacity: true)
            }
        }
        if !page.isEmpty { try body(page) }
        return c
    }
}
