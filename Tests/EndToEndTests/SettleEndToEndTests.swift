import Foundation
import RedisClient
import SessionBasics
import TestSupport
import XCTest

/// `--settle` against a real server, with a writer thread standing in for requests in flight:
/// what comes back is deleted again and counted, what keeps coming back is reported (exit 5),
/// revoke-all watches too, the audit trail records it, a terminal says it is waiting.
final class SettleEndToEndTests: XCTestCase {
    /// Writes `key` back `times` times, every `every` seconds, on another thread; the returned closure waits for it.
    func writeBack(_ f: Fixture, _ key: String, times: Int, every: Double, after: Double = 0.3) -> () -> Void {
        let done = DispatchSemaphore(value: 0)
        let server = f.server
        DispatchQueue.global().async {
            usleep(useconds_t(after * 1e6))
            for i in 0..<times {
                if i > 0 { usleep(useconds_t(every * 1e6)) }
                _ = try? server.run([["SET", key, "{\"user\":\"back\"}", "EX", "3600"]])
            }
            done.signal()
        }
        return { done.wait() }
    }

    /// Starts `server` (`program` with `arguments`) and waits up to 10 s until it listens on `port`.
    func listening(_ server: Process, _ port: Int, _ program: String, _ arguments: [String]) throws {
        server.executableURL = URL(fileURLWithPath: program)
        server.arguments = arguments
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        let deadline = Date().addingTimeInterval(10)
        while !FreePort.isListening(port) && Date() < deadline { usleep(50_000) }
    }

