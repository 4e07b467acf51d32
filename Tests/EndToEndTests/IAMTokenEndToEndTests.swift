import Foundation
import TestSupport
import XCTest

/// `iam-token` through the binary, its credentials found as the AWS SDKs find them: the
/// environment, the shared files and profiles, an ECS task's credentials endpoint (with its
/// authorization token) and EC2 instance metadata (IMDSv2), the last two served by a local
/// HTTP server the test starts. Each token is checked against botocore's signer with the same
/// credentials and time; no secret appears on stderr.
final class IAMTokenEndToEndTests: XCTestCase {
    /// botocore's token for these credentials at the token's own X-Amz-Date.
    private func botocore(_ token: String, service: String, region: String, name: String, user: String, key: String, secret: String, session: String?)
        throws -> String
    {
        let date = try XCTUnwrap(token.components(separatedBy: "X-Amz-Date=").last?.prefix(16))
        let script = """
            import sys, datetime
            from unittest import mock
            import botocore.auth, botocore.session
            from botocore.credentials import Credentials
            from botocore.signers import RequestSigner
            from botocore.model import ServiceId
            from urllib.parse import urlencode
            service, region, name, user, key, secret, token, when = sys.argv[1:]
            fixed = datetime.datetime.strptime(when, "%Y%m%dT%H%M%SZ")
            with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
                signer = RequestSigner(ServiceId(service), region, service, "v4", Credentials(key, secret, token or None),
                                       botocore.session.get_session().get_component("event_emitter"))
                url = "http://" + name.lower() + "/?" + urlencode({"Action": "connect", "User": user})
                print(signer.generate_presigned_url({"method": "GET", "url": url, "body": {}, "headers": {}, "context": {}},
                                                    operation_name="connect", expires_in=900, region_name=region)[len("http://"):])
            """
        let r = try Sessionctl.exec(
            "/usr/bin/env", ["python3", "-c", script, service, region, name, user, key, secret, session ?? "", String(date)].map { Data($0.utf8) },
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"], stdin: nil, timeout: 60)
        XCTAssertEqual(r.status, 0, "botocore (pip install botocore): \(r)")
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A local server answering as an ECS credentials endpoint (with an authorization token) and as
    /// EC2's instance metadata (IMDSv2: a PUT for a session token, required on the GETs after).
    private func metadataServer(port: Int) throws -> Process {
        let script = """
            import http.server, json, sys
            CREDS = json.dumps({"AccessKeyId": "ASIAFROMMETADATA", "SecretAccessKey": "meta-secret", "Token": "meta/session+token", "Expiration": "2099-01-01T00:00:00Z"})
            class H(http.server.BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def answer(self, status, body):
                    self.send_response(status); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body.encode())
                def do_PUT(self):
                    if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                        return self.answer(200, "imds-session-token")
                    self.answer(400, "")
                def do_GET(self):
                    if self.path == "/ecs/creds":
                        return self.answer(200, CREDS.replace("FROMMETADATA", "FROMECS")) if self.headers.get("Authorization") == "ecs-auth" else self.answer(401, "")
                    if self.headers.get("X-aws-ec2-metadata-token") != "imds-session-token":
                        return self.answer(401, "")
                    if self.path == "/latest/meta-data/iam/security-credentials/":
                        return self.answer(200, "session-role")
                    if self.path == "/latest/meta-data/iam/security-credentials/session-role":
                        return self.answer(200, CREDS)
                    self.answer(404, "")
            http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", script, String(port)]
        try p.run()
        Thread.sleep(forTimeInterval: 0.5)
        return p
    }

    func testTokensFromEverySourceOfCredentials() throws {
        let base = ["iam-token", "--region", "us-east-1", "--cache-name", "Sessions-Prod", "--user", "sessionctl"]
        func check(_ r: Sessionctl.Run, key: String, secret: String, session: String?, file: StaticString = #filePath, line: UInt = #line) throws {
            XCTAssertEqual(r.status, 0, "\(r)", file: file, line: line)
            let token = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(
                token,
                try botocore(
                    token, service: "elasticache", region: "us-east-1", name: "Sessions-Prod", user: "sessionctl", key: key, secret: secret,
                    session: session),
                file: file, line: line)
            XCTAssertFalse(
                r.stderr.contains(secret) || (session.map { r.stderr.contains($0) } ?? false), "no secret on stderr: \(r.stderr)", file: file,
                line: line)
        }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("aws-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".aws"), withIntermediateDirectories: true)
        let offline = ["HOME": home.path, "AWS_EC2_METADATA_DISABLED": "true"]
        // The environment first.
        let env = try Sessionctl.run(
            base,
            environment: offline.merging(["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env/token"]) {
                $1
            })
        try check(env, key: "AKIAENV", secret: "env-secret", session: "env/token")
        XCTAssertTrue(env.stderr.contains("from the environment"), env.stderr)
        // The shared files: the default profile, a named one, and one in the config file.
        try """
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = default-secret
        # a comment
        [ops]
        aws_access_key_id=AKIAOPS
        aws_secret_access_key=ops-secret
        aws_session_token=ops-token
        """.write(to: home.appendingPathComponent(".aws/credentials"), atomically: true, encoding: .utf8)
        try "[profile cfg]\naws_access_key_id = AKIACFG\naws_secret_access_key = cfg-secret\n".write(
            to: home.appendingPathComponent(".aws/config"), atomically: true, encoding: .utf8)
        try check(try Sessionctl.run(base, environment: offline), key: "AKIADEFAULT", secret: "default-secret", session: nil)
        try check(
            try Sessionctl.run(base, environment: offline.merging(["AWS_PROFILE": "ops"]) { $1 }), key: "AKIAOPS", secret: "ops-secret",
            session: "ops-token")
        let cfg = try Sessionctl.run(base + ["-o", "json"], environment: offline.merging(["AWS_PROFILE": "cfg"]) { $1 })
        XCTAssertEqual(cfg.status, 0, "\(cfg)")
        XCTAssertTrue((try cfg.json()["token"] as? String)?.contains("X-Amz-Credential=AKIACFG%2F") == true, cfg.stdout)
        let missing = try Sessionctl.run(base, environment: offline.merging(["AWS_PROFILE": "nope"]) { $1 })
        XCTAssertEqual(missing.status, 2, "\(missing)")
        XCTAssertTrue(missing.stderr.contains("the profile 'nope' has no keys"), missing.stderr)
        // An ECS task's endpoint (the full URI, with its authorization token), then EC2's metadata (IMDSv2).
        try FileManager.default.removeItem(at: home.appendingPathComponent(".aws"))
        let port = try FreePort.pick()
        let server = try metadataServer(port: port)
        defer { server.terminate() }
        let ecs = try Sessionctl.run(
            base,
            environment: [
                "HOME": home.path, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(port)/ecs/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ecs-auth",
            ])
        try check(ecs, key: "ASIAFROMECS", secret: "meta-secret", session: "meta/session+token")
        XCTAssertTrue(ecs.stderr.contains("the ECS task role"), ecs.stderr)
        let refused = try Sessionctl.run(
            base,
            environment: [
                "HOME": home.path, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:\(port)/ecs/creds",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong",
            ])
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("answered 401"), refused.stderr)
        let imds = try Sessionctl.run(base, environment: ["HOME": home.path, "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)"])
        try check(imds, key: "ASIAFROMMETADATA", secret: "meta-secret", session: "meta/session+token")
        XCTAssertTrue(imds.stderr.contains("the EC2 instance role session-role"), imds.stderr)
        // Bad input: a missing option is a usage error.
        XCTAssertEqual(try Sessionctl.run(["iam-token", "--region", "us-east-1", "--user", "u"], environment: offline).status, 2)
    }

    /// `--iam`: each connection authenticates as the URL's user with a fresh token (checked against
    /// botocore), never with a password of the operator's; without the user or the cache, a usage error.
    func testConnectionsAuthenticateWithAFreshToken() throws {
        let server = try ScriptedServer()
        defer { server.stop() }
        let url = server.url.replacingOccurrences(of: "redis://", with: "redis://ops@")
        let env = ["AWS_ACCESS_KEY_ID": "AKIAIAM", "AWS_SECRET_ACCESS_KEY": "iam-secret", "HOME": "/nonexistent", "REDISCLI_AUTH": "not-this"]
        let r = try Sessionctl.run(["ping", "--iam", "--region", "eu-west-1", "--cache-name", "Sessions", "-u", url], environment: env)
        XCTAssertEqual(r.status, 0, "\(r)")
        XCTAssertTrue(
            r.stderr.contains("authenticating as ops with IAM tokens for sessions (elasticache, eu-west-1), credentials from the environment"),
            r.stderr)
        XCTAssertTrue(r.stderr.contains("--iam without TLS"), r.stderr)
        let auths = server.withCluster { $0.log.map(\.command).filter { $0.hasPrefix("AUTH") } }
        XCTAssertFalse(auths.isEmpty)
        for auth in auths {
            let parts = auth.split(separator: " ").map(String.init)
            XCTAssertEqual(parts.count, 3, auth)
            XCTAssertEqual(parts[1], "ops")
            XCTAssertEqual(
                parts[2],
                try botocore(
                    parts[2], service: "elasticache", region: "eu-west-1", name: "Sessions", user: "ops", key: "AKIAIAM", secret: "iam-secret",
                    session: nil))
        }
        XCTAssertFalse(r.stderr.contains("iam-secret") || r.stdout.contains("iam-secret"))
        let noUser = try Sessionctl.run(["ping", "--iam", "--region", "eu-west-1", "--cache-name", "s", "-u", server.url], environment: env)
        XCTAssertEqual(noUser.status, 2, "\(noUser)")
        XCTAssertTrue(noUser.stderr.contains("--iam needs the IAM-enabled user in the URL"), noUser.stderr)
        XCTAssertEqual(try Sessionctl.run(["ping", "--iam", "-u", url], environment: env).status, 2)
    }

}
