import HTTPProbe
import SessionBasics
import SessionCore
import SessionCrypto
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// AWS credentials found as the AWS SDKs find them, in their order: the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the shared files
/// (`~/.aws/credentials` then `~/.aws/config`, `AWS_PROFILE`, `AWS_SHARED_CREDENTIALS_FILE`,
/// `AWS_CONFIG_FILE`), the ECS task role (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, or `_FULL_URI`
/// with `AWS_CONTAINER_AUTHORIZATION_TOKEN` or `_TOKEN_FILE`), and EC2 instance metadata (IMDSv2:
/// a PUT for a session token, then the role's credentials; `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
/// `AWS_EC2_METADATA_DISABLED`). No secret is ever printed; errors name the source, not the values.
enum AWSCredentials {
    struct Found {
        let credentials: SigV4.Credentials
        /// Where they came from, for messages: `the environment`, `profile default in ~/.aws/credentials`, ….
        let source: String
    }

    static func find(environment env: [String: String], timeout: Double, cancellation: Cancellation) throws -> Found {
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let key = value("AWS_ACCESS_KEY_ID") {
            guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
                throw CLIError("AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY", code: .usage)
            }
            return Found(
                credentials: SigV4.Credentials(accessKey: key, secretKey: secret, sessionToken: value("AWS_SESSION_TOKEN")), source: "the environment"
            )
        }
        let profile = value("AWS_PROFILE") ?? value("AWS_DEFAULT_PROFILE") ?? "default"
        let home = value("HOME") ?? ""
        let files = [
            (value("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials", profile),
            (value("AWS_CONFIG_FILE") ?? home + "/.aws/config", profile == "default" ? "default" : "profile " + profile),
        ]
        for (path, section) in files {
            guard let text = read(path) else { continue }
            let values = ini(text)[section] ?? [:]
            if let key = values["aws_access_key_id"], let secret = values["aws_secret_access_key"] {
                return Found(
                    credentials: SigV4.Credentials(accessKey: key, secretKey: secret, sessionToken: values["aws_session_token"]),
                    source: "profile \(profile) in \(path)")
            }
        }
        if value("AWS_PROFILE") != nil {
            throw CLIError("the profile '\(profile)' has no keys in \(files[0].0) or \(files[1].0)", code: .usage)
        }
        if let relative = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return try container("http://169.254.170.2" + relative, authorization: nil, timeout: timeout, cancellation: cancellation)
        }
        if let full = value("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            var token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN")
            if let file = value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
                token = read(file)?.trimmingSpaces
                if token == nil { throw CLIError("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '\(file)'", code: .failure) }
            }
            return try container(full, authorization: token, timeout: timeout, cancellation: cancellation)
        }
        if value("AWS_EC2_METADATA_DISABLED")?.lowercased() != "true" {
            let endpoint = value("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? "http://169.254.169.254"
            if let found = try? instance(
                endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint, timeout: timeout, cancellation: cancellation)
            {
                return found
            }
        }
        throw CLIError(
            "no AWS credentials: none in the environment, the shared files (profile \(profile)), an ECS task role or EC2 instance metadata",
            hint: "set AWS_PROFILE, or run where a role is attached", code: .usage)
    }

    /// An ECS task role's credentials (or EKS Pod Identity's, through the full URI).
    private static func container(_ url: String, authorization: String?, timeout: Double, cancellation: Cancellation) throws -> Found {
        let r: (status: Int, body: Bytes)
        do {
            r = try MetadataHTTP.request(
                "GET", url, headers: authorization.map { [("Authorization", $0)] } ?? [], timeout: timeout, cancellation: cancellation)
        } catch {
            throw CLIError("cannot reach the container credentials at \(url): \(error)", code: .connect)
        }
        guard r.status == 200, let found = parse(r.body, source: "the ECS task role (\(url))") else {
            throw CLIError("the container credentials at \(url) answered \(r.status) without credentials", code: .failure)
        }
        return found
    }

    /// EC2 instance metadata, IMDSv2: a session token first, then the role, then its credentials.
    private static func instance(_ endpoint: String, timeout: Double, cancellation: Cancellation) throws -> Found? {
        let session = try MetadataHTTP.request(
            "PUT", endpoint + "/latest/api/token", headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")], timeout: min(timeout, 2),
            cancellation: cancellation)
        guard session.status == 200 else { return nil }
        let token = [("X-aws-ec2-metadata-token", String(decoding: session.body, as: UTF8.self).trimmingSpaces)]
        let roles = try MetadataHTTP.request(
            "GET", endpoint + "/latest/meta-data/iam/security-credentials/", headers: token, timeout: timeout, cancellation: cancellation)
        guard roles.status == 200,
            let role = String(decoding: roles.body, as: UTF8.self).split(separator: "\n").first.map(String.init)?.trimmingSpaces,
            !role.isEmpty
        else { return nil }
        let creds = try MetadataHTTP.request(
            "GET", endpoint + "/latest/meta-data/iam/security-credentials/" + role, headers: token, timeout: timeout, cancellation: cancellation)
        guard creds.status == 200 else { return nil }
        return parse(creds.body, source: "the EC2 instance role \(role)")
    }

    /// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`.
    private static func parse(_ body: Bytes, source: String) -> Found? {
        guard let v = try? JSONPayload.decode(body), let key = v["AccessKeyId"]?.text, let secret = v["SecretAccessKey"]?.text else { return nil }
        return Found(credentials: SigV4.Credentials(accessKey: key, secretKey: secret, sessionToken: v["Token"]?.text), source: source)
    }

    /// The sections of an INI file (the AWS shared files): `[name]` → key → value; `#` and `;` start comments.
    static func ini(_ text: String) -> [String: [String: String]] {
        var out: [String: [String: String]] = [:]
        var section: String?
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = String(raw).trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingSpaces
                continue
            }
            guard let section, let eq = line.firstIndex(of: "=") else { continue }
            out[section, default: [:]][String(line[..<eq]).trimmingSpaces.lowercased()] = String(line[line.index(after: eq)...]).trimmingSpaces
        }
        return out
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
