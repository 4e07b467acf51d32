import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// `--verify-url`: after a revocation has settled, each revoked session's cookie is sent to the
/// application, and its answer is reported and written to the audit trail. A cookie that still
/// logs in, or one that could not be tried, makes the run incomplete (exit 5): the operator asked
/// for proof and did not get it.
final class VerifyCookies {
    let probe: VerifyProbe
    let url: String
    let transform: CookieTransform
    let secrets: CookieSecrets
    /// The cookies the operator gave (`revoke --cookie`), by the session ids they stand for.
    var given: [Bytes: Bytes] = [:]

    private init(probe: VerifyProbe, url: String, transform: CookieTransform, secrets: CookieSecrets) {
        self.probe = probe
        self.url = url
        self.transform = transform
        self.secrets = secrets
    }

    /// The verifier the options ask for, checked before anything is looked up or deleted; `nil` without `--verify-url`.
    static func fromOptions(_ ctx: CommandContext) throws -> VerifyCookies? {
        let inv = ctx.invocation
        guard let url = inv.revoke.verifyURL else {
            if inv.revoke.verifyLoggedIn != nil || inv.revoke.cookieName != nil {
                throw CLIError(
                    "\(inv.revoke.verifyLoggedIn != nil ? "--verify-logged-in" : "--cookie-name") goes with --verify-url",
                    hint: "give --verify-url URL, a page only a logged-in user sees", code: .usage)
            }
            return nil
        }
        let framework = try ctx.framework()
        guard let name = inv.revoke.cookieName ?? framework?.cookieName else {
            throw CLIError(
                "--verify-url needs the session cookie's name",
                hint: framework?.name == "rails"
                    ? "give --cookie-name (Rails names it after the app, e.g. _myapp_session)" : "give --cookie-name, or --framework", code: .usage)
        }
        var probe: VerifyProbe
        do { probe = try VerifyProbe(url: url, loggedIn: inv.revoke.verifyLoggedIn, cookieName: name) } catch {
            throw CLIError(error.description, code: .usage)
        }
        probe.connectTimeout = inv.connection.connectTimeout
        probe.timeout = inv.connection.timeout
        if framework?.cookie == .rackPrivateId && !inv.sessions.cookie {
            // Said once, before anything is deleted, not once a session after.
            ctx.console.warn(
                "--verify-url: a Rails store keeps only a hash of each cookie, so the sessions found here cannot be tried (they will read 'could not verify'); give the cookies to 'revoke --cookie' to verify them"
            )
        }
        return VerifyCookies(probe: probe, url: url, transform: framework?.cookie ?? .plain, secrets: try ctx.cookieSecrets())
    }

    /// Asks the application about every session `result` revoked, one at a time. In a dry run it
    /// asks about those that would be revoked: "logged in" is then the expected answer (the
    /// before of a before-and-after), and nothing fails.
    func run(_ result: inout RevokeResult, _ trail: AuditTrail, _ ctx: CommandContext, store: any SessionBackend) {
        let dry = ctx.invocation.destructive.dryRun
        guard !result.revoked.isEmpty else { return }
        var checks: [Verification] = []
        // The sessions the questions started: the session cookies the application set in its
        // answers. Laravel keeps a revoked cookie's id and starts an anonymous session under it
        // (the revoked id reappears); in a dry run the id asked about is a live user's session,
        // whose cookie Laravel merely encrypts again.
        var issued: [Bytes] = []
        var unreadable = 0
        func ask(_ cookie: Bytes, _ session: Bytes) -> VerifyProbe.Answer {
            let (answer, set) = probe.askIssuing(cookie: cookie, cancellation: ctx.console.cancellation)
            if let set, set != cookie {
                if let id = issuedSession(set, secrets: [secrets]) {
                    if id != session || !dry { issued.append(id) }
                } else {
                    unreadable += 1
                }
            }
            return answer
        }
        for (i, ref) in result.revoked.enumerated() {
            if ctx.console.cancellation.isCancelled {
                result.completeness.recordInterruption()
                break
            }
            ctx.progress.status("verifying with \(url): \(i + 1) of \(result.revoked.count) cookies")
            let answer: VerifyProbe.Answer
            if let cookie = given[ref.session] {
                answer = ask(cookie, ref.session)
            } else {
                switch transform.cookie(forSession: ref.session, name: probe.cookieName, secrets: secrets) {
                case .success(let cookie): answer = ask(cookie, ref.session)
                case .failure(let why): answer = .noCookie(why.description)
                }
            }
            checks.append(Verification(ref: ref, answer: answer))
            let who = "session '\(Cell.text(ref.session))' of user '\(Cell.text(ref.user))'"
            switch answer {
            case .refused: break
            case .loggedIn where dry: break
            case .failed(let why) where dry, .noCookie(let why) where dry:
                ctx.console.warn("could not verify \(who): \(why)")
            case .loggedIn(let status):
                result.completeness.record(
                    PartialFailure(
                        .verificationFailed, node: nil,
                        cause: "GET \(url) with the cookie of \(who) still logs in (status \(status), \(probe.rule)): the revocation did not hold"))
            case .inconclusive(let status, let why) where dry:
                ctx.console.warn("could not verify \(who): status \(status): \(why)")
            case .inconclusive, .noCookie, .failed:
                if let failure = Self.unproven(answer, who: who) { result.completeness.record(failure) }
            }
        }
        ctx.progress.finish()
        result.verified = checks
        let (cleanup, note) = Self.cleanUp(issued, unreadable: unreadable, store, by: "--verify-url's requests")
        if let note { ctx.note(note) }
        result.probeSessionsDeleted += cleanup.deleted
        result.completeness.merge(cleanup.completeness)
        do { try trail.recordVerification(checks, url: url) } catch { ctx.console.error("\(error)") }
    }