    func testAWriteBackIsDeletedAgainCountedAndAudited() throws {
        let f = try Fixture()
        try f.seed([("alice", "s1"), ("alice", "s2"), ("bob", "s3")])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("settle-\(UUID().uuidString.prefix(6)).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let wait = writeBack(f, "session:s1", times: 1, every: 0)
        let r = try f.run("revoke-user", "alice", "--yes", "-o", "json", "--settle", "1s", "--audit-log", log.path)
        wait()
        assertExitStatus(r, 0)
        let json = try r.json()
        XCTAssertEqual(json["written_back"] as? Int, 1, r.stdout)
        let settle = try XCTUnwrap(json["settle"] as? [String: Any])
        XCTAssertEqual(settle["written_back"] as? [String], ["session:s1"])
        XCTAssertEqual(settle["watched_keys"] as? Int, 2)
        XCTAssertGreaterThanOrEqual(settle["seconds"] as? Double ?? 0, 1.3, "the window starts over after a return: \(settle)")
        XCTAssertEqual((json["revoked"] as? [Any])?.count, 2)
        XCTAssertFalse(try f.exists("session:s1"), "deleted again")
        XCTAssertTrue(try f.exists("session:s3"), "bob's session is not touched")
        XCTAssertTrue(r.stderr.contains("came back while settling"), r.stderr)
        let records = try auditRecords(log)
        XCTAssertEqual(records.map(\.action), ["run_start", "revoke", "revoke", "written_back", "run_end"], "\(records.map(\.raw))")
        let back = records[3]
        XCTAssertEqual(back.owner, "alice")
        XCTAssertEqual(back.ids, try digests(["s1"]))
        XCTAssertEqual(back.outcome, "success", "written back, and deleted again")
        XCTAssertEqual(records[4].counts["sessions_written_back"], 1)
    }

    func testAKeyThatKeepsComingBackIsReportedNotRevoked() throws {
        let f = try Fixture()
        try f.seed([("carol", "c1"), ("carol", "c2")])
        let wait = writeBack(f, "session:c1", times: 8, every: 0.25)
        let r = try f.run("revoke-user", "carol", "--yes", "-o", "json", "--settle", "1s")
        wait()
        assertExitStatus(r, 5)
        let json = try r.json()
        XCTAssertEqual((json["revoked"] as? [[String: Any]])?.map { $0["session"] as? String }, ["c2"], r.stdout)
        XCTAssertEqual((json["not_held"] as? [[String: Any]])?.map { $0["session"] as? String }, ["c1"], r.stdout)
        XCTAssertEqual(json["complete"] as? Bool, false)
        let kept = try XCTUnwrap((json["settle"] as? [String: Any])?["kept_coming_back"] as? [[String: Any]])
        XCTAssertEqual(kept.first?["session_key"] as? String, "session:c1")
        XCTAssertEqual(json["written_back"] as? Int, 2, "deleted twice more, then given up on: \(r.stdout)")
        XCTAssertTrue(r.stderr.contains("session:c1 came back after 3 deletions"), r.stderr)
        XCTAssertTrue(r.stderr.contains("a request still in flight"), r.stderr)
        // The session given up on keeps its mapping (before, it was deleted and a re-run found nothing,
        // exit 3, while the key lived on): once the writer stops, a re-run finds it and revokes it.
        XCTAssertTrue(try f.exists("user:carol:c1"), "the mapping of a session not held is kept")
        XCTAssertFalse(try f.exists("user:carol:c2"), "the mapping of a session held is gone")
        let again = try f.run("revoke-user", "carol", "--yes", "-o", "json", "--settle", "0.5s")
        assertExitStatus(again, 0)
        XCTAssertEqual((try again.json()["revoked"] as? [[String: Any]])?.map { $0["session"] as? String }, ["c1"], again.stdout)
        XCTAssertFalse(try f.exists("session:c1"))
        XCTAssertFalse(try f.exists("user:carol:c1"))
        XCTAssertTrue(r.stderr.contains("a request in flight that ends later than that can still write its session back"), r.stderr)
    }

    func testSettleZeroWatchesNothingAndBadValuesAreUsageErrors() throws {
        let f = try Fixture()
        try f.seed([("dave", "d1")])
        let wait = writeBack(f, "session:d1", times: 1, every: 0, after: 0.5)
        let r = try f.run("revoke-user", "dave", "--yes", "-o", "json", "--settle", "0")
        wait()
        assertExitStatus(r, 0)
        XCTAssertEqual(try r.json()["written_back"] as? Int, 0)
        XCTAssertTrue(try f.exists("session:d1"), "without the watch, the write-back stands")
        for bad in ["-1", "5x", "2d"] {
            let b = try f.run("revoke-user", "dave", "--yes", "--settle", bad)
            assertExitStatus(b, 2)
            XCTAssertTrue(b.stderr.contains("--settle"), b.stderr)
        }
        let env = try f.run(args: ["revoke-user", "dave", "--yes"], env: ["SESSIONCTL_SETTLE": "soon"])
        assertExitStatus(env, 2)
        XCTAssertTrue(env.stderr.contains("$SESSIONCTL_SETTLE"), env.stderr)
    }

    func testAnIndexLayoutSettlesToo() throws {
        let f = try Fixture()
        try f.server.run([["SET", "sess:i1", "{}", "EX", "600"], ["SET", "sess:i2", "{}", "EX", "600"], ["SADD", "idx:ivy", "i1", "i2"]])
        let wait = writeBack(f, "sess:i2", times: 1, every: 0)
        let r = try f.run(
            "--index", "idx:<user>", "--session-key", "sess:<session>", "--session-glob", "sess:*",
            "revoke-user", "ivy", "--yes", "-o", "json", "--settle", "1s")
        wait()
        assertExitStatus(r, 0)
        XCTAssertEqual((try r.json()["settle"] as? [String: Any])?["written_back"] as? [String], ["sess:i2"], r.stdout)
        XCTAssertFalse(try f.exists("sess:i2"))
        XCTAssertFalse(try f.exists("idx:ivy"), "the members went with their sessions")
    }

    func testRevokeAllWatchesWhatItDeleted() throws {
        let f = try Fixture()
        try f.seed((0..<300).map { ("u\($0 % 7)", "r\($0)") })
        let wait = writeBack(f, "session:r42", times: 1, every: 0, after: 0.4)
        let r = try f.run("revoke-all", "--yes", "-o", "json", "--settle", "1s", "--memory-limit", "8KiB")
        wait()
        assertExitStatus(r, 0)
        let json = try r.json()
        XCTAssertEqual(json["revoked"] as? Int, 300)
        XCTAssertEqual(json["written_back"] as? Int, 1, r.stdout)
        XCTAssertEqual((json["settle"] as? [String: Any])?["watched_keys"] as? Int, 300)
        XCTAssertFalse(try f.exists("session:r42"))
        XCTAssertEqual(try f.dbsize(), 0)
    }

    /// `--verify-url https://…` verifies the certificate and the host name (OpenSSL's default CAs,
    /// which `$SSL_CERT_FILE` names here): `openssl s_server -www` answers 200 to any GET, so the
    /// cookie reads as still logged in (exit 5); another CA's certificate is no answer at all.
    func testVerifyURLOverHTTPSChecksTheCertificate() throws {
        let certs = try TestCertificates()
        let port = try FreePort.pick()
        let server = Process()
        try listening(
            server, port, try RedisServer.locate("openssl"),
            ["s_server", "-accept", String(port), "-cert", certs.path("server.crt"), "-key", certs.path("server.key"), "-www", "-quiet"])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let f = try Fixture()
        try f.seed([("tess", "t1"), ("tess", "t2")])
        let trusted = try f.run(
            args: [
                "revoke-user", "tess", "--yes", "-o", "json", "--settle", "0", "--cookie-name", "sid",
                "--verify-url", "https://localhost:\(port)/account",
            ], env: ["SSL_CERT_FILE": certs.path("ca.crt")])
        assertExitStatus(trusted, 5)
        let answers = try XCTUnwrap(try trusted.json()["verified"] as? [[String: Any]], trusted.stdout)
        XCTAssertEqual(answers.map { $0["answer"] as? String }, ["logged_in", "logged_in"], "\(answers)")
        XCTAssertTrue(trusted.stderr.contains("still logs in (status 200, a 2xx status)"), trusted.stderr)
        try f.seed([("uma", "u1")])
        let other = try f.run(
            args: [
                "revoke-user", "uma", "--yes", "-o", "json", "--settle", "0", "--cookie-name", "sid",
                "--verify-url", "https://localhost:\(port)/account",
            ], env: ["SSL_CERT_FILE": certs.path("other-ca.crt")])
        assertExitStatus(other, 5)
        let refused = try XCTUnwrap((try other.json()["verified"] as? [[String: Any]])?.first, other.stdout)
        XCTAssertEqual(refused["answer"] as? String, "failed", "\(refused)")
        XCTAssertTrue((refused["reason"] as? String ?? "").contains("certificate"), "\(refused)")
        XCTAssertFalse(try f.exists("session:u1"), "the revocation itself happened")
        // A name the certificate does not hold: the reason names what to give the probe, not --sni (which it has not).
        try f.seed([("wes", "w1")])
        let mismatch = try f.run(
            args: [
                "revoke-user", "wes", "--yes", "-o", "json", "--settle", "0", "--cookie-name", "sid",
                "--verify-url", "https://127.0.0.2:\(port)/account",
            ], env: ["SSL_CERT_FILE": certs.path("ca.crt")])
        assertExitStatus(mismatch, 5)
        let reason = try XCTUnwrap((try mismatch.json()["verified"] as? [[String: Any]])?.first?["reason"] as? String, mismatch.stdout)
        XCTAssertTrue(reason.contains("mismatch") && !reason.contains("--sni"), reason)
        // Bad values are usage errors, before anything is deleted.
        try f.seed([("vic", "v1")])
        for args in [
            ["--verify-url", "ftp://x/"], ["--verify-url", "http://h/", "--verify-logged-in", "(unclosed"], ["--verify-logged-in", "200"],
            ["--verify-url", "http://h/"],
        ] {
            let bad = try f.run(args: ["revoke-user", "vic", "--yes"] + args)
            assertExitStatus(bad, 2)
            XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, "one line: \(bad.stderr)")
        }
        XCTAssertTrue(try f.exists("session:v1"))
    }

