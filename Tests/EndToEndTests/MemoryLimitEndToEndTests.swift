import Foundation
import TestSupport
import XCTest

/// `--memory-limit` through the binary: `users`, `audit` and `diff` give the same output with a
/// budget of a few kilobytes (everything spilled and merged) as in memory; the private spill
/// directory is gone after success, failure and Ctrl-C; a full disk is one line and exit 1.
final class MemoryLimitEndToEndTests: XCTestCase {
    nonisolated(unsafe) private static var shared: Fixture?

    /// One server for the class: 3,000 sessions of 400 users (one with 300), orphans, unmapped
    /// sessions, keys without expiry, ids that are not UTF-8.
    private var f: Fixture {
        get throws {
            if let f = Self.shared { return f }
            let f = try Fixture()
            var sessions: [(String, String)] = []
            for i in 0..<2700 { sessions.append(("u\(i % 400)", "s\(i)")) }
            for i in 0..<300 { sessions.append(("big", "b\(i)")) }
            try f.seed(sessions)
            var extra: [[String]] = []
            for i in 0..<40 { extra.append(["SET", "user:orphan\(i % 7):o\(i)", "session:gone\(i)"]) }
            for i in 0..<30 { extra.append(["SET", "session:lonely\(i)", "{}", "EX", "600"]) }
            for i in 0..<10 {
                extra.append(["SET", "session:forever\(i)", "{}"])
                extra.append(["SET", "user:keeper:forever\(i)", "session:forever\(i)"])
            }
            extra.append(["SET", "user:caf\u{e9}:x1", "session:x1"])
            try f.server.run(extra)
            _ = try f.server.admin().pipeline([
                [Array("SET".utf8), Array("user:".utf8) + [0xff, 0xfe] + Array(":y1".utf8), Array("session:y1".utf8)]
            ])
            Self.shared = f
            return f
        }
    }

    override class func tearDown() {
        shared = nil
        super.tearDown()
    }

    private func same(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let tmp = try TemporaryDirectory()
        let inMemory = try f.run(args: args, env: ["TMPDIR": tmp.path])
        let spilled = try f.run(args: args + ["--memory-limit", "4KiB"], env: ["TMPDIR": tmp.path])
        XCTAssertEqual(inMemory.status, 0, "\(inMemory)", file: file, line: line)
        XCTAssertEqual(spilled.status, inMemory.status, "\(spilled)", file: file, line: line)
        XCTAssertFalse(inMemory.stdout.isEmpty, file: file, line: line)
        XCTAssertEqual(spilled.stdout, inMemory.stdout, "the same output, spilled or not: \(args)", file: file, line: line)
        XCTAssertEqual(try tmp.contents(), [], "nothing left in $TMPDIR", file: file, line: line)
    }

    func testSpilledAndInMemoryResultsAreIdentical() throws {
        try same(["users"])
        try same(["users", "-o", "json"])
        try same(["users", "-o", "ndjson", "--sort", "user"])
        try same(["users", "--min", "5", "--top", "20"])
        try same(["users", "--top", "2000", "-o", "json"])
        try same(["audit", "-o", "json"])
        try same(["audit"])
        try same(["diff", "--against", try f.server.url, "-o", "json"])
        let users = try f.run("users", "-o", "json", "--memory-limit", "4KiB")
        let rows = try users.json()["users"] as? [[String: Any]] ?? []
        XCTAssertEqual(rows.first?["user"] as? String, "big")
        XCTAssertEqual(rows.first?["sessions"] as? Int, 300)
        XCTAssertEqual(rows.count, 400 + 1 + 7 + 1 + 1 + 1, "every user once")
        let audit = try f.run("audit", "-o", "json", "--memory-limit", "4KiB").json()
        let counts = audit["counts"] as? [String: Int] ?? [:]
        XCTAssertEqual(counts["mappings"], 3000 + 40 + 10 + 2)
        XCTAssertEqual(counts["orphaned_mappings"], 40 + 2)
        XCTAssertEqual(counts["unmapped_sessions"], 30)
        XCTAssertEqual(counts["sessions_without_ttl"], 10)
    }

