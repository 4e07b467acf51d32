import SessionBasics

/// What `INFO server` says of one node, and how fast it answers.
public struct ServerInfo: Sendable, Equatable {
    /// The node's address.
    public var address: RedisEndpoint.Address
    /// The server's own version: `valkey_version` on Valkey (whose `redis_version` is the
    /// compatibility number, 7.2.4 on Valkey 8), else `redis_version`.
    public var version: String
    /// `valkey` or `redis` (`server_name`; Redis has none).
    public var server: String = "redis"
    /// `redis_mode`: `standalone`, `cluster` or `sentinel`.
    public var mode: String
    /// The node's role: `master` or `slave`.
    public var role: String
    /// Keys in the selected database (`DBSIZE`).
    public var keys: Int64
    /// Median round trip of a few `PING`s, in milliseconds.
    public var latencyMilliseconds: Double
    /// What its key iteration can do (single-slot SCAN, CLUSTERSCAN).
    public var scan: ScanCapabilities

    /// Parses `INFO`'s `field:value` lines into a dictionary.
    public static func fields(_ info: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in info.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return out
    }
}
