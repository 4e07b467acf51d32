import HTTPProbe
import RedisClient
import RedisStore
import SQLClient
import SQLStore
import SessionBasics
import SessionCore
import XCTest

@testable import SessionCtlCLI

/// The one function that turns what happened into an exit status.
final class ExitStatusTests: XCTestCase {
    private func code(_ result: Result<Outcome, any Error>, cancelled: Bool = false) -> ExitCode {
        ExitCode.of(result, cancelled: cancelled).code
    }

    func testCompletenessDecidesFinishedCommands() {
        var lost = Completeness()
        lost.record(PartialFailure(.nodeUnreachable, node: "10.0.0.1:7000", cause: "connection refused"))
        var cut = lost
        cut.recordInterruption()
        XCTAssertEqual(code(.success(.finished(Completeness()))), .success)
        XCTAssertEqual(code(.success(.finished(Completeness(), notFound: true))), .notFound)
        XCTAssertEqual(code(.success(.finished(lost, notFound: true))), .incomplete)
        // A cluster revocation interrupted in its last batch: 130, not 5.
        XCTAssertEqual(code(.success(.finished(cut))), .interrupted)
        XCTAssertEqual(code(.success(.finished(lost)), cancelled: true), .interrupted)
        XCTAssertEqual(code(.success(.success), cancelled: true), .interrupted)
    }

    func testErrorsKeepTheirCodeAndHint() {
        let usage = ExitCode.of(.failure(RedisClientError.misconfigured("--cluster was given", hint: "drop --cluster")), cancelled: false)
        XCTAssertEqual(usage.code, .usage)
        XCTAssertEqual(usage.error?.line, "--cluster was given (drop --cluster)")
        XCTAssertEqual(code(.failure(RedisClientError.connectFailed(endpoint: "h:1", reason: "Connection refused"))), .connect)
        XCTAssertEqual(code(.failure(RedisClientError.permissionDenied(endpoint: "h:1", command: "CLUSTER SHARDS", reason: "NOPERM"))), .connect)
        XCTAssertEqual(code(.failure(ParseError.missingCommand(index: 1))), .usage)
        XCTAssertEqual(code(.success(.stopped(AuditTrailError("cannot write the audit log")))), .failure)
        XCTAssertEqual(code(.failure(CLIError("x", code: .notFound))), .notFound)
    }

    /// Every layer's errors reach the one function with their class: none is "unexpected", and a
    /// database error raised mid-run keeps its exit status as a connect failure does.
    func testEveryLayersErrorsHaveAClass() {
        let cases: [(any Error, ExitCode)] = [
            (SQLError(.connect, "could not connect to server: Connection refused"), .connect),
            (SQLError(.authentication, "password authentication failed for user \"app\""), .connect),
            (SQLError(.permission, "permission denied for table sessions (42501)"), .failure),
            (SQLError(.server, "deadlock detected (40P01)"), .failure),
            (SQLError(.timeout, "the statement did not finish within 10s"), .failure),
            (SQLError(.missingTable, "relation \"sessions\" does not exist"), .usage),
            (SQLStoreError("no sessions table"), .failure),
            (SQLStoreError("--table names no table", usage: true), .usage),
            (SnapshotError("not a snapshot file"), .failure),
            (CookieError(description: "not a Rails cookie"), .usage),
            (VerifyProbe.Failure("--verify-url 'x' is not an http:// or https:// URL"), .usage),
            (LayoutError.badTemplate("user:<x>", "unknown placeholder <x>"), .usage),
            (SpillError("no space left on device"), .failure),
            (SpillError("merge", interrupted: true), .interrupted),
            (CommandFailure.failed(PartialFailure(.nodeUnreachable, node: "h:1", cause: "reset")), .failure),
            (CommandFailure.cancelled, .interrupted),
            (RedisError(message: "NOPERM this user has no permissions"), .failure),
        ]
        for (error, expected) in cases {
            let r = ExitCode.of(.failure(error), cancelled: false)
            XCTAssertEqual(r.code, expected, "\(error)")
            XCTAssertFalse(r.error?.line.hasPrefix("unexpected error") ?? true, "\(error): \(r.error?.line ?? "-")")
        }
        XCTAssertEqual(
            ExitCode.of(.failure(SQLError(.permission, "permission denied for table sessions")), cancelled: false).error?.line,
            "permission denied for table sessions")
    }

