import SessionBasics

/// What the operator can do about a partial failure: the CLI's words, kept out of the layers
/// below it (they speak of options and of the README).
extension PartialFailure {
    /// What the operator can do about it.
    var advice: String? {
        if isPermission {
            return "the ACL user lacks a permission: grant what the README's least-privilege ACL user has (\(Self.leastPrivilegeACL)), "
                + "with key patterns that match --mapping and --session-glob"
        }
        switch kind {
        case .nodeUnreachable, .noPrimary, .redirectLimit:
            return "re-run once the node is back or the failover is done"
        case .scanStopped:
            return cause.contains("cursor did not return") || cause.contains("resharding")
                ? nil : "re-run once the node is back or the failover is done"
        case .replicationUnconfirmed:
            return "the mappings were kept so the sessions stay findable; re-run once the replicas have caught up (--wait-replicas 0 skips the check)"
        case .keptComingBack:
            return
                "find what writes the key (the application's log for that session), stop it, then revoke again; 'sessionctl show' shows who it belongs to"
        case .undecodable:
            return "they may be this user's: revoke them by id ('sessionctl revoke ID'), or end them with revoke-all"
        case .spillFailed:
            return "set $TMPDIR to a directory with room, or raise --memory-limit, then run again: what was not revoked is still there"
        case .commandFailed, .deletionFailed, .verificationFailed:
            return nil
        }
    }

    /// The rules of the README's least-privilege ACL user.
    static let leastPrivilegeACL =
        "ACL SETUSER sessionctl on >PASSWORD ~user:* ~session:* resetchannels -@all +scan +get +ttl +strlen +type "
        + "+exists +object|idletime +memory|usage +unlink +wait +info +dbsize +ping +cluster|shards +cluster|slots +cluster|nodes"
}

extension Completeness {
    /// One line per distinct failure, with its count and advice: what stderr shows.
    var summary: [String] {
        zip(failures, counts).map { f, n in
            let times = n > 1 ? " (\(n) times)" : ""
            return "\(f)\(times)" + (f.advice.map { "; \($0)" } ?? "")
        }
    }
}
