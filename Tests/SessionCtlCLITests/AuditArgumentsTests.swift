import XCTest

@testable import SessionCtlCLI

/// run_start's command line: no password, however a URL carries it.
final class AuditArgumentsTests: XCTestCase {
    func testPasswordsLeaveEveryURLShape() {
        XCTAssertEqual(AuditArguments.redactURL("redis://:pw@host:6379/0"), "redis://:***@host:6379/0")
        XCTAssertEqual(AuditArguments.redactURL("rediss://app:pw@host"), "rediss://app:***@host")
        XCTAssertEqual(AuditArguments.redactURL("redis://pw@host"), "redis://***@host")
        // A user without a colon is hidden too: some clients read it as the password.
        XCTAssertEqual(
            AuditArguments.redactURL("postgres://app@db/app?sslmode=require&password=pw"), "postgres://***@db/app?sslmode=require&password=***")
        XCTAssertEqual(AuditArguments.redactURL("mysql://u:p@x/db?socket=/s&auth_token=t"), "mysql://u:***@x/db?socket=/s&auth_token=***")
        XCTAssertEqual(AuditArguments.redactURL("redis://host:6379"), "redis://host:6379")
        XCTAssertEqual(AuditArguments.redactURL("http://app/me?next=/a@b"), "http://app/me?next=/a@b")
    }
}
