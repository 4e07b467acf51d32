import Foundation
import SessionPayload
import TestSupport

/// Payloads made by the real serializers installed on this machine (Ruby, PHP, Python), so
/// that every decoder is checked against what the frameworks' languages really write.
enum RealSerializer {
    static func ruby(_ script: String) throws -> [UInt8] {
        try RealSerializerRun.output("ruby", ["-e", script], hint: "apt-get install ruby ruby-rails")
    }

    static func php(_ script: String) throws -> [UInt8] {
        try RealSerializerRun.output(
            "php", ["-d", "session.save_path=/tmp", "-d", "error_reporting=0", "-r", script], hint: "apt-get install php-cli")
    }

    static func python(_ script: String) throws -> [UInt8] {
        try RealSerializerRun.output("python3", ["-c", script], hint: "apt-get install python3; pip install msgspec")
    }
}

extension PayloadValue {
    /// A string value from text.
    static func s(_ text: String) -> PayloadValue { .string(Array(text.utf8)) }
}
