import SessionCore

/// The commands sessionctl knows.
public enum CommandName: String, CaseIterable, Sendable {
    case list, show, revoke
    case revokeUser = "revoke-user"
    case revokeAll = "revoke-all"
    case users, audit, prune, detect, index, snapshot, diff, verify, watch, context, ping, completion, help, version
    case auditLog = "audit-log"
    case iamToken = "iam-token"

    /// Whether it connects to Redis.
    public var talksToServer: Bool {
        switch self {
        case .completion, .help, .version, .context, .auditLog, .iamToken: return false
        default: return true
        }
    }

    /// Whether it deletes keys.
    public var isDestructive: Bool { self == .revoke || self == .revokeUser || self == .revokeAll || self == .prune }

    /// Whether it changes keys (deletes, or writes mappings): these have --dry-run and an audit trail.
    public var changesKeys: Bool { isDestructive || self == .index || self == .watch }
}

/// One command's declaration: arguments and help.
public struct CommandSpec: Sendable {
    /// Its name.
    public let name: CommandName
    /// Its arguments as help shows them.
    public let arguments: String
    /// One line of help.
    public let summary: String
    /// A longer description for `help COMMAND`.
    public let details: String
    /// What the store must be able to do for the command to run there (rule 15).
    public var requires: StoreCapabilities = []
}

