import Foundation
import RedisClient
import SessionBasics
import SessionTransport

/// A CA, a server certificate for `localhost` and 127.0.0.1, a client certificate, and an
/// unrelated CA, made with the `openssl` command in a temporary folder.
public final class TestCertificates: @unchecked Sendable {
    /// The folder holding the files.
    public let directory: URL

    /// Makes every file; takes a fraction of a second with EC keys.
    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sessionctl-certs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let openssl = try RedisServer.locate("openssl")
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        func run(_ args: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: openssl)
            p.arguments = args
            p.currentDirectoryURL = directory
            p.standardOutput = FileHandle.nullDevice
            let err = Pipe()
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw TestSupportError(
                    "openssl \(args.joined(separator: " ")) failed: \(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))"
                )
            }
        }
        try "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth,clientAuth\n"
            .write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)
        for ca in ["ca", "other-ca"] {
            try run(["req", "-x509"] + ec + ["-keyout", "\(ca).key", "-out", "\(ca).crt", "-days", "2", "-subj", "/CN=sessionctl test \(ca)"])
        }
        for (name, ext) in [("server", "server.ext"), ("client", "client.ext")] {
            try run(
                ["req"] + ec + [
                    "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name == "server" ? "localhost" : "sessionctl client")",
                ])
            try run([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "\(name).crt", "-days", "2", "-extfile", ext,
            ])
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// The path of one of the files: `ca.crt`, `other-ca.crt`, `server.crt`, `server.key`, `client.crt`, `client.key`.
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A TLS context that trusts the CA and presents the client certificate.
    public func clientContext() throws -> TLSContext {
        try TLSContext(settings: TLSSettings(caFile: path("ca.crt"), certificateFile: path("client.crt"), keyFile: path("client.key")))
    }
}
