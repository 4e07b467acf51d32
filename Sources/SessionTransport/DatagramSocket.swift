import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// A connected datagram socket: UDP to a host and port, or a unix-domain datagram socket (the
/// local syslog's `/dev/log`). Each `send` is one datagram, within a deadline.
public final class DatagramSocket {
    private let fd: Int32
    private let endpoint: String

    /// Connects (for UDP: resolves and fixes the peer) to `address`.
    public init(address: SocketAddress) throws {
        endpoint = address.description
        switch address {
        case .unix(let path):
            var sun = sockaddr_un()
            sun.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: sun.sun_path) else {
                throw TransportError.connectFailed(endpoint: endpoint, reason: "the socket's path is too long")
            }
            withUnsafeMutableBytes(of: &sun.sun_path) { raw in
                for (i, b) in bytes.enumerated() { raw[i] = b }
            }
            let s = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard s >= 0 else { throw TransportError.connectFailed(endpoint: endpoint, reason: String(cString: strerror(errno))) }
            let rc = withUnsafePointer(to: &sun) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard rc == 0 else {
                let why = String(cString: strerror(errno))
                close(s)
                throw TransportError.connectFailed(endpoint: endpoint, reason: why)
            }
            fd = s
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(host, String(port), &hints, &list)
            guard rc == 0, let first = list else {
                throw TransportError.connectFailed(endpoint: endpoint, reason: rc == 0 ? "no address" : String(cString: gai_strerror(rc)))
            }
            defer { freeaddrinfo(list) }
            var made: Int32 = -1
            var why = "no address"
            var a: UnsafeMutablePointer<addrinfo>? = first
            while let info = a {
                let s = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
                if s >= 0 && connect(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    made = s
                    break
                }
                why = String(cString: strerror(errno))
                if s >= 0 { close(s) }
                a = info.pointee.ai_next
            }
            guard made >= 0 else { throw TransportError.connectFailed(endpoint: endpoint, reason: why) }
            fd = made
        }
    }

    deinit { close(fd) }

    /// Sends `bytes` as one datagram, waiting at most until `deadline` for room.
    public func send(_ bytes: [UInt8], deadline: Deadline) throws {
        while true {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)) }
            if n == bytes.count { return }
            let e = errno
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ENOBUFS) {
                guard !deadline.hasPassed else {
                    throw TransportError.timedOut(endpoint: endpoint, operation: "a datagram", seconds: deadline.seconds)
                }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, min(deadline.remainingMilliseconds, 100))
                continue
            }
            throw TransportError.connectionLost(endpoint: endpoint, reason: n < 0 ? String(cString: strerror(e)) : "the datagram was cut")
        }
    }
}
