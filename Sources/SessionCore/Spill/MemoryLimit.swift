import SessionBasics

/// How much memory a command may give to what it counts (`users`, `audit`, `diff`, `snapshot`),
/// and where it spills sorted runs past that (`--memory-limit`, `$TMPDIR`).
///
/// Results stay exact at any size: past the budget, records are sorted in runs written to a
/// private temporary directory and merged (see ``ExternalSorter``), never approximated.
public struct MemoryLimit: Sendable, Equatable {
    /// The default budget: 64 MiB.
    public static let defaultBytes = 64 << 20
    /// The smallest budget taken (a few pages; tests use kilobytes to force spilling).
    public static let minimumBytes = 4 << 10

    /// The budget in bytes.
    public var bytes: Int
    /// The directory the private spill directory is made in (`$TMPDIR`, else `/tmp`).
    public var temporaryDirectory: String

    public init(bytes: Int = MemoryLimit.defaultBytes, temporaryDirectory: String = "/tmp") {
        self.bytes = max(bytes, Self.minimumBytes)
        self.temporaryDirectory = temporaryDirectory
    }

    /// The default budget under `$TMPDIR` (else `/tmp`).
    public static func `default`(environment: [String: String]) -> MemoryLimit {
        MemoryLimit(temporaryDirectory: temporaryDirectory(environment))
    }

    /// `$TMPDIR` when set and not empty, else `/tmp`.
    public static func temporaryDirectory(_ environment: [String: String]) -> String {
        environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    }
}