    /// Precedence: the flag, then $SESSIONCTL_SETTLE, then the context's settle:, then 5 s.
    func testTheWindowComesFromTheFlagTheEnvironmentOrTheContext() throws {
        let f = try Fixture()
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("settle-\(UUID().uuidString.prefix(6)).yaml")
        defer { try? FileManager.default.removeItem(at: config) }
        try "current-context: here\ncontexts:\n  here:\n    url: \(f.server.url)\n    settle: 0.4s\n".write(
            to: config, atomically: true, encoding: .utf8)
        func window(_ args: [String], _ env: [String: String]) throws -> Double? {
            try f.server.run([["SET", "user:pat:p1", "session:p1"], ["SET", "session:p1", "{}"]])
            let r = try f.run(
                args: ["revoke-user", "pat", "--yes", "-o", "json"] + args, env: ["SESSIONCTL_CONFIG": config.path].merging(env) { _, b in b })
            assertExitStatus(r, 0)
            return (try r.json()["settle"] as? [String: Any])?["window_seconds"] as? Double
        }
        XCTAssertEqual(try window([], ["SESSIONCTL_SETTLE": ""]), 0.4, "the context's")
        XCTAssertEqual(try window([], ["SESSIONCTL_SETTLE": "0.3s"]), 0.3, "the environment over the context")
        XCTAssertEqual(try window(["--settle", "0.5s"], ["SESSIONCTL_SETTLE": "0.3s"]), 0.5, "the flag over both")
        try "contexts:\n  here:\n    url: \(f.server.url)\n    settle: soon\ncurrent-context: here\n".write(
            to: config, atomically: true, encoding: .utf8)
        let bad = try f.run(args: ["revoke-user", "pat", "--yes"], env: ["SESSIONCTL_CONFIG": config.path])
        assertExitStatus(bad, 2)
        XCTAssertTrue(bad.stderr.contains("line 4") && bad.stderr.contains("settle"), bad.stderr)
    }

