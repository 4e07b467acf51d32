import Foundation
import SQLClient
import TestSupport
import XCTest

/// Each engine against a real server (or file): parameters never reach the SQL text, errors are
/// sorted into kinds, deadlines hold, and read-only connections cannot write.
final class SQLConnectionTests: XCTestCase {
    nonisolated(unsafe) static var postgres: PostgresServer?
    nonisolated(unsafe) static var mariadb: MariaDBServer?

    override class func setUp() {
        super.setUp()
        postgres = try? PostgresServer()
        mariadb = try? MariaDBServer()
    }

    override class func tearDown() {
        postgres = nil
        mariadb = nil
        super.tearDown()
    }

    private func pg() throws -> PostgresServer {
        if let s = Self.postgres { return s }
        return try PostgresServer()  // throws the message that says how to install it
    }

    private func my() throws -> MariaDBServer {
        if let s = Self.mariadb { return s }
        return try MariaDBServer()
    }

    /// The three engines with a table holding a hostile id.
    private func connections() throws -> [any SQLConnection] {
        let pg = try pg()
        try pg.psql("DROP TABLE IF EXISTS t; CREATE TABLE t (id varchar(255) PRIMARY KEY, n bigint, body text);")
        let my = try my()
        try my.sql(
            "CREATE DATABASE IF NOT EXISTS app; DROP TABLE IF EXISTS app.t; CREATE TABLE app.t (id varchar(255) PRIMARY KEY, n bigint, body longtext);"
                + "CREATE USER IF NOT EXISTS 'app'@'127.0.0.1' IDENTIFIED BY 'app-secret'; GRANT ALL ON app.* TO 'app'@'127.0.0.1';")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sqlc-\(UUID().uuidString.prefix(6)).db").path
        _ = try PostgresServer.run(["/usr/bin/sqlite3", file, "CREATE TABLE t (id varchar(255) PRIMARY KEY, n integer, body text);"])
        return [
            try openSQL(SQLURL(pg.url())), try openSQL(SQLURL(my.url(user: "app", password: "app-secret", database: "app"))),
            try openSQL(SQLURL("sqlite://" + file)),
        ]
    }

    func testParametersAreDataNotSQL() throws {
        for c in try connections() {
            let hostile = "x'; DROP TABLE t; --"
            XCTAssertEqual(
                try c.execute("INSERT INTO t (id, n, body) VALUES (?, ?, ?)", [.string(hostile), .int(42), .string("a?b")]), 1, "\(c.engine)")
            XCTAssertEqual(try c.execute("INSERT INTO t (id, n, body) VALUES (?, ?, ?)", [.string("plain"), .null, .string("")]), 1)
            let rows = try c.query("SELECT id, n, body FROM t WHERE id = ?", [.string(hostile)])
            XCTAssertEqual(rows.rows.count, 1, "\(c.engine)")
            XCTAssertEqual(rows.rows[0][0].string, hostile)
            XCTAssertEqual(rows.rows[0][1].integer, 42)
            XCTAssertEqual(rows.rows[0][2].string, "a?b")
            let plain = try c.query("SELECT id, n, body FROM t WHERE id = ?", [.string("plain")])
            XCTAssertEqual(plain.rows.first?[1], .null, "\(c.engine)")
            XCTAssertEqual(plain.rows.first?[2].string, "", "empty text is not NULL (\(c.engine))")
            XCTAssertEqual(try c.query("SELECT id FROM t WHERE id = ?", [.string("x' OR '1'='1")]).rows.count, 0, "\(c.engine)")
            XCTAssertEqual(try c.execute("DELETE FROM t WHERE id = ?", [.string("%")]), 0, "\(c.engine)")
            XCTAssertEqual(try c.query("SELECT count(*) FROM t", []).rows.first?[0].integer, 2, "\(c.engine)")
            XCTAssertEqual(try c.columns(of: "t").map(\.name), ["id", "n", "body"], "\(c.engine)")
            XCTAssertTrue(try c.columns(of: "t")[1].isInteger, "\(c.engine)")
            XCTAssertEqual(try c.columns(of: "nope"), [], "\(c.engine)")
            XCTAssertThrowsError(try c.quote("t; DROP TABLE t"), "\(c.engine)")
            XCTAssertThrowsError(try c.query("SELECT missing FROM t", [])) { e in
                XCTAssertEqual((e as? SQLError)?.kind, .missingTable, "\(c.engine): \(e)")
            }
        }
    }

    func testWrongPasswordIsAnAuthenticationError() throws {
        let pg = try pg()
        XCTAssertThrowsError(try openSQL(SQLURL(pg.url(password: "wrong")))) { e in
            XCTAssertEqual((e as? SQLError)?.kind, .authentication, "\(e)")
            XCTAssertFalse("\(e)".contains("wrong"), "the password is never printed")
        }
        let my = try my()
        try my.sql("CREATE USER IF NOT EXISTS 'u2'@'127.0.0.1' IDENTIFIED BY 'right';")
        XCTAssertThrowsError(try openSQL(SQLURL(my.url(user: "u2", password: "wrong", database: "mysql")))) { e in
            XCTAssertEqual((e as? SQLError)?.kind, .authentication, "\(e)")
        }
        var o = SQLOptions()
        o.password = "right"
        XCTAssertNoThrow(try openSQL(SQLURL("mysql://u2:wrong@127.0.0.1:\(my.port)/"), options: o), "a password channel ranks above the URL")
        XCTAssertThrowsError(try openSQL(SQLURL("sqlite:///nonexistent/dir/x.db"))) { e in
            XCTAssertEqual((e as? SQLError)?.kind, .connect, "\(e)")
        }
    }

