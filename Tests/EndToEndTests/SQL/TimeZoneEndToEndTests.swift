import Foundation
import TestSupport
import XCTest

/// Django's `django_session` on servers in other time zones: Django writes `expire_date` in UTC
/// (naive on MariaDB, with a zone on PostgreSQL). With MariaDB at `--default-time-zone=+09:00`, a
/// row with 2 hours left read as expired: `list` showed it gone and `prune --yes` deleted it, exit 0.
/// Every time is now read and compared in UTC, on both engines, at +09:00 and -05:00.
final class TimeZoneEndToEndTests: XCTestCase {
    nonisolated(unsafe) static var servers: Result<(MariaDBServer, PostgresServer), Error>?

    override class func setUp() {
        servers = Result {
            let my = try MariaDBServer()
            try my.sql(
                "CREATE DATABASE app; CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY 'app-pw'; GRANT ALL ON app.* TO 'app'@'127.0.0.1';"
                    + "CREATE TABLE app.django_session (session_key varchar(40) PRIMARY KEY, session_data longtext NOT NULL, expire_date datetime(6) NOT NULL);"
            )
            let pg = try PostgresServer()
            try pg.psql("CREATE ROLE app LOGIN PASSWORD 'app-pw'")
            try pg.psql("CREATE DATABASE app OWNER app")
            try pg.psql(
                "CREATE TABLE django_session (session_key varchar(40) PRIMARY KEY, session_data text NOT NULL, expire_date timestamp with time zone NOT NULL);"
                    + "ALTER TABLE django_session OWNER TO app;", database: "app")
            return (my, pg)
        }
    }

    override class func tearDown() { servers = nil }

    func testALiveRowIsLiveInEveryTimeZone() throws {
        let (my, pg) = try XCTUnwrap(Self.servers).get()
        for zone in ["+09:00", "-05:00"] {
            // The server's own zone, as an operator's server may have it.
            try my.sql("SET GLOBAL time_zone = '\(zone)'")
            try pg.psql("ALTER DATABASE app SET timezone TO '\(zone == "+09:00" ? "Etc/GMT-9" : "Etc/GMT+5")'")
            // As Django writes them: 2 hours left, and one expired an hour ago, in UTC.
            try my.sql(
                "DELETE FROM app.django_session; INSERT INTO app.django_session VALUES "
                    + "('live', 'e30:1tR5Vg:x', UTC_TIMESTAMP(6) + INTERVAL 2 HOUR), ('dead', 'e30:1tR5Vg:x', UTC_TIMESTAMP(6) - INTERVAL 1 HOUR);")
            try pg.psql(
                "DELETE FROM django_session; INSERT INTO django_session VALUES "
                    + "('live', 'e30:1tR5Vg:x', now() + interval '2 hours'), ('dead', 'e30:1tR5Vg:x', now() - interval '1 hour');", database: "app")
            for (url, env, count) in [
                ("mysql://app@127.0.0.1:\(my.port)/app", ["MYSQL_PWD": "app-pw"], { try my.sql("SELECT session_key FROM app.django_session") }),
                (
                    "postgres://app@127.0.0.1:\(pg.port)/app", ["PGPASSWORD": "app-pw"],
                    { try pg.psql("SELECT session_key FROM django_session", database: "app") }
                ),
            ] as [(String, [String: String], () throws -> String)] {
                let shown = try Sessionctl.run(["--url", url, "show", "live", "dead", "-o", "json"], environment: env)
                let sessions = try XCTUnwrap(try shown.json()["sessions"] as? [[String: Any]], "\(zone) \(url): \(shown)")
                let exists = Dictionary(uniqueKeysWithValues: sessions.map { ($0["session"] as? String ?? "", $0["exists"] as? Bool ?? false) })
                XCTAssertEqual(exists, ["live": true, "dead": false], "\(zone) \(url)")
                let ttl = try XCTUnwrap(sessions.first { $0["session"] as? String == "live" }?["ttl"] as? Int, "\(sessions)")
                XCTAssertTrue((7100...7200).contains(ttl), "2 hours left at \(zone) on \(url): \(ttl)")
                let pruned = try Sessionctl.run(["--url", url, "prune", "--yes", "-o", "json"], environment: env)
                assertExitStatus(pruned, 0)
                let left = try count()
                XCTAssertTrue(left.contains("live"), "the live session stays at \(zone) on \(url): \(pruned)")
                XCTAssertFalse(left.contains("dead"), "the expired one is pruned at \(zone) on \(url): \(pruned)")
            }
        }
    }
}
