import Foundation
import RedisClient
import TestSupport
import XCTest

/// The README's least-privilege ACL users, taken from the README verbatim: each is created on a
/// standalone server and on a 3+3 TLS cluster, and every command its comment names is run as that
/// user, complete (exit 0). A rule the README lacks (as `PTTL` was for `audit`) fails here.
final class ACLEndToEndTests: XCTestCase {
    /// One README block: `# purpose: commands`, then `ACL SETUSER name on >PASSWORD rules…`.
    struct Use {
        let purpose: String
        let serves: [String]
        let user: String
        /// Everything after `>PASSWORD`.
        let rules: [String]
    }

    static func readmeUses() throws -> [Use] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let lines = try String(contentsOf: readme, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var uses: [Use] = []
        var i = 0
        while i < lines.count {
            defer { i += 1 }
            guard lines[i].hasPrefix("# "), i + 1 < lines.count, lines[i + 1].hasPrefix("ACL SETUSER ") else { continue }
            let comment = lines[i].dropFirst(2)
            guard let colon = comment.lastIndex(of: ":") else { continue }
            var command = ""
            var j = i + 1
            while j < lines.count {
                let line = lines[j]
                command += (line.hasSuffix("\\") ? String(line.dropLast()) : line) + " "
                if !line.hasSuffix("\\") { break }
                j += 1
            }
            let words = command.split(separator: " ").map(String.init)
            guard words.count > 5, words[4] == ">PASSWORD" else { continue }
            uses.append(
                Use(
                    purpose: String(comment[..<colon]),
                    serves: comment[comment.index(after: colon)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                    user: words[2], rules: Array(words[5...])))
        }
        return uses
    }

    func testTheREADMEGivesAUserPerUse() throws {
        let uses = try Self.readmeUses()
        XCTAssertEqual(uses.map(\.user), ["sessionctl-read", "sessionctl-revoke", "sessionctl-index", "sessionctl-indexed"])
        XCTAssertTrue(uses[0].serves.contains("audit") && uses[0].rules.contains("+pttl"), "audit reads expiries with PTTL")
    }

    /// The sessions each run starts from: alice's and bob's mapped Flask-Session sessions, carol's
    /// session without a mapping (for index build), and alice's index.
    private static let alice = (0..<3).map { SessionIds.flask("alice\($0)") }
    private static let bob = SessionIds.flask("bob0")
    private static let carol = SessionIds.flask("carol0")

    private static func seed() -> [[String]] {
        var commands: [[String]] = []
        for (user, id) in alice.map({ ("alice", $0) }) + [("bob", bob)] {
            commands += [
                ["SET", "session:\(id)", #"{"_user_id":"\#(user)","ip":"10.0.0.1"}"#, "EX", "3600"],
                ["SET", "user:\(user):\(id)", "session:\(id)", "EX", "3600"],
                ["SADD", "user_sessions:\(user)", id],
            ]
        }
        commands += [["SET", "session:\(carol)", #"{"_user_id":"carol"}"#, "EX", "3600"]]
        // A mapping whose session is gone, for prune.
        commands += [["SET", "user:dave:\(SessionIds.flask("gone"))", "session:\(SessionIds.flask("gone"))", "EX", "3600"]]
        return commands
    }

    /// What each command the README names is run as, in an order that leaves something for the next.
    private static func invocations(_ command: String, _ use: Use, snapshot: String) -> [[String]] {
        let indexed = use.rules.contains("+sscan") ? ["--index", "user_sessions:<user>"] : []
        let f = ["--framework", "flask"] + indexed
        switch command {
        case "ping": return [["ping"]]
        case "list": return [f + ["list", "alice"], f + ["list", "alice", "-o", "wide"]]
        case "show": return [f + ["show", alice[0]]]
        case "users": return indexed.isEmpty ? [f + ["users"], f + ["users", "--live"]] : [f + ["users"]]
        case "audit": return [f + ["audit"], ["audit"]]
        case "detect": return [["detect"]]
        case "snapshot": return [f + ["snapshot"]]
        case "diff": return [f + ["diff", "--against", snapshot]]
        case "revoke": return [f + ["revoke", alice[1], "--yes", "--settle", "1"]]
        case "revoke-user": return [f + ["revoke-user", "bob", "--yes", "--settle", "1"]]
        case "prune": return [f + ["prune", "--yes", "--grace", "0"]]
        case "index": return [f + ["index", "build"]]
        case "revoke-all": return [f + ["revoke-all", "--yes", "--settle", "1"]]
        default:
            XCTFail("the README names '\(command)', which this test does not know how to run")
            return []
        }
    }

    private func runEveryUse(url: String, extra: [String], seed: ([[String]]) throws -> Void) throws {
        let uses = try Self.readmeUses()
        XCTAssertEqual(uses.count, 4)
        let snapshot = FileManager.default.temporaryDirectory.appendingPathComponent("acl-\(UUID().uuidString.prefix(6)).ndjson").path
        for use in uses {
            try seed(Self.seed())
            // The snapshot diff compares with: taken as this user, from the same keyspace.
            let env = ["REDISCLI_AUTH": "pw-\(use.user)"]
            let userURL = url.replacingOccurrences(of: "://", with: "://\(use.user)@")
            // revoke-all goes last: it ends what the others read.
            let order = use.serves.filter { $0 != "revoke-all" } + use.serves.filter { $0 == "revoke-all" }
            for command in order {
                if command == "diff" {
                    let taken = try Sessionctl.run(["--framework", "flask", "snapshot", "--url", userURL] + extra, environment: env)
                    assertExitStatus(taken, 0)
                    try taken.stdout.write(toFile: snapshot, atomically: true, encoding: .utf8)
                }
                for args in Self.invocations(command, use, snapshot: snapshot) {
                    let r = try Sessionctl.run(args + ["--url", userURL] + extra, environment: env)
                    XCTAssertEqual(r.status, 0, "\(use.user) runs '\(args.joined(separator: " "))', which the README says it serves: \(r.stderr)")
                    XCTAssertFalse(r.stderr.contains("NOPERM"), "\(use.user): \(args): \(r.stderr)")
                }
                // Not vacuous: what each command found or did, as JSON.
                let json = ["--framework", "flask"] + (use.rules.contains("+sscan") ? ["--index", "user_sessions:<user>"] : []) + ["-o", "json"]
                func ran(_ args: [String]) throws -> [String: Any] {
                    let r = try Sessionctl.run(json + args + ["--url", userURL] + extra, environment: env)
                    XCTAssertEqual(r.status, 0, "\(use.user): \(args): \(r.stderr)")
                    return try r.json()
                }
                switch command {
                case "list": XCTAssertEqual((try ran(["list", "alice"])["sessions"] as? [Any])?.count, Self.alice.count, use.user)
                case "revoke-user": XCTAssertEqual((try ran(["list", "bob"])["sessions"] as? [Any])?.count, 0, "bob's session was revoked above")
                case "index":
                    XCTAssertEqual(
                        try ran(["index", "build"])["already_mapped"] as? Int, Self.alice.count + 2, "carol's was mapped above, by this user")
                default: break
                }
            }
        }
    }

    func testEveryUserServesWhatTheREADMESaysOnAServer() throws {
        let server = try RedisServer()
        for use in try Self.readmeUses() {
            let reply = try server.run([["ACL", "SETUSER", use.user, "on", ">pw-\(use.user)"] + use.rules])
            XCTAssertEqual(reply.first?.redisError?.message, nil, "\(use.user): \(use.rules)")
        }
        try runEveryUse(url: server.url, extra: []) { commands in
            _ = try server.run([["FLUSHALL"]] + commands)
        }
    }

    func testEveryUserServesWhatTheREADMESaysOnATLSCluster() throws {
        let certs = try TestCertificates()
        let users = try Self.readmeUses().map { (["user", $0.user, "on", ">pw-\($0.user)"] + $0.rules).joined(separator: " ") }
        let cluster = try RedisCluster(
            tls: certs, extraConfig: users + ["cluster-announce-hostname localhost", "cluster-preferred-endpoint-type hostname"])
        let url = "rediss://localhost:\(cluster.nodes[0].port)"
        try runEveryUse(url: url, extra: ["--cacert", certs.path("ca.crt")]) { commands in
            for p in try cluster.primaries() { _ = try p.run([["FLUSHALL"]]) }
            try cluster.write(commands)
        }
    }
}
