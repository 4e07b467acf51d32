import Foundation
import RedisClient
import SessionBasics

/// A TCP proxy on loopback between sessionctl and a real server that injects faults into the
/// server's replies: reset every connection once the client has sent some bytes after a pattern
/// (and refuse new ones for a while), stall after some bytes, or drip replies a byte at a time.
public final class FaultProxy: @unchecked Sendable {
    /// What the proxy does to traffic.
    public enum Fault: Sendable {
        /// Forward everything as it comes.
        case none
        /// Once the client has sent `after` more bytes following the first chunk containing
        /// `pattern`, reset every connection and refuse new ones for `downFor` seconds.
        case reset(pattern: String, after: Int, downFor: Double)
        /// Stop forwarding the server's replies after `after` bytes of them, on every connection.
        case stall(after: Int)
        /// Forward the server's replies one byte per write.
        case drip
    }

    /// The proxy's own port on 127.0.0.1.
    public let port: Int
    private let upstream: Int
    private let listener: Int32
    private let lock = NSLock()
    private var fault: Fault = .none
    private var sockets: [Int32] = []
    private var armedBytes: Int?
    private var downUntil = Date.distantPast
    private var closed = false
    /// How many times the proxy reset its connections.
    public private(set) var resets = 0

    /// A proxy to `127.0.0.1:upstreamPort`.
    public init(upstreamPort: Int) throws {
        upstream = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw TestSupportError("proxy cannot listen: \(String(cString: strerror(errno)))") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    /// `redis://127.0.0.1:PORT` of the proxy.
    public var url: String { "redis://127.0.0.1:\(port)" }

    /// Sets the fault for traffic from now on.
    public func set(_ fault: Fault) {
        lock.lock()
        self.fault = fault
        armedBytes = nil
        lock.unlock()
    }

    /// Closes the listener and every connection.
    public func stop() {
        lock.lock()
        let all = closed ? [] : [listener] + sockets
        closed = true
        lock.unlock()
        for fd in all {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            lock.lock()
            let refuse = closed || Date() < downUntil
            lock.unlock()
            if refuse {
                abort(client)
                continue
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(upstream).bigEndian
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if ok != 0 {
                close(server)
                abort(client)
                continue
            }
            lock.lock()
            sockets += [client, server]
            lock.unlock()
            Thread { [self] in pump(from: client, to: server, replies: false) }.start()
            Thread { [self] in pump(from: server, to: client, replies: true) }.start()
        }
    }

    /// Closes with a TCP reset (SO_LINGER 0), as a crashed proxy or a firewall would.
    private func abort(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    private func pump(from: Int32, to: Int32, replies: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var forwarded = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if n <= 0 {
                shutdown(to, Int32(SHUT_RDWR))
                return
            }
            lock.lock()
            let current = fault
            var resetNow = false
            if !replies, case .reset(let pattern, let after, let downFor) = current {
                if armedBytes == nil, buffer[0..<n].firstRange(of: Array(pattern.utf8)) != nil { armedBytes = 0 }
                if let armed = armedBytes {
                    armedBytes = armed + n
                    if armed + n > after {
                        resetNow = true
                        fault = .none
                        downUntil = Date().addingTimeInterval(downFor)
                        resets += 1
                    }
                }
            }
            let all = sockets
            lock.unlock()
            if resetNow {
                for fd in all { abort(fd) }
                return
            }
            var chunk = Array(buffer[0..<n])
            if replies, case .stall(let after) = current {
                if forwarded >= after { continue }
                chunk = Array(chunk.prefix(after - forwarded))
            }
            let step = replies && isDrip(current) ? 1 : chunk.count
            var offset = 0
            while offset < chunk.count {
                let w = chunk.withUnsafeBytes { send(to, $0.baseAddress! + offset, min(step, chunk.count - offset), Int32(MSG_NOSIGNAL)) }
                if w <= 0 { return }
                offset += w
                forwarded += w
            }
        }
    }

    private func isDrip(_ f: Fault) -> Bool {
        if case .drip = f { return true }
        return false
    }
}