    func testADiskTooFullForTheRunsIsOneLineAndExitOne() throws {
        let tmp = try TemporaryDirectory()
        let mount = try Sessionctl.exec(
            "/bin/mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", tmp.path].map { Data($0.utf8) },
            environment: [:], stdin: nil, timeout: 10)
        XCTAssertEqual(mount.status, 0, "mount -t tmpfs (the tests run as root, as CI does): \(mount)")
        defer { _ = try? Sessionctl.exec("/bin/umount", [Data(tmp.path.utf8)], environment: [:], stdin: nil, timeout: 10) }
        let before = try f.dbsize()
        for args in [["users"], ["audit"], ["diff", "--against", try f.server.url]] {
            let r = try f.run(args: args + ["--memory-limit", "4KiB"], env: ["TMPDIR": tmp.path])
            XCTAssertEqual(r.status, 1, "\(r)")
            XCTAssertTrue(r.stderr.contains("No space left on device") && r.stderr.contains("$TMPDIR"), r.stderr)
            // One line for the failure (diff also says what B was read with).
            XCTAssertEqual(
                r.stderr.split(separator: "\n").filter { !$0.hasPrefix("incomplete") && !$0.hasPrefix("B is read from") }.count, 1, r.stderr)
            XCTAssertEqual(try tmp.contents(), [], "the spill directory is removed after the failure")
        }
        XCTAssertEqual(try f.dbsize(), before, "nothing in the keyspace touched")
    }

    func testCtrlCLeavesNoSpillBehind() throws {
        let tmp = try TemporaryDirectory()
        let f = try self.f
        for command in ["users", "audit"] {
            let r = try Sessionctl.run(
                [command, "--rate", "1000", "--scan-count", "100", "--memory-limit", "4KiB"],
                environment: ["SESSIONCTL_URL": f.server.url, "TMPDIR": tmp.path], interruptAfter: 1.5)
            XCTAssertEqual(r.status, 130, "\(r)")
            XCTAssertEqual(try tmp.contents(), [], "the spill directory is removed after Ctrl-C (\(command))")
            // What was counted before Ctrl-C is reported (merged from the spill), marked partial.
            XCTAssertTrue(r.stdout.contains("# partial result (interrupted)"), "\(command): \(r.stdout)")
            XCTAssertTrue(r.stderr.contains("interrupted: the result above is partial"), r.stderr)
        }
    }

    func testABadLimitIsAUsageError() throws {
        for value in ["1k", "lots", "-5M", "64Q"] {
            let r = try f.run("users", "--memory-limit", value)
            XCTAssertEqual(r.status, 2, "\(value): \(r)")
            XCTAssertTrue(r.stderr.contains("--memory-limit"), r.stderr)
        }
        let r = try f.run("list", "alice", "--memory-limit", "1M")
        XCTAssertEqual(r.status, 2, "list keeps one user's sessions: the option is not its")
    }

    /// The memory claim, end to end: `users` and `audit` over a million sessions under
    /// `--memory-limit 4MiB` peak (GNU time's maximum RSS, from the kernel) within the budget
    /// and a few MiB of buffers above the same command's peak on a keyspace of ten sessions.
    func testAMillionSessionsStayWithinTheBudget() throws {
        let small = try Fixture()
        try small.seed((0..<10).map { ("u\($0)", "s\($0)") })
        let big = try Fixture()
        let admin = try big.server.admin()
        let n = 1_000_000
        var batch: [[[UInt8]]] = []
        for i in 0..<n {
            batch.append(["SET", "user:u\(i % 50_000):s\(i)", "session:s\(i)"].map { Array($0.utf8) })
            batch.append(["SET", "session:s\(i)", "{}", "EX", "3600"].map { Array($0.utf8) })
            if batch.count >= 20_000 {
                _ = try admin.pipeline(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try admin.pipeline(batch) }
        func peakKiB(_ f: Fixture, _ args: [String]) throws -> Int {
            let r = try Sessionctl.exec(
                "/usr/bin/time", (["-f", "PEAK %M", Sessionctl.binary] + args + ["--memory-limit", "4MiB", "-o", "json"]).map { Data($0.utf8) },
                environment: ["SESSIONCTL_URL": f.server.url], stdin: nil, timeout: 300)
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr.suffix(500))")
            let line = try XCTUnwrap(
                r.stderr.split(separator: "\n").last { $0.hasPrefix("PEAK ") }, "GNU time (apt-get install time): \(r.stderr.suffix(300))")
            return Int(line.dropFirst(5)) ?? -1
        }
        for command in ["users", "audit"] {
            let fixed = try peakKiB(small, [command])
            let peak = try peakKiB(big, [command])
            XCTAssertGreaterThan(fixed, 0)
            // The budget (4 MiB) plus the buffers that grow with a page, not with the keyspace (SCAN pages, pipelines: 4 MiB).
            XCTAssertLessThanOrEqual(peak - fixed, 8 * 1024, "\(command) over \(n) sessions peaked at \(peak) KiB, \(fixed) KiB on ten")
            print("memory: \(command) fixed \(fixed) KiB, over \(n) sessions \(peak) KiB")
        }
    }
}
