import HTTPProbe
import RedisClient
import RedisStore
import SQLStore
import SessionBasics
import SessionCore

/// How an option's value is read and where it lands in the ``Invocation``: the part of an
/// option's table row that makes it one row, not four places.
public struct OptionBinding: Sendable {
    /// What the option takes, for help, the tokenizer and the completion scripts.
    public let value: OptionValue
    /// Checks the value and stores it; errors carry the argv index.
    let bind: @Sendable (_ inv: inout Invocation, _ value: Bytes?, _ spelling: String, _ index: Int) throws(ParseError) -> Void

    /// A flag that sets `path`.
    static func flag(_ path: WritableKeyPath<Invocation, Bool> & Sendable) -> OptionBinding {
        OptionBinding(value: .none) { inv, _, _, _ in inv[keyPath: path] = true }
    }

    /// A non-empty text value.
    static func text(_ path: WritableKeyPath<Invocation, String?> & Sendable, meta: String, isFile: Bool = false) -> OptionBinding {
        OptionBinding(value: .value(meta: meta, isFile: isFile)) { inv, value, spelling, index throws(ParseError) in
            inv[keyPath: path] = try nonEmpty(value, spelling, index, "must not be empty")
        }
    }

    /// Non-empty raw bytes (ids and keys are binary).
    static func bytes(_ path: WritableKeyPath<Invocation, Bytes?> & Sendable, meta: String, what: String) -> OptionBinding {
        OptionBinding(value: .value(meta: meta)) { inv, value, spelling, index throws(ParseError) in
            guard let value, !value.isEmpty else {
                throw .invalidValue(option: spelling, value: "", reason: "\(what) must not be empty", index: index)
            }
            inv[keyPath: path] = value
        }
    }

    /// Seconds: greater than 0, at most a day.
    static func seconds(_ path: WritableKeyPath<Invocation, Double> & Sendable) -> OptionBinding {
        OptionBinding(value: .value(meta: "SECONDS")) { inv, value, spelling, index throws(ParseError) in
            let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard let s = Double(text), s.isFinite, s > 0, s <= 86_400 else {
                throw .invalidValue(
                    option: spelling, value: text, reason: "expected a number of seconds greater than 0, such as 5 or 0.5", index: index)
            }
            inv[keyPath: path] = s
        }
    }

    /// A duration: a number with `s`, `m`, `h` or `d` (`90s`, `15m`, `12h`, `30d`; a bare number is seconds), within `range` seconds.
    static func duration(_ path: WritableKeyPath<Invocation, Double> & Sendable, _ range: ClosedRange<Double>) -> OptionBinding {
        OptionBinding(value: .value(meta: "DURATION")) { inv, value, spelling, index throws(ParseError) in
            inv[keyPath: path] = try seconds(value, spelling, index, range)
        }
    }

    /// An optional duration that must name its unit (`120m`, `2h`): a bare number is refused with
    /// `why`, where the application's own setting counts in another unit than seconds.
    static func durationWithUnit(_ path: WritableKeyPath<Invocation, Double?> & Sendable, _ range: ClosedRange<Double>, why: String) -> OptionBinding
    {
        OptionBinding(value: .value(meta: "DURATION")) { inv, value, spelling, index throws(ParseError) in
            let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            if let last = text.last, last.isNumber {
                throw .invalidValue(option: spelling, value: text, reason: "give the unit: \(why)", index: index)
            }
            inv[keyPath: path] = try seconds(value, spelling, index, range)
        }
    }

    /// An optional duration, as `duration` reads it.
    static func duration(_ path: WritableKeyPath<Invocation, Double?> & Sendable, _ range: ClosedRange<Double>) -> OptionBinding {
        OptionBinding(value: .value(meta: "DURATION")) { inv, value, spelling, index throws(ParseError) in
            inv[keyPath: path] = try seconds(value, spelling, index, range)
        }
    }

    private static func seconds(_ value: Bytes?, _ spelling: String, _ index: Int, _ range: ClosedRange<Double>) throws(ParseError) -> Double {
        let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard let seconds = parseDuration(text), range.contains(seconds) else {
            throw .invalidValue(
                option: spelling, value: text,
                reason: "expected a duration from \(Int(range.lowerBound))s to \(Int(range.upperBound / 86_400))d, such as 90s, 15m, 12h or 30d",
                index: index)
        }
        return seconds
    }

