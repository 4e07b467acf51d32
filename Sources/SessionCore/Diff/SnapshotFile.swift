import SessionBasics
import SessionCrypto
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// The NDJSON file `sessionctl snapshot` writes and `diff --against FILE` reads: a header line
/// `{"sessionctl_snapshot": 1, "source": …, "taken_at": …}`, then one line per session
/// `{"user", "session", "digest"}` (hex SHA-256; `user_base64`/`session_base64` beside ids that
/// are not UTF-8). Read a line at a time: memory is one line (at most 1 MiB) and a page.
public enum SnapshotFile {
    /// The header's key, and the format's version.
    public static let marker = "sessionctl_snapshot"
    public static let version = 1
    static let maxLine = 1 << 20

    /// Reads the file at `path`, handing entries over a page at a time. Errors name the line.
    public static func read(
        _ path: String, page: Int = 1000, cancellation: Cancellation? = nil,
        _ body: ([SnapshotEntry]) throws -> Void
    ) throws -> Completeness {
        var completeness = Completeness()
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SnapshotError("cannot read the snapshot '\(path)': \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG || info.st_mode & S_IFMT == S_IFIFO else {
            throw SnapshotError("the snapshot '\(path)' is not a file")
        }
        var pending: [UInt8] = []
        var entries: [SnapshotEntry] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var lineNumber = 0
        func handle(_ line: ArraySlice<UInt8>) throws {
            lineNumber += 1
            var text = line
            while let last = text.last, last == 13 || last == 32 { text = text.dropLast() }
            guard !text.isEmpty else { return }
            entries.append(contentsOf: try entry(Array(text), line: lineNumber, path: path))
            if entries.count >= page {
                try body(entries)
                entries.removeAll(keepingCapacity: true)
            }
        }
        while true {
            if cancellation?.isCancelled == true {
                completeness.recordInterruption()
                break
            }
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SnapshotError("cannot read the snapshot '\(path)': \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            pending += chunk[0..<n]
            var start = pending.startIndex
            while let nl = pending[start...].firstIndex(of: 10) {
                try handle(pending[start..<nl])
                start = nl + 1
            }
            pending.removeSubrange(0..<start)
            guard pending.count <= maxLine else { throw SnapshotError("\(path), line \(lineNumber + 1): longer than 1 MiB; not a snapshot") }
        }
        if !pending.isEmpty { try handle(pending[...]) }
        if !entries.isEmpty { try body(entries) }
        return completeness
    }

    /// One line of a snapshot: its entry, or none for the header; an error names what is wrong.
    public static func parseLine(_ line: [UInt8]) throws -> [SnapshotEntry] {
        try entry(line, line: 1, path: "snapshot")
    }

    /// One line: an entry, or nothing for the header.
    static func entry(_ line: [UInt8], line n: Int, path: String) throws -> [SnapshotEntry] {
        let value: PayloadValue
        do { value = try JSONPayload.decode(line) } catch {
            throw SnapshotError("\(path), line \(n): not JSON (\(error)); a snapshot is what 'sessionctl snapshot' writes")
        }
        if value[marker] != nil {
            guard case .int(let v)? = value[marker], v == Int64(version) else {
                throw SnapshotError("\(path), line \(n): snapshot version \(value[marker]?.scalarText ?? "?") is not \(version)")
            }
            return []
        }
        func bytes(_ name: String) throws -> Bytes {
            if case .string(let b64)? = value[name + "_base64"], let b = CookieCrypto.base64Decode(b64) { return b }
            guard case .string(let b)? = value[name] else { throw SnapshotError("\(path), line \(n): no \"\(name)\"") }
            return b
        }
        guard case .string(let hex)? = value["digest"], hex.count == 64, let digest = Self.unhex(hex) else {
            throw SnapshotError("\(path), line \(n): no \"digest\" of 64 hex digits")
        }
        return [SnapshotEntry(user: try bytes("user"), session: try bytes("session"), digest: digest)]
    }

    static func unhex(_ text: [UInt8]) -> [UInt8]? {
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < text.count {
            guard let hi = v(text[i]), let lo = v(text[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
