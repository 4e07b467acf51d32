import Foundation
import TestSupport
import XCTest

/// A real app whose sessions are rows of a SQL table, and the sessionctl invocations that reach
/// that table: the same story for every app and engine, each revocation proven by asking the app.
final class SQLAppScenario: @unchecked Sendable {
    let app: WebApp
    /// The table's URL, without a password (it goes in `environment`).
    let url: String
    let framework: String
    var environment: [String: String]
    var options: [String] = []
    /// Runs SQL as the database's administrator (for checks and for ageing rows), returning its output.
    let admin: (String) throws -> String
    /// The table's name.
    let table: String

    init(app: WebApp, url: String, framework: String, environment: [String: String], table: String, admin: @escaping (String) throws -> String) {
        self.app = app
        self.url = url
        self.framework = framework
        self.environment = environment
        self.table = table
        self.admin = admin
    }

    /// sessionctl with the URL, the framework and the scenario's options.
    func run(_ args: [String], url: String? = nil, extraEnvironment: [String: String] = [:]) throws -> Sessionctl.Run {
        try Sessionctl.run(
            ["--url", url ?? self.url, "--framework", framework] + options + args,
            environment: environment.merging(extraEnvironment) { _, b in b })
    }

    /// The `list -o json` sessions of `user`.
    func sessions(of user: String, wide: Bool = false) throws -> [[String: Any]] {
        let r = try run(["list", "-o", "json"] + (wide ? ["--framework", framework, "-o", "json"] : []) + ["--", user])
        XCTAssertEqual(r.status, 0, "\(r)")
        return (try r.json()["sessions"] as? [[String: Any]]) ?? []
    }

