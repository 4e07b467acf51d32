import RedisClient
import SessionBasics
import SessionCore

/// A key template such as `user:<user>:<session>`: literal bytes and placeholders.
///
/// `{` and `}` are literal, so a Redis Cluster hash tag can be written `user:{<user>}:<session>`.
public struct KeyTemplate: Equatable, Sendable {
    /// A placeholder a template may name.
    public enum Placeholder: String, Sendable, CaseIterable {
        case user, session, value
    }

    /// One piece of a template.
    public enum Part: Equatable, Sendable {
        case literal(Bytes)
        case placeholder(Placeholder)
    }

    /// The pieces in order; adjacent literals are merged.
    public let parts: [Part]
    /// The template as the operator wrote it.
    public let source: String

    /// Parses `source`, accepting only the placeholders in `allowed`.
    public init(_ source: String, allowed: Set<Placeholder>) throws(LayoutError) {
        self.source = source
        var parts: [Part] = []
        var literal = Bytes()
        let bytes = Array(source.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "<"), let close = bytes[i...].firstIndex(of: UInt8(ascii: ">")) {
                let name = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
                if let p = Placeholder(rawValue: name) {
                    guard allowed.contains(p) else {
                        throw .badTemplate(source, "<\(name)> cannot be used here; allowed: \(Self.names(allowed))")
                    }
                    if !literal.isEmpty {
                        parts.append(.literal(literal))
                        literal = []
                    }
                    parts.append(.placeholder(p))
                    i = close + 1
                    continue
                }
                if name.allSatisfy({ $0.isLetter || $0 == "_" }) && !name.isEmpty {
                    throw .badTemplate(source, "unknown placeholder <\(name)>; allowed: \(Self.names(allowed))")
                }
            }
            literal.append(bytes[i])
            i += 1
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    private static func names(_ set: Set<Placeholder>) -> String {
        Placeholder.allCases.filter(set.contains).map { "<\($0.rawValue)>" }.joined(separator: ", ")
    }

    /// The placeholders in order of appearance.
    public var placeholders: [Placeholder] {
        parts.compactMap { if case .placeholder(let p) = $0 { return p } else { return nil } }
    }

    /// The template filled in with `values`; `nil` when one it names is missing.
    public func render(_ values: [Placeholder: Bytes]) -> Bytes? {
        var out = Bytes()
        for part in parts {
            switch part {
            case .literal(let b): out += b
            case .placeholder(let p):
                guard let v = values[p] else { return nil }
                out += v
            }
        }
        return out
    }

    /// A Redis MATCH pattern: literals and known values escaped, unknown placeholders `*`.
    public func pattern(_ values: [Placeholder: Bytes]) -> Bytes {
        var out = Bytes()
        for part in parts {
            switch part {
            case .literal(let b): out += Glob.escape(b)
            case .placeholder(let p): out += values[p].map(Glob.escape) ?? [UInt8(ascii: "*")]
            }
        }
        return out
    }
}

/// A key layout option that cannot be used.
public enum LayoutError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The template is malformed; the second value says why.
    case badTemplate(String, String)
    /// The session glob is malformed.
    case badGlob(String, String)

    public var description: String {
        switch self {
        case .badTemplate(let t, let why): return "bad key template '\(t)': \(why)"
        case .badGlob(let g, let why): return "bad --session-glob '\(g)': \(why)"
        }
    }
}

extension LayoutError: ClassifiedError {
    public var failureClass: FailureClass { .usage }
}
