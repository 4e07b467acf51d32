import Foundation
import SessionPayload
import TestSupport
import XCTest

/// Payloads made by the real serializers installed on this machine (Ruby, PHP, Python), so
/// that every decoder is checked against what the frameworks' languages really write.
enum RealSerializer {
    /// The bytes `program` writes to stdout when run with `arguments`; fails with an install hint when it is missing.
    static func output(_ program: String, _ arguments: [String], hint: String, file: StaticString = #filePath, line: UInt = #line) throws -> [UInt8] {
        guard let path = which(program) else {
            XCTFail("\(program) is not installed: \(hint) (scripts/setup.sh installs it)", file: file, line: line)
            throw TestSupportError("\(program) missing")
        }
        let env = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "PYTHONPATH", "LANG"].contains($0.key) }
        let run = try Sessionctl.exec(path, arguments.map { Data($0.utf8) }, environment: env, stdin: nil, timeout: 60)
        guard run.status == 0 else {
            XCTFail("\(program) failed: \(run.stderr)", file: file, line: line)
            throw TestSupportError("\(program) failed")
        }
        return Array(run.stdoutBytes)
    }

    private static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func ruby(_ script: String) throws -> [UInt8] {
        try output("ruby", ["-e", script], hint: "apt-get install ruby")
    }

    static func php(_ script: String) throws -> [UInt8] {
        try output("php", ["-d", "session.save_path=/tmp", "-d", "error_reporting=0", "-r", script], hint: "apt-get install php-cli")
    }

    static func python(_ script: String) throws -> [UInt8] {
        try output("python3", ["-c", script], hint: "apt-get install python3 (and pip install msgspec for MessagePack)")
    }
}

extension PayloadValue {
    /// A string value from text.
    static func s(_ text: String) -> PayloadValue { .string(Array(text.utf8)) }
}
