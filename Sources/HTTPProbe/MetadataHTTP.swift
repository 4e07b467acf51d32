import SessionBasics
import SessionCore
import SessionTransport

/// A plain-HTTP request to a local metadata endpoint (EC2's instance metadata, an ECS task's
/// credentials), with a deadline: the status and the body (at most 64 KiB).
public enum MetadataHTTP {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }

    /// `method` of `url` (`http://host[:port]/path`) with `headers`; throws when it cannot be asked.
    public static func request(
        _ method: String, _ url: String, headers: [(String, String)] = [], timeout: Double, cancellation: Cancellation
    ) throws -> (status: Int, body: Bytes) {
        guard url.hasPrefix("http://") else { throw Failure("only http:// is asked for credentials here, not \(url)") }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var host = String(authority)
        var port = 80
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":"), let p = Int(after.dropFirst()) { port = p }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":"), let p = Int(host[host.index(after: colon)...]) {
            port = p
            host = String(host[..<colon])
        }
        let socket = try SocketTransport(address: .tcp(host: host, port: port), connectTimeout: timeout, cancellation: cancellation)
        let deadline = Deadline.after(seconds: timeout)
        var head = "\(method) \(path.isEmpty ? "/" : String(path)) HTTP/1.1\r\nHost: \(authority)\r\nUser-Agent: sessionctl\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "Content-Length: 0\r\n\r\n"
        let bytes = Array(head.utf8)
        try bytes.withUnsafeBytes { try socket.write($0, deadline: deadline) }
        var data = Bytes()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while data.count < 65_536 + 16_384 {
            let n = try buffer.withUnsafeMutableBytes { try socket.read(into: $0, deadline: deadline) }
            if n == 0 { break }
            data += buffer[0..<n]
        }
        guard let (status, body, _, _) = VerifyProbe.parse(data, closed: true) else { throw Failure("\(authority) did not answer with HTTP") }
        return (status, Array(body.prefix(65_536)))
    }
}
