import SessionBasics
import SessionCore
import SessionCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// `sessionctl iam-token --region R --cache-name NAME --user USER [--service memorydb] [--serverless]`:
/// the IAM authentication token of ElastiCache or MemoryDB, for other clients (aws-cli has none).
enum IAMTokenCommand {
    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        guard let region = inv.iam.region, !region.isEmpty else { throw CLIError("iam-token needs --region", code: .usage) }
        guard let name = inv.iam.cacheName, !name.isEmpty else { throw CLIError("iam-token needs --cache-name", code: .usage) }
        guard let user = inv.sessions.user.map({ String(decoding: $0, as: UTF8.self) }), !user.isEmpty else {
            throw CLIError("iam-token needs --user (the cache's IAM-enabled user)", code: .usage)
        }
        let found = try AWSCredentials.find(
            environment: ctx.console.environment, timeout: inv.connection.connectTimeout, cancellation: ctx.console.cancellation)
        let now = Int(WallClock.now())
        let token = SigV4.connectToken(
            service: inv.iam.service.rawValue, region: region, name: name, user: user, serverless: inv.iam.serverless, credentials: found.credentials,
            time: now)
        ctx.printer.print(Token(token: token, expiresAt: now + 900))
        ctx.note(
            "a token for \(user) on \(name.lowercased()) (\(inv.iam.service.rawValue), \(region)) signed with credentials from \(found.source); valid until \(Timestamp.rfc3339(Double(now + 900)))"
        )
        return .success
    }

    struct Token: Printable {
        let token: String
        let expiresAt: Int

        func json() -> JSON { .object([("token", .string(token)), ("expires_at", .string(Timestamp.rfc3339(Double(expiresAt))))]) }
        func text(_ style: TextStyle) -> String { token + "\n" }
    }
}
