import Foundation
import RedisClient
import SessionBasics

/// A ``ScriptedCluster`` served over real TCP on loopback: one listener per node, one thread
/// per connection, so the built binary can be pointed at a server whose every reply the test
/// chooses (lying topologies, hostile bytes, replies out of step, stalls, closes).
///
/// Bounded: it listens on 127.0.0.1 only, and `stop()` (or deinit) closes every socket.
public final class ScriptedServer: @unchecked Sendable {
    /// The scripted nodes; change them or their `hook` only through ``withCluster(_:)``.
    private let cluster: ScriptedCluster
    private let lock = NSLock()
    private var listeners: [Int32] = []
    private var clients: [Int32] = []
    private var stopped = false

    /// Starts `primaries` nodes on free loopback ports (one node: standalone unless `cluster`).
    public init(primaries: Int = 1, cluster isCluster: Bool = false) throws {
        var fds: [Int32] = []
        var addresses: [RedisEndpoint.Address] = []
        for _ in 0..<primaries {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            let bound = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 64) == 0 else { throw TestSupportError("cannot listen on loopback: \(String(cString: strerror(errno)))") }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            fds.append(fd)
            addresses.append(.tcp(host: "127.0.0.1", port: Int(UInt16(bigEndian: addr.sin_port))))
        }
        cluster = ScriptedCluster(primaries: primaries, cluster: isCluster, addresses: addresses)
        listeners = fds
        for (i, fd) in fds.enumerated() {
            Thread { [self] in acceptLoop(fd, i) }.start()
        }
    }

    deinit {
        stop()
    }

    /// `redis://127.0.0.1:PORT` of the first node.
    public var url: String {
        guard case .tcp(let h, let p) = cluster.nodes[0].address else { return "" }
        return "redis://\(h):\(p)"
    }

    /// Runs `body` on the scripted cluster under the server's lock (set keys, a hook, read the log).
    @discardableResult
    public func withCluster<T>(_ body: (ScriptedCluster) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(cluster)
    }

    /// Closes every listener and connection, and drops the hook (which often captures the cluster).
    public func stop() {
        lock.lock()
        cluster.hook = nil
        let all = stopped ? [] : listeners + clients
        stopped = true
        lock.unlock()
        for fd in all {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private func acceptLoop(_ listener: Int32, _ node: Int) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 { return }
            lock.lock()
            if stopped {
                lock.unlock()
                close(fd)
                return
            }
            clients.append(fd)
            lock.unlock()
            Thread { [self] in serve(fd, node) }.start()
        }
    }

    private func serve(_ fd: Int32, _ node: Int) {
        let parser = RESPReader()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            do { try parser.feed(Array(buffer[0..<n])) } catch { return }
            while let value = try? parser.next() {
                let command = value.array?.compactMap(\.bytes) ?? []
                let answer = withCluster { $0.answer($0.nodes[node], command) }
                var out: [UInt8] = []
                switch answer {
                case .reply(let v): RESPWriter.append(v, to: &out)
                case .replies(let vs): for v in vs { RESPWriter.append(v, to: &out) }
                case .raw(let bytes): out = bytes
                case .rawThenClose(let bytes):
                    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    shutdown(fd, Int32(SHUT_RDWR))
                    return
                case .close:
                    shutdown(fd, Int32(SHUT_RDWR))
                    return
                case .silence: continue
                }
                var offset = 0
                while offset < out.count {
                    let w = out.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                    if w <= 0 { return }
                    offset += w
                }
            }
        }
    }
}
