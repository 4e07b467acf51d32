import Foundation
import TestSupport
import XCTest

/// One audit record as a test reads it back: the ECS fields and the `sessionctl` object.
struct AuditRecordLine {
    let raw: [String: Any]
    let text: String

    var event: [String: Any] { raw["event"] as? [String: Any] ?? [:] }
    var action: String { event["action"] as? String ?? "" }
    var outcome: String { event["outcome"] as? String ?? "" }
    var s: [String: Any] { raw["sessionctl"] as? [String: Any] ?? [:] }
    var phase: String? { s["phase"] as? String }
    var actor: String? { (raw["user"] as? [String: Any])?["name"] as? String }
    var owner: String? { ((raw["user"] as? [String: Any])?["target"] as? [String: Any])?["name"] as? String }
    var run: String? { (raw["trace"] as? [String: Any])?["id"] as? String }
    var host: String? { (raw["host"] as? [String: Any])?["name"] as? String }
    var counts: [String: Int] { s["counts"] as? [String: Int] ?? [:] }
    var sessions: [[String: Any]] { s["sessions"] as? [[String: Any]] ?? [] }
    var ids: [String] { sessions.compactMap { $0["id_sha256"] as? String } }
    var keys: [String] { sessions.compactMap { $0["key_sha256"] as? String } }
    var target: [String: Any] { s["target"] as? [String: Any] ?? [:] }
}

/// The records of the audit log at `url`, in order (each validated against the schema already, by the run that wrote it).
func auditRecords(_ url: URL) throws -> [AuditRecordLine] {
    try auditRecords(text: String(contentsOf: url, encoding: .utf8))
}

func auditRecords(text: String) throws -> [AuditRecordLine] {
    try text.split(separator: "\n").map { line in
        AuditRecordLine(raw: try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line)), text: String(line))
    }
}

/// The SHA-256 digests (hex) of `texts`, computed by Python's hashlib, in one process.
func digests(_ texts: [String]) throws -> [String] {
    let r = try Sessionctl.exec(
        "/usr/bin/python3",
        ["-c", "import hashlib, sys\nfor l in sys.stdin.read().split('\\n')[:-1]: print(hashlib.sha256(l.encode()).hexdigest())"].map {
            Data($0.utf8)
        },
        environment: [:], stdin: Data(texts.map { $0 + "\n" }.joined().utf8), timeout: 30)
    let out = r.stdout.split(separator: "\n").map(String.init)
    guard r.status == 0, out.count == texts.count else { throw TestSupportError("python3's hashlib failed: \(r)") }
    return out
}
