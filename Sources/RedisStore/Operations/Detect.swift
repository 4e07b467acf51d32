import RedisClient
import SessionBasics
import SessionCore
import SessionPayload

/// What `detect` saw in a sample of the keyspace: which framework's session keys, in which
/// payload format, which mapping keys, and what else.
public struct DetectReport: Sendable {
    /// Session keys under one framework glob.
    public struct Sessions: Sendable {
        public var glob: String
        public var keys = 0
        /// Payload formats of the examples read, with counts.
        public var formats: [String: Int] = [:]
        /// The frameworks whose payloads look like that.
        public var frameworks: [String] = []
        public var example: Bytes
        /// Keys under the glob whose id has the shape of none of the glob's frameworks (a cache
        /// entry, another application's key): not counted in ``keys``, never sampled for formats.
        public var notSessions = 0
        public var notSessionExample: Bytes?
    }
    /// Mapping keys under one template.
    public struct Mappings: Sendable {
        public var template: String
        public var keys = 0
        public var example: Bytes
        /// Where an example mapping points.
        public var pointsTo: Bytes?
    }
    /// Other keys, by their first segment.
    public struct Other: Sendable {
        public var prefix: Bytes
        public var keys = 0
        public var example: Bytes
    }

    /// Keys looked at.
    public var sampled = 0
    /// Keys on every primary (DBSIZE).
    public var totalKeys: Int64 = 0
    public var sessions: [Sessions] = []
    public var mappings: [Mappings] = []
    public var other: [Other] = []
    /// Per-user index keys seen (Spring Session's principal index), by their prefix.
    public var indexes: [Other] = []
    public var completeness = Completeness()

    /// The preset the sample points to, if one does: the framework of the most session keys whose format fits.
    public var framework: String? {
        sessions.filter { !$0.frameworks.isEmpty }.max { $0.keys < $1.keys }?.frameworks.first
    }
}

