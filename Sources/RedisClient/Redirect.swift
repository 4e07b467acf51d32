import SessionBasics

/// A cluster error reply that says where to go or to wait: `MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`.
public enum Redirect: Equatable, Sendable {
    /// The slot lives on another node for good: update the map and retry there.
    case moved(slot: Int, to: RedisEndpoint.Address)
    /// The slot is migrating: send `ASKING` and the command to that node, once.
    case ask(slot: Int, to: RedisEndpoint.Address)
    /// The cluster is busy or resharding: wait and retry.
    case retry(String)

    /// Reads a redirect from an error reply; `fromHost` fills in an empty host (`MOVED 12 :6380`).
    public init?(_ error: RedisError, fromHost: String) {
        let parts = error.message.split(separator: " ")
        switch error.code {
        case "MOVED", "ASK":
            guard parts.count >= 3, let slot = Int(parts[1]), slot >= 0, slot < HashSlot.count, let colon = parts[2].lastIndex(of: ":"),
                let port = Int(parts[2][parts[2].index(after: colon)...]), port > 0, port <= 65_535
            else { return nil }
            var host = String(parts[2][..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.isEmpty || host == "?" { host = fromHost }
            let address = RedisEndpoint.Address.tcp(host: host, port: port)
            self = error.code == "MOVED" ? .moved(slot: slot, to: address) : .ask(slot: slot, to: address)
        case "TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN":
            self = .retry(error.message)
        default:
            return nil
        }
    }
}