    /// Rows in the table, by the administrator.
    func rowCount() throws -> Int {
        Int(try admin("SELECT count(*) FROM \(table)").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The story every SQL-backed app is told: list, wide fields, users, show, dry run, revoke-user
    /// with --except, revoke, audit, prune of aged rows, an id full of SQL — each step checked
    /// against the app over HTTP and against the table by the administrator.
    func story(age: (String) -> String, file: StaticString = #filePath, line: UInt = #line) throws {
        let a1 = try app.login("7")
        let alice = try XCTUnwrap(try a1.userId())
        let first = try sessions(of: alice).compactMap { $0["session"] as? String }
        XCTAssertEqual(first.count, 1, "\(first)", file: file, line: line)
        let a2 = try app.login("7")
        let bob = try app.login("8")
        let bobId = try XCTUnwrap(try bob.userId())
        XCTAssertEqual(try a2.userId(), alice)
        let here = try XCTUnwrap(try sessions(of: alice).compactMap { $0["session"] as? String }.first { !first.contains($0) })
        // list: both of alice's rows, live, with no mapping key.
        let listed = try sessions(of: alice)
        XCTAssertEqual(listed.count, 2, "\(listed)", file: file, line: line)
        XCTAssertTrue(listed.allSatisfy { $0["exists"] as? Bool == true && ($0["ttl"] as? Int ?? 0) > 0 && $0["mapping_key"] is NSNull }, "\(listed)")
        // -o wide: the columns and the decoded data.
        let wide = try run(["list", "-o", "wide", "--", alice])
        XCTAssertEqual(wide.status, 0, "\(wide)")
        XCTAssertTrue(wide.stdout.contains("LAST SEEN") && wide.stdout.contains("sessionctl-test/1.0") || framework == "django", wide.stdout)
        let detailed = try run(["list", "-o", "json", "--user-field", "_auth_user_id", "--", alice])
        XCTAssertEqual(detailed.status, 0, "\(detailed)")
        // users: counts per user.
        let users = try run(["users", "-o", "json"])
        let counts = Dictionary(
            uniqueKeysWithValues: ((try users.json()["users"] as? [[String: Any]]) ?? []).map {
                ($0["user"] as? String ?? "", $0["sessions"] as? Int ?? 0)
            })
        XCTAssertEqual(counts[alice], 2, "\(users)", file: file, line: line)
        XCTAssertEqual(counts[bobId], 1, "\(users)", file: file, line: line)
        // show: decoded, the user read from the data.
        let id1 = try XCTUnwrap(listed.first?["session"] as? String)
        let shown = try run(["show", "-o", "json", "--", id1])
        XCTAssertEqual(shown.status, 0, "\(shown)")
        let detail = try XCTUnwrap((try shown.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertNotNil(detail["payload_decoded"], "\(detail)", file: file, line: line)
        XCTAssertEqual((detail["fields"] as? [String: Any])?["user"] as? String, alice, "\(detail)", file: file, line: line)
        XCTAssertEqual((detail["fields"] as? [String: Any])?["ip"] as? String, "127.0.0.1", "\(detail)", file: file, line: line)
        // A dry run deletes nothing.
        let before = try rowCount()
        let dry = try run(["revoke-user", "--dry-run", "-o", "json", "--", alice])
        XCTAssertEqual(dry.status, 0, "\(dry)")
        XCTAssertEqual((try dry.json()["revoked"] as? [Any])?.count, 2, "\(dry)")
        XCTAssertEqual(try rowCount(), before)
        XCTAssertTrue(try a1.isLoggedIn() && a2.isLoggedIn())
        // revoke-user --except: everywhere but here. The app refuses a1's cookie, keeps a2's and bob's.
        let out = try run(["revoke-user", "--yes", "--except", here, "-o", "json", "--", alice])
        XCTAssertEqual(out.status, 0, "\(out)", file: file, line: line)
        XCTAssertEqual((try out.json()["revoked"] as? [Any])?.count, 1, "\(out)")
        XCTAssertEqual((try out.json()["deleted"] as? [String: Any])?["rows"] as? Int, 1, "\(out)")
        XCTAssertFalse(try a1.isLoggedIn(), "the app refuses the revoked cookie", file: file, line: line)
        // The watch after deleting watched the table's rows, and says rows.
        XCTAssertTrue(out.stderr.contains("of watching 1 row (--settle)"), out.stderr, file: file, line: line)
        XCTAssertTrue(try a2.isLoggedIn(), "--except kept this one", file: file, line: line)
        XCTAssertTrue(try bob.isLoggedIn(), file: file, line: line)
        // revoke the last one by id: refused by the app.
        let last = try XCTUnwrap(try sessions(of: alice).first?["session"] as? String)
        XCTAssertEqual(last, here)
        let revoked = try run(["revoke", "--yes", "--", last])
        XCTAssertEqual(revoked.status, 0, "\(revoked)")
        XCTAssertFalse(try a1.isLoggedIn() || a2.isLoggedIn(), file: file, line: line)
        XCTAssertEqual(try sessions(of: alice).count, 0)
        // An id with no row: not found, exit 3. (Laravel keeps a refused cookie's id for the new,
        // anonymous session it starts, so the revoked id itself may have a row again, of no user.)
        let again = try run(["revoke", "--yes", "--", "no-such-session-\(UUID().uuidString)"])
        XCTAssertEqual(again.status, 3, "\(again)")
        // An id full of SQL: found literally (nowhere), nothing else touched.
        let rows = try rowCount()
        for hostile in ["x'; DROP TABLE \(table); --", "' OR '1'='1", "%", "\\"] {
            let r = try run(["revoke", "--yes", "--", hostile])
            XCTAssertEqual(r.status, 3, "\(hostile): \(r)", file: file, line: line)
            let u = try run(["revoke-user", "--yes", "--", hostile])
            XCTAssertEqual(u.status, 3, "\(hostile): \(u)", file: file, line: line)
        }
        XCTAssertEqual(try rowCount(), rows, "nothing else touched")
        XCTAssertTrue(try bob.isLoggedIn())
        // audit: as many users as `users` counts, no dead rows yet.
        let audit = try run(["audit", "-o", "json"])
        XCTAssertEqual(audit.status, 0, "\(audit)")
        let c = try XCTUnwrap(try audit.json()["counts"] as? [String: Int])
        let live = try run(["users", "-o", "json"])
        XCTAssertEqual(c["users"], (try live.json()["users"] as? [Any])?.count, "\(audit)", file: file, line: line)
        // prune: bob's row aged past its lifetime is dead (the app refuses it) and is pruned; live rows stay.
        let bobRow = try XCTUnwrap(try sessions(of: bobId).first?["session"] as? String)
        let expiredBefore = c["expired_sessions"] ?? -1
        _ = try admin(age(bobRow))
        // (No request now: Laravel would start an anonymous session under the same id and write it back fresh.)
        let agedAudit = try run(["audit", "-o", "json"])
        XCTAssertEqual(
            (try agedAudit.json()["counts"] as? [String: Int])?["expired_sessions"], expiredBefore + 1, "\(agedAudit)", file: file, line: line)
        let rowsBefore = try rowCount()
        let pruneDry = try run(["prune", "--dry-run", "-o", "json"])
        let doomed = (try pruneDry.json()["revoked"] as? [[String: Any]])?.compactMap { $0["session"] as? String } ?? []
        XCTAssertTrue(doomed.contains(bobRow), "\(pruneDry)", file: file, line: line)
        XCTAssertEqual(try rowCount(), rowsBefore, "a dry run deletes nothing")
        let prune = try run(["prune", "--yes", "-o", "json"])
        XCTAssertEqual(prune.status, 0, "\(prune)")
        XCTAssertEqual((try prune.json()["deleted"] as? [String: Any])?["rows"] as? Int, doomed.count, "\(prune)", file: file, line: line)
        XCTAssertEqual(try rowCount(), rowsBefore - doomed.count, file: file, line: line)
        XCTAssertEqual((try run(["audit", "-o", "json"]).json()["counts"] as? [String: Int])?["expired_sessions"], 0)
        XCTAssertFalse(try bob.isLoggedIn(), "the pruned (expired) row authenticates no one", file: file, line: line)
        XCTAssertTrue(try a2.isLoggedIn() == false && sessions(of: alice).isEmpty)
    }
}
