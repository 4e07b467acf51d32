import RedisClient
import SessionKit

/// Stage two: binds tokens to an ``Invocation``, then checks what only the whole line can tell.
public enum Binder {
    /// Parses argv (without the program name) into an invocation.
    public static func parse(_ arguments: [Bytes]) throws(ParseError) -> Invocation {
        try bind(Tokenizer.split(arguments))
    }

    /// Binds tokens; options may stand before or after the command.
    public static func bind(_ tokens: [Token]) throws(ParseError) -> Invocation {
        var inv = Invocation()
        var command: (CommandName, Int)?
        var outputSeen: (OutputFormat, String)?
        var options: [(OptionID, String, Int)] = []
        for token in tokens {
            switch token {
            case .positional(let bytes, let index):
                if command == nil {
                    let word = String(decoding: bytes, as: UTF8.self)
                    guard let name = CommandName(rawValue: word) else {
                        throw .unknownCommand(word, index: index,
                                              suggestion: Suggest.closest(to: word, in: CommandName.allCases.map(\.rawValue)))
                    }
                    command = (name, index)
                } else {
                    inv.arguments.append(bytes)
                    inv.argumentIndexes.append(index)
                }
            case .option(let id, let spelling, let value, let index):
                options.append((id, spelling, index))
                try apply(id, spelling: spelling, value: value, index: index, to: &inv, outputSeen: &outputSeen)
            }
        }
        if let (name, _) = command {
            inv.command = name
        } else if inv.version {
            inv.command = .version
        } else if inv.help {
            inv.command = .help
        } else {
            throw .missingCommand
        }
        try check(&inv, options: options)
        return inv
    }

    // MARK: Values

    private static func apply(_ id: OptionID, spelling: String, value: Bytes?, index: Int,
                              to inv: inout Invocation, outputSeen: inout (OutputFormat, String)?) throws(ParseError) {
        let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
        func invalid(_ why: String) -> ParseError { .invalidValue(option: spelling, value: text, reason: why, index: index) }
        func seconds() throws(ParseError) -> Double {
            guard let s = Double(text), s.isFinite, s > 0, s <= 86_400 else { throw invalid("expected a number of seconds greater than 0, such as 5 or 0.5") }
            return s
        }
        func count(_ range: ClosedRange<Int>) throws(ParseError) -> Int {
            guard let n = Int(text), range.contains(n) else {
                throw invalid("expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        func nonEmpty() throws(ParseError) -> String {
            guard !text.isEmpty else { throw invalid("must not be empty") }
            return text
        }
        switch id {
        case .url: inv.url = try nonEmpty()
        case .passwordFile: inv.passwordFile = try nonEmpty()
        case .connectTimeout: inv.connectTimeout = try seconds()
        case .timeout: inv.timeout = try seconds()
        case .tls: inv.tls = true
        case .cacert: inv.cacert = try nonEmpty()
        case .cacertdir: inv.cacertdir = try nonEmpty()
        case .cert: inv.cert = try nonEmpty()
        case .key: inv.key = try nonEmpty()
        case .sni: inv.sni = try nonEmpty()
        case .insecure: inv.insecure = true
        case .cluster, .noCluster:
            let wanted = id == .cluster
            if let previous = inv.cluster, previous != wanted { throw .conflict("--cluster and --no-cluster contradict each other") }
            inv.cluster = wanted
        case .output, .json:
            let format: OutputFormat
            if id == .json {
                format = .json
            } else {
                guard let f = OutputFormat(rawValue: text) else {
                    let hint = Suggest.closest(to: text, in: OutputFormat.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""
                    throw invalid("expected table, json or ndjson\(hint)")
                }
                format = f
            }
            if let (previous, where_) = outputSeen, previous != format {
                throw .conflict("\(where_) and \(spelling) ask for different output formats")
            }
            outputSeen = (format, id == .json ? "--json" : "\(spelling) \(text)")
            inv.output = format
        case .noColor: inv.noColor = true
        case .quiet: inv.quiet = true
        case .mapping: inv.mapping = try nonEmpty()
        case .sessionKey: inv.sessionKey = try nonEmpty()
        case .sessionGlob: inv.sessionGlob = try nonEmpty()
        case .scanCount: inv.scanCount = try count(1...1_000_000)
        case .user:
            guard let value, !value.isEmpty else { throw invalid("a user id must not be empty") }
            inv.user = value
        case .sort:
            guard let s = UserSort(rawValue: text) else { throw invalid("expected count or user") }
            inv.sort = s
        case .min: inv.min = try count(1...Int(Int32.max))
        case .top: inv.top = try count(1...Int(Int32.max))
        case .rate: inv.rate = try count(1...1_000_000_000)
        case .auditLog: inv.auditLog = try nonEmpty()
        case .actor: inv.actor = try nonEmpty()
        case .reason: inv.reason = try nonEmpty()
        case .auditStream:
            guard let value, !value.isEmpty else { throw invalid("a stream key must not be empty") }
            inv.auditStream = value
        case .dryRun: inv.dryRun = true
        case .yes: inv.yes = true
        case .help: inv.help = true
        case .version: inv.version = true
        }
    }

    // MARK: Whole-line checks

    private static func check(_ inv: inout Invocation, options: [(OptionID, String, Int)]) throws(ParseError) {
        let name = inv.command.rawValue
        if inv.help { return } // `sessionctl list --help` shows help, whatever else is wrong
        for (id, spelling, index) in options {
            if let scope = OptionTable.spec(id).commands, !scope.contains(inv.command) {
                throw .optionNotForCommand(option: spelling, command: name, index: index)
            }
        }
        switch inv.command {
        case .list, .revokeUser:
            try requireIDs(inv, what: "at least one user id")
        case .show, .revoke:
            try requireIDs(inv, what: "at least one session id")
            if inv.arguments.contains([UInt8(ascii: "-")]) {
                throw .conflict("'\(name)' does not read ids from stdin; name the sessions")
            }
        case .users, .audit, .prune, .ping, .version:
            if let extra = inv.arguments.first {
                throw .unexpectedArgument(command: name, value: String(decoding: extra, as: UTF8.self), index: inv.argumentIndexes[0])
            }
        case .completion:
            guard let shell = inv.arguments.first else { throw .missingArgument(command: name, what: "a shell: bash, zsh or fish") }
            let s = String(decoding: shell, as: UTF8.self)
            guard ["bash", "zsh", "fish"].contains(s) else {
                throw .invalidValue(option: "completion", value: s, reason: "expected bash, zsh or fish", index: inv.argumentIndexes[0])
            }
            if inv.arguments.count > 1 {
                throw .unexpectedArgument(command: name, value: String(decoding: inv.arguments[1], as: UTF8.self), index: inv.argumentIndexes[1])
            }
        case .help:
            if let topic = inv.arguments.first {
                let t = String(decoding: topic, as: UTF8.self)
                guard CommandName(rawValue: t) != nil else {
                    throw .unknownCommand(t, index: inv.argumentIndexes[0], suggestion: Suggest.closest(to: t, in: CommandName.allCases.map(\.rawValue)))
                }
            }
        }
        if inv.key != nil && inv.cert == nil {
            throw .conflict("--key goes with --cert")
        }
    }

    private static func requireIDs(_ inv: Invocation, what: String) throws(ParseError) {
        guard !inv.arguments.isEmpty else { throw .missingArgument(command: inv.command.rawValue, what: what) }
        for (arg, index) in zip(inv.arguments, inv.argumentIndexes) where arg.isEmpty {
            throw .emptyID(command: inv.command.rawValue, index: index)
        }
    }
}
