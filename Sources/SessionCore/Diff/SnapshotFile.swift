import SessionBasics
import SessionCrypto
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// The NDJSON file `sessionctl snapshot` writes and `diff --against FILE` reads: a header line
/// `{"sessionctl_snapshot": 2, "source": …, "taken_at": …}`, then one line per session
/// `{"user", "session", "digest"}` (hex SHA-256; `user_base64`/`session_base64` beside ids that
/// are not UTF-8), then a trailer `{"sessionctl_snapshot_end": {"sessions", "complete",
/// "lines_sha256"}}`: how many session lines there are, whether the snapshot read everything, and
/// the SHA-256 of those lines. A file cut anywhere (its writer killed, the disk full), or with a line
/// lost or changed, is refused; one whose writer could not read everything makes `diff` incomplete.
/// Read a line at a time: memory is one line (at most 1 MiB) and a page.
public enum SnapshotFile {
    /// The header's key, and the format's version.
    public static let marker = "sessionctl_snapshot"
    public static let version = 2
    /// The trailer's key.
    public static let trailerMarker = "sessionctl_snapshot_end"
    static let maxLine = 1 << 20

    /// What the writer keeps as it writes session lines, for the trailer.
    public final class Writer {
        private let hasher = SHA256Hasher()
        /// Session lines written so far.
        public private(set) var count = 0

        /// A writer that has written no session line.
        public init() {}

        /// The line (without its newline) of one entry; counted and hashed for the trailer.
        public func line(_ e: SnapshotEntry) -> String {
            let text = JSON.object([("user", .bytes(e.user)), ("session", .bytes(e.session)), ("digest", .string(Digest.hex(e.digest)))])
                .render(pretty: false)
            hasher.update(Array(text.utf8))
            hasher.update(CollectionOfOne(UInt8(10)))
            count += 1
            return text
        }

        /// The trailer line (without its newline): the count, whether the snapshot read everything, the lines' digest.
        public func trailer(complete: Bool) -> String {
            JSON.object([
                (
                    trailerMarker,
                    .object([("sessions", .int(Int64(count))), ("complete", .bool(complete)), ("lines_sha256", .string(Digest.hex(hasher.finish())))])
                )
            ]).render(pretty: false)
        }
    }

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
        var fileVersion: Int64?
        var sessions = 0
        let hasher = SHA256Hasher()
        var ended = false
        func handle(_ line: ArraySlice<UInt8>) throws {
            lineNumber += 1
            var text = line
            while let last = text.last, last == 13 || last == 32 { text = text.dropLast() }
            guard !text.isEmpty else { return }
            if ended { throw SnapshotError("\(path), line \(lineNumber): a line after the trailer; not a snapshot as written") }
            switch try parse(Array(text), line: lineNumber, path: path) {
            case .header(let v):
                guard fileVersion == nil, sessions == 0 else { throw SnapshotError("\(path), line \(lineNumber): a second header") }
                fileVersion = v
            case .entry(let e):
                guard fileVersion != nil else { throw SnapshotError("\(path), line \(lineNumber): a session before the header; not a snapshot") }
                hasher.update(line)
                hasher.update(CollectionOfOne(UInt8(10)))
                sessions += 1
                entries.append(e)
                if entries.count >= page {
                    try body(entries)
                    entries.removeAll(keepingCapacity: true)
                }
            case .trailer(let count, let complete, let digest):
                guard fileVersion == Int64(version) else {
                    throw SnapshotError("\(path), line \(lineNumber): a trailer in a version \(fileVersion ?? 0) snapshot")
                }
                ended = true
                guard count == sessions else {
                    throw SnapshotError(
                        "\(path): the trailer counts \(count) sessions, the file holds \(sessions): lines were lost or added; take the snapshot again"
                    )
                }
                guard Digest.hex(hasher.finish()) == digest else {
                    throw SnapshotError("\(path): the session lines do not match the trailer's digest: the file was changed; take the snapshot again")
                }
                if !complete {
                    completeness.record(
                        PartialFailure(
                            .scanStopped, node: path, cause: "the snapshot could not read every session when it was taken (its writer exited 5)"))
                }
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
        if completeness.interrupted { return completeness }
        guard let fileVersion else { throw SnapshotError("\(path): no snapshot header; a snapshot is what 'sessionctl snapshot' writes") }
        if fileVersion < Int64(version) {
            // Written before snapshots had a trailer: nothing proves that no line was lost.
            completeness.record(
                PartialFailure(
                    .scanStopped, node: path,
                    cause: "a version \(fileVersion) snapshot has no trailer, so nothing proves that no session line was lost; take it again"))
        } else if !ended {
            throw SnapshotError(
                "\(path) ends after line \(lineNumber) without its trailer: the file was cut (its writer killed, or the disk full); take the snapshot again"
            )
        }
        return completeness
    }

    /// One line of a snapshot: its entry, or none for the header and the trailer; an error names what is wrong.
    public static func parseLine(_ line: [UInt8]) throws -> [SnapshotEntry] {
        if case .entry(let e) = try parse(line, line: 1, path: "snapshot") { return [e] }
        return []
    }

    /// What one line of a snapshot is.
    enum Line {
        case header(version: Int64)
        case entry(SnapshotEntry)
        case trailer(sessions: Int, complete: Bool, digest: String)
    }

    /// One line: the header, an entry or the trailer.
    static func parse(_ line: [UInt8], line n: Int, path: String) throws -> Line {
        let value: PayloadValue
        do { value = try JSONPayload.decode(line) } catch {
            throw SnapshotError("\(path), line \(n): not JSON (\(error)); a snapshot is what 'sessionctl snapshot' writes")
        }
        if value[marker] != nil {
            guard case .int(let v)? = value[marker], v >= 1, v <= Int64(version) else {
                throw SnapshotError(
                    "\(path), line \(n): snapshot version \(value[marker]?.scalarText ?? "?") is not one this version reads (1 to \(version))")
            }
            return .header(version: v)
        }
        if let end = value[trailerMarker] {
            guard case .int(let count)? = end["sessions"], count >= 0, case .bool(let complete)? = end["complete"],
                case .string(let hex)? = end["lines_sha256"], hex.count == 64
            else { throw SnapshotError("\(path), line \(n): a trailer without its sessions, complete and lines_sha256") }
            return .trailer(sessions: Int(clamping: count), complete: complete, digest: String(decoding: hex, as: UTF8.self))
        }
        func bytes(_ name: String) throws -> Bytes {
            if case .string(let b64)? = value[name + "_base64"], let b = CookieCrypto.base64Decode(b64) { return b }
            guard case .string(let b)? = value[name] else { throw SnapshotError("\(path), line \(n): no \"\(name)\"") }
            return b
        }
        guard case .string(let hex)? = value["digest"], hex.count == 64, let digest = Self.unhex(hex) else {
            throw SnapshotError("\(path), line \(n): no \"digest\" of 64 hex digits")
        }
        return .entry(SnapshotEntry(user: try bytes("user"), session: try bytes("session"), digest: digest))
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