    func testAnErrorCausedByCtrlCIsAnInterruption() {
        let empty = CLIError(
            "no user ids on standard input", ifInterrupted: "interrupted before any user id was read; nothing was deleted", code: .usage)
        let r = ExitCode.of(.failure(empty), cancelled: true)
        XCTAssertEqual(r.code, .interrupted)
        XCTAssertEqual(r.error?.line, "interrupted before any user id was read; nothing was deleted")
        XCTAssertEqual(code(.failure(RedisClientError.interrupted)), .interrupted)
        XCTAssertEqual(ExitCode.of(.failure(empty), cancelled: false).code, .usage)
    }

    func testFailuresAreSummarisedPerNodeAndCause() {
        var c = Completeness()
        for _ in 0..<2687 { c.record(PartialFailure(.nodeUnreachable, node: "10.0.0.3:6379", cause: "connection refused")) }
        c.record(
            PartialFailure(
                .deletionFailed, node: nil, cause: "UNLINK of a session key: NOPERM User ro has no permissions to run the 'unlink' command"))
        c.record(
            PartialFailure(.commandFailed, node: nil, cause: "PTTL: NOPERM User ro has no permissions to run the 'pttl' command"))
        c.record(PartialFailure(.commandFailed, node: nil, cause: "GET: NOPERM No permissions to access a key"))
        XCTAssertEqual(
            c.summary(running: .revokeUser),
            [
                "commands not delivered to 10.0.0.3:6379: connection refused (2687 times); re-run once the node is back or the failover is done",
                "deletion failed: UNLINK of a session key: NOPERM User ro has no permissions to run the 'unlink' command; "
                    + "the ACL user may not run UNLINK, which 'revoke-user' needs: grant +unlink (the README's ACL user for revocations, sessionctl-revoke, has it)",
                "server refused a command: PTTL: NOPERM User ro has no permissions to run the 'pttl' command; "
                    + "the ACL user may not run PTTL, which 'revoke-user' needs: grant +pttl (the README's ACL user for revocations, sessionctl-revoke, has it)",
                "server refused a command: GET: NOPERM No permissions to access a key; the ACL user may not read or delete these keys: "
                    + "give it key patterns that match --mapping and --session-glob (~user:* ~session:*, as the README's ACL users have)",
            ])
        // The use named is one that serves the command being run.
        XCTAssertTrue(
            ACLUse.advice(refused: "object|idletime", running: .audit).contains(
                "grant +object|idletime (the README's ACL user for lookups and audits"))
        XCTAssertTrue(ACLUse.advice(refused: "sadd", running: .index).contains("sessionctl-index"))
        XCTAssertTrue(ACLUse.advice(refused: "sscan", running: .list).contains("sessionctl-indexed"))
    }

    /// Many contexts: the worst status, where one out of reach among others is incomplete and not
    /// found is the answer only when it is every context's.
    func testTheWorstOfManyContexts() {
        XCTAssertEqual(FanOut.worst([0, 0]), 0)
        XCTAssertEqual(FanOut.worst([0, 3]), 0, "found somewhere")
        XCTAssertEqual(FanOut.worst([3, 3]), 3)
        XCTAssertEqual(FanOut.worst([0, 4]), 5, "one context out of reach")
        XCTAssertEqual(FanOut.worst([4, 4]), 4)
        XCTAssertEqual(FanOut.worst([3, 4]), 5)
        XCTAssertEqual(FanOut.worst([0, 1, 5]), 1)
        XCTAssertEqual(FanOut.worst([0, 130, 1]), 130)
        XCTAssertEqual(FanOut.worst([0, 2]), 2)
    }

}
