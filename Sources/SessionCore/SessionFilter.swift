import SessionBasics

/// Which sessions an operation keeps (`--idle-over`, `--idle-under`, `--older-than`,
/// `--created-after`, `--ttl-over`, `--ip`, `--user-agent`, `--except`): all must hold. A session whose age or address is unknown is never matched by a
/// filter on it, and is counted apart.
public struct SessionFilter: Sendable, Equatable {
    /// Idle for more than this many seconds (`OBJECT IDLETIME`).
    public var idleOver: Int64?
    /// Created more than this many seconds ago (from the decoded payload).
    public var olderThan: Double?
    /// More than this many seconds to live.
    public var ttlOver: Int64?
    /// Its IP address (from the payload) in this network.
    public var ip: CIDR?
    /// Session ids never matched (`--except`, "everywhere but here").
    public var except: Set<Bytes> = []
    /// Idle for less than this many seconds (`--idle-under`: in use lately).
    public var idleUnder: Int64?
    /// Created after this time, in seconds since 1970 (`--created-after`).
    public var createdAfter: Double?
    /// Its user agent (from the payload) matches this pattern (`--user-agent`).
    public var userAgent: UserAgentPattern?

    /// No filter.
    public init() {}

    /// Whether every session passes.
    public var isEmpty: Bool {
        idleOver == nil && olderThan == nil && ttlOver == nil && ip == nil && except.isEmpty && idleUnder == nil && createdAfter == nil
            && userAgent == nil
    }

    /// Whether the decision needs the payload's fields (creation time, IP, user agent).
    public var needsPayload: Bool { olderThan != nil || ip != nil || createdAfter != nil || userAgent != nil }

    /// The verdict on one session.
    public enum Verdict: Equatable, Sendable {
        case keep
        /// Dropped: the reason.
        case drop(String)
        /// A filter could not be decided (age or IP unknown): not matched.
        case unknown(String)
    }

    /// Decides on a session from what was read of it; `now` in seconds since 1970.
    public func verdict(session: Bytes, idle: Int64?, ttl: Int64?, fields: SessionFields?, now: Double) -> Verdict {
        if except.contains(session) { return .drop("--except") }
        if let limit = idleOver {
            guard let idle else { return .unknown("idle time unknown") }
            if idle <= limit { return .drop("idle \(idle)s, not over \(limit)s") }
        }
        if let limit = idleUnder {
            guard let idle else { return .unknown("idle time unknown") }
            if idle >= limit { return .drop("idle \(idle)s, not under \(limit)s") }
        }
        if let limit = ttlOver {
            // No expiry is more than any TTL.
            if let ttl, ttl <= limit { return .drop("TTL \(ttl)s, not over \(limit)s") }
        }
        if let limit = olderThan {
            guard let created = fields?.createdAt else { return .unknown("creation time unknown") }
            if now - created <= limit { return .drop("created \(Int64(now - created))s ago, not over \(Int64(limit))s") }
        }
        if let after = createdAfter {
            guard let created = fields?.createdAt else { return .unknown("creation time unknown") }
            if created <= after { return .drop("created \(Timestamp.rfc3339(created)), not after \(Timestamp.rfc3339(after))") }
        }
        if let net = ip {
            guard let text = fields?.ip, let address = CIDR.parseAddress(text) else { return .unknown("IP address unknown") }
            if !net.contains(address) { return .drop("IP \(text) not in \(net)") }
        }
        if let pattern = userAgent {
            guard let agent = fields?.userAgent else { return .unknown("user agent unknown") }
            if !pattern.matches(agent) { return .drop("user agent does not match \(pattern.text)") }
        }
        return .keep
    }
}

/// `--user-agent REGEX`: a pattern (Swift's regular expressions) searched for in a session's user
/// agent; at most the agent's first 1,024 characters are searched (a hostile header stays cheap).
public struct UserAgentPattern: @unchecked Sendable, Equatable {
    /// The pattern as given.
    public let text: String
    private let regex: Regex<AnyRegexOutput>

