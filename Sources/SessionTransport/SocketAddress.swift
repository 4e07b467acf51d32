/// Where a socket connects: a host and port, or a unix socket's path.
public enum SocketAddress: Equatable, Sendable, Hashable, CustomStringConvertible {
    /// A host name, IPv4 or IPv6 address (without brackets) and a port.
    case tcp(host: String, port: Int)
    /// An absolute path to a unix socket.
    case unix(path: String)

    public var description: String {
        switch self {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path):
            return "unix:\(path)"
        }
    }
}
