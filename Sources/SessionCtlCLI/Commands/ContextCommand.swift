import RedisClient
import SessionKit
#if canImport(Glibc)
import Glibc
#endif

/// `sessionctl context list|show [NAME]|use NAME`: the contexts of the configuration file.
enum ContextCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let env = ctx.console.environment
        let args = ctx.invocation.arguments.map { String(decoding: $0, as: UTF8.self) }
        let sub = args.first ?? "list"
        guard let file = try ConfigFile.load(env) else {
            let place = ConfigFile.location(env)?.path ?? "~/.config/sessionctl/config.yaml"
            throw CLIError("no configuration file at \(place)", hint: "see 'sessionctl help context' for its shape", code: sub == "list" ? .notFound : .usage)
        }
        let selected = ctx.invocation.context ?? env["SESSIONCTL_CONTEXT"].flatMap { $0.isEmpty ? nil : $0 } ?? file.current
        switch sub {
        case "use":
            let name = args[1]
            _ = try file.context(named: name)
            try setCurrent(name, in: file.path)
            ctx.note("current context: \(name) (\(file.path))")
        case "show":
            guard let c = try file.context(named: args.count > 1 ? args[1] : selected) else {
                throw CLIError("no context is selected and \(file.path) has no current-context", hint: "name one: sessionctl context show NAME", code: .usage)
            }
            // A password is never printed: only that one is set.
            let values = c.values.map { ($0.key, $0.key == "password" ? "(set; not shown)" : $0.value) }
            if ctx.invocation.output == .json || ctx.invocation.output == .ndjson {
                ctx.emit(.object([("name", .string(c.name)), ("current", .bool(c.name == selected)),
                                  ("options", .object(values.map { ($0.0, .string($0.1)) }))]))
            } else {
                var table = Table(headers: ["OPTION", "VALUE"])
                for (k, v) in values { table.add([k, v]) }
                ctx.print("context \(c.name)\(c.name == selected ? " (current)" : "")\n")
                ctx.print(table.render(color: ctx.color, headers: !ctx.invocation.noHeaders))
            }
        default:
            if ctx.invocation.output == .json || ctx.invocation.output == .ndjson {
                ctx.emit(.object([("file", .string(file.path)), ("current", selected.map { .string($0) } ?? .null),
                                  ("contexts", .array(file.contexts.map { c in
                                      .object([("name", .string(c.name)), ("url", c.values.first { $0.key == "url" }.map { .string(RedisEndpoint.redact($0.value)) } ?? .null)])
                                  }))]))
            } else {
                var table = Table(headers: ["CURRENT", "NAME", "URL", "FRAMEWORK"])
                for c in file.contexts {
                    table.add([c.name == selected ? "*" : "", c.name, c.values.first { $0.key == "url" }.map { RedisEndpoint.redact($0.value) } ?? "-",
                               c.values.first { $0.key == "framework" }?.value ?? "-"])
                }
                ctx.print(table.render(color: ctx.color, headers: !ctx.invocation.noHeaders))
            }
        }
        return .finished(Completeness(), didSomething: true)
    }

    /// Rewrites the `current-context:` line (or adds one at the top), keeping the rest of the file and its mode.
    static func setCurrent(_ name: String, in path: String) throws {
        let rfd = open(path, O_RDONLY | O_CLOEXEC)
        guard rfd >= 0 else { throw CLIError("cannot read \(path): \(String(cString: strerror(errno)))", code: .failure) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count <= 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(rfd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        close(rfd)
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let line = "current-context: \(name)"
        if let i = lines.firstIndex(where: { $0.hasPrefix("current-context:") }) { lines[i] = line } else { lines.insert(line, at: 0) }
        let out = lines.joined(separator: "\n")
        let tmp = path + ".sessionctl-new"
        var info = stat()
        _ = stat(path, &info)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, info.st_mode & 0o777)
        guard fd >= 0 else { throw CLIError("cannot write \(tmp): \(String(cString: strerror(errno)))", code: .failure) }
        let data = Array(out.utf8)
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw CLIError("cannot write \(path)", code: .failure)
        }
    }
}

