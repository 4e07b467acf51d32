import Foundation
import RedisClient
import TestSupport
import XCTest

/// A real server with a few users' sessions, and a way to run the binary against it.
final class Fixture {
    let server: RedisServer
    let password: String?

    init(extraConfig: [String] = [], password: String? = nil, unixSocket: Bool = false) throws {
        server = try RedisServer(extraConfig: extraConfig, unixSocket: unixSocket)
        self.password = password
    }

    /// Seeds `user:<user>:<session> -> session:<session>` with a payload and a TTL.
    func seed(_ sessions: [(String, String)], ttl: Int = 3600) throws {
        var commands: [[String]] = []
        for (user, session) in sessions {
            commands.append(["SET", "user:\(user):\(session)", "session:\(session)"])
            commands.append(["SET", "session:\(session)", "{\"user\":\"\(user)\"}", "EX", String(ttl)])
        }
        try server.run(commands, password: password)
    }

    /// Runs sessionctl with SESSIONCTL_URL pointing at the server.
    func run(_ args: String..., env: [String: String] = [:], stdin: String? = nil) throws -> Sessionctl.Run {
        try run(args: args, env: env, stdin: stdin)
    }

    /// The same with the arguments in an array.
    func run(args: [String], env: [String: String] = [:], stdin: String? = nil) throws -> Sessionctl.Run {
        var environment = ["SESSIONCTL_URL": server.url]
        environment.merge(env) { _, new in new }
        return try Sessionctl.run(args, environment: environment, stdin: stdin.map { Data($0.utf8) })
    }

    func exists(_ key: String) throws -> Bool {
        try server.run([["EXISTS", key]], password: password)[0] == .integer(1)
    }

    func dbsize() throws -> Int64 {
        try server.run([["DBSIZE"]], password: password)[0].integer ?? -1
    }
}

/// Runs a command line in a pseudo-terminal with `script(1)` (util-linux), typing `input`.
func inTerminal(_ commandLine: String, input: String, env: [String: String]) throws -> Sessionctl.Run {
    try Sessionctl.exec("/usr/bin/script", ["-qec", commandLine, "/dev/null"].map { Data($0.utf8) },
                        environment: env, stdin: Data(input.utf8), timeout: 30)
}

func XCTAssertStatus(_ run: Sessionctl.Run, _ status: Int32, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(run.status, status, "\(run)", file: file, line: line)
}
