import SQLClient
import XCTest

/// Database URLs: every engine's shape, percent-escapes, passwords kept apart, bad input.
final class SQLURLTests: XCTestCase {
    func testShapes() throws {
        let pg = try SQLURL("postgres://app:p%40ss@db.internal:6543/sessions?sslmode=verify-full&sslrootcert=/ca.pem")
        XCTAssertEqual(pg.engine, .postgres)
        XCTAssertEqual(pg.user, "app")
        XCTAssertEqual(pg.password, "p@ss")
        XCTAssertEqual(pg.host, "db.internal")
        XCTAssertEqual(pg.port, 6543)
        XCTAssertEqual(pg.database, "sessions")
        XCTAssertEqual(pg.parameter("sslmode"), "verify-full")
        XCTAssertFalse(pg.display.contains("p@ss"))
        let my = try SQLURL("mysql://root@[::1]:3307/app")
        XCTAssertEqual(my.engine, .mysql)
        XCTAssertEqual(my.host, "::1")
        XCTAssertEqual(my.port, 3307)
        XCTAssertNil(my.password)
        let lite = try SQLURL("sqlite:///var/lib/app/db.sqlite3")
        XCTAssertEqual(lite.engine, .sqlite)
        XCTAssertEqual(lite.path, "/var/lib/app/db.sqlite3")
        XCTAssertEqual(try SQLURL("postgresql://h/d").engine, .postgres)
        XCTAssertEqual(try SQLURL("mariadb://h/d").engine, .mysql)
        XCTAssertTrue(SQLURL.isSQL("postgres://x"))
        XCTAssertFalse(SQLURL.isSQL("redis://x"))
        XCTAssertEqual(SQLURL.redact("postgres://app:secret@h/db"), "postgres://app:***@h/db")
    }

    func testBadURLs() {
        for bad in ["postgres://h:99999/d", "postgres://h:x/d", "oracle://h/d", "sqlite://", "postgres://h/d%zz", "postgres://h/%00", "nourl"] {
            XCTAssertThrowsError(try SQLURL(bad), bad) { error in
                XCTAssertEqual((error as? SQLError)?.kind, .usage, bad)
            }
        }
    }
}
