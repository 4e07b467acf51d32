import SessionBasics

/// What the application said about one revoked session's cookie.
public struct Verification: Equatable, Sendable {
    /// What the application said for one cookie.
    public enum Answer: Equatable, Sendable {
        /// It no longer logs in (the status it answered).
        case refused(status: Int)
        /// It still logs in: the revocation did not hold.
        case loggedIn(status: Int)
        /// An answer that proves nothing about the cookie (a redirect, a server error): the status, and why.
        case inconclusive(status: Int, reason: String)
        /// No answer to judge by (the reason).
        case failed(String)
        /// No cookie could be made for the session (the reason).
        case noCookie(String)
    }

    /// Which session.
    public var ref: SessionRef
    /// What the application said.
    public var answer: Answer

    /// A session and its answer.
    public init(ref: SessionRef, answer: Answer) {
        self.ref = ref
        self.answer = answer
    }
}

extension Verification.Answer {
    /// `refused`, `logged_in`, `inconclusive`, `failed` or `no_cookie`, as JSON and the audit trail name it.
    public var name: String {
        switch self {
        case .refused: return "refused"
        case .loggedIn: return "logged_in"
        case .inconclusive: return "inconclusive"
        case .failed: return "failed"
        case .noCookie: return "no_cookie"
        }
    }

    /// The HTTP status the application answered, when it did.
    public var status: Int? {
        switch self {
        case .refused(let s), .loggedIn(let s), .inconclusive(let s, _): return s
        case .failed, .noCookie: return nil
        }
    }

    /// Why there is no verdict, when there is none.
    public var reason: String? {
        switch self {
        case .failed(let r), .noCookie(let r), .inconclusive(_, let r): return r
        case .refused, .loggedIn: return nil
        }
    }
}

/// The sessions `--verify-url`'s own requests made the application start (an application that
/// refuses a cookie often begins a new anonymous session for the request), and what became of
/// them: asking leaves nothing behind, and never deletes a user's session.
public struct ProbeCleanup: Equatable, Sendable {
    /// Sessions started by the probe and deleted.
    public var deleted = 0
    /// Sessions the probe was given that were not deleted, with why (gone already, a user's, not
    /// of the preset's shape, no key known for the id).
    public var kept: [(id: Bytes, reason: String)] = []
    /// Whether every deletion that was due happened.
    public var completeness = Completeness()

    public init() {}

    public static func == (a: ProbeCleanup, b: ProbeCleanup) -> Bool {
        a.deleted == b.deleted && a.kept.map(\.id) == b.kept.map(\.id) && a.kept.map(\.reason) == b.kept.map(\.reason)
            && a.completeness == b.completeness
    }
}
