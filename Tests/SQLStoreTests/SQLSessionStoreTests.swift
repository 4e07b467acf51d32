import Foundation
import SQLClient
import SQLStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// The SQL store on a SQLite file with Laravel's columns: order, lifetime, filters, what a
/// revocation reports when rows vanish, and a table that is not a sessions table.
final class SQLSessionStoreTests: XCTestCase {
    private func table(
        _ rows: [(id: String, user: Int?, idle: Int)],
        configure: (inout SQLSessionStore.Configuration) -> Void = { _ in }
    ) throws -> (SQLSessionStore, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString.prefix(6)).db").path
        let now = Int(Date().timeIntervalSince1970)
        let values = rows.map { "('\($0.id)', \($0.user.map(String.init) ?? "NULL"), '10.1.2.3', 'ua', 'YTowOnt9', \(now - $0.idle))" }.joined(
            separator: ", ")
        let r = try PostgresServer.run([
            "/usr/bin/sqlite3", path,
            """
            CREATE TABLE sessions (id varchar(255) PRIMARY KEY, user_id integer, ip_address varchar(45), user_agent text, payload text NOT NULL, last_activity integer NOT NULL);
            INSERT INTO sessions VALUES \(values);
            """,
        ])
        XCTAssertEqual(r.status, 0, r.output)
        return (try open(path, configure: configure), path)
    }

    /// A store on the table at `path`, configured by `configure`.
    private func open(_ path: String, configure: (inout SQLSessionStore.Configuration) -> Void = { _ in }) throws -> SQLSessionStore {
        let c = try openSQL(SQLURL("sqlite://" + path))
        let t = try SQLSessionTable.locate(c, name: nil, prefer: nil)
        XCTAssertEqual(t.schema, .laravel)
        XCTAssertTrue(t.integerUsers)
        var configuration = SQLSessionStore.Configuration()
        configure(&configuration)
        return try SQLSessionStore(connection: c, table: t, display: path, tls: false, configuration: configuration)
    }

    func testListOrdersUsersAsNamedThenSessionsAndKnowsTheLifetime() throws {
        let (store, path) = try table([("b2", 2, 10), ("a2", 2, 20), ("z1", 1, 30), ("old", 1, 9000), ("anon", nil, 5)])
        let listed = try store.list(users: [Array("2".utf8), Array("1".utf8), Array("x'--".utf8)])
        XCTAssertEqual(listed.sessions.map { String(decoding: $0.ref.session, as: UTF8.self) }, ["a2", "b2", "old", "z1"])
        let old = try XCTUnwrap(listed.sessions.first { $0.ref.session == Array("old".utf8) })
        XCTAssertFalse(old.exists, "idle past the 120-minute lifetime: dead to Laravel")
        XCTAssertNil(old.ttl)
        XCTAssertGreaterThan(try XCTUnwrap(listed.sessions.first?.ttl), 7000)
        XCTAssertNil(listed.sessions.first?.ref.mappingKey.first, "no mapping key")
        // A filter: idle over 15s keeps a2 and z1 (and the dead row) out of b2.
        let filtered = try open(path) { $0.filter.idleOver = 15 }.list(users: [Array("2".utf8)])
        XCTAssertEqual(filtered.sessions.map { String(decoding: $0.ref.session, as: UTF8.self) }, ["a2"])
        XCTAssertEqual(filtered.filteredOut.map { String(decoding: $0.ref.session, as: UTF8.self) }, ["b2"])
        // users and audit.
        XCTAssertEqual(try store.users().all().map { "\(String(decoding: $0.user, as: UTF8.self))=\($0.sessions)" }, ["2=2", "1=1"])
        let audit = try store.audit()
        XCTAssertEqual(audit.counts[.liveSessions], 4)
        XCTAssertEqual(audit.counts[.expiredSessions], 1)
        XCTAssertEqual(audit.counts[.anonymousSessions], 1)
        XCTAssertEqual(audit.counts[.users], 2)
    }

    func testARowWrittenBackWhileSettlingIsDeletedAgain() throws {
        let (store, path) = try table([("w1", 7, 1), ("w2", 7, 1)]) { $0.settleWindow = 0.6 }
        let plan = try store.planRevoke(users: [Array("7".utf8)])
        // An application request in flight inserts w1 again after the DELETE.
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            usleep(250_000)
            _ = try? PostgresServer.run(["/usr/bin/sqlite3", path, "INSERT INTO sessions VALUES ('w1', 7, '10.1.2.3', 'ua', 'YTowOnt9', 0)"])
            done.signal()
        }
        let result = try store.revoke(plan)
        done.wait()
        XCTAssertEqual(result.settle.writtenBack, [Array("w1".utf8)])
        XCTAssertEqual(result.revoked.count, 2)
        XCTAssertTrue(result.completeness.isComplete)
        XCTAssertEqual(
            try PostgresServer.run(["/usr/bin/sqlite3", path, "SELECT count(*) FROM sessions"]).output.trimmingCharacters(
                in: .whitespacesAndNewlines), "0")
    }

    func testARowGoneBeforeTheDeleteIsStaleNotRevoked() throws {
        let (store, path) = try table([("s1", 5, 1), ("s2", 5, 1)])
        let plan = try store.planRevoke(users: [Array("5".utf8)])
        XCTAssertEqual(plan.targets.count, 2)
        // Another client logs one out between the plan and the deletion.
        XCTAssertEqual(try PostgresServer.run(["/usr/bin/sqlite3", path, "DELETE FROM sessions WHERE id = 's2'"]).status, 0)
        let result = try store.revoke(plan)
        XCTAssertEqual(result.revoked.map(\.session), [Array("s1".utf8)])
        XCTAssertEqual(result.stale.map(\.session), [Array("s2".utf8)])
        XCTAssertEqual(result.sessionKeysDeleted, 1)
        XCTAssertTrue(result.completeness.isComplete)
    }

    func testATableWithoutTheColumnsIsRefusedNamingThem() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString.prefix(6)).db").path
        _ = try PostgresServer.run(["/usr/bin/sqlite3", path, "CREATE TABLE sessions (id text, payload text, user_id integer);"])
        let c = try openSQL(SQLURL("sqlite://" + path))
        XCTAssertThrowsError(try SQLSessionTable.locate(c, name: nil, prefer: nil)) { e in
            XCTAssertTrue("\(e)".contains("lacks ip_address, user_agent, last_activity"), "\(e)")
        }
        XCTAssertThrowsError(try SQLSessionTable.locate(c, name: "nosuch", prefer: nil)) { e in
            XCTAssertTrue("\(e)".contains("no table 'nosuch'"), "\(e)")
        }
    }
}
