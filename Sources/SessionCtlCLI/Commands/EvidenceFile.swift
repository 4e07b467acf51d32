import SessionBasics
import SessionCore
import SessionCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// `--evidence FILE`: before a batch of sessions is revoked, each of them as `show -o json` reads
/// it (user, IP, user agent, created, last seen, idle, TTL, the payload's digest, the payload and
/// its decoding with secrets redacted) as a line of NDJSON, synced; the audit trail names the file
/// and its digest. The file is created 0600 and never overwritten; a line that cannot be written
/// (or a session that could not be read) stops the run before the batch is deleted.
final class EvidenceFile {
    let path: String
    private let fd: Int32
    private let hasher = SHA256Hasher()
    private let context: String?
    private let target: String
    /// Sessions and bytes written so far.
    private(set) var sessions = 0
    private(set) var bytes = 0

    /// Creates the file (`<run>`, `<time>` and `<context>` in `template` become the run's id, the UTC
    /// time and the context's name):
    /// refused when it exists, so that evidence is never overwritten.
    init(template: String, run: String, context: String?, target: String) throws {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        var seconds = t.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var stamp = [CChar](repeating: 0, count: 32)
        strftime(&stamp, stamp.count, "%Y%m%dT%H%M%SZ", &parts)
        let time = String(decoding: stamp.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        path = template.replacingOccurrences(of: "<run>", with: run).replacingOccurrences(of: "<time>", with: time)
            .replacingOccurrences(of: "<context>", with: context ?? "none")
        self.context = context
        self.target = target
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let why =
                errno == EEXIST
                ? "it exists, and evidence is never overwritten: name a new file (<time> or <run> in the name makes one per run)"
                : String(cString: strerror(errno))
            throw CLIError("cannot create the evidence file '\(path)': \(why); nothing was deleted", code: errno == EEXIST ? .usage : .failure)
        }
    }

    deinit { close(fd) }

    /// Removes the file when the run wrote nothing to it (nothing was revoked), if it is still the one created.
    func removeIfEmpty() {
        guard sessions == 0 else { return }
        var mine = stat()
        var there = stat()
        guard fstat(fd, &mine) == 0, lstat(path, &there) == 0, mine.st_dev == there.st_dev, mine.st_ino == there.st_ino, there.st_size == 0 else {
            return
        }
        unlink(path)
    }

    /// Writes `details` (the sessions of one batch, read just now), synced. Throws, so that the
    /// batch is not deleted, when one of `refs` could not be read or the file cannot take them.
    func write(_ read: ShowResult, refs: [SessionRef]) throws {
        guard read.completeness.isComplete else {
            throw CLIError(
                "cannot write the evidence file '\(path)': not every session could be read (\(read.completeness.summary(running: .revoke).joined(separator: "; "))); nothing more was deleted",
                code: .failure)
        }
        let captured = Timestamp.rfc3339(WallClock.now())
        var out: [UInt8] = []
        let byKey = Dictionary(read.sessions.map { ($0.record.ref.sessionKey, $0) }, uniquingKeysWith: { a, _ in a })
        for ref in refs {
            var fields: [(String, JSON)] = [
                ("captured_at", .string(captured)), ("context", context.map { .string($0) } ?? .null), ("target", .string(target)),
            ]
            if let detail = byKey[ref.sessionKey] {
                let (redacted, _) = ShowCommand.redacted(detail)
                if case .object(let shown) = ShowCommand.json(redacted) { fields += shown }
                fields.append(("payload_sha256", Self.digest(detail.payload)))
            } else {
                // Found by the plan, gone before it could be read: said, not left out.
                fields += JSONModels.ref(ref) + [("exists", .bool(false))]
            }
            out += JSON.object(fields).render(pretty: false).utf8
            out.append(UInt8(ascii: "\n"))
        }
        var offset = 0
        while offset < out.count {
            let n = out.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw CLIError(
                    "cannot write the evidence file '\(path)': \(String(cString: strerror(errno))); nothing more was deleted", code: .failure)
            }
            offset += n
        }
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw CLIError("cannot sync the evidence file '\(path)': \(String(cString: strerror(errno))); nothing more was deleted", code: .failure)
        }
        hasher.update(out)
        sessions += refs.count
        bytes += out.count
    }

    /// The SHA-256 of everything written so far.
    var sha256: String { Digest.hex(hasher.current()) }

    /// The payload's SHA-256 as read (before redaction): a string's bytes, a hash's fields and values in order.
    private static func digest(_ payload: SessionDetail.Payload) -> JSON {
        switch payload {
        case .string(let b): return .string(Digest.sha256Hex(b))
        case .hash(let pairs):
            let h = SHA256Hasher()
            for p in pairs {
                h.update(Array(String(p.field.count).utf8) + [0x3A] + p.field + Array(String(p.value.count).utf8) + [0x3A] + p.value)
            }
            return .string(Digest.hex(h.finish()))
        case .other, .none: return .null
        }
    }
}
