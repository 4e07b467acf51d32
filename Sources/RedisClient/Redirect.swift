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
            guard parts.count >= 3, let slot = Int(parts[1]), let colon = parts[2].lastIndex(of: ":"),
                  let port = Int(parts[2][parts[2].index(after: colon)...]) else { return nil }
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

/// Bounded exponential backoff with jitter, for retries while a cluster fails over or reshards.
enum Backoff {
    /// Nanoseconds to wait before attempt `n` (1-based): 50 ms doubling, capped at 1 s, ±25 %.
    static func delay(attempt n: Int) -> UInt64 {
        let base = min(1_000_000_000, UInt64(50_000_000) << UInt64(min(max(n - 1, 0), 10)))
        let jitter = UInt64.random(in: 0...(base / 2))
        return base - base / 4 + jitter
    }

    /// Sleeps, waking early on Ctrl-C.
    static func sleep(nanoseconds: UInt64) {
        let end = Deadline.now() + nanoseconds
        while !Interruption.isRequested {
            let now = Deadline.now()
            if now >= end { return }
            var ts = timespec(tv_sec: 0, tv_nsec: Int(min(end - now, 50_000_000)))
            nanosleep(&ts, nil)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension RedisError {
    /// The reply that stands in for a command whose node could not be reached.
    static func unreachable(_ node: String, _ reason: String) -> RedisError {
        RedisError(message: "UNREACHABLE \(node): \(reason)")
    }

    /// Whether this stands for a command that never reached a node (the result is incomplete).
    public var isUnreachable: Bool { code == "UNREACHABLE" }
}
