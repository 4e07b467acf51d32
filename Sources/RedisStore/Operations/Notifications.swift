import RedisClient
import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

extension RedisSessionStore {
    /// Keyspace notifications on the users' mapping keys (or index keys), where the server sends
    /// them (`notify-keyspace-events` with `K` and the type's letter or `A`), on a standalone server;
    /// else why not, and the caller reads every few seconds.
    public func changeNotifier(users: [Bytes]) throws -> (notifier: (any ChangeNotifier)?, why: String) {
        if keyspace.isCluster { return (nil, "a cluster sends each node's notifications apart (not listened to here)") }
        let reply = try keyspace.send([[Bytes("CONFIG".utf8), Bytes("GET".utf8), Bytes("notify-keyspace-events".utf8)]])[0]
        guard let value = try? reply.get(), case .array(let items) = value, items.count == 2, let flags = items[1].text else {
            return (nil, "the server does not say whether it sends keyspace notifications (CONFIG GET refused)")
        }
        // Mapping keys are strings ($); an index is a set (s) or a sorted set (z); A is all of them.
        let needed: [Character] = index == nil ? ["$"] : ["s", "z"]
        guard flags.contains("K"), flags.contains("A") || needed.contains(where: flags.contains) else {
            return (
                nil, "keyspace notifications are off (notify-keyspace-events is \"\(flags)\"; K\(index == nil ? "$" : "s or z") would turn them on)"
            )
        }
        let prefix = Bytes("__keyspace@\(keyspace.options.database)__:".utf8)
        let patterns = uniqued(users).map { user in
            prefix + (index.map { Glob.escape($0.key(user: user)) } ?? layout.mapping.pattern(user: user, session: nil))
        }
        let connection = try keyspace.subscribe(patterns: patterns)
        return (
            KeyspaceNotifier(
                connection,
                description: "keyspace notifications on " + patterns.prefix(3).map { Escape.visible($0) }.joined(separator: ", ")
                    + (patterns.count > 3 ? ", …" : "")), ""
        )
    }
}

/// A subscription's connection: waits for its messages.
final class KeyspaceNotifier: ChangeNotifier {
    private let connection: Connection
    let description: String

    init(_ connection: Connection, description: String) {
        self.connection = connection
        self.description = description
    }

    func wait(seconds: Double) throws -> Bool {
        var heard = false
        var deadline = Deadline.after(seconds: seconds)
        while let message = try connection.nextPush(deadline: deadline) {
            // A pmessage is a change; the subscription's own confirmations are not.
            if case .array(let parts) = message, parts.first?.text == "pmessage" { heard = true }
            // Take whatever else is waiting, without waiting again.
            deadline = .after(seconds: 0.01)
        }
        return heard
    }
}
