import SessionBasics

/// What the operator can do about a partial failure: the CLI's words, kept out of the layers
/// below it (they speak of options and of the README).
extension PartialFailure {
    /// What the operator can do about it, while sessionctl runs `command`.
    func advice(running command: CommandName) -> String? {
        if isPermission {
            // "NOPERM User x has no permissions to run the 'getrange' command"
            if let open = cause.range(of: "run the '"), let close = cause[open.upperBound...].range(of: "' command") {
                return ACLUse.advice(refused: String(cause[open.upperBound..<close.lowerBound]), running: command)
            }
            return "the ACL user may not read or delete these keys: give it key patterns that match --mapping and --session-glob "
                + "(~user:* ~session:*, as the README's ACL users have)"
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

}

extension Completeness {
    /// One line per distinct failure, with its count and advice: what stderr shows.
    func summary(running command: CommandName) -> [String] {
        zip(failures, counts).map { f, n in
            let times = n > 1 ? " (\(n) times)" : ""
            return "\(f)\(times)" + (f.advice(running: command).map { "; \($0)" } ?? "")
        }
    }
}
