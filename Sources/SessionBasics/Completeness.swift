/// Why part of a result is missing: a node not reached, a scan stopped, a command refused.
///
/// A partial failure is not thrown: the work on other nodes goes on, and the result says it
/// is incomplete (exit status 5). Failures with the same kind, node and cause are one entry
/// with a count in ``Completeness``, so ten thousand commands lost to one node read as one line.
public struct PartialFailure: Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: String, Sendable {
        /// Commands could not be delivered to a node, or its replies did not arrive.
        case nodeUnreachable
        /// No primary serves a slot (the cluster is down for it, or failing over).
        case noPrimary
        /// A node's SCAN did not reach cursor 0.
        case scanStopped
        /// The server refused a command the operation needed (`NOPERM`, `WRONGTYPE`, …).
        case commandFailed
        /// A deletion did not happen.
        case deletionFailed
        /// The cluster kept redirecting a command past the retry policy's limit.
        case redirectLimit
        /// The replicas did not acknowledge deletions in time (`WAIT`): a failover could undo them.
        case replicationUnconfirmed
        /// A revoked session's key kept coming back after its deletions (`--settle`).
        case keptComingBack
        /// The application still let a revoked cookie in, or could not be asked (`--verify-url`).
        case verificationFailed
        /// A file of sessionctl's own could not be written (the spill of the watch after deleting): the run stopped there.
        case spillFailed
        /// Session data that does not decode (past the decoders' limits, or malformed): whose it is cannot be told.
        case undecodable
    }

    /// What went wrong.
    public var kind: Kind
    /// The node (`host:port`), a slot (`slot 42`), or `nil` when no single node is to blame.
    public var node: String?
    /// The reason, as the server or the socket gave it.
    public var cause: String

    /// A failure of `kind` at `node` because of `cause`.
    public init(_ kind: Kind, node: String?, cause: String) {
        self.kind = kind
        self.node = node
        self.cause = cause
    }

    public var description: String {
        let at = node.map { " \($0)" } ?? ""
        switch kind {
        case .nodeUnreachable: return "commands not delivered to\(at.isEmpty ? " a node" : at): \(cause)"
        case .noPrimary: return "no primary serves\(at.isEmpty ? " a slot" : at): \(cause)"
        case .scanStopped: return "scan of\(at.isEmpty ? " a node" : at) stopped: \(cause)"
        case .commandFailed: return "server refused a command\(node.map { " on \($0)" } ?? ""): \(cause)"
        case .deletionFailed: return "deletion failed\(node.map { " on \($0)" } ?? ""): \(cause)"
        case .redirectLimit: return "too many redirects\(node.map { " for \($0)" } ?? ""): \(cause)"
        case .replicationUnconfirmed: return "deletions not confirmed by the replicas\(node.map { " of \($0)" } ?? ""): \(cause)"
        case .keptComingBack: return "a revocation did not hold: \(cause)"
        case .verificationFailed: return "verification: \(cause)"
        case .spillFailed: return "stopped: \(cause)"
        case .undecodable: return "whose sessions cannot be told\(at): \(cause)"
        }
    }

    /// Whether the server refused for want of a permission (`NOPERM`, `NOAUTH`).
    public var isPermission: Bool { cause.contains("NOPERM") || cause.contains("NOAUTH") }
}

/// Whether a result covers everything it should, and if not, what got in the way.
///
/// It holds typed failures (summarised per kind, node and cause, with a count) and whether
/// Ctrl-C cut the work short. The CLI turns it into exit status 0, 5 or 130.
public struct Completeness: Equatable, Sendable {
    /// Distinct failures in the order first seen.
    public private(set) var failures: [PartialFailure] = []
    /// How often each failure in ``failures`` happened.
    public private(set) var counts: [Int] = []
    /// Whether Ctrl-C cut the work short.
    public private(set) var interrupted = false
    /// What went wrong and was made good, so that the result is whole all the same: a node lost
    /// during a scan whose shard was scanned again on its new primary. Said, never silent.
    public private(set) var recoveries: [String] = []

    /// A complete result so far.
    public init() {}

    /// Whether nothing is missing.
    public var isComplete: Bool { failures.isEmpty && !interrupted }

    /// Whether a server refused a command for want of a permission.
    public var deniedPermission: Bool { failures.contains { $0.isPermission } }

    /// Records a failure (once per kind, node and cause, counted).
    public mutating func record(_ failure: PartialFailure, times: Int = 1) {
        if let i = failures.firstIndex(of: failure) {
            counts[i] += times
        } else {
            failures.append(failure)
            counts.append(times)
        }
    }

    /// Records something that went wrong and was made good (once per text).
    public mutating func recordRecovery(_ text: String) {
        if !recoveries.contains(text) { recoveries.append(text) }
    }

    /// Records that Ctrl-C stopped the work.
    public mutating func recordInterruption() {
        interrupted = true
    }

    /// Folds another result's completeness into this one.
    public mutating func merge(_ other: Completeness) {
        for (f, n) in zip(other.failures, other.counts) { record(f, times: n) }
        for r in other.recoveries { recordRecovery(r) }
        if other.interrupted { interrupted = true }
    }
}

/// How far a scan has got, for progress lines.
public struct ScanProgress: Sendable, Equatable {
    /// Keys examined so far (COUNT per SCAN call), over every node.
    public var examined: Int
    /// Keys returned by MATCH so far.
    public var matched: Int

    /// A progress report.
    public init(examined: Int, matched: Int) {
        self.examined = examined
        self.matched = matched
    }
}