    func testAServerThatNeverAnswersTimesOut() throws {
        // A socket that accepts connections (the kernel's backlog) but never says a word.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(fd, 8)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        var o = SQLOptions()
        o.connectTimeout = 1
        for url in ["postgres://u:p@127.0.0.1:\(port)/d", "mysql://u:p@127.0.0.1:\(port)/d"] {
            let start = Date()
            XCTAssertThrowsError(try openSQL(SQLURL(url), options: o), url) { e in
                XCTAssertEqual((e as? SQLError)?.kind, .connect, "\(e)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 5, url)
        }
    }

    func testStatementsPastTheirDeadlineAreStopped() throws {
        var o = SQLOptions()
        o.timeout = 1
        let pg = try openSQL(SQLURL(try self.pg().url()), options: o)
        let start = Date()
        XCTAssertThrowsError(try pg.query("SELECT pg_sleep(10)", [])) { e in XCTAssertEqual((e as? SQLError)?.kind, .timeout, "\(e)") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        let my = try self.my()
        try my.sql("CREATE USER IF NOT EXISTS 'u3'@'127.0.0.1' IDENTIFIED BY 'p3';")
        let m = try openSQL(SQLURL(my.url(user: "u3", password: "p3", database: "")), options: o)
        let s2 = Date()
        XCTAssertThrowsError(
            try m.query("SELECT count(*) FROM information_schema.columns a, information_schema.columns b, information_schema.columns c", [])
        ) { e in
            XCTAssertEqual((e as? SQLError)?.kind, .timeout, "\(e)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(s2), 5)
    }

    /// The read-only promise rests on the session, not on a GRANT: each engine is opened as a user
    /// who may write, with read-only requested, and the write is refused; the same user without it
    /// writes (the control that proves the refusal came from the read-only session).
    func testReadOnlyConnectionsCannotWrite() throws {
        var o = SQLOptions()
        o.readOnly = true
        func refused(_ run: () throws -> Int) {
            XCTAssertThrowsError(try run()) { e in XCTAssertEqual((e as? SQLError)?.kind, .permission, "\(e)") }
        }
        let pgServer = try pg()
        try pgServer.psql("CREATE TABLE IF NOT EXISTS ro (id text); INSERT INTO ro VALUES ('a');")
        let pgURL = try SQLURL(pgServer.url())
        let pg = try openSQL(pgURL, options: o)
        refused { try pg.execute("DELETE FROM ro", []) }
        XCTAssertEqual(try openSQL(pgURL).execute("DELETE FROM ro", []), 1, "the same user writes without read-only")

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ro-\(UUID().uuidString.prefix(6)).db").path
        _ = try PostgresServer.run(["/usr/bin/sqlite3", file, "CREATE TABLE ro (id text); INSERT INTO ro VALUES ('a');"])
        let lite = try openSQL(SQLURL("sqlite://" + file), options: o)
        refused { try lite.execute("DELETE FROM ro", []) }
        XCTAssertEqual(try openSQL(SQLURL("sqlite://" + file)).execute("DELETE FROM ro", []), 1, "the file is writable without read-only")

        let my = try self.my()
        try my.sql(
            "CREATE DATABASE IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.ro (id text); INSERT INTO app.ro VALUES ('a');"
                + " CREATE USER IF NOT EXISTS 'writer'@'127.0.0.1' IDENTIFIED BY 'w'; GRANT ALL ON app.* TO 'writer'@'127.0.0.1';")
        let writerURL = try SQLURL(my.url(user: "writer", password: "w", database: "app"))
        let writer = try openSQL(writerURL, options: o)
        refused { try writer.execute("DELETE FROM ro", []) }
        XCTAssertEqual(try openSQL(writerURL).execute("DELETE FROM ro", []), 1, "the writer writes without read-only")
    }
}

/// libpq and Connector/C are loaded when a SQL URL is first used, never at start: a Redis run
/// does not load them (nor Kerberos, LDAP and GnuTLS behind libpq).
final class SQLLibraryLoadingTests: XCTestCase {
    func testTheBinaryDoesNotLinkTheClientLibraries() throws {
        let bin = Sessionctl.binary
        let r = try PostgresServer.run(["/usr/bin/readelf", "-d", bin])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("libhiredis"), "the dynamic section is read: \(r.output.prefix(500))")
        XCTAssertFalse(r.output.contains("libpq"), r.output)
        XCTAssertFalse(r.output.contains("libmariadb"), r.output)
    }
}
