import SessionBasics

/// How a hunt across every user went (`list --ip CIDR` with no user): which keys it walked, and how
/// many sessions it examined to find what it kept.
public struct HuntSummary: Equatable, Sendable {
    /// How the sessions were found: `index` (each user's index), `mappings` (the mapping keys), `rows` (a table).
    public var method: String
    /// What was walked, in words (`one SCAN pass over user:*:*`).
    public var walked: String
    /// Sessions examined.
    public var examined = 0
    /// Sessions the filters kept.
    public var matched = 0
    /// Whether every node (or row) was read.
    public var completeness = Completeness()

    /// A summary of a hunt that has not begun.
    package init(method: String, walked: String) {
        self.method = method
        self.walked = walked
    }
}
