/// `sessionctl version` and `--version`.
enum VersionCommand {
    static func run(_ ctx: CommandContext) -> Outcome {
        if ctx.invocation.output.isTable {
            ctx.print("sessionctl \(SessionCtl.version)\n")
        } else {
            ctx.emit(.object([("version", .string(SessionCtl.version))]))
        }
        return .success
    }
}
