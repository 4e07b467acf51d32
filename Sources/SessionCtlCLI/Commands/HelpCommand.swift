/// `sessionctl help [COMMAND]`, `--help`, `-h`: generated from the option and command tables.
enum HelpCommand {
    static func run(_ ctx: CommandContext, topic: CommandName?) -> Outcome {
        ctx.print(topic.map { commandHelp($0, environment: ctx.console.environment) } ?? overview())
        return .success
    }

    /// The whole tool's help.
    static func overview() -> String {
        var out = """
            sessionctl \(SessionCtl.version): find, show and revoke web-application sessions stored in Redis or in SQL tables

            Usage: sessionctl [OPTIONS] COMMAND [ARGS...]

            Commands:

            """
        let width = CommandTable.all.map { usage($0).count }.max() ?? 0
        for c in CommandTable.all {
            out += "  " + pad(usage(c), width) + "  " + c.summary + "\n"
        }
        out += options(OptionTable.all)
        out += """

            Options may stand before or after the command; -- ends options.
            Exit status: 0 success, 1 failure, 2 usage, 3 not found, 4 cannot connect,
            5 incomplete, 130 interrupted. See 'sessionctl help COMMAND' and man sessionctl.

            """
        return out
    }

    /// One command's help.
    static func commandHelp(_ name: CommandName, environment: [String: String] = [:]) -> String {
        let spec = CommandTable.spec(name)
        var out = "Usage: sessionctl [OPTIONS] \(usage(spec))\n\n\(spec.summary).\n\(spec.details)\n"
        // The command's own options first; the ones every command takes after, under their own heading (as kubectl does).
        let applicable = OptionTable.all.filter { $0.commands == nil || $0.commands!.contains(name) }
        let own = applicable.filter { !globalGroups.contains($0.group) }
        let global = applicable.filter { globalGroups.contains($0.group) }
        let width = min(30, applicable.map { $0.spelling.count + ($0.short == nil ? 4 : 0) }.max() ?? 0)
        if !own.isEmpty { out += options(own, width: width) }
        out += "\nGlobal options (every command that reaches a store takes them):\n" + options(global, width: width, indent: "  ")
        if name == .context {
            out += "\nAn example file (sessionctl reads " + (ConfigFile.location(environment)?.path ?? "~/.config/sessionctl/config.yaml") + "):\n\n"
            out += ConfigFile.example.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    " + $0 }.joined(
                separator: "\n")
        }
        if let examples = CommandTable.examples[name], !examples.isEmpty {
            out += "\nExamples:\n" + examples.map { "  \($0)\n" }.joined()
        }
        return out
    }

    private static func usage(_ c: CommandSpec) -> String {
        c.arguments.isEmpty ? c.name.rawValue : "\(c.name.rawValue) \(c.arguments)"
    }

    /// The groups of options that are not a command's own: where and how to connect, and how to print.
    static let globalGroups: Set<OptionGroup> = [.connection, .tls, .cluster, .output, .general]

    private static func options(_ specs: [OptionSpec], width given: Int? = nil, indent: String = "") -> String {
        var out = ""
        let width = given ?? min(30, specs.map { $0.spelling.count + ($0.short == nil ? 4 : 0) }.max() ?? 0)
        for group in OptionGroup.allCases {
            let inGroup = specs.filter { $0.group == group }
            if inGroup.isEmpty { continue }
            out += "\n\(indent)\(group.rawValue):\n"
            for o in inGroup {
                let spelled = (o.short == nil ? "    " : "") + o.spelling
                if spelled.count > width {
                    out += "\(indent)  \(spelled)\n\(indent)  \(String(repeating: " ", count: width))  \(o.help)\n"
                } else {
                    out += "\(indent)  \(pad(spelled, width))  \(o.help)\n"
                }
            }
        }
        return out
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s + String(repeating: " ", count: max(0, width - s.count))
    }
}