    func testATerminalSaysItIsWaiting() throws {
        let f = try Fixture()
        try f.seed([("erin", "e1")])
        let r = try inPseudoTerminal(["revoke-user", "erin", "--settle", "1s"], url: f.server.url, answer: "y")
        assertExitStatus(r, 0)
        XCTAssertTrue(r.stdout.contains("then watches them 1s for write-backs (--settle). [y/N]"), "the question says so: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("settling (--settle): watching 1 key for write-backs"), r.stdout)
        XCTAssertTrue(r.stdout.contains("settled: nothing came back in 1s"), r.stdout)
    }

    /// `--verify-url` against an application that still accepts the cookie, answering as real
    /// servers do: each was called "refused" (exit 0). An interim 1xx before the 200, a redirect
    /// the rule does not name, a body cut by the cap or the connection before the marker, and a
    /// status class read as a body pattern: now logged in, inconclusive or failed, and exit 5.
    func testOnlyADefiniteAnswerIsARefusal() throws {
        let script = try TemporaryDirectory()
        let program = script.path + "/raw_http.py"
        try """
        import socket, sys, threading
        mib = 1 << 20
        answers = {
            "/early": b"HTTP/1.1 103 Early Hints\\r\\nLink: </a.css>\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\nContent-Length: 7\\r\\n\\r\\nWelcome",
            "/continue": b"HTTP/1.1 100 Continue\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\nContent-Length: 7\\r\\n\\r\\nWelcome",
            "/force-ssl": b"HTTP/1.1 301 Moved Permanently\\r\\nLocation: https://app.example/account\\r\\nContent-Length: 0\\r\\n\\r\\n",
            "/big": b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\n\\r\\n" % (mib + mib // 2) + b"x" * (mib + 100) + b"Welcome" + b"y" * (mib // 2 - 107),
            "/cut": b"HTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n400\\r\\n" + b"z" * 300,
            "/plain": b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello",
        }
        def serve(c):
            try:
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    more = c.recv(4096)
                    if not more: return
                    data += more
                path = data.split(b" ")[1].decode()
                c.sendall(answers.get(path, b"HTTP/1.1 404 No\\r\\nContent-Length: 0\\r\\n\\r\\n"))
            finally:
                c.close()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(sys.argv[1])))
        s.listen(16)
        s.settimeout(120)
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        """.write(toFile: program, atomically: true, encoding: .utf8)
        let port = try FreePort.pick()
        let server = Process()
        try listening(server, port, "/usr/bin/env", ["python3", program, String(port)])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let f = try Fixture()
        for (n, (path, rule, expected)) in [
            ("/early", nil, "logged_in"), ("/continue", nil, "logged_in"), ("/force-ssl", nil, "inconclusive"),
            ("/big", "Welcome", "failed"), ("/cut", "Welcome", "failed"), ("/plain", "2xx", "logged_in"),
        ].enumerated() {
            try f.seed([("user\(n)", "s\(n)")])
            let r = try f.run(
                args: [
                    "revoke-user", "user\(n)", "--yes", "-o", "json", "--settle", "0", "--cookie-name", "sid", "--verify-url",
                    "http://127.0.0.1:\(port)\(path)",
                ]
                    + (rule.map { ["--verify-logged-in", $0] } ?? []))
            assertExitStatus(r, 5)
            let answer = try XCTUnwrap((try r.json()["verified"] as? [[String: Any]])?.first, "\(path): \(r.stdout)")
            XCTAssertEqual(answer["answer"] as? String, expected, "\(path): \(answer)")
            XCTAssertEqual(try r.json()["complete"] as? Bool, false, path)
        }
        // A refusal is still a refusal: 404 with the default rule.
        try f.seed([("zed", "z1")])
        let refused = try f.run(
            args: [
                "revoke-user", "zed", "--yes", "-o", "json", "--settle", "0", "--cookie-name", "sid", "--verify-url", "http://127.0.0.1:\(port)/gone",
            ])
        assertExitStatus(refused, 0)
    }
}
