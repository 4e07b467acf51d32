import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// The shells `completion` writes scripts for.
public enum Shell: String, CaseIterable, Sendable {
    case bash, zsh, fish
}

/// Stage two: binds tokens to an ``Invocation`` through the option table, then checks what
/// only the whole line can tell.
public enum Binder {
    /// Parses argv (without the program name) into an invocation.
    public static func parse(_ arguments: [Bytes]) throws(ParseError) -> Invocation {
        try bind(Tokenizer.split(arguments), end: arguments.count + 1)
    }

    /// Binds tokens; options may stand before or after the command. `end` is the argv index
    /// past the last argument, where a missing command or argument was expected.
    public static func bind(_ tokens: [Token], end: Int) throws(ParseError) -> Invocation {
        var inv = Invocation()
        var command: (CommandName, Int)?
        var options: [(OptionSpec, String, Int)] = []
        for token in tokens {
            switch token {
            case .positional(let bytes, let index):
                if command == nil {
                    let word = String(decoding: bytes, as: UTF8.self)
                    guard let name = CommandName(rawValue: word) else {
                        throw .unknownCommand(
                            word, index: index,
                            suggestion: Suggest.closest(to: word, in: CommandName.allCases.map(\.rawValue)))
                    }
                    command = (name, index)
                } else {
                    inv.arguments.append(bytes)
                    inv.argumentIndexes.append(index)
                }
            case .option(let name, let spelling, let value, let index):
                guard let spec = OptionTable.long(name) else { throw .unknownOption(spelling, index: index, suggestion: nil) }
                options.append((spec, spelling, index))
                try spec.binding.bind(&inv, value, spelling, index)
                inv.given.insert(spec.name)
            }
        }
        if let (name, _) = command {
            inv.command = name
        } else if inv.version {
            inv.command = .version
        } else if inv.help {
            inv.command = .help
        } else {
            throw .missingCommand(index: end)
        }
        try check(&inv, options: options, end: end)
        return inv
    }

    // MARK: Whole-line checks

