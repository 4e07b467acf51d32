import SessionCore

/// `sessionctl version` and `--version`.
enum VersionCommand {
    static func run(_ ctx: CommandContext) -> Outcome {
        ctx.printer.print(Printed())
        return .success
    }

    /// The version, as people and scripts read it.
    struct Printed: Printable {
        func json() -> JSON { .object([("version", .string(SessionCtl.version))]) }
        func text(_ style: TextStyle) -> String { "sessionctl \(SessionCtl.version)\n" }
    }
}
