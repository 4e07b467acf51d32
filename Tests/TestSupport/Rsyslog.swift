import Foundation

/// A real `rsyslogd` (Debian's rsyslog) started for a test in its own folder: it listens on
/// loopback TCP and UDP ports and on a unix datagram socket of its own (never the host's
/// /dev/log), and writes each message's structured data and text to a file, a line each.
public final class Rsyslog: @unchecked Sendable {
    public let directory: URL
    public let tcpPort: Int
    public let udpPort: Int
    /// The unix datagram socket it reads (`--audit-syslog unix:PATH`).
    public let socketPath: String
    /// Where it writes what it received: `<structured data>|<message>` a line.
    public let output: URL
    private let process: Process

    public init() throws {
        let binary = try RedisServer.locate("rsyslogd")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-rsyslog-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        tcpPort = try FreePort.pick()
        udpPort = try FreePort.pick()
        socketPath = directory.appendingPathComponent("log.sock").path
        output = directory.appendingPathComponent("received")
        let config = """
            global(workDirectory="\(directory.path)")
            module(load="imtcp")
            module(load="imudp")
            module(load="imuxsock" SysSock.Use="off")
            input(type="imtcp" address="127.0.0.1" port="\(tcpPort)")
            input(type="imudp" address="127.0.0.1" port="\(udpPort)")
            input(type="imuxsock" Socket="\(socketPath)" UseSpecialParser="off" ParseHostname="on")
            template(name="received" type="string" string="%structured-data%|%msg%\\n")
            action(type="omfile" file="\(output.path)" template="received")

            """
        let configFile = directory.appendingPathComponent("rsyslog.conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["-n", "-f", configFile.path, "-i", directory.appendingPathComponent("pid").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        process = p
        // Up when it accepts on TCP and its socket exists.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: socketPath), FreePort.isListening(tcpPort) { return }
            usleep(50_000)
        }
        p.terminate()
        throw TestSupportError("rsyslogd did not start (apt-get install rsyslog)")
    }

    /// The lines received so far, waiting up to `timeout` seconds until there are at least `count`.
    public func received(atLeast count: Int, timeout: TimeInterval = 10) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var lines: [String] = []
        repeat {
            lines = ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.count >= count { return lines }
            usleep(50_000)
        } while Date() < deadline
        return lines
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}