/// The command table.
public enum CommandTable {
    /// Every command, in help order.
    public static let all: [CommandSpec] = [
        CommandSpec(
            name: .verify, arguments: "[USER...]", summary: "ask the application whether each session of each user still logs in (changes nothing)",
            details:
                "Sends each session's cookie (of each USER, or of every session of the store, paced by --rate questions a second) to --verify-url, made with each --app-key-file given (a blue/green deploy's old and new APP_KEY), and reports per session and key whether the application accepts it (logged_in), refuses it, or gave no answer that proves anything (inconclusive, failed, no_cookie: exit 5). Nothing is revoked; a session the application starts for a question (its Set-Cookie) is deleted again while anonymous."
        ),
        CommandSpec(
            name: .watch, arguments: "USER... --for DURATION [--revoke]",
            summary: "a lockout window: report (and with --revoke end) each new session of the users",
            details:
                "Reads the users' sessions (their index, mapping keys or rows) when keyspace notifications say they changed (where a standalone server sends them) or every --interval (default 2s), for --for (default 15m) or until Ctrl-C, and reports each session that was not there before as it appears, with its IP and user agent; with --revoke, deletes it at once, with the guards, audit records and watch after deleting of revoke. Sessions there at the start are counted, not touched (revoke-user ends them). Ends with a summary."
        ),
        CommandSpec(
            name: .iamToken, arguments: "--region R --cache-name NAME --user USER",
            summary: "print an IAM authentication token for ElastiCache or MemoryDB",
            details:
                "Presigns, with AWS Signature Version 4, a GET of http://NAME/?Action=connect&User=USER (&ResourceType=ServerlessCache with --serverless) for --service elasticache (default) or memorydb in --region, valid for 15 minutes, and prints it without the http://: the password other clients give with the user (redis-cli: REDISCLI_AUTH=\"$(sessionctl iam-token …)\" redis-cli --user USER). Credentials are found as the AWS SDKs find them: the environment, the shared files (AWS_PROFILE), the ECS task role, EC2 instance metadata (IMDSv2). Nothing secret is printed but the token."
        ),
        CommandSpec(
            name: .list, arguments: "USER...", summary: "list the sessions of each user",
            details:
                "Finds each user's mapping keys with SCAN MATCH (never KEYS), re-checks every key exactly, and shows each session's key, TTL and size."
        ),
        CommandSpec(
            name: .show, arguments: "SESSION...", summary: "show one session: owner, TTL, size, idle time, payload",
            details:
                "Finds the session's mapping (scanning, or directly with --user) and prints its owner, keys, TTL, size, idle time and payload. Exits 3 when a session is not found."
        ),
        CommandSpec(
            name: .revoke, arguments: "SESSION...", summary: "revoke sessions by id",
            details: "Deletes each session's key, then its mapping key. --user narrows to one user's mapping. Exits 3 when a session is not found."),
        CommandSpec(
            name: .revokeUser, arguments: "USER...", summary: "revoke every session of each user (\"-\" reads ids from stdin)",
            details:
                "Deletes every session key of each user, then the mapping keys. \"-\" reads user ids from standard input, one per line (blank lines, CRLF and surrounding spaces are ignored), in batches as they arrive; from four users on, one scan pass serves a whole batch."
        ),
        CommandSpec(
            name: .revokeAll, arguments: "", summary: "revoke every session under the glob (after a leaked secret)",
            details:
                "Deletes every session key under --session-glob (or the framework's) that the filters keep, page by page as SCAN finds them, all primaries at once, with an audit record ahead of each page; then the mapping keys (and index members) that pointed at a key it deleted, and nothing else. On a terminal it asks you to type the server's host (host or host:port) to confirm; --yes in scripts; --dry-run counts and shows examples. Ctrl-C stops between pages and says what was done."
        ),
        CommandSpec(
            name: .users, arguments: "", summary: "every user with a mapping, with counts",
            details:
                "Scans every mapping key once and counts mapping keys per user (a fast count: a mapping whose session is gone still counts); --live checks each mapping's session and counts live sessions and stale mappings apart. Exact in --memory-limit at any size. The session id is taken not to contain the separator of --mapping."
        ),
        CommandSpec(
            name: .audit, arguments: "", summary: "whole-keyspace report: orphans, sessions that never expire, unmapped sessions, top users",
            details:
                "One pass over every mapping key and one over the session keys under --session-glob. Reports mapping keys, users, live sessions, orphaned mappings, mappings and sessions without expiry, mappings that expire before their session, sessions no mapping points to, refused mappings, the top users and a TTL histogram, with example keys. Exits 0 when complete, whatever it finds, and 5 when part of the keyspace could not be scanned."
        ),
        CommandSpec(
            name: .prune, arguments: "", summary: "delete mappings whose session no longer exists (a SQL table: rows past their lifetime)",
            details:
                "Finds orphaned mappings (the session key is gone), waits until --grace (default 60s) has passed since that check, checks each again, and deletes only the mapping keys whose session is still missing: an application may write a mapping just before its session. Mappings refused by --session-glob are never touched."
        ),
        CommandSpec(
            name: .detect, arguments: "", summary: "sample the keyspace: which framework, payload format and mapping it looks like",
            details:
                "Scans until it has seen a few thousand keys (at most 5,000), classifies them against every --framework preset's session globs and mapping templates, reads up to 20 payloads per glob (512 bytes each) to name their format, and prints what it saw with counts, an example each, and the flags to use. Says so when nothing matches.",
            requires: .detect),
        CommandSpec(
            name: .index, arguments: "build", summary: "write the mapping for sessions that have none, from their payloads",
            details:
                "index build walks the session keys under the glob in one SCAN pass, reads their payloads in pipelined batches, decodes each with --framework's decoder, finds its user, and writes the mapping key with the session's own expiry (SET … PXAT its PEXPIRETIME). Idempotent: a mapping already in place is counted, not written again. Sessions with no user (anonymous) are counted, not mapped. --dry-run says what it would write; an audit record is written ahead of each batch; Ctrl-C stops between pages and prints a --resume token.",
            requires: .payloadScan),
        CommandSpec(
            name: .snapshot, arguments: "", summary: "write every session (user, id, data digest) as NDJSON, for diff to compare with",
            details:
                "Reads every mapped session (Redis: one SCAN over the mapping keys, pipelined reads of their sessions; a SQL table: every row of a user) and writes a header line, then one line per session: user, session and the SHA-256 of its decoded data (the same session stored in two encodings has one digest). Take one before a blue/green deploy or a migration (redirect it to a file) and compare after: 'sessionctl diff' with the file."
        ),
        CommandSpec(
            name: .diff, arguments: "", summary: "compare two stores user by user: sessions only in one, data that differs",
            details:
                "Compares --url (A) with --against (B): a context's name (B gets that context's URL, TLS files, password, cluster mode and framework), another store's URL (redis://, rediss://, postgres://, mysql://, sqlite:///…; B takes A's key layout and none of A's connection settings), or a snapshot file; stderr says what B was read with. Per user: sessions only in A (lost by B), only in B, and sessions whose data digests differ. Memory stays bounded at any size: both sides are spilled to 64 partition files by user in a private temporary directory (removed afterwards) and compared a partition at a time. --exit-code exits 1 when there is a difference, as git diff --exit-code."
        ),
        CommandSpec(
            name: .context, arguments: "list|current|show [NAME]|use NAME", summary: "the contexts of the configuration file",
            details:
                "Contexts live in $SESSIONCTL_CONFIG, else $XDG_CONFIG_HOME/sessionctl/config.yaml, else ~/.config/sessionctl/config.yaml: named sets of options (url, TLS files, cluster, framework, layout, index, audit log, actor, password-file). --context NAME or $SESSIONCTL_CONTEXT picks one, current-context is the default. Precedence: a flag, then the environment, then the context, then the built-in default. 'context show' never prints a password; a file holding one that group or others can read is refused."
        ),
        CommandSpec(
            name: .auditLog, arguments: "verify|show FILE", summary: "check an audit log's chain, or show the runs it records",
            details:
                "verify reads the log a line at a time and checks that each record names the digest and number of the line before it: it reports the first line that was changed, removed or inserted, or a last line cut short (exit 1), else \"intact, N records in M runs, first … last …\". show prints each run (who, when, command, target, outcome, exit status, sessions deleted and failed, users) from its records; --run, --user and --since narrow it; -o json for scripts. Neither connects to anything."
        ),
        CommandSpec(
            name: .ping, arguments: "", summary: "connection check: server, version, mode, nodes, latency",
            details: "Connects, authenticates and reports what the server says of itself with the round-trip latency."),
        CommandSpec(
            name: .completion, arguments: "bash|zsh|fish", summary: "print a completion script",
            details: "Prints the completion script for the shell, e.g. sessionctl completion bash > /etc/bash_completion.d/sessionctl"),
        CommandSpec(
            name: .help, arguments: "[COMMAND]", summary: "show help for sessionctl or a command",
            details: "Shows the commands and options, or one command's arguments and options."),
        CommandSpec(
            name: .version, arguments: "", summary: "print the version",
            details: "Prints sessionctl's version."),
    ]