extension RedisSessionStore {
    /// Scans until `sample` keys are seen (bounded: the sample, not the keyspace), classifies them
    /// against every preset's globs and mapping template, and reads up to `examples` payloads per
    /// glob (GETRANGE, 512 bytes) to name their format.
    public func detect(sample: Int = 5000, examples: Int = 20) throws -> DetectReport {
        var report = DetectReport()
        report.totalKeys = keyspace.totalKeys()
        let globs = uniquedStrings(Framework.all.flatMap(\.sessionGlobs))
        let templates = try uniquedStrings(Framework.all.map(\.mapping)).map { t throws(LayoutError) in (t, try MappingTemplate(t)) }
        var sessions: [String: DetectReport.Sessions] = [:]
        var payloadKeys: [String: [Bytes]] = [:]
        var mappings: [String: DetectReport.Mappings] = [:]
        var other: [Bytes: DetectReport.Other] = [:]
        var indexes: [Bytes: DetectReport.Other] = [:]
        let springIndex = Bytes("spring:session:index:".utf8)
        struct Enough: Error {}
        do {
            let outcome = try keyspace.scan(match: Bytes("*".utf8), count: min(scanCount, sample), rate: scanRate, progress: progress) { keys in
                for key in keys {
                    report.sampled += 1
                    if key.starts(with: springIndex) {
                        let prefix = Array(
                            key.prefix(
                                springIndex.count
                                    + (key.dropFirst(springIndex.count).firstIndex(of: UInt8(ascii: ":")).map { $0 - springIndex.count + 1 } ?? 0)))
                        indexes[prefix, default: DetectReport.Other(prefix: prefix, example: key)].keys += 1
                    } else if let (source, _) = templates.first(where: { $0.1.parse(key) != nil }) {
                        mappings[source, default: DetectReport.Mappings(template: source, example: key)].keys += 1
                    } else if let glob = globs.first(where: { Glob.matches(Array($0.utf8), key) }) {
                        var entry = sessions[glob] ?? DetectReport.Sessions(glob: glob, example: key)
                        if Self.hasSessionShape(key, glob: glob) {
                            if entry.keys == 0 { entry.example = key }
                            entry.keys += 1
                            if payloadKeys[glob, default: []].count < examples { payloadKeys[glob, default: []].append(key) }
                        } else {
                            entry.notSessions += 1
                            if entry.notSessionExample == nil { entry.notSessionExample = key }
                        }
                        sessions[glob] = entry
                    } else {
                        let prefix = Array(key.prefix { $0 != UInt8(ascii: ":") }.prefix(64))
                        other[prefix, default: DetectReport.Other(prefix: prefix, example: key)].keys += 1
                    }
                    if report.sampled >= sample { throw Enough() }
                }
            }
            report.completeness.merge(outcome.completeness)
        } catch is Enough {}
        // Formats of a few payloads per glob; a hash is Spring's.
        let globsRead = payloadKeys.keys.sorted()
        let wanted = globsRead.flatMap { g in payloadKeys[g]!.map { (g, $0) } }
        let replies = try batched(wanted, completeness: &report.completeness) {
            [[Verb.type, $0.1], [Verb.getrange, $0.1, Verb.zero, Bytes("511".utf8)]]
        }
        for ((glob, _), reply) in zip(wanted, replies) {
            let type = report.completeness.value(of: reply[0])?.text ?? "none"
            // A key that expired or was deleted since the scan saw it says nothing of the format.
            if type == "none" { continue }
            var format = "unknown"
            if type == "hash" {
                format = "hash"
            } else if case .bulk(let b)? = report.completeness.value(of: reply[1]) {
                format = PayloadFormat.sniff(b).map(\.rawValue) ?? (b.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? "integer" : "unknown")
            } else if type != "string" {
                format = type
            }
            sessions[glob]?.formats[format, default: 0] += 1
        }
        for glob in sessions.keys { sessions[glob]!.frameworks = Self.frameworks(glob: glob, formats: sessions[glob]!.formats) }
        // Where an example of each mapping template points.
        let examplesOfMappings = mappings.values.map(\.example)
        let pointers = try batched(examplesOfMappings, completeness: &report.completeness) { [[Verb.get, $0]] }
        for (key, reply) in zip(examplesOfMappings, pointers) {
            if case .bulk(let v)? = report.completeness.value(of: reply[0]), let source = mappings.first(where: { $0.value.example == key })?.key {
                mappings[source]?.pointsTo = v
            }
        }
        report.sessions = sessions.values.sorted { $0.keys > $1.keys }
        report.mappings = mappings.values.sorted { $0.keys > $1.keys }
        report.other = other.values.sorted { $0.keys > $1.keys }
        report.indexes = indexes.values.sorted { $0.keys > $1.keys }
        return report
    }

    /// Whether `key`'s id has the session shape of one of the presets with `glob` (or one declares none).
    static func hasSessionShape(_ key: Bytes, glob: String) -> Bool {
        Framework.all.contains { f in
            guard f.sessionGlobs.contains(glob) else { return false }
            guard let shape = f.sessionShape else { return true }
            for marker in f.idMarkers {
                if let at = firstOccurrence(of: Array(marker.utf8), in: key) { return shape.matchesId(Array(key[(at + marker.utf8.count)...])) }
            }
            return false
        }
    }

    /// The presets with `glob` whose payload kind fits the formats seen (the most common format decides).
    static func frameworks(glob: String, formats: [String: Int]) -> [String] {
        guard let format = formats.filter({ $0.key != "unknown" }).max(by: { $0.value < $1.value })?.key else { return [] }
        return Framework.all.filter { f in
            guard f.sessionGlobs.contains(glob) else { return false }
            switch f.payload {
            case .rails: return format == PayloadFormat.marshal.rawValue || format == PayloadFormat.json.rawValue
            case .laravel: return format == PayloadFormat.phpSerialize.rawValue
            case .php: return format == PayloadFormat.phpSession.rawValue || format == PayloadFormat.phpSerialize.rawValue
            case .django: return format == PayloadFormat.pickle.rawValue || format == "integer"
            case .flask: return [PayloadFormat.msgpack, .json, .pickle].map(\.rawValue).contains(format)
            case .express: return format == PayloadFormat.json.rawValue
            case .spring: return format == "hash"
            case .sniff: return false
            }
        }.map(\.name)
    }
}

private func uniquedStrings(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}
