/// The least-privilege ACL users the README gives, one per use: the rules each command needs,
/// in one table that the README's text, the NOPERM advice and the test that runs every command
/// as each user (`ACLEndToEndTests`, which reads the README) all come from.
struct ACLUse: Sendable {
    /// What the user is for, as the README's comment line says.
    let purpose: String
    /// The ACL user's name.
    let user: String
    /// The commands it serves (each run green by the test, on a server and on a TLS cluster).
    let serves: [CommandName]
    /// Key patterns beyond the mapping and session keys (`~user_sessions:*` for `--index`).
    let keys: [String]
    /// Command rules, in the order the README prints them, one line each.
    let rules: [[String]]

    /// Connecting, the topology and `ping`: what every user needs.
    private static let connect = ["+ping", "+info", "+dbsize", "+cluster|shards", "+cluster|slots", "+cluster|nodes"]
    /// Reading mappings and sessions: lookups, counts, audits, snapshots.
    private static let read = [
        "+scan", "+get", "+getrange", "+strlen", "+type", "+exists", "+ttl", "+pttl", "+pexpiretime", "+hscan", "+object|idletime",
        "+memory|usage",
    ]
    private static let readOnly: [CommandName] = [.ping, .list, .show, .users, .audit, .detect, .snapshot, .diff]

    /// Every use, from the least to the most privileged.
    static let all: [ACLUse] = [
        ACLUse(purpose: "lookups and audits", user: "sessionctl-read", serves: readOnly, keys: [], rules: [connect, read]),
        ACLUse(
            purpose: "revocations", user: "sessionctl-revoke", serves: readOnly + [.revoke, .revokeUser, .revokeAll, .prune], keys: [],
            rules: [connect, read, ["+unlink", "+wait"]]),
        ACLUse(
            purpose: "index build", user: "sessionctl-index", serves: readOnly + [.index], keys: [],
            rules: [connect, read, ["+set", "+sadd", "+pexpireat"]]),
        ACLUse(
            purpose: "lookups and revocations through --index user_sessions:<user>", user: "sessionctl-indexed",
            serves: [.list, .users, .audit, .revokeUser, .prune], keys: ["~user_sessions:*"],
            rules: [
                connect, read, ["+unlink", "+wait"], ["+sscan", "+zscan", "+scard", "+zcard", "+sismember", "+zscore", "+srem", "+zrem"],
            ]),
    ]

    /// The command as the README prints it: `ACL SETUSER`, then a rule line each, continued with `\`.
    var command: String {
        let head = (["ACL SETUSER", user, "on", ">PASSWORD", "~user:*", "~session:*"] + keys + ["resetchannels", "-@all"]).joined(separator: " ")
        return ([head] + rules.map { "    " + $0.joined(separator: " ") }).joined(separator: " \\\n")
    }

    /// The README's block: a comment naming the use and what it serves, then the command.
    var readme: String {
        "# \(purpose): \(serves.map(\.rawValue).joined(separator: ", "))\n" + command
    }

    /// Every rule it grants.
    var granted: Set<String> { Set(rules.joined()) }

    /// What to grant for the refused command `redisCommand` (`getrange`, `object|idletime`), for
    /// `sessionctl` running `command`: the rule, and the README's use that has it and serves the command.
    static func advice(refused redisCommand: String, running command: CommandName) -> String {
        let rule = "+" + redisCommand.lowercased()
        let use = all.first { $0.serves.contains(command) && $0.granted.contains(rule) } ?? all.first { $0.granted.contains(rule) }
        let name = redisCommand.uppercased().replacingOccurrences(of: "|", with: " ")
        guard let use else { return "the ACL user may not run \(name), which '\(command.rawValue)' needs: grant \(rule)" }
        return
            "the ACL user may not run \(name), which '\(command.rawValue)' needs: grant \(rule) (the README's ACL user for \(use.purpose), \(use.user), has it)"
    }
}
