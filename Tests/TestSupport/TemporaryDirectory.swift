import Foundation

/// A folder of a test's own under the system's temporary directory, removed with its contents
/// when the value goes away (for spill directories: a test looks inside it to see they are gone).
public final class TemporaryDirectory {
    /// Its absolute path.
    public let path: String

    public init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-test-tmp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// What the folder holds now.
    public func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
