/// AWS Signature Version 4, as a presigned URL: the IAM authentication token of ElastiCache and
/// MemoryDB (a `GET` of `http://<cache-name>/?Action=connect&User=<user>`, presigned, the scheme
/// dropped), built the way AWS documents it and botocore's request signer does, byte for byte.
public enum SigV4 {
    /// Credentials to sign with; the session token of temporary credentials rides in the URL.
    public struct Credentials: Sendable, Equatable {
        public var accessKey: String
        public var secretKey: String
        public var sessionToken: String?

        public init(accessKey: String, secretKey: String, sessionToken: String? = nil) {
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.sessionToken = sessionToken
        }
    }

    /// The token for `user` of the cache or cluster `name` (lower-cased, as the host), for
    /// `service` (`elasticache` or `memorydb`) in `region`, signed at `time` (seconds since 1970)
    /// and valid for `expires` seconds (AWS takes 15 minutes).
    public static func connectToken(
        service: String, region: String, name: String, user: String, serverless: Bool, credentials: Credentials, time: Int, expires: Int = 900
    ) -> String {
        let host = name.lowercased()
        let stamp = timestamp(time)
        let day = String(stamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        var params: [(String, String)] = [("Action", "connect"), ("User", user)]
        if serverless { params.append(("ResourceType", "ServerlessCache")) }
        params += [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(credentials.accessKey)/\(scope)"), ("X-Amz-Date", stamp),
            ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { params.append(("X-Amz-Security-Token", token)) }
        let encoded = params.map { (encode($0.0), encode($0.1)) }
        let canonicalQuery = encoded.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let canonicalRequest = "GET\n/\n\(canonicalQuery)\nhost:\(host)\n\nhost\n\(Digest.sha256Hex([]))"
        let stringToSign = "AWS4-HMAC-SHA256\n\(stamp)\n\(scope)\n\(Digest.sha256Hex(Array(canonicalRequest.utf8)))"
        var key = CookieCrypto.hmacSHA256(key: Array("AWS4\(credentials.secretKey)".utf8), Array(day.utf8))
        for part in [region, service, "aws4_request"] { key = CookieCrypto.hmacSHA256(key: key, Array(part.utf8)) }
        let signature = Digest.hex(CookieCrypto.hmacSHA256(key: key, Array(stringToSign.utf8)))
        return "\(host)/?" + encoded.map { "\($0.0)=\($0.1)" }.joined(separator: "&") + "&X-Amz-Signature=\(signature)"
    }

    /// `20261207T120000Z`: the UTC time SigV4 signs.
    static func timestamp(_ time: Int) -> String {
        // Days since 1970 to a civil date (Howard Hinnant's algorithm): no C time functions needed.
        let days = time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
        let seconds = time - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(y)\(two(m))\(two(d))T\(two(seconds / 3600))\(two(seconds / 60 % 60))\(two(seconds % 60))Z"
    }

    /// RFC 3986 percent-encoding: letters, digits and `-_.~` as they are, every other byte `%XX`.
    static func encode(_ text: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
