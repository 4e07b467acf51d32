/// `sessionctl completion bash|zsh|fish`: prints the completion script generated from the tables.
enum CompletionCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let shell = String(decoding: ctx.invocation.arguments[0], as: UTF8.self)
        switch shell {
        case "bash": ctx.print(CompletionScripts.bash())
        case "zsh": ctx.print(CompletionScripts.zsh())
        default: ctx.print(CompletionScripts.fish())
        }
        return .success
    }
}