    /// Two real command lines per command, shown by `help COMMAND`.
    public static let examples: [CommandName: [String]] = [
        .list: ["sessionctl list alice -o wide --framework rails", "sessionctl list alice bob -o json | jq -r '.sessions[].session_key'"],
        .show: [
            "sessionctl show 4f1c9a --framework rails", "sessionctl show --cookie \"$COOKIE\" --framework express --secret-file secrets.txt -o json",
        ],
        .revoke: ["sessionctl revoke 4f1c9a --dry-run", "sessionctl revoke 4f1c9a --user alice --yes --reason INC-42"],
        .revokeUser: [
            "sessionctl revoke-user alice --dry-run",
            "cut -d, -f1 compromised.csv | sessionctl revoke-user - --yes --audit-log /var/log/sessionctl.log",
        ],
        .revokeAll: ["sessionctl revoke-all --framework rails --dry-run", "sessionctl revoke-all --older-than 30d --yes --reason INC-2041"],
        .users: ["sessionctl users --top 20", "sessionctl users --live --min 50 -o ndjson"],
        .audit: ["sessionctl audit", "sessionctl audit -o json --rate 50000 | jq .counts"],
        .prune: ["sessionctl prune --dry-run", "sessionctl prune --yes --grace 15m --audit-log /var/log/sessionctl.log"],
        .detect: ["sessionctl detect", "sessionctl detect -o json | jq -r .suggestion.flags"],
        .index: [
            "sessionctl --framework rails index build --dry-run",
            "sessionctl --framework flask index build --audit-log /var/log/sessionctl.log -o json",
        ],
        .snapshot: ["sessionctl --framework rails snapshot", "sessionctl --url postgres://app@db/app --framework laravel snapshot"],
        .diff: ["sessionctl diff --against rediss://new-cluster:6379 --exit-code", "sessionctl diff --against before.ndjson -o json"],
        .verify: [
            "sessionctl verify 51 --verify-url https://app.example/home --framework laravel --app-key-file blue.env --app-key-file green.env",
            "sessionctl verify --verify-url https://app.example/me --framework flask --rate 20 -o json",
        ],
        .context: ["sessionctl context list", "sessionctl --context staging list alice"],
        .iamToken: [
            "sessionctl iam-token --region us-east-1 --cache-name sessions-prod --user sessionctl",
            "sessionctl iam-token --region eu-west-1 --cache-name sessions --user ops --service memorydb",
        ],
        .watch: [
            "sessionctl watch 42 --for 15m --revoke --yes --reason INC-7 --audit-log /var/log/sessionctl.log",
            "sessionctl --context rails watch --identity alice@example.com --for 30m -o ndjson",
        ],
        .auditLog: [
            "sessionctl audit-log verify /var/log/sessionctl.log", "sessionctl audit-log show /var/log/sessionctl.log --user alice --since 7d",
        ],
        .ping: ["sessionctl ping", "sessionctl ping -u rediss://clustercfg.example:6379 --cacert ca.pem -o json"],
        .completion: [
            "sessionctl completion bash > /etc/bash_completion.d/sessionctl",
            "sessionctl completion fish > ~/.config/fish/completions/sessionctl.fish",
        ],
        .help: ["sessionctl help revoke-user", "sessionctl --help"],
        .version: ["sessionctl version", "sessionctl --version"],
    ]

    /// The declaration of `name`.
    public static func spec(_ name: CommandName) -> CommandSpec {
        all.first { $0.name == name }!
    }
}
