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
        }
    }

    /// What the operator can do about it.
    public var advice: String? {
        if isPermission {
            return "the ACL user lacks a permission: grant what the README's least-privilege ACL user has (\(Self.leastPrivilegeACL)), "
                + "with key patterns that match --mapping and --session-glob"
        }
        switch kind {
        case .nodeUnreachable, .noPrimary, .redirectLimit:
            return "re-run once the node is back or the failover is done"
        case .scanStopped:
            return cause.contains("cursor did not return") || cause.contains("resharding") ? nil : "re-run once the node is back or the failover is done"
        case .replicationUnconfirmed:
            return "the mappings were kept so the sessions stay findable; re-run once the replicas have caught up (--wait-replicas 0 skips the check)"
        case .keptComingBack:
            return "find what writes the key (the application's log for that session), stop it, then revoke again; 'sessionctl show' shows who it belongs to"
        case .commandFailed, .deletionFailed, .verificationFailed:
            return nil
        }
    }

    /// Whether the server refused for want of a permission (`NOPERM`, `NOAUTH`).
    public var isPermission: Bool { cause.contains("NOPERM") || cause.contains("NOAUTH") }

    /// The rules of the README's least-privilege ACL user.
    public static let leastPrivilegeACL = "ACL SETUSER sessionctl on >PASSWORD ~user:* ~session:* resetchannels -@all +scan +get +ttl +strlen +type "
        + "+exists +object|idletime +memory|usage +unlink +wait +info +dbsize +ping +cluster|shards +cluster|slots +cluster|nodes"
}

/// What became of one command of a pipeline: the server's reply, or why there is none.
public enum CommandResult: Equatable, Sendable {
    /// The server answered (an error reply is a value too).
    case reply(RESPValue)
    /// The command never reached a node, or its reply never came back.
    case failed(PartialFailure)
    /// Ctrl-C stopped the exchange before the reply came back.
    case cancelled

    /// The reply, when there is one.
    public var value: RESPValue? {
        if case .reply(let v) = self { return v }
        return nil
    }
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

    /// Records that Ctrl-C stopped the work.
    public mutating func recordInterruption() {
        interrupted = true
    }

    /// Folds another result's completeness into this one.
    public mutating func merge(_ other: Completeness) {
        for (f, n) in zip(other.failures, other.counts) { record(f, times: n) }
        if other.interrupted { interrupted = true }
    }

    /// The reply of `result`, recording a failure or an interruption when there is none.
    public mutating func value(of result: CommandResult) -> RESPValue? {
        switch result {
        case .reply(let v): return v
        case .failed(let f): record(f); return nil
        case .cancelled: interrupted = true; return nil
        }
    }

    /// One line per distinct failure, with its count and advice: what stderr shows.
    public var summary: [String] {
        zip(failures, counts).map { f, n in
            let times = n > 1 ? " (\(n) times)" : ""
            return "\(f)\(times)" + (f.advice.map { "; \($0)" } ?? "")
        }
    }
}

/// How a scan over the keyspace went: its completeness and how much it saw.
/// How a scan found its keys (see ``ScanCapabilities``).
public enum ScanPath: String, Sendable {
    /// SCAN on every node that may hold matching keys, walking each one's keyspace.
    case scan
    /// SCAN on the slot's owner, which walks only that slot (Redis ≥ 7.4, Valkey ≥ 8).
    case singleSlotScan = "single-slot SCAN"
    /// The slot's keys asked of its owner (`CLUSTER GETKEYSINSLOT`), on an older server.
    case slotKeys = "CLUSTER GETKEYSINSLOT"
}

public struct ScanOutcome: Sendable, Equatable {
    /// Whether every node was scanned to cursor 0, and if not why.
    public var completeness = Completeness()
    /// Keys the server returned (after MATCH, before client-side checks).
    public var keysReturned = 0
    /// Keys the server examined, estimated as COUNT per SCAN call.
    public var keysExamined = 0
    /// Where each node's scan stood when it was interrupted (or stopped by the caller): the
    /// cursor of the last page handed over, which a resumed scan starts from again (that page is
    /// seen twice, never missed), or `nil` for a node whose scan had ended. Empty when the scan ran to its end.
    public var resume: [(node: RedisEndpoint.Address, cursor: Bytes?)] = []
    /// How the keys were found.
    public var path = ScanPath.scan

    public static func == (a: ScanOutcome, b: ScanOutcome) -> Bool {
        a.completeness == b.completeness && a.keysReturned == b.keysReturned && a.keysExamined == b.keysExamined
            && a.resume.map(\.node) == b.resume.map(\.node) && a.resume.map(\.cursor) == b.resume.map(\.cursor)
    }

    /// An outcome with nothing seen yet.
    public init() {}

    /// Whether every node was scanned to the end with no failure and no interruption.
    public var isComplete: Bool { completeness.isComplete }
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
