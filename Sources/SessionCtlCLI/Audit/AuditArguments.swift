import SessionBasics
import SessionCore
import SessionCrypto

/// The command line as the audit trail's `run_start` holds it: no secrets. A URL's password is
/// replaced by `***`; session ids and cookies (bearer secrets) by their SHA-256 digests.
enum AuditArguments {
    static func publicForm(_ inv: Invocation) -> [String] {
        // The positional arguments of commands whose arguments are sessions.
        let secret: Set<Bytes> = inv.command == .revoke || inv.command == .show ? Set(inv.arguments) : []
        return inv.rawArguments.map { raw in
            if secret.contains(raw) { return "sha256:" + Digest.sha256Hex(raw) }
            let text = Escape.visible(raw)
            // --url=redis://:pw@host, -u redis://user:pw@host, a bare URL: the password goes.
            if let eq = text.firstIndex(of: "="), text.hasPrefix("--"), text[text.index(after: eq)...].contains("://") {
                return String(text[...eq]) + redactURL(String(text[text.index(after: eq)...]))
            }
            return text.contains("://") ? redactURL(text) : text
        }
    }

    /// A URL with whatever could be a password removed: the user information's password (or the
    /// whole of it, when it has no colon: `redis://secret@host` is read as a password by some
    /// clients), and the value of any query parameter whose name mentions a password or secret.
    static func redactURL(_ text: String) -> String {
        guard let sep = text.range(of: "://") else { return text }
        var out = String(text[..<sep.upperBound])
        var rest = Substring(text[sep.upperBound...])
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            let info = rest[..<at]
            out += info.firstIndex(of: ":").map { String(info[..<$0]) + ":***" } ?? "***"
            rest = rest[at...]
        }
        guard let q = rest.firstIndex(of: "?") else { return out + rest }
        out += rest[...q]
        let query = rest[rest.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            let name = pair[..<eq].lowercased()
            return name.contains("pass") || name.contains("secret") || name.contains("token") ? "\(pair[..<eq])=***" : String(pair)
        }
        return out + query.joined(separator: "&")
    }
}
