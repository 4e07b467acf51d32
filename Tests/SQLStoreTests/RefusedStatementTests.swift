import Foundation
import SQLClient
import SQLStore
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// Rule 14 on the SQL store: a statement the server refuses, in every operation, never ends in a
/// complete result. A refused `DELETE` is recorded and the run is incomplete; a refused read either
/// stops the run with the server's error (which the CLI maps to its exit status) or, after work was
/// done, makes the result incomplete. Each case connects as a PostgreSQL role that may not do one
/// thing; no row may be lost.
final class RefusedStatementTests: XCTestCase {
    nonisolated(unsafe) private static var server: PostgresServer!

    override class func setUp() {
        super.setUp()
        do {
            server = try PostgresServer()
            let now = Int(Date().timeIntervalSince1970)
            var rows: [String] = []
            for (user, ids) in [(1, ["a1", "a2", "a3"]), (2, ["b1"]), (3, ["c1", "c2"])] {
                for id in ids { rows.append("('\(id)', \(user), '10.1.2.3', 'ua', 'YTowOnt9', \(now - 5))") }
            }
            rows.append("('dead', 4, '10.1.2.3', 'ua', 'YTowOnt9', \(now - 90_000))")
            // Rows ordered so that the refused one comes on a later page than the first.
            let mid =
                (0..<12).map { "('m\(String(format: "%02d", $0))', 5, '10.1.2.3', 'ua', 'YTowOnt9', \(now - 5))" } + [
                    "('z9', 5, '10.1.2.3', 'ua', 'YTowOnt9', \(now - 5))"
                ]
            try server.psql(
                """
                CREATE TABLE sessions (id varchar(255) PRIMARY KEY, user_id bigint, ip_address varchar(45), user_agent text, payload text NOT NULL, last_activity integer NOT NULL);
                INSERT INTO sessions VALUES \(rows.joined(separator: ", "));
                CREATE TABLE sessions_mid (LIKE sessions INCLUDING ALL);
                INSERT INTO sessions_mid VALUES \(mid.joined(separator: ", "));
                CREATE FUNCTION refuse_z9(id text) RETURNS boolean LANGUAGE plpgsql AS $$
                  BEGIN IF id = 'z9' THEN RAISE EXCEPTION 'permission denied for row %', id USING ERRCODE = '42501'; END IF; RETURN true; END $$;
                ALTER TABLE sessions_mid ENABLE ROW LEVEL SECURITY;
                CREATE POLICY mid ON sessions_mid USING (refuse_z9(id));
                CREATE ROLE nodelete LOGIN PASSWORD 'pw';
                GRANT SELECT ON sessions TO nodelete;
                CREATE ROLE noread LOGIN PASSWORD 'pw';
                GRANT SELECT (id) ON sessions TO noread;
                GRANT UPDATE, DELETE ON sessions TO noread;
                CREATE ROLE midread LOGIN PASSWORD 'pw';
                GRANT SELECT, DELETE ON sessions_mid TO midread;
                """)
        } catch {
            XCTFail("cannot start PostgreSQL: \(error)")
        }
    }

    override class func tearDown() {
        server = nil
        super.tearDown()
    }

    private func store(_ role: String, table: String = "sessions") throws -> SQLSessionStore {
        let c = try openSQL(SQLURL(Self.server.url(user: role, password: "pw")))
        let t = try SQLSessionTable.locate(c, name: table, prefer: .laravel)
        var configuration = SQLSessionStore.Configuration()
        configuration.pageSize = 4
        configuration.batchSize = 2
        return try SQLSessionStore(connection: c, table: t, display: "postgres://127.0.0.1/\(table)", tls: false, configuration: configuration)
    }

    private func count(_ table: String = "sessions") throws -> String {
        try Self.server.psql("SELECT count(*) FROM \(table)").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The operation either ends in an incomplete result or stops with a refusal the CLI maps to exit 1.
    private func assertNotComplete(
        _ operation: String, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Completeness
    ) {
        do {
            let c = try body()
            XCTAssertFalse(c.isComplete, "\(operation): a refused statement, and a complete result", file: file, line: line)
            XCTAssertTrue(c.failures.contains { $0.cause.contains("permission denied") }, "\(operation): \(c.failures)", file: file, line: line)
        } catch let e as SQLError {
            XCTAssertEqual(e.failureClass, .failure, "\(operation): \(e)", file: file, line: line)
            XCTAssertTrue(e.message.contains("permission denied"), "\(operation): \(e)", file: file, line: line)
        } catch {
            XCTFail("\(operation): \(error)", file: file, line: line)
        }
    }

    func testRevocationsWhoseDeletesAreRefused() throws {
        let before = try count()
        let s = try store("nodelete")
        assertNotComplete("revoke") { try s.revoke(try s.planRevoke(sessions: [Bytes("a1".utf8)])).completeness }
        assertNotComplete("revoke-user") { try s.revoke(try s.planRevoke(users: [Bytes("1".utf8)])).completeness }
        assertNotComplete("revoke-all") { try s.revokeAll(filter: SessionFilter(), dryRun: false).completeness }
        assertNotComplete("prune") {
            let plan = try s.planPrune()
            XCTAssertEqual(plan.targets.map(\.session), [Bytes("dead".utf8)])
            return try s.prune(plan).completeness
        }
        // Nothing refused is called revoked.
        let r = try s.revoke(try s.planRevoke(users: [Bytes("3".utf8)]))
        XCTAssertTrue(r.revoked.isEmpty, "\(r.revoked)")
        XCTAssertEqual(r.failed.count, 2)
        XCTAssertEqual(try count(), before, "no row was deleted")
    }

    func testReadsThatAreRefused() throws {
        let s = try store("noread")
        assertNotComplete("list") { try s.list(users: [Bytes("1".utf8)]).completeness }
        assertNotComplete("show") {
            _ = try s.show(sessions: [Bytes("a1".utf8)])
            return Completeness()
        }
        assertNotComplete("users") { try s.users().completeness }
        assertNotComplete("audit") { try s.audit().completeness }
        assertNotComplete("snapshot (diff)") { try s.snapshot { _ in } }
        assertNotComplete("revoke-user (plan)") { try s.planRevoke(users: [Bytes("1".utf8)]).completeness }
        assertNotComplete("prune (plan)") { try s.planPrune().completeness }
        assertNotComplete("revoke-all") { try s.revokeAll(filter: SessionFilter(), dryRun: false).completeness }
        XCTAssertEqual(try count(), "7", "no row was deleted")
    }

    /// The server refuses a row on the fourth page, after three pages were read (and, for revoke-all,
    /// deleted): the run does not end as if the table had no more rows.
    func testARefusalMidRun() throws {
        let s = try store("midread", table: "sessions_mid")
        var pages = 0
        assertNotComplete("snapshot") { try s.snapshot { _ in pages += 1 } }
        XCTAssertGreaterThan(pages, 0, "the refusal came after the first pages")
        assertNotComplete("users") { try s.users().completeness }
        assertNotComplete("audit") { try s.audit().completeness }
        assertNotComplete("list") { try s.list(users: [Bytes("5".utf8)]).completeness }
        var deleted = 0
        assertNotComplete("revoke-all") {
            let r = try s.revokeAll(filter: SessionFilter(), dryRun: false)
            deleted = r.revoked
            return r.completeness
        }
        XCTAssertGreaterThan(deleted, 0, "the pages before the refusal were revoked, and the result says so")
        XCTAssertEqual(try count("sessions_mid"), String(13 - deleted), "what is gone is what the result counts")
    }
}
