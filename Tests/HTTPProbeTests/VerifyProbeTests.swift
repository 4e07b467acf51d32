import XCTest

@testable import HTTPProbe
@testable import SessionCore

/// The `--verify-url` probe's own parts: the URL and rule it accepts, and how it reads an answer
/// (Content-Length, chunked, until close; never more than it was sent).
final class VerifyProbeTests: XCTestCase {
    func testURLsAndRules() throws {
        let p = try VerifyProbe(url: "https://app.example.com/account?x=1", loggedIn: nil, cookieName: "sid")
        XCTAssertEqual([p.host, String(p.port), p.target], ["app.example.com", "443", "/account?x=1"])
        XCTAssertTrue(p.secure)
        let v6 = try VerifyProbe(url: "http://[::1]:8080", loggedIn: "302", cookieName: "sid")
        XCTAssertEqual([v6.host, String(v6.port), v6.target], ["::1", "8080", "/"])
        XCTAssertEqual(v6.rule, .status(302))
        XCTAssertEqual(try VerifyProbe(url: "http://h/", loggedIn: "user=\\d+", cookieName: "sid").rule, .pattern("user=\\d+"))
        for bad in ["ftp://h/", "http://", "http://u:p@h/", "http://h:0/", "http://h:99999/", "http://h/a b", "http://[::1/"] {
            XCTAssertThrowsError(try VerifyProbe(url: bad, loggedIn: nil, cookieName: "sid"), bad)
        }
        XCTAssertThrowsError(try VerifyProbe(url: "http://h/", loggedIn: nil, cookieName: "a b"))
        XCTAssertThrowsError(try VerifyProbe(url: "http://h/", loggedIn: "(", cookieName: "sid"))
    }

    func testJudging() throws {
        let any2xx = try VerifyProbe(url: "http://h/", loggedIn: nil, cookieName: "sid")
        XCTAssertTrue(any2xx.judge(status: 204, body: []))
        XCTAssertFalse(any2xx.judge(status: 302, body: []))
        XCTAssertFalse(any2xx.judge(status: 401, body: []))
        let pattern = try VerifyProbe(url: "http://h/", loggedIn: "^user=", cookieName: "sid")
        XCTAssertTrue(pattern.judge(status: 200, body: Array("user=4".utf8)))
        XCTAssertFalse(pattern.judge(status: 200, body: Array("anonymous".utf8)))
    }

    func testReadingAnswers() {
        let sized = Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more".utf8)
        XCTAssertEqual(
            VerifyProbe.parse(sized).map { [String($0.0), String(decoding: $0.1, as: UTF8.self), String($0.2)] }, ["200", "hello", "true"])
        let chunked = Array("HTTP/1.1 401 No\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nanon\r\n5\r\nymous\r\n0\r\n\r\n".utf8)
        XCTAssertEqual(
            VerifyProbe.parse(chunked).map { [String($0.0), String(decoding: $0.1, as: UTF8.self), String($0.2)] }, ["401", "anonymous", "true"])
        let partial = Array("HTTP/1.1 401 No\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\nab".utf8)
        XCTAssertEqual(VerifyProbe.parse(partial)?.2, false, "a chunk longer than what came is not complete")
        let huge = Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab".utf8)
        XCTAssertEqual(VerifyProbe.parse(huge)?.2, false, "a hostile chunk size is no trap")
        XCTAssertNil(VerifyProbe.parse(Array("SSH-2.0-OpenSSH\r\n\r\n".utf8)))
        XCTAssertNil(VerifyProbe.parse(Array("HTTP/1.1 200 OK\r\n".utf8)), "the head is not in yet")
    }

    /// Only a definite answer proves anything (issue: a logged-in answer was called "refused").
    func testOnlyADefiniteAnswerProvesAnything() throws {
        func answer(_ raw: String, rule: String? = nil, closed: Bool = true) throws -> Verification.Answer {
            let probe = try VerifyProbe(url: "http://h/", loggedIn: rule, cookieName: "sid")
            let (status, body, complete, location) = try XCTUnwrap(VerifyProbe.parse(Array(raw.utf8), closed: closed))
            return probe.verdict(.init(status: status, body: body, complete: complete, location: location))
        }
        // Interim answers are skipped: the final 200 is what counts.
        XCTAssertEqual(
            try answer("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), .loggedIn(status: 200))
        XCTAssertEqual(try answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), .loggedIn(status: 200))
        // A redirect (force-SSL on plain HTTP) or a server error proves nothing, unless the rule names it.
        guard case .inconclusive(301, let why) = try answer("HTTP/1.1 301 Moved\r\nLocation: https://h/\r\nContent-Length: 0\r\n\r\n") else {
            return XCTFail("a redirect is inconclusive")
        }
        XCTAssertTrue(why.contains("https://h/"), why)
        XCTAssertEqual(try answer("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", rule: "302"), .loggedIn(status: 302))
        XCTAssertEqual(try answer("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n").name, "inconclusive")
        XCTAssertEqual(try answer("HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"), .refused(status: 401))
        // A pattern not found in a body cut by the connection, or by the cap, is no refusal.
        let cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nHello, and then"
        XCTAssertEqual(try answer(cut, rule: "Welcome").name, "failed")
        XCTAssertEqual(try answer(cut, rule: "Hello"), .loggedIn(status: 200), "a marker found is found")
        let big = "HTTP/1.1 200 OK\r\nContent-Length: \(VerifyProbe.maxBody + 10)\r\n\r\n" + String(repeating: "x", count: VerifyProbe.maxBody)
        XCTAssertEqual(try answer(big, rule: "Welcome").name, "failed")
        XCTAssertEqual(
            try answer("HTTP/1.1 200 OK\r\n\r\nanonymous", rule: "Welcome"), .refused(status: 200), "a body that ended with the connection is whole")
        XCTAssertEqual(try answer("HTTP/1.1 200 OK\r\n\r\nanonym", rule: "Welcome", closed: false).name, "failed")
        // Status rules: classes and lists are statuses, never body patterns.
        XCTAssertEqual(try VerifyProbe(url: "http://h/", loggedIn: "2xx", cookieName: "sid").rule.description, "status 2xx")
        XCTAssertEqual(try answer("HTTP/1.1 204 No Content\r\n\r\n", rule: "2xx"), .loggedIn(status: 204))
        XCTAssertEqual(try answer("HTTP/1.1 403 No\r\nContent-Length: 0\r\n\r\n", rule: "401,403"), .loggedIn(status: 403))
        XCTAssertEqual(try answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", rule: "401,403"), .refused(status: 200))
        XCTAssertEqual(try VerifyProbe(url: "http://h/", loggedIn: "2xx|3xx", cookieName: "sid").rule, .pattern("2xx|3xx"))
    }
}
