import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// What `revoke-all` did (or, dry, would do), counted from the server's replies.
public struct RevokeAllResult: Sendable {
    /// Session keys seen under the glob.
    public var sessions = 0
    /// Sessions revoked (a dry run: that would be).
    public var revoked = 0
    /// Sessions the filters kept out, and those a filter could not decide (age or IP unknown).
    public var kept = 0
    public var undecided = 0
    /// Sessions deleting would not end (a preset's reason), left alone.
    public var refused = 0
    /// Keys under the globs that are not the preset's sessions (another id shape), left alone; a few of them.
    public var notSessions = 0
    public var notSessionExamples: [Bytes] = []
    public var sessionKeysDeleted = 0
    public var mappingKeysDeleted = 0
    public var indexMembersRemoved = 0
    /// A few session keys revoked, and a few kept with the reason.
    public var examples: [Bytes] = []
    public var keptExamples: [(key: Bytes, reason: String)] = []
    public var completeness = Completeness()
    /// Why it stopped before deleting a batch (the audit record could not be written).
    public var stoppedBy: AuditTrailError?
    /// Whether the session keys are done and the mappings are being removed.
    public var removingMappings = false
    /// Whether the deleted keys are being watched for write-backs (`--settle`).
    public var settling = false
    /// The watch after the deletions: what came back and was deleted again.
    public var settle = SettleReport()

    public init() {}
}
