import SessionBasics

/// What `list` found: every session of the named users, the mappings refused, and whether the scan was whole.
public struct ListResult: Equatable, Sendable {
    /// Sessions, grouped by user in the order the users were named, then by session id.
    public var sessions: [SessionRecord] = []
    /// Mappings that were not followed, with the reason.
    public var refused: [Refusal] = []
    /// Sessions the filters left out.
    public var filteredOut: [FilteredOut] = []
    /// Whether every node was scanned.
    public var completeness = Completeness()
    /// Whether `bytes` is the key's memory (`MEMORY USAGE`) rather than the payload's length: on a
    /// server whose reads touch keys (before Redis 7.2), so that listing leaves idle times alone.
    public var bytesAreMemory = false

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(
        sessions: [SessionRecord] = [], refused: [Refusal] = [], filteredOut: [FilteredOut] = [], completeness: Completeness = Completeness(),
        bytesAreMemory: Bool = false
    ) {
        self.sessions = sessions
        self.refused = refused
        self.filteredOut = filteredOut
        self.completeness = completeness
        self.bytesAreMemory = bytesAreMemory
    }
}
