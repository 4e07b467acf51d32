import SessionBasics
import SessionPayload

/// What a decoded payload says about its session: who, since when, last seen, from where.
public struct SessionFields: Equatable, Sendable {
    /// The user id the payload names.
    public var user: String?
    /// Seconds since 1970 UTC.
    public var createdAt: Double?
    /// Seconds since 1970 UTC.
    public var lastSeenAt: Double?
    public var ip: String?
    public var userAgent: String?

    /// Fields, all unknown.
    public init() {}

    /// Whether nothing is known.
    public var isEmpty: Bool { self == SessionFields() }
}

extension FieldPaths {
    /// The fields found in `payload`: for each, the first path that reaches a scalar.
    public func extract(from payload: PayloadValue) -> SessionFields {
        func first(_ paths: [PayloadPath]) -> PayloadValue? {
            for p in paths { if let v = p.lookup(payload), v.scalarText != nil || v.isTime { return v } }
            return nil
        }
        var f = SessionFields()
        f.user = first(user)?.scalarText
        f.createdAt = first(createdAt).flatMap(Timestamp.seconds)
        f.lastSeenAt = first(lastSeenAt).flatMap(Timestamp.seconds)
        f.ip = first(ip)?.scalarText
        f.userAgent = first(userAgent)?.scalarText
        return f
    }
}

extension PayloadValue {
    var isTime: Bool { if case .time = self { return true } else { return false } }
}

/// Times in payloads and in output.
public enum Timestamp {
    /// Seconds since 1970 from a payload value: a number (seconds, or milliseconds from 10^11
    /// on), a time, or an RFC 3339 / ISO 8601 text.
    public static func seconds(_ v: PayloadValue) -> Double? {
        switch v {
        case .time(let t): return t
        case .int(let n): return n >= 100_000_000_000 ? Double(n) / 1000 : Double(n)
        case .double(let d) where d.isFinite: return d >= 1e11 ? d / 1000 : d
        case .string(let b):
            let s = String(decoding: b, as: UTF8.self)
            if let n = Int64(s) { return seconds(.int(n)) }
            return parse(s)
        default: return nil
        }
    }

    /// `2024-05-06T07:08:09Z`, with optional fraction and offset (`+02:00`), or a space for `T`.
    public static func parse(_ s: String) -> Double? {
        let b = Array(s.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count, b[r].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(String(decoding: b[r], as: UTF8.self))
        }
        guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let se = num(17..<19),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            var scale = 0.1
            i += 1
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                i += 1
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let oh = num((i + 1)..<(i + 3)) {
                // `+hh`, `+hhmm` or `+hh:mm`.
                let colon = i + 3 < b.count && b[i + 3] == UInt8(ascii: ":") ? 1 : 0
                let om = num((i + 3 + colon)..<(i + 5 + colon))
                offset = (oh * 3600 + (om ?? 0) * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
                i += om == nil ? 3 : 5 + colon
            }
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(y, mo, d)
        return Double(days * 86_400 + h * 3600 + mi * 60 + se - offset) + fraction
    }

    /// RFC 3339 in UTC: `2024-05-06T07:08:09Z`, with milliseconds when the time has them.
    public static func rfc3339(_ seconds: Double) -> String {
        let whole = Int64(seconds.rounded(.down))
        let ms = Int((seconds - Double(whole)) * 1000 + 0.5) % 1000
        var days = whole / 86_400
        var rest = whole % 86_400
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let (y, m, d) = civil(fromDays: Int(days))
        func pad(_ n: Int, _ w: Int = 2) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        let base = "\(pad(y, 4))-\(pad(m))-\(pad(d))T\(pad(Int(rest / 3600))):\(pad(Int(rest % 3600 / 60))):\(pad(Int(rest % 60)))"
        return base + (ms > 0 ? ".\(pad(ms, 3))" : "") + "Z"
    }

    /// The date of a day count from 1970-01-01.
    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
