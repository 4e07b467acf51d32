/// Session ids of the shape each framework writes, named so a test reads which is which: a preset
/// deletes and maps only keys whose id has its sessions' shape (rule 19), so seeded sessions need
/// real shapes. Distinct names give distinct ids (the padding is a character no name holds).
enum SessionIds {
    /// Flask-Session's `token_urlsafe(32)`: 43 URL-safe characters; `name` is letters, digits and `-`.
    static func flask(_ name: String) -> String { padded(name, to: 43, with: "_") }

    /// Rack's private id: `2::` and 64 hex digits.
    static func rack(_ name: String) -> String { "2::" + padded(hex(name), to: 64, with: "0") }

    /// Spring's (and Flask-Session before 0.6's) UUID.
    static func uuid(_ name: String) -> String {
        let h = Array(padded(hex(name), to: 32, with: "0"))
        return [h[0..<8], h[8..<12], h[12..<16], h[16..<20], h[20..<32]].map { String($0) }.joined(separator: "-")
    }

    /// Django's `get_random_string(32)`: lower-case letters and digits.
    static func django(_ name: String) -> String { padded(hex(name), to: 32, with: "z") }

    /// express-session's uid-safe(24): 32 URL-safe characters.
    static func express(_ name: String) -> String { padded(name, to: 32, with: "_") }

    private static func hex(_ s: String) -> String {
        s.utf8.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    private static func padded(_ s: String, to n: Int, with pad: Character) -> String {
        precondition(s.count <= n, "'\(s)' is longer than an id of \(n)")
        return s + String(repeating: pad, count: n - s.count)
    }
}
