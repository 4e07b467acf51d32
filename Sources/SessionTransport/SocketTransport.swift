import CHiredis
import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// A plain TCP or unix-domain socket: hiredis connects it, this type owns the descriptor.
public final class SocketTransport: Transport {
    /// The connected, non-blocking socket; closed in `deinit`.
    public let fd: Int32
    private let endpoint: String
    private let cancellation: Cancellation

    /// Connects to `address` within `connectTimeout` seconds; `cancellation` ends any wait early.
    public init(address: SocketAddress, connectTimeout: Double, cancellation: Cancellation = Cancellation()) throws {
        endpoint = address.description
        self.cancellation = cancellation
        var tv = timeval()
        tv.tv_sec = Int(connectTimeout)
        tv.tv_usec = Int((connectTimeout - Double(Int(connectTimeout))) * 1_000_000)
        let context: UnsafeMutablePointer<redisContext>?
        switch address {
        case .tcp(let host, let port):
            context = redisConnectWithTimeout(host, Int32(port), tv)
        case .unix(let path):
            context = redisConnectUnixWithTimeout(path, tv)
        }
        guard let context else {
            throw TransportError.connectFailed(endpoint: endpoint, reason: "out of memory")
        }
        if context.pointee.err != 0 {
            let reason = withUnsafeBytes(of: context.pointee.errstr) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            redisFree(context)
            if cancellation.isCancelled { throw TransportError.interrupted }
            throw TransportError.connectFailed(endpoint: endpoint, reason: Self.describeConnectError(reason))
        }
        // Take the descriptor and free the context: from here on this type owns the socket.
        fd = redisFreeKeepFd(context)
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    deinit {
        close(fd)
    }

    private static func describeConnectError(_ s: String) -> String {
        if s.isEmpty { return "unknown error" }
        // hiredis says "Name or service not known" for DNS failures; keep its words, lower-case the first.
        return s.prefix(1).lowercased() + s.dropFirst()
    }

    // MARK: Transport

    public var descriptor: Int32 { fd }

    public var hasBufferedData: Bool { false }

    public func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws {
        var offset = 0
        while offset < bytes.count {
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if n > 0 {
                offset += n
                continue
            }
            let e = errno
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) {
                try wait(for: Int16(POLLOUT), deadline: deadline, operation: "a write")
                continue
            }
            throw TransportError.connectionLost(endpoint: endpoint, reason: String(cString: strerror(e)))
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            let e = errno
            if e == EAGAIN || e == EWOULDBLOCK || e == EINTR {
                try wait(for: Int16(POLLIN), deadline: deadline, operation: "a command")
                continue
            }
            throw TransportError.connectionLost(endpoint: endpoint, reason: String(cString: strerror(e)))
        }
    }

    /// Peeks without waiting: at least one byte is in the socket's receive queue.
    public var hasUnreadBytes: Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    /// Waits until the socket is ready for `events`, the deadline passes, or Ctrl-C.
    public func wait(for events: Int16, deadline: Deadline, operation: String) throws {
        while true {
            if cancellation.isCancelled { throw TransportError.interrupted }
            var pfd = pollfd(fd: fd, events: events, revents: 0)
            let ms = deadline.remainingMilliseconds
            if ms == 0 { throw TransportError.timedOut(endpoint: endpoint, operation: operation, seconds: deadline.seconds) }
            // Wake at least every 200 ms to notice Ctrl-C even if the signal hit another thread.
            let rc = poll(&pfd, 1, min(ms, 200))
            if rc > 0 { return }
            if rc < 0 && errno != EINTR {
                throw TransportError.connectionLost(endpoint: endpoint, reason: String(cString: strerror(errno)))
            }
        }
    }
}
