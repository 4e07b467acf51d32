import Foundation
import XCTest

@testable import SessionCrypto

/// The IAM token equals, byte for byte, what botocore's own request signer presigns (PyPI's
/// botocore, run by the test with the same credentials and a fixed time).
final class SigV4Tests: XCTestCase {
    private func botocore(_ args: [String]) throws -> String {
        let script = """
            import sys, datetime
            from unittest import mock
            import botocore.auth, botocore.session
            from botocore.credentials import Credentials
            from botocore.signers import RequestSigner
            from botocore.model import ServiceId
            from urllib.parse import urlencode
            service, region, name, user, key, secret, token, serverless, when = sys.argv[1:]
            creds = Credentials(key, secret, token or None)
            fixed = datetime.datetime.utcfromtimestamp(int(when))
            with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
                signer = RequestSigner(ServiceId(service), region, service, "v4", creds, botocore.session.get_session().get_component("event_emitter"))
                query = {"Action": "connect", "User": user}
                if serverless == "1":
                    query["ResourceType"] = "ServerlessCache"
                url = "http://" + name.lower() + "/?" + urlencode(query)
                signed = signer.generate_presigned_url({"method": "GET", "url": url, "body": {}, "headers": {}, "context": {}},
                                                       operation_name="connect", expires_in=900, region_name=region)
            print(signed[len("http://"):])
            """
        let p = Process()
        // The python3 on PATH: the one scripts/setup.sh installed botocore for.
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + args
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "botocore (pip install botocore; scripts/setup.sh installs it): \(problem)", code: 1)
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testTheTokenIsBotocoresByteForByte() throws {
        let cases: [(String, String, String, String, SigV4.Credentials, Bool, Int)] = [
            (
                "elasticache", "us-east-1", "my-cache", "alice",
                SigV4.Credentials(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), false, 1_765_108_800
            ),
            (
                "memorydb", "eu-west-1", "My-Cluster", "bob-ops_1",
                SigV4.Credentials(accessKey: "ASIAEXAMPLE", secretKey: "s3cr3t", sessionToken: "tok/en+==ab"), true, 1_800_000_000
            ),
            (
                "elasticache", "ap-southeast-2", "sessions-prod", "iam.user~x", SigV4.Credentials(accessKey: "AKIA2", secretKey: "k"), true,
                946_684_799
            ),
        ]
        for (service, region, name, user, credentials, serverless, time) in cases {
            let ours = SigV4.connectToken(
                service: service, region: region, name: name, user: user, serverless: serverless, credentials: credentials, time: time)
            let theirs = try botocore([
                service, region, name, user, credentials.accessKey, credentials.secretKey, credentials.sessionToken ?? "", serverless ? "1" : "0",
                String(time),
            ])
            XCTAssertEqual(ours, theirs, "\(service) \(name) \(user)")
            XCTAssertFalse(ours.hasPrefix("http"), ours)
            XCTAssertTrue(ours.hasPrefix(name.lowercased() + "/?Action=connect&User="), ours)
        }
        XCTAssertEqual(SigV4.timestamp(0), "19700101T000000Z")
        XCTAssertEqual(SigV4.timestamp(951_825_600), "20000229T120000Z")
    }
}