    /// `nil` when `text` is not a regular expression; case is ignored.
    public init?(_ text: String) {
        guard let regex = try? Regex(text) else { return nil }
        self.text = text
        self.regex = regex.ignoresCase()
    }

    public func matches(_ agent: String) -> Bool {
        (try? regex.firstMatch(in: String(agent.prefix(1_024)))) != nil
    }

    public static func == (a: UserAgentPattern, b: UserAgentPattern) -> Bool { a.text == b.text }
}

/// A session the filters left out, and why.
public struct FilteredOut: Equatable, Sendable {
    public var ref: SessionRef
    public var reason: String
    /// Whether a filter could not decide (age or IP unknown) rather than said no.
    public var undecided: Bool

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(ref: SessionRef, reason: String, undecided: Bool) {
        self.ref = ref
        self.reason = reason
        self.undecided = undecided
    }
}

extension SessionFilter {
    /// Splits records (read with their idle times, TTLs and, when a filter needs them, fields) into
    /// those kept and those left out with the reason; any store's records.
    public func split(_ records: [SessionRecord], now: Double) -> (kept: [SessionRecord], out: [FilteredOut]) {
        guard !isEmpty else { return (records, []) }
        var kept: [SessionRecord] = []
        var out: [FilteredOut] = []
        for r in records {
            switch verdict(session: r.ref.session, idle: r.idleSeconds, ttl: r.ttl, fields: r.fields, now: now) {
            case .keep: kept.append(r)
            case .drop(let why): out.append(FilteredOut(ref: r.ref, reason: why, undecided: false))
            case .unknown(let why): out.append(FilteredOut(ref: r.ref, reason: why, undecided: true))
            }
        }
        return (kept, out)
    }
}

/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`); an address alone is its /32 or /128.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    /// 4 or 16 bytes.
    public let network: [UInt8]
    public let prefix: Int
    public let description: String

    /// Parses `text`; `nil` when it is not a network.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.parseAddress(String(parts[0])) else { return nil }
        let bits = address.count * 8
        var length = bits
        if parts.count == 2 {
            guard let n = Int(parts[1]), parts[1].allSatisfy(\.isNumber), (0...bits).contains(n) else { return nil }
            length = n
        }
        network = address
        prefix = length
        description = text
    }

    /// Whether `address` (4 or 16 bytes; an IPv4-mapped IPv6 address counts as IPv4) is in the network.
    public func contains(_ address: [UInt8]) -> Bool {
        var a = address
        if network.count == 4, a.count == 16, a.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF][...] { a = Array(a.suffix(4)) }
        guard a.count == network.count else { return false }
        var left = prefix
        for i in 0..<a.count {
            if left <= 0 { return true }
            let mask: UInt8 = left >= 8 ? 0xFF : ~(0xFF >> UInt8(left))
            if a[i] & mask != network[i] & mask { return false }
            left -= 8
        }
        return true
    }

    /// An IPv4 (dotted quad) or IPv6 (with `::`, or an embedded IPv4 tail) address as bytes.
    public static func parseAddress(_ text: String) -> [UInt8]? {
        if !text.contains(":") {
            let q = text.split(separator: ".", omittingEmptySubsequences: false)
            guard q.count == 4 else { return nil }
            var out: [UInt8] = []
            for part in q {
                guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let n = UInt8(part) else { return nil }
                out.append(n)
            }
            return out
        }
        var text = Substring(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        var halves: [String] = []
        if let r = text.firstRange(of: "::") {
            halves = [String(text[..<r.lowerBound]), String(text[r.upperBound...])]
            if halves[1].contains("::") { return nil }
        } else {
            halves = [String(text)]
        }
        func groups(_ s: String) -> [UInt8]? {
            if s.isEmpty { return [] }
            var out: [UInt8] = []
            let items = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, g) in items.enumerated() {
                if i == items.count - 1, g.contains(".") {
                    guard let v4 = parseAddress(String(g)) else { return nil }
                    out += v4
                    continue
                }
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out += [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 16 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(network: [UInt8], prefix: Int, description: String) {
        self.network = network
        self.prefix = prefix
        self.description = description
    }
}