    /// The session id of a cookie an answer set, read with any of `secrets` (the application's key
    /// is one of them); `nil` when none reads it.
    func issuedSession(_ cookie: Bytes, secrets: [CookieSecrets]) -> Bytes? {
        secrets.lazy.compactMap { try? self.transform.sessionIds(cookie: cookie, secrets: $0).first }.first
    }

    /// The failure an answer that proves nothing about `who`'s cookie makes (a cookie that could
    /// not be made is one cause for all: counted, not a line a session); `nil` for a definite answer.
    static func unproven(_ answer: VerifyProbe.Answer, who: String) -> PartialFailure? {
        switch answer {
        case .inconclusive(let status, let why):
            return PartialFailure(.verificationFailed, node: nil, cause: "could not verify \(who): status \(status): \(why)")
        case .noCookie(let why): return PartialFailure(.verificationFailed, node: nil, cause: "could not verify: \(why)")
        case .failed(let why): return PartialFailure(.verificationFailed, node: nil, cause: "could not verify \(who): \(why)")
        case .refused, .loggedIn: return nil
        }
    }

    /// Deletes the sessions the questions made the application start, so that asking changes
    /// nothing: each is deleted only while it is anonymous and of the preset's shape
    /// (``SessionBackend/deleteProbeSessions(_:)``); with the line for stderr that says what `by` started.
    static func cleanUp(_ ids: [Bytes], unreadable: Int, _ store: any SessionBackend, by: String) -> (ProbeCleanup, note: String?) {
        var cleanup = ProbeCleanup()
        guard !ids.isEmpty || unreadable > 0 else { return (cleanup, nil) }
        do { cleanup = try store.deleteProbeSessions(ids) } catch {
            cleanup.completeness.record(PartialFailure(.deletionFailed, node: nil, cause: "the sessions \(by) started: \(error)"))
        }
        var reasons: [String] = []
        for (_, why) in cleanup.kept where !reasons.contains(why) { reasons.append(why) }
        if unreadable > 0 { reasons.append("\(unreadable) whose cookie could not be read") }
        let kept = cleanup.kept.count + unreadable
        let said = kept > 0 ? ", kept \(kept) (\(reasons.joined(separator: "; ")))" : ""
        return (cleanup, "\(by) started \(Cell.plural(ids.count + unreadable, "session")) in the application: deleted \(cleanup.deleted)\(said)")
    }

    /// The summary line, after the revocation's own (RevokeOutput prints it).
    static func summary(_ checks: [Verification], url: String, dry: Bool) -> String {
        let wanted = checks.filter { $0.answer.name == (dry ? "logged_in" : "refused") }
        let statuses = Set(wanted.compactMap(\.answer.status)).sorted().map(String.init).joined(separator: ", ")
        // Kept apart: a cookie that still logs in (not revoked) and one that could not be tried.
        let stillIn = dry ? 0 : checks.filter { $0.answer.name == "logged_in" }.count
        let unverified = checks.filter { ["failed", "no_cookie", "inconclusive"].contains($0.answer.name) }.count
        let rest =
            (stillIn > 0 ? "; \(stillIn) still \(stillIn == 1 ? "logs" : "log") in (not revoked)" : "")
            + (unverified > 0 ? "; \(unverified) could not be verified" : "")
        if unverified == checks.count {
            // Nothing was tried (no cookie could be made, or every question failed): no count of who is let in.
            let noCookie = checks.filter { $0.answer.name == "no_cookie" }.count
            let why = noCookie == checks.count ? " (no cookie could be made from their session ids)" : ""
            return "\(dry ? "dry run: " : "")could not try any of \(Cell.plural(checks.count, "cookie")) with GET \(url)\(why)"
        }
        return
            (dry
            ? "dry run: asked with GET \(url), the application still lets in \(wanted.count) of \(Cell.plural(checks.count, "cookie")) that would be revoked"
            : "verified with GET \(url): the application refused \(wanted.count) of \(Cell.plural(checks.count, "revoked cookie"))")
            + (wanted.isEmpty ? "" : " (status \(statuses))") + rest
    }
}