    /// A length or a range of lengths (`43`, `22-256`) within `bounds`.
    static func lengths(_ path: WritableKeyPath<Invocation, ClosedRange<Int>?> & Sendable, _ bounds: ClosedRange<Int>) -> OptionBinding {
        OptionBinding(value: .value(meta: "N|MIN-MAX")) { inv, value, spelling, index throws(ParseError) in
            let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            let numbers = parts.map { p in p.count <= 4 && p.allSatisfy { $0.isASCII && $0.isNumber } ? Int(p) : nil }
            guard (1...2).contains(parts.count), let low = numbers.first ?? nil, let high = numbers.last ?? nil, low <= high,
                bounds.contains(low), bounds.contains(high)
            else {
                throw .invalidValue(
                    option: spelling, value: text,
                    reason: "expected a length or a range from \(bounds.lowerBound) to \(bounds.upperBound), such as 43 or 22-256", index: index)
            }
            inv[keyPath: path] = low...high
        }
    }

    /// A network: `10.0.0.0/8`, `2001:db8::/32`, or one address.
    static func cidr(_ path: WritableKeyPath<Invocation, String?> & Sendable) -> OptionBinding {
        OptionBinding(value: .value(meta: "CIDR")) { inv, value, spelling, index throws(ParseError) in
            let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard CIDR(text) != nil else {
                throw .invalidValue(
                    option: spelling, value: text, reason: "expected an IPv4 or IPv6 network such as 10.0.0.0/8, 2001:db8::/32 or 192.0.2.7",
                    index: index)
            }
            inv[keyPath: path] = text
        }
    }

    /// `--app-key-file`: the first is the app key; `verify` takes more, each asked with in turn.
    static func appKeyFiles() -> OptionBinding {
        OptionBinding(value: .value(meta: "FILE", isFile: true)) { inv, value, spelling, index throws(ParseError) in
            let file = try nonEmpty(value, spelling, index, "must not be empty")
            if inv.layout.appKeyFile == nil { inv.layout.appKeyFile = file } else { inv.layout.moreAppKeyFiles.append(file) }
        }
    }

    /// `--url`: the first is the target, each one given again another seed of the same cluster.
    static func seeds() -> OptionBinding {
        OptionBinding(value: .value(meta: "URL")) { inv, value, spelling, index throws(ParseError) in
            let url = try nonEmpty(value, spelling, index, "must not be empty")
            if inv.connection.url == nil { inv.connection.url = url } else { inv.connection.moreURLs.append(url) }
        }
    }

    /// A non-empty id, added to a list each time the option is given.
    static func appending(_ path: WritableKeyPath<Invocation, [Bytes]> & Sendable, meta: String, what: String) -> OptionBinding {
        OptionBinding(value: .value(meta: meta)) { inv, value, spelling, index throws(ParseError) in
            guard let value, !value.isEmpty else {
                throw .invalidValue(option: spelling, value: "", reason: "\(what) must not be empty", index: index)
            }
            inv[keyPath: path].append(value)
        }
    }

    /// Seconds in `90s`, `15m`, `12h`, `30d` or a bare number; `nil` when malformed or negative.
    static func parseDuration(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var number = Substring(text)
        var scale = 1.0
        if let last = number.last, let u = units[last] {
            scale = u
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let n = Double(number), n.isFinite, n >= 0
        else { return nil }
        return n * scale
    }

    /// A size in bytes: a number with `k`/`KiB`, `m`/`MiB` or `g`/`GiB` (powers of 1024), within `range`.
    static func size(_ path: WritableKeyPath<Invocation, Int> & Sendable, _ range: ClosedRange<Int>) -> OptionBinding {
        OptionBinding(value: .value(meta: "SIZE")) { inv, value, spelling, index throws(ParseError) in
            let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard let bytes = parseSize(text), range.contains(bytes) else {
                throw .invalidValue(
                    option: spelling, value: text,
                    reason: "expected a size from \(describe(range.lowerBound)) to \(describe(range.upperBound)), such as 4096, 64KiB or 1MiB",
                    index: index)
            }
            inv[keyPath: path] = bytes
        }
    }

    /// `4096 bytes`, `4KiB`, `1GiB`, `1TiB`: a bound as the help writes sizes.
    private static func describe(_ bytes: Int) -> String {
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes) bytes"
    }

