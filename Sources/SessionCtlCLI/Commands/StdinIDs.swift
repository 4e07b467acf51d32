/// Ids read from standard input: one per line; CRLF, surrounding spaces and tabs, and blank lines are ignored.
enum StdinIDs {
    /// Splits `input` into ids.
    static func parse(_ input: [UInt8]) -> [[UInt8]] {
        var ids: [[UInt8]] = []
        for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            var s = line[...]
            while let last = s.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { s = s.dropLast() }
            while let first = s.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { s = s.dropFirst() }
            if !s.isEmpty { ids.append(Array(s)) }
        }
        return ids
    }

    /// The command's ids with each `-` replaced by the ids on standard input.
    static func expand(_ arguments: [[UInt8]], _ ctx: CommandContext) throws -> [[UInt8]] {
        guard arguments.contains([UInt8(ascii: "-")]) else { return arguments }
        let fromStdin = parse(ctx.console.readAllInput())
        if fromStdin.isEmpty {
            throw CLIError("no user ids on standard input", hint: "give one id per line", code: .usage)
        }
        var out: [[UInt8]] = []
        for a in arguments {
            if a == [UInt8(ascii: "-")] { out += fromStdin } else { out.append(a) }
        }
        return out
    }
}
