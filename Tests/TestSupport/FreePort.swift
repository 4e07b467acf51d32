import Foundation

/// Loopback sockets for tests: free ports, and listeners that misbehave on purpose.
public enum FreePort {
    /// A TCP port on 127.0.0.1 that nothing listens on right now.
    public static func pick() throws -> Int {
        let (fd, port) = try listener(backlog: nil)
        close(fd)
        return port
    }

    /// A socket bound to 127.0.0.1 on a port the kernel picks, listening when `backlog` is given.
    static func listener(backlog: Int32?) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        var addr = loopback(port: 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0, backlog.map({ listen(fd, $0) == 0 }) ?? true else {
            close(fd)
            throw TestSupportError("cannot bind or listen on 127.0.0.1")
        }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// Whether something accepts connections on 127.0.0.1:`port` (a server started by a test is up).
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// 127.0.0.1:`port` as a socket address.
    public static func loopback(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }
}

/// A loopback TCP listener that accepts connections (the kernel completes them) and never answers:
/// the "server that accepts and never answers" of the bad-input list.
public final class SilentServer: @unchecked Sendable {
    /// Its port.
    public let port: Int
    private let fd: Int32

    /// Starts listening.
    public init() throws {
        (fd, port) = try FreePort.listener(backlog: 64)
    }

    deinit { close(fd) }

    /// `redis://127.0.0.1:PORT`.
    public var url: String { "redis://127.0.0.1:\(port)" }
}

/// A loopback listener whose accept queue is full, so new connections hang in SYN_SENT:
/// the "unreachable host" of the bad-input list, without sending a packet off this machine.
public final class UnreachableServer: @unchecked Sendable {
    /// Its port.
    public let port: Int
    private let listener: Int32
    private var fillers: [Int32] = []

    /// Listens with a backlog of 0 and fills the queue.
    public init() throws {
        (listener, port) = try FreePort.listener(backlog: 0)
        var addr = FreePort.loopback(port: port)
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        for _ in 0..<4 {
            let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            _ = fcntl(c, F_SETFL, fcntl(c, F_GETFL, 0) | O_NONBLOCK)
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, len) } }
            fillers.append(c)
        }
        usleep(100_000)
    }

    deinit {
        for fd in fillers { close(fd) }
        close(listener)
    }

    /// `redis://127.0.0.1:PORT`.
    public var url: String { "redis://127.0.0.1:\(port)" }
}
