import SessionBasics
import SessionCore
import SessionTransport

#if canImport(Glibc)
    import Glibc
#endif

/// `--audit-syslog DEST`: each audit record as an RFC 5424 message, facility authpriv, severity
/// notice; its structured data carries the run id and the action (`[sessionctl@32473 run=… action=…]`),
/// its message the record's JSON line whole. `local` is the host's `/dev/log`; `unix:PATH` another
/// datagram socket; `udp://HOST:PORT` a datagram each; `tcp://HOST:PORT` octet-counted frames
/// (RFC 6587). A record that cannot be sent stops the run before its deletions, as a log file that
/// cannot be written does. UDP cannot say whether a record arrived: a receiver that is not listening
/// shows only as an error on a later send.
final class AuditSyslog: AuditSink {
    private enum Link {
        case datagram(DatagramSocket)
        case stream(SocketTransport)
    }

    private let link: Link
    private let destination: String
    private let host: String
    private let pid = getpid()
    /// Per send.
    static let timeout = 5.0

    /// Connects now, so that a bad destination fails before anything is scanned.
    init(_ destination: String, cancellation: Cancellation) throws {
        self.destination = destination
        host = Self.headerField(AuditTrail.hostName())
        func refuse(_ why: String) -> CLIError {
            CLIError("cannot use --audit-syslog '\(destination)': \(why); nothing was deleted", code: .usage)
        }
        do {
            if destination == "local" {
                link = .datagram(try DatagramSocket(address: .unix(path: "/dev/log")))
            } else if destination.hasPrefix("unix:") {
                link = .datagram(try DatagramSocket(address: .unix(path: String(destination.dropFirst(5)))))
            } else if destination.hasPrefix("udp://") || destination.hasPrefix("tcp://") {
                let rest = String(destination.dropFirst(6))
                guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else {
                    throw refuse("expected udp://HOST:PORT or tcp://HOST:PORT")
                }
                var name = String(rest[..<colon])
                if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
                let address = SocketAddress.tcp(host: name, port: port)
                link =
                    destination.hasPrefix("udp://")
                    ? .datagram(try DatagramSocket(address: address))
                    : .stream(try SocketTransport(address: address, connectTimeout: Self.timeout, cancellation: cancellation))
            } else {
                throw refuse("expected local, unix:PATH, udp://HOST:PORT or tcp://HOST:PORT")
            }
        } catch let error as TransportError {
            throw CLIError("cannot use --audit-syslog '\(destination)': \(error); nothing was deleted", code: .connect)
        }
    }

    func write(_ lines: [AuditLine], sync: Bool) throws(AuditTrailError) {
        for line in lines {
            let message = Array(
                "<85>1 \(line.timestamp) \(host) sessionctl \(pid) \(Self.headerField(line.action)) [sessionctl@32473 run=\"\(line.run)\" action=\"\(Self.paramValue(line.action))\"] \(line.text)"
                    .utf8)
            do {
                switch link {
                case .datagram(let socket):
                    try socket.send(message, deadline: .after(seconds: Self.timeout))
                case .stream(let socket):
                    let frame = Array("\(message.count) ".utf8) + message
                    try frame.withUnsafeBytes { try socket.write($0, deadline: .after(seconds: Self.timeout)) }
                }
            } catch {
                throw AuditTrailError("cannot send the audit record to syslog '\(destination)': \(error)")
            }
        }
    }

    /// An RFC 5424 header field: printable ASCII without spaces, or `-`.
    static func headerField(_ text: String) -> String {
        let kept = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value > 32 && $0.value < 127 }.prefix(48)))
        return kept.isEmpty ? "-" : kept
    }

    /// An SD-PARAM value: `"`, `\` and `]` escaped.
    static func paramValue(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "\"" || c == "\\" || c == "]" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