    /// Bytes in `4096`, `64k`, `64KiB`, `1m`, `1MiB`, `1g`, `1GiB`; `nil` when malformed.
    static func parseSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("kb", 1 << 10), ("mb", 1 << 20), ("gb", 1 << 30),
            ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1),
        ]
        let lower = text.lowercased()
        var number = Substring(lower)
        var scale = 1
        if let (suffix, n) = units.first(where: { lower.hasSuffix($0.0) }) {
            number = number.dropLast(suffix.count)
            scale = n
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(number) else { return nil }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : bytes
    }

    /// A whole number in `range`.
    static func count(_ path: WritableKeyPath<Invocation, Int> & Sendable, _ range: ClosedRange<Int>, meta: String = "N") -> OptionBinding {
        OptionBinding(value: .value(meta: meta)) { inv, value, spelling, index throws(ParseError) in
            inv[keyPath: path] = try number(value, spelling, index, range)
        }
    }

    /// An optional whole number in `range`.
    static func count(_ path: WritableKeyPath<Invocation, Int?> & Sendable, _ range: ClosedRange<Int>, meta: String = "N") -> OptionBinding {
        OptionBinding(value: .value(meta: meta)) { inv, value, spelling, index throws(ParseError) in
            inv[keyPath: path] = try number(value, spelling, index, range)
        }
    }

    /// One of an enumeration's raw values; the choices come from the enumeration.
    static func choice<E: RawRepresentable & CaseIterable & Sendable>(_ path: WritableKeyPath<Invocation, E> & Sendable, meta: String)
        -> OptionBinding
    where E.RawValue == String {
        let names = E.allCases.map(\.rawValue)
        return OptionBinding(value: .value(meta: meta, choices: names)) { inv, value, spelling, index throws(ParseError) in
            let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard let e = E(rawValue: text) else {
                let hint = Suggest.closest(to: text, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw .invalidValue(option: spelling, value: text, reason: "expected \(Self.list(names))\(hint)", index: index)
            }
            inv[keyPath: path] = e
        }
    }

    /// `--framework NAME`: one of the presets' names, with a "did you mean" for a misspelling.
    static func framework() -> OptionBinding {
        let names = Framework.names
        return OptionBinding(value: .value(meta: "NAME", choices: names)) { inv, value, spelling, index throws(ParseError) in
            let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            guard Framework.named(text) != nil else {
                let hint = Suggest.closest(to: text, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw .invalidValue(option: spelling, value: text, reason: "expected \(Self.list(names))\(hint)", index: index)
            }
            inv.layout.framework = text
        }
    }

    /// `--output FORMAT` and `--json` (`json` given): both set the output format, and may not disagree.
    static func output(_ fixed: OutputFormat?) -> OptionBinding {
        let choice = Self.choice(\Invocation.output.format, meta: "FORMAT")
        return OptionBinding(value: fixed == nil ? choice.value : .none) { inv, value, spelling, index throws(ParseError) in
            let before = inv.output.format
            if let fixed { inv.output.format = fixed } else { try choice.bind(&inv, value, spelling, index) }
            let said = fixed == nil ? "\(spelling) \(String(decoding: value ?? [], as: UTF8.self))" : spelling
            if let previous = inv.output.source, before != inv.output.format {
                throw .conflict("\(previous) and \(spelling) ask for different output formats", index: index)
            }
            inv.output.source = said
        }
    }

    /// `--cluster` (`true`) and `--no-cluster` (`false`), which may not both be given.
    static func cluster(_ wanted: Bool) -> OptionBinding {
        OptionBinding(value: .none) { inv, _, _, index throws(ParseError) in
            if let previous = inv.connection.cluster, previous != wanted {
                throw .conflict("--cluster and --no-cluster contradict each other", index: index)
            }
            inv.connection.cluster = wanted
        }
    }

    // MARK: Checks

    private static func nonEmpty(_ value: Bytes?, _ spelling: String, _ index: Int, _ why: String) throws(ParseError) -> String {
        let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard !text.isEmpty else { throw .invalidValue(option: spelling, value: text, reason: why, index: index) }
        return text
    }

    private static func number(_ value: Bytes?, _ spelling: String, _ index: Int, _ range: ClosedRange<Int>) throws(ParseError) -> Int {
        let text = value.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard let n = Int(text), range.contains(n) else {
            throw .invalidValue(
                option: spelling, value: text, reason: "expected a whole number from \(range.lowerBound) to \(range.upperBound)", index: index)
        }
        return n
    }

    /// `a, b or c`.
    static func list(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
