import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `show --cookie` and `revoke --cookie`: the arguments are cookie values, turned into session
/// ids by the framework's transform before anything is looked up.
enum CookieArguments {
    /// Per argument, the session ids it may stand for (itself without `--cookie`).
    static func sessionIds(_ ctx: CommandContext) throws -> [[Bytes]] {
        let inv = ctx.invocation
        guard inv.sessions.cookie else {
            // A cookie given as an id would be "not found" (exit 3, as if already gone): say what it is instead.
            if let framework = try ctx.framework(), let cookie = inv.arguments.first(where: framework.cookie.isCookieNotId) {
                throw CLIError(
                    "'\(Escape.visible(Array(cookie.prefix(48))))\(cookie.count > 48 ? "…" : "")' looks like a \(framework.name) cookie, not a session id",
                    hint: "add --cookie to turn it into its session id (\(hint(framework.cookie)))", code: .usage)
            }
            return inv.arguments.map { [$0] }
        }
        guard let framework = try ctx.framework() else {
            throw CLIError(
                "--cookie needs --framework: how a cookie becomes a session id depends on the framework",
                hint: "e.g. --framework rails (or $SESSIONCTL_FRAMEWORK)", code: .usage)
        }
        let secrets = try ctx.cookieSecrets()
        return try inv.arguments.map { cookie in
            do {
                return try framework.cookie.sessionIds(cookie: cookie, secrets: secrets)
            } catch let error as CookieError {
                throw CLIError(
                    "cookie '\(Escape.visible(Array(cookie.prefix(48))))\(cookie.count > 48 ? "…" : "")': \(error.description)",
                    hint: "give the cookie's value as the browser holds it (for \(framework.name): \(hint(framework.cookie)))", code: .usage)
            }
        }
    }

    /// The arguments none of whose ids was found (or refused), as the operator gave them.
    static func notFound(_ ids: [[Bytes]], _ ctx: CommandContext, found: Set<Bytes>) -> [Bytes] {
        zip(ctx.invocation.arguments, ids).filter { _, candidates in !candidates.contains(where: found.contains) }.map(\.0)
    }

    private static func hint(_ t: CookieTransform) -> String {
        switch t {
        case .plain: return "the session cookie's value"
        case .rackPrivateId: return "the session cookie, e.g. _myapp_session"
        case .expressSigned: return "connect.sid, s:<id>.<signature>"
        case .laravelEncrypted: return "laravel_session, with --app-key-file"
        case .base64: return "the SESSION cookie"
        }
    }
}
