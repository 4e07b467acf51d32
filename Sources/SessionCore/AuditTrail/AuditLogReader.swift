import SessionBasics
import SessionCrypto
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// The chain a log line ends with: `"chain":{"seq":N,"prev_sha256":"…"|null}}}`.
struct AuditChainLink: Equatable {
    var seq: UInt64
    var previous: String?

    private static let marker = Array(#""chain":{"seq":"#.utf8)
    private static let prevMarker = Array(#","prev_sha256":"#.utf8)

    /// The link at the end of `line`, or nil when the line does not end as a record of a log file does.
    init?<C: RandomAccessCollection>(line: C) where C.Element == UInt8, C.Index == Int {
        // The chain is the last field: look for it in the line's last 128 bytes only.
        let from = max(line.startIndex, line.endIndex - AuditTrail.chainRoom)
        guard let at = Self.lastIndex(of: Self.marker, in: line, from: from) else { return nil }
        var i = at + Self.marker.count
        var seq: UInt64 = 0
        var digits = 0
        while i < line.endIndex, line[i] >= 0x30, line[i] <= 0x39, digits < 20 {
            let (m, o1) = seq.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(line[i] - 0x30))
            guard !o1, !o2 else { return nil }
            seq = a
            digits += 1
            i += 1
        }
        guard digits > 0, line.endIndex - i >= Self.prevMarker.count, line[i..<(i + Self.prevMarker.count)].elementsEqual(Self.prevMarker) else {
            return nil
        }
        i += Self.prevMarker.count
        let rest = Array(line[i...])
        if rest == Array("null}}}".utf8) {
            previous = nil
        } else if rest.count == 64 + 5, rest.first == UInt8(ascii: "\""), rest.suffix(4).elementsEqual(Array("\"}}}".utf8)),
            rest[1..<65].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        {
            previous = String(decoding: rest[1..<65], as: UTF8.self)
        } else {
            return nil
        }
        self.seq = seq
    }

    init(seq: UInt64, previous: String?) {
        self.seq = seq
        self.previous = previous
    }

    private static func lastIndex<C: RandomAccessCollection>(of needle: [UInt8], in hay: C, from: Int) -> Int?
    where C.Element == UInt8, C.Index == Int {
        var i = hay.endIndex - needle.count
        while i >= from {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i -= 1
        }
        return nil
    }
}

/// Reads an audit log a line at a time in bounded memory (a megabyte of buffer; a line longer
/// than any record is reported, not held).
public struct AuditLogLines {
    private let fd: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var eof = false
    /// The number of the line last returned (from 1).
    public private(set) var number = 0
    /// Whether the last line returned had no newline (the file ends in the middle of a line).
    public private(set) var cutShort = false

    /// Opens `path` for reading; a one-line error when it cannot.
    public init(path: String) throws(AuditTrailError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AuditTrailError("cannot read the audit log '\(path)': \(String(cString: strerror(errno)))") }
        buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    /// Closes the file.
    public func close() { _ = Glibc.close(fd) }

    /// The next line (without its newline), or `.tooLong(bytes)` for a line over `limit` bytes
    /// (skipped to its end), or nil at the end of the file.
    public mutating func next(limit: Int) throws(AuditTrailError) -> Line? {
        var skipped = 0
        while true {
            if let nl = newline() {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                number += 1
                if skipped > 0 { return .tooLong(skipped + line.count) }
                return line.count > limit ? .tooLong(line.count) : .line(line)
            }
            if eof {
                guard start < end || skipped > 0 else { return nil }
                let line = Array(buffer[start..<end])
                start = end
                number += 1
                cutShort = true
                if skipped > 0 { return .tooLong(skipped + line.count) }
                return line.count > limit ? .tooLong(line.count) : .line(line)
            }
            if end - start >= buffer.count / 2 && start == 0 {
                // A line longer than half the buffer: no record; count it and read on to its end.
                skipped += end - start
                start = 0
                end = 0
            }
            try fill()
        }
    }

    /// A line, or one too long to be a record.
    public enum Line {
        case line([UInt8])
        case tooLong(Int)
    }

    private func newline() -> Int? {
        guard start < end else { return nil }
        return buffer.withUnsafeBytes { raw -> Int? in
            guard let p = memchr(raw.baseAddress! + start, 0x0A, end - start) else { return nil }
            return UnsafeRawPointer(p) - raw.baseAddress!
        }
    }

    private mutating func fill() throws(AuditTrailError) {
        if start > 0 {
            buffer.withUnsafeMutableBytes { raw in _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start) }
            end -= start
            start = 0
        }
        let n = buffer.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress! + end, raw.count - end) }
        if n < 0 {
            if errno == EINTR { return }
            throw AuditTrailError("cannot read the audit log '\(path)': \(String(cString: strerror(errno)))")
        }
        if n == 0 { eof = true }
        end += n
    }
}

