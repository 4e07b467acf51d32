import Foundation
import SessionPayload
import XCTest

@testable import SessionCore

/// The trail's records, bounded and split, and the chain a log file keeps, checked line by line.
final class AuditTrailTests: XCTestCase {
    private func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("trail-\(UUID().uuidString.prefix(8)).log").path
    }

    private func trail(_ path: String, reason: String? = "INC-1") throws -> AuditTrail {
        let t = AuditTrail(
            AuditTrail.Context(actor: "ops", reason: reason, command: "revoke-user", arguments: ["revoke-user", "alice"], version: "1.2.3"))
        t.add(try AuditLogFile(path: path))
        t.target = AuditTrail.Target(kind: "redis", endpoint: "127.0.0.1:6379", database: "0", cluster: false, tls: false)
        return t
    }

    private func refs(_ user: String, _ n: Int) -> [SessionRef] {
        (0..<n).map { i in
            SessionRef(
                user: Array(user.utf8), session: Array("s\(i)".utf8), mappingKey: Array("user:\(user):s\(i)".utf8),
                sessionKey: Array("session:s\(i)".utf8))
        }
    }

    func testBoundedCutsOnACharacterAndSaysSo() {
        XCTAssertEqual(AuditTrail.bounded("short", 10), "short")
        let cut = AuditTrail.bounded(String(repeating: "é", count: 100), 40)
        XCTAssertLessThanOrEqual(cut.utf8.count, 40)
        XCTAssertTrue(cut.hasSuffix("…(cut)") && cut.hasPrefix("éé"), cut)
    }

    func testAThousandSessionsSplitIntoLinesWithinTheBound() throws {
        let path = tempPath()
        defer { unlink(path) }
        let t = try trail(path, reason: String(repeating: "r", count: 5_000))
        try t.start()
        try t.record(refs("alice", 1_000) + refs(String(repeating: "u", count: 300), 3), event: "revoke")
        XCTAssertNil(t.end(exitStatus: 0, error: nil))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(lines.allSatisfy { $0.utf8.count <= AuditTrail.maxLine }, "\(lines.map(\.utf8.count).max() ?? 0)")
        let records = try lines.map { try JSONPayload.decode(Array($0.utf8)) }
        let alice = records.filter { $0["user"]?["target"]?["name"]?.text == "alice" }
        XCTAssertGreaterThan(alice.count, 10)
        let parts = alice.compactMap { r -> Int64? in if case .int(let p)? = r["sessionctl"]?["parts"] { return p } else { return nil } }
        XCTAssertEqual(Set(parts), [Int64(alice.count)], "each part says of how many")
        let count = alice.reduce(0) { n, r in if case .list(let s)? = r["sessionctl"]?["sessions"] { return n + s.count } else { return n } }
        XCTAssertEqual(count, 1_000)
        // A 300-byte id is named by its digest.
        XCTAssertEqual(records.filter { $0["user"]?["target"]?["hash"] != nil }.count, 1)
        XCTAssertEqual(records.first?["event"]?["action"]?.text, "run_start")
        XCTAssertEqual(records.last?["event"]?["action"]?.text, "run_end")
        XCTAssertEqual(records.last?["service"]?["version"]?.text, "1.2.3")
        let verdict = try AuditLogVerifier.verify(path: path)
        XCTAssertTrue(verdict.intact, verdict.message)
        XCTAssertEqual(verdict.records, lines.count)
        XCTAssertEqual(verdict.runs, 1)
        XCTAssertEqual(verdict.unfinished, 0)
    }

    /// A sink that takes `accepting` writes and refuses every one after.
    private final class RefusingSink: AuditSink {
        var accepting: Int
        var written: [AuditLine] = []
        init(accepting: Int) { self.accepting = accepting }
        func write(_ lines: [AuditLine], sync: Bool) throws(AuditTrailError) {
            guard accepting > 0 else { throw AuditTrailError("the sink is full") }
            accepting -= 1
            written += lines
        }
    }

    /// An outcome record a sink refuses (after a batch was deleted) stops the next batch as a
    /// refused record before it would, and the trail keeps the loss for the run's exit status.
    func testARefusedRecordAfterABatchStopsTheNextBatch() throws {
        let path = tempPath()
        defer { unlink(path) }
        let t = try trail(path)
        let sink = RefusingSink(accepting: 2)
        t.add(sink)
        try t.start()
        try t.record(refs("alice", 3), event: "revoke")
        XCTAssertNil(t.lost)
        XCTAssertThrowsError(try t.recordOutcome(DeletionOutcome(deleted: refs("alice", 3), failed: []), event: "revoke"))
        XCTAssertNotNil(t.lost)
        sink.accepting = 10
        XCTAssertThrowsError(try t.record(refs("bob", 2), event: "revoke")) { error in
            XCTAssertTrue("\(error)".contains("an earlier audit record could not be written"), "\(error)")
        }
        XCTAssertEqual(sink.written.map(\.action), ["run_start", "revoke"], "nothing of bob's batch went out")
        // The end is still told, in the file and the sink.
        XCTAssertNil(t.end(exitStatus: 1, error: "lost"))
        XCTAssertEqual(sink.written.last?.action, "run_end")
        XCTAssertTrue(try AuditLogVerifier.verify(path: path).intact)
    }

    func testTwoTrailsOnOneFileKeepOneChainAndAnAppendedRunContinuesIt() throws {
        let path = tempPath()
        defer { unlink(path) }
        let a = try trail(path)
        let b = try trail(path)
        try a.start()
        try b.start()
        try a.record(refs("alice", 3), event: "revoke")
        try b.record(refs("bob", 2), event: "revoke")
        XCTAssertNil(b.end(exitStatus: 0, error: nil))
        XCTAssertNil(a.end(exitStatus: 5, error: "a node was lost"))
        let verdict = try AuditLogVerifier.verify(path: path)
        XCTAssertTrue(verdict.intact, verdict.message)
        XCTAssertEqual(verdict.runs, 2)
        XCTAssertNil(verdict.continues, "the file's first record names no line before it")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
        XCTAssertEqual(lines.compactMap { AuditChainLink(line: $0)?.seq }, Array(1...UInt64(lines.count)))
        XCTAssertNil(AuditChainLink(line: lines[0])?.previous)
    }

    func testTheChainLinkIsReadOnlyFromTheLinesEnd() {
        let digest = String(repeating: "ab", count: 32)
        XCTAssertEqual(
            AuditChainLink(line: Array(#"{"a":1,"sessionctl":{"x":1,"chain":{"seq":42,"prev_sha256":"\#(digest)"}}}"#.utf8)),
            AuditChainLink(seq: 42, previous: digest))
        XCTAssertEqual(
            AuditChainLink(line: Array(#"{"sessionctl":{"chain":{"seq":1,"prev_sha256":null}}}"#.utf8)), AuditChainLink(seq: 1, previous: nil))
        for bad in [
            #"{"sessionctl":{"chain":{"seq":1,"prev_sha256":null}}} "#, #"{"sessionctl":{"chain":{"seq":,"prev_sha256":null}}}"#,
            #"{"sessionctl":{"chain":{"seq":1,"prev_sha256":"ABAB"}}}"#, #"{"sessionctl":{"chain":null}}"#, "", "garbage",
            #"{"sessionctl":{"chain":{"seq":99999999999999999999999,"prev_sha256":null}}}"#,
        ] {
            XCTAssertNil(AuditChainLink(line: Array(bad.utf8)), bad)
        }
    }

    func testVerifyReadsHugeAndHostileFilesInBoundedMemory() throws {
        let path = tempPath()
        defer { unlink(path) }
        // A 3 MB line with no newline, then records: the first line is reported, not held.
        var junk = [UInt8](repeating: UInt8(ascii: "x"), count: 3 << 20)
        junk.append(UInt8(ascii: "\n"))
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(junk)))
        let verdict = try AuditLogVerifier.verify(path: path)
        XCTAssertFalse(verdict.intact)
        XCTAssertEqual(verdict.message, "line 1 is \(3 << 20) bytes, longer than any record: it was inserted or changed")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        XCTAssertEqual(try AuditLogVerifier.verify(path: path).message, "intact, 0 records")
        XCTAssertThrowsError(try AuditLogVerifier.verify(path: "/nonexistent/x.log"))
    }
}