    private static func check(_ inv: inout Invocation, options: [(OptionSpec, String, Int)], end: Int) throws(ParseError) {
        let name = inv.command.rawValue
        if inv.help { return }  // `sessionctl list --help` shows help, whatever else is wrong
        for (spec, spelling, index) in options {
            if let scope = spec.commands, !scope.contains(inv.command) {
                throw .optionNotForCommand(option: spelling, command: name, index: index)
            }
        }
        switch inv.command {
        case .list:
            // A filter on what sessions are (--ip, --user-agent, …) hunts across every user: no user needed.
            if (!inv.filters.hunts && inv.identities.isEmpty) || !inv.arguments.isEmpty {
                try requireIDs(inv, what: "at least one user id, or a filter (--ip, --user-agent, …)", end: end)
            }
        case .revokeUser, .watch:
            if inv.identities.isEmpty || !inv.arguments.isEmpty { try requireIDs(inv, what: "at least one user id", end: end) }
            if inv.command == .watch, let i = inv.arguments.firstIndex(of: [UInt8(ascii: "-")]) {
                throw .conflict("'watch' does not read ids from stdin; name the users", index: inv.argumentIndexes[i])
            }
        case .show, .revoke:
            try requireIDs(inv, what: "at least one session id", end: end)
            if let i = inv.arguments.firstIndex(of: [UInt8(ascii: "-")]) {
                throw .conflict("'\(name)' does not read ids from stdin; name the sessions", index: inv.argumentIndexes[i])
            }
        case .context:
            let sub = inv.arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? "list"
            guard ["list", "show", "use", "current"].contains(sub) else {
                throw .invalidValue(
                    option: "context", value: sub, reason: "expected list, current, show [NAME] or use NAME", index: inv.argumentIndexes[0])
            }
            if sub == "use" && inv.arguments.count != 2 { throw .missingArgument(command: name, what: "the context to use", index: end) }
            if inv.arguments.count > 2 || ((sub == "list" || sub == "current") && inv.arguments.count > 1) {
                throw .unexpectedArgument(
                    command: name, value: String(decoding: inv.arguments.last!, as: UTF8.self), index: inv.argumentIndexes.last!)
            }
        case .verify:
            // Users, or none: every session of the store.
            for (arg, index) in zip(inv.arguments, inv.argumentIndexes) where arg.isEmpty {
                throw .emptyID(command: name, index: index)
            }
        case .diff:
            if let extra = inv.arguments.first {
                throw .unexpectedArgument(command: name, value: String(decoding: extra, as: UTF8.self), index: inv.argumentIndexes[0])
            }
            if inv.diff.against == nil {
                throw .missingArgument(command: name, what: "--against NAME|URL|FILE, the store to compare with", index: end)
            }
        case .users, .audit, .prune, .detect, .revokeAll, .ping, .version, .snapshot, .iamToken:
            if let extra = inv.arguments.first {
                throw .unexpectedArgument(command: name, value: String(decoding: extra, as: UTF8.self), index: inv.argumentIndexes[0])
            }
        case .index:
            guard let sub = inv.arguments.first else { throw .missingArgument(command: name, what: "a subcommand: build", index: end) }
            let text = String(decoding: sub, as: UTF8.self)
            guard text == "build" else {
                throw .invalidValue(option: "index", value: text, reason: "expected build", index: inv.argumentIndexes[0])
            }
            if inv.arguments.count > 1 {
                throw .unexpectedArgument(command: name, value: String(decoding: inv.arguments[1], as: UTF8.self), index: inv.argumentIndexes[1])
            }
        case .auditLog:
            guard let sub = inv.arguments.first else { throw .missingArgument(command: name, what: "a subcommand: verify or show", index: end) }
            let text = String(decoding: sub, as: UTF8.self)
            guard text == "verify" || text == "show" else {
                throw .invalidValue(option: "audit-log", value: text, reason: "expected verify or show", index: inv.argumentIndexes[0])
            }
            guard inv.arguments.count >= 2 else { throw .missingArgument(command: name, what: "the audit log's path", index: end) }
            if inv.arguments.count > 2 {
                throw .unexpectedArgument(command: name, value: String(decoding: inv.arguments[2], as: UTF8.self), index: inv.argumentIndexes[2])
            }
            if text == "verify", let option = ["user", "run", "since"].first(where: inv.given.contains) {
                throw .conflict("--\(option) is for 'audit-log show'; verify reads the whole chain", index: end)
            }
        case .completion:
            let shells = Shell.allCases.map(\.rawValue)
            guard let shell = inv.arguments.first else {
                throw .missingArgument(command: name, what: "a shell: \(OptionBinding.list(shells))", index: end)
            }
            let s = String(decoding: shell, as: UTF8.self)
            guard Shell(rawValue: s) != nil else {
                throw .invalidValue(option: "completion", value: s, reason: "expected \(OptionBinding.list(shells))", index: inv.argumentIndexes[0])
            }
            if inv.arguments.count > 1 {
                throw .unexpectedArgument(command: name, value: String(decoding: inv.arguments[1], as: UTF8.self), index: inv.argumentIndexes[1])
            }
        case .help:
            if let topic = inv.arguments.first {
                let t = String(decoding: topic, as: UTF8.self)
                guard CommandName(rawValue: t) != nil else {
                    throw .unknownCommand(
                        t, index: inv.argumentIndexes[0], suggestion: Suggest.closest(to: t, in: CommandName.allCases.map(\.rawValue)))
                }
            }
        }
        if let text = inv.filters.userAgent, UserAgentPattern(text) == nil, let (_, _, index) = options.first(where: { $0.0.name == "user-agent" }) {
            throw .invalidValue(option: "user-agent", value: text, reason: "not a regular expression", index: index)
        }
        if let text = inv.filters.createdAfter, TimeArgument.seconds(text, now: 0) == nil,
            let (_, _, index) = options.first(where: { $0.0.name == "created-after" })
        {
            throw .invalidValue(
                option: "created-after", value: text, reason: "expected a time (2026-12-07, 2026-12-07T14:00Z) or a duration ago (2h, 7d)",
                index: index)
        }
        if inv.connection.key != nil && inv.connection.cert == nil, let (_, _, index) = options.first(where: { $0.0.name == "key" }) {
            throw .conflict("--key goes with --cert", index: index)
        }
    }

    private static func requireIDs(_ inv: Invocation, what: String, end: Int) throws(ParseError) {
        guard !inv.arguments.isEmpty else { throw .missingArgument(command: inv.command.rawValue, what: what, index: end) }
        for (arg, index) in zip(inv.arguments, inv.argumentIndexes) where arg.isEmpty {
            throw .emptyID(command: inv.command.rawValue, index: index)
        }
    }
}
