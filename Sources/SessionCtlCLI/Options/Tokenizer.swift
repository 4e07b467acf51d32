import RedisClient
import SessionBasics

/// One argument after the first parsing stage: an option with its value, or a positional.
public enum Token: Equatable, Sendable {
    /// An option by its long name, as written (`--output`, `-o`), its value if it takes one, and the argv index.
    case option(String, spelling: String, value: Bytes?, index: Int)
    /// A positional argument (the command, ids, `-` for stdin) and its argv index.
    case positional(Bytes, index: Int)
}

/// Stage one: splits argv into tokens using the option table, keeping each token's index.
///
/// `--name=value` and `--name value`, `-o value`, `-ovalue` and clustered flags (`-yq`) are
/// understood; `--` makes everything after it positional; `-` alone is positional (stdin).
public enum Tokenizer {
    /// Splits `arguments` (argv without the program name); indexes count from 1 as argv does.
    public static func split(_ arguments: [Bytes]) throws(ParseError) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        var onlyPositionals = false
        func index(_ i: Int) -> Int { i + 1 }
        while i < arguments.count {
            let arg = arguments[i]
            let text = String(decoding: arg, as: UTF8.self)
            defer { i += 1 }
            if onlyPositionals || arg.count < 2 || arg[0] != UInt8(ascii: "-") {
                tokens.append(.positional(arg, index: index(i)))
                continue
            }
            if text == "--" {
                onlyPositionals = true
                continue
            }
            if text.hasPrefix("--") {
                let body = text.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                guard let spec = OptionTable.long(name) else {
                    throw .unknownOption(
                        "--\(name)", index: index(i),
                        suggestion: Suggest.closest(to: name, in: OptionTable.all.map(\.name)).map { "--\($0)" })
                }
                if let eq = arg.firstIndex(of: UInt8(ascii: "=")) {
                    guard spec.takesValue else { throw .unexpectedValue(option: "--\(name)", index: index(i)) }
                    tokens.append(.option(spec.name, spelling: "--\(name)", value: Array(arg[(eq + 1)...]), index: index(i)))
                } else if spec.takesValue {
                    guard i + 1 < arguments.count else { throw .missingValue(option: "--\(name)", index: index(i)) }
                    tokens.append(.option(spec.name, spelling: "--\(name)", value: arguments[i + 1], index: index(i)))
                    i += 1
                } else {
                    tokens.append(.option(spec.name, spelling: "--\(name)", value: nil, index: index(i)))
                }
                continue
            }
            // Short options, possibly clustered: -yq, -ojson, -o json.
            var rest = Array(text.dropFirst())
            while let c = rest.first {
                rest.removeFirst()
                guard let spec = OptionTable.short(c) else {
                    throw .unknownOption("-\(c)", index: index(i), suggestion: OptionTable.long(String(text.dropFirst())).map { "--\($0.name)" })
                }
                if spec.takesValue {
                    if !rest.isEmpty {
                        tokens.append(.option(spec.name, spelling: "-\(c)", value: Array(String(rest).utf8), index: index(i)))
                    } else {
                        guard i + 1 < arguments.count else { throw .missingValue(option: "-\(c)", index: index(i)) }
                        tokens.append(.option(spec.name, spelling: "-\(c)", value: arguments[i + 1], index: index(i)))
                        i += 1
                    }
                    break
                }
                tokens.append(.option(spec.name, spelling: "-\(c)", value: nil, index: index(i)))
            }
        }
        return tokens
    }
}