/// `sessionctl audit-log verify FILE`: the chain, checked line by line.
public enum AuditLogVerifier {
    /// What the check found.
    public struct Verdict: Sendable {
        /// Whether every line is a record and each names the one before it.
        public var intact: Bool
        /// The records read (up to the first problem).
        public var records: Int
        public var first: String?
        public var last: String?
        /// The first problem, in one line; or the summary.
        public var message: String
        /// The digest the first record names as the line before it (a log rotated or started
        /// mid-chain), if any.
        public var continues: String?
        /// Runs started in this file, and those of them with no `run_end` (cut short, still running, or their end removed).
        public var runs: Int
        public var unfinished: Int
    }

    private static let startMarker = Array(#""action":"run_start""#.utf8)
    private static let endMarker = Array(#""action":"run_end""#.utf8)

    /// Checks the file at `path`; throws only when it cannot be read at all.
    public static func verify(path: String) throws(AuditTrailError) -> Verdict {
        var lines = try AuditLogLines(path: path)
        defer { lines.close() }
        var verdict = Verdict(intact: true, records: 0, message: "", runs: 0, unfinished: 0)
        var previousDigest: String?
        var beforeThatDigest: String?
        var previousSeq: UInt64 = 0
        var open: Set<String> = []
        func fail(_ why: String) -> Verdict {
            verdict.intact = false
            verdict.message = why
            return verdict
        }
        while let next = try lines.next(limit: AuditTrail.maxLine) {
            let n = lines.number
            guard case .line(let line) = next else {
                if case .tooLong(let size) = next {
                    return fail("line \(n) is \(size) bytes, longer than any record: it was inserted or changed")
                }
                continue
            }
            if lines.cutShort {
                return fail("line \(n), the last, is cut short (no newline): a write that did not finish, or the file was truncated")
            }
            guard let link = AuditChainLink(line: line), let time = timestamp(line) else {
                return fail("line \(n) is not a record of a sessionctl audit log: it was inserted or changed")
            }
            let digest = Digest.sha256Hex(line)
            if n == 1 {
                verdict.continues = link.previous
            } else if link.previous == previousDigest && link.seq == previousSeq &+ 1 {
                // In order.
            } else if link.previous == previousDigest {
                return fail("line \(n)'s number was changed: \(link.seq) after \(previousSeq)")
            } else if link.seq == previousSeq &+ 1 {
                return fail("line \(n - 1) was changed: line \(n) names another text before it")
            } else if link.seq > previousSeq &+ 1 {
                let missing = link.seq - previousSeq - 1
                return fail(
                    "\(missing == 1 ? "a record was" : "\(missing) records were") removed before line \(n): record \(previousSeq + 1)\(missing > 1 ? "–\(link.seq - 1)" : "") is missing"
                )
            } else if link.previous == beforeThatDigest {
                return fail("line \(n - 1) was inserted: line \(n) follows line \(n - 2)")
            } else {
                return fail("line \(n - 1) was inserted or the lines were reordered: record \(link.seq) follows record \(previousSeq)")
            }
            verdict.records += 1
            if verdict.first == nil { verdict.first = time }
            verdict.last = time
            if let run = runId(line) {
                if contains(startMarker, in: line) {
                    verdict.runs += 1
                    open.insert(run)
                } else if contains(endMarker, in: line) {
                    open.remove(run)
                }
            }
            beforeThatDigest = previousDigest
            previousDigest = digest
            previousSeq = link.seq
        }
        verdict.unfinished = open.count
        if verdict.records == 0 {
            verdict.message = "intact, 0 records"
        } else {
            verdict.message =
                "intact, \(verdict.records) record\(verdict.records == 1 ? "" : "s") in \(verdict.runs) run\(verdict.runs == 1 ? "" : "s"), first \(verdict.first!), last \(verdict.last!)"
        }
        return verdict
    }

    /// The `@timestamp` a record line starts with.
    static func timestamp(_ line: [UInt8]) -> String? {
        let prefix = Array(#"{"@timestamp":""#.utf8)
        guard line.count > prefix.count + 24, line.starts(with: prefix), line[prefix.count + 24] == UInt8(ascii: "\"") else { return nil }
        return String(decoding: line[prefix.count..<(prefix.count + 24)], as: UTF8.self)
    }

    /// The `trace.id` of a record line.
    static func runId(_ line: [UInt8]) -> String? {
        let marker = Array(#""trace":{"id":""#.utf8)
        guard let at = firstOccurrence(of: marker, in: line), at + marker.count + 33 <= line.count else { return nil }
        return String(decoding: line[(at + marker.count)..<(at + marker.count + 32)], as: UTF8.self)
    }

    private static func contains(_ needle: [UInt8], in line: [UInt8]) -> Bool {
        // The action is in the event object, near the start.
        firstOccurrence(of: needle, in: Array(line.prefix(400))) != nil
    }
}
