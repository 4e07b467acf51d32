import HTTPProbe
import SessionBasics
import SessionCore

/// `sessionctl verify USER...`: asks the application whether each session of each user still
/// logs in, with each app key given (a blue/green deploy's old and new `APP_KEY`), and revokes
/// nothing. Rows intact in a table say nothing of whether the application accepts their cookies
/// (another key, a changed cookie name): this asks it.
enum VerifyCommand {
    /// One question: a session, the key its cookie was made with, and the answer.
    struct Question {
        let user: Bytes
        let session: Bytes
        /// The `--app-key-file` the cookie was made with (`nil` without one).
        let key: String?
        let answer: VerifyProbe.Answer
    }

    static func run(_ ctx: CommandContext) throws -> Outcome {
        let inv = ctx.invocation
        guard inv.revoke.verifyURL != nil, let verifier = try VerifyCookies.fromOptions(ctx) else {
            throw CLIError("verify asks the application: give --verify-url URL, a page only a logged-in user sees", code: .usage)
        }
        let keys: [String?] = inv.layout.appKeyFile.map { [$0] + inv.layout.moreAppKeyFiles } ?? [nil]
        let secrets = try keys.map { try ctx.cookieSecrets(appKeyFile: $0) }
        let store = try ctx.openBackend()
        var completeness = Completeness()
        var questions: [Question] = []
        var issued: [Bytes] = []
        var unreadable = 0
        var refused: [Refusal] = []
        var asked = 0
        // At most --rate questions a second: every session of the store is a lot of requests for one application.
        let started = Deadline.now()
        func pace() {
            guard let rate = inv.layout.rate, rate > 0 else { return }
            let due = started + UInt64(Double(asked) / Double(rate) * 1e9)
            let now = Deadline.now()
            if due > now { ctx.console.cancellation.sleep(nanoseconds: due - now) }
        }
        func askAbout(user: Bytes, session: Bytes) {
            for (key, secret) in zip(keys, secrets) {
                if ctx.console.cancellation.isCancelled {
                    completeness.recordInterruption()
                    return
                }
                pace()
                asked += 1
                ctx.progress.status("verifying with \(verifier.url): \(asked) questions")
                let answer: VerifyProbe.Answer
                switch verifier.transform.cookie(forSession: session, name: verifier.probe.cookieName, secrets: secret) {
                case .success(let cookie):
                    let (a, set) = verifier.probe.askIssuing(cookie: cookie, cancellation: ctx.console.cancellation)
                    answer = a
                    if let set, set != cookie {
                        // A session the question started.
                        if let id = verifier.issuedSession(set, secrets: secrets) {
                            if id != session { issued.append(id) }
                        } else {
                            unreadable += 1
                        }
                    }
                case .failure(let why): answer = .noCookie(why.description)
                }
                questions.append(Question(user: user, session: session, key: key, answer: answer))
                let who = "session '\(Cell.text(session))' of user '\(Cell.text(user))'" + (key.map { " with \($0)" } ?? "")
                if let failure = VerifyCookies.unproven(answer, who: who) { completeness.record(failure) }
            }
        }
        if inv.arguments.isEmpty {
            // Every mapped session of the store, a page at a time (what snapshot reads).
            ctx.note(
                "verify without users asks about every session of the store\(inv.layout.rate.map { ", at most \($0) questions a second" } ?? " (--rate N paces it)")"
            )
            completeness.merge(
                try store.snapshot { page in
                    for e in page where !completeness.interrupted { askAbout(user: e.user, session: e.session) }
                })
        } else {
            let found = try store.list(users: inv.arguments, details: false)
            completeness.merge(found.completeness)
            refused = found.refused
            for s in found.sessions where s.exists && !completeness.interrupted { askAbout(user: s.ref.user, session: s.ref.session) }
        }
        ctx.progress.finish()
        let (cleanup, cleanupNote) = VerifyCookies.cleanUp(issued, unreadable: unreadable, store, by: "the questions")
        completeness.merge(cleanup.completeness)
        ctx.printer.print(Printed(questions: questions, probeSessionsDeleted: cleanup.deleted, completeness: completeness))
        RefusalReport.warn(refused, ctx)
        for (key, n) in tally(questions) {
            ctx.note(
                "\(key.map { "with \($0)" } ?? "asked") at \(verifier.url): \(n["logged_in", default: 0]) logged in, \(n["refused", default: 0]) refused"
                    + (n["other", default: 0] > 0 ? ", \(n["other", default: 0]) not verified" : ""))
        }
        if let cleanupNote { ctx.note(cleanupNote) }
        if questions.isEmpty { ctx.note(completeness.isComplete ? "no sessions found" : "no sessions could be read (see below)") }
        ctx.reportIncomplete(completeness)
        return .finished(completeness, didSomething: !questions.isEmpty)
    }

    /// Per key, in the order given: how many answers of each kind.
    private static func tally(_ questions: [Question]) -> [(String?, [String: Int])] {
        var order: [String?] = []
        var counts: [String?: [String: Int]] = [:]
        for q in questions {
            if counts[q.key] == nil { order.append(q.key) }
            let kind = q.answer.name == "logged_in" || q.answer.name == "refused" ? q.answer.name : "other"
            counts[q.key, default: [:]][kind, default: 0] += 1
        }
        return order.map { ($0, counts[$0] ?? [:]) }
    }

    /// The answers as `verify` prints them: a row a question, or one JSON object.
    struct Printed: Printable {
        let questions: [Question]
        let probeSessionsDeleted: Int
        let completeness: Completeness

        private func json(_ q: Question) -> JSON {
            .object(
                [
                    ("user", .bytes(q.user)), ("session", .bytes(q.session)),
                    ("app_key_file", q.key.map { .string($0) } ?? .null), ("result", .string(RevokeOutput.ResultWord.verified(q.answer.name))),
                    ("answer", .string(q.answer.name)),
                    ("status", q.answer.status.map { .int(Int64($0)) } ?? .null), ("reason", q.answer.reason.map { .string($0) } ?? .null),
                ])
        }

        func json() -> JSON {
            var summary: [String: Int] = [:]
            for q in questions { summary[q.answer.name, default: 0] += 1 }
            let names = ["logged_in", "refused", "inconclusive", "failed", "no_cookie"]
            return .object(
                [
                    ("verified", .array(questions.map(json))),
                    ("summary", .object(names.map { ($0, .int(Int64(summary[$0, default: 0]))) })),
                    ("probe_sessions_deleted", .int(Int64(probeSessionsDeleted))),
                ] + JSONModels.complete(completeness))
        }

        func lines() -> [JSON] { questions.map(json) }

        func text(_ style: TextStyle) -> String {
            guard !questions.isEmpty else { return "" }
            let keyed = questions.contains { $0.key != nil }
            var table = Table(headers: ["USER", "SESSION"] + (keyed ? ["APP KEY"] : []) + ["RESULT", "STATUS"])
            for q in questions {
                table.add(
                    [Cell.text(q.user), Cell.text(q.session)] + (keyed ? [q.key ?? "-"] : [])
                        + [q.answer.name + (q.answer.reason.map { ": \($0)" } ?? ""), q.answer.status.map(String.init) ?? "-"])
            }
            return table.render(style)
        }
    }
}
