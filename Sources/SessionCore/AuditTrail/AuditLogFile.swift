import SessionBasics
import SessionCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The audit log file: records appended as JSON lines and synced before anything is deleted,
/// each carrying the digest of the line before it and its number in the file, so that a line
/// changed, removed or inserted afterwards shows (`sessionctl audit-log verify`).
///
/// Writers take the file's lock (`flock`) around reading the last line and appending theirs, so
/// two operators on one host keep one chain. The log is a regular file (or a character device
/// such as /dev/null, which has no chain). A symbolic link is followed only when it leads to a
/// regular file that the operator owns and that has no other name (a link planted in a shared
/// folder must not make sessionctl append to, or create, a file of someone else's choosing); the
/// file opened is checked to be the one inspected.
public final class AuditLogFile {
    private let path: String
    private let fd: Int32
    private let regular: Bool
    private let digests = SHA256HexWriter()
    /// How long a writer waits for another's lock.
    static let lockWait = 10.0
    /// Things to tell the operator (a log that others can read).
    public private(set) var warnings: [String] = []

    /// Opens (creating it with mode 0600) the log at `path`, so that a bad path fails before anything is scanned.
    public init(path: String) throws(AuditTrailError) {
        self.path = path
        func refuse(_ why: String) -> AuditTrailError {
            AuditTrailError("cannot use the audit log '\(path)': \(why); nothing was deleted")
        }
        var link = stat()
        var expected: stat?
        var flags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK
        if lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK {
            var target = stat()
            guard stat(path, &target) == 0 else { throw refuse("it is a symbolic link to nothing") }
            guard target.st_mode & S_IFMT == S_IFREG, target.st_uid == geteuid(), target.st_nlink == 1 else {
                throw refuse("it is a symbolic link, and not to a regular file that you own and that has no other name")
            }
            expected = target
            flags &= ~O_CREAT
        } else {
            flags |= O_NOFOLLOW
        }
        var opened = open(path, flags, 0o600)
        if opened < 0 && (errno == EACCES || errno == EPERM) {
            // A log that may be appended to but not read (chattr +a, a write-only mode): no chain to continue.
            opened = open(path, flags & ~O_RDWR | O_WRONLY, 0o600)
        }
        guard opened >= 0 else {
            throw AuditTrailError("cannot open the audit log '\(path)': \(String(cString: strerror(errno))); nothing was deleted")
        }
        var info = stat()
        // A character device (/dev/null, /dev/full) is taken as the operator's explicit choice.
        guard fstat(opened, &info) == 0, info.st_mode & S_IFMT == S_IFREG || (expected == nil && info.st_mode & S_IFMT == S_IFCHR) else {
            close(opened)
            throw refuse("it is not a regular file")
        }
        if let expected, expected.st_dev != info.st_dev || expected.st_ino != info.st_ino {
            close(opened)
            throw refuse("the link changed while it was opened")
        }
        if info.st_mode & S_IFMT == S_IFREG && info.st_mode & 0o077 != 0 {
            warnings.append(
                "the audit log '\(path)' can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): it names users and when they were logged out; chmod 600 it"
            )
        }
        regular = info.st_mode & S_IFMT == S_IFREG
        fd = opened
    }

    deinit {
        close(fd)
    }

    /// Appends `records` under the file's lock, each chained to the line before it, and syncs
    /// the file when `sync`; returns the lines as written (the chain is theirs in every sink).
    func append(_ records: [AuditRecord], sync: Bool) throws(AuditTrailError) -> [AuditLine] {
        guard regular else {
            let lines = records.map { $0.line(chain: nil) }
            var bytes: [UInt8] = []
            for line in lines {
                bytes += line.bytes
                bytes.append(UInt8(ascii: "\n"))
            }
            try write(bytes, sync: sync)
            return lines
        }
        try lock()
        defer { _ = flock(fd, LOCK_UN) }
        let last = tail()
        var seq = last.seq
        var previous = last.digest
        var lines: [AuditLine] = []
        // A last line cut short (a write that did not finish) stays a line of its own: verify names it.
        var bytes: [UInt8] = last.open ? [UInt8(ascii: "\n")] : []
        bytes.reserveCapacity(records.reduce(bytes.count) { $0 + $1.body.count + AuditTrail.chainRoom })
        for r in records {
            seq += 1
            let line = r.line(chain: (seq, previous))
            // Never a line over the bound: the trail keeps every field within it, so this is a defect, stopped here.
            guard line.bytes.count <= AuditTrail.maxLine else {
                throw AuditTrailError(
                    "cannot write the audit log '\(path)': a record of \(line.bytes.count) bytes is over the \(AuditTrail.maxLine)-byte bound")
            }
            var digest: [UInt8] = []
            digest.reserveCapacity(64)
            digests.append(digestOf: line.bytes, to: &digest)
            previous = digest
            bytes += line.bytes
            bytes.append(UInt8(ascii: "\n"))
            lines.append(line)
        }
        try write(bytes, sync: sync)
        return lines
    }

    /// Takes the lock, waiting up to ``lockWait`` seconds for another writer.
    private func lock() throws(AuditTrailError) {
        let deadline = Deadline.after(seconds: Self.lockWait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw AuditTrailError("cannot lock the audit log '\(path)': \(String(cString: strerror(errno)))")
            }
            guard !deadline.hasPassed else {
                throw AuditTrailError("cannot lock the audit log '\(path)': another writer held it for \(Int(Self.lockWait)) s")
            }
            usleep(5_000)
        }
    }

    /// The last line's number and digest, and whether it lacks its newline (a write cut short):
    /// (0, nil, false) for an empty file or one that cannot be read.
    private func tail() -> (seq: UInt64, digest: [UInt8]?, open: Bool) {
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return (0, nil, false) }
        let size = Int(info.st_size)
        let window = min(size, AuditTrail.maxLine * 2 + 2)
        var buffer = [UInt8](repeating: 0, count: window)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, window, off_t(size - window)) }
        guard n == window else { return (0, nil, false) }
        let open = buffer.last != UInt8(ascii: "\n")
        let body = open ? buffer[...] : buffer.dropLast()
        let start = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? body.startIndex
        let line = Array(body[start...])
        // A line longer than the window is no record of ours: its digest is of its end only, and verify says which line it is.
        let seq = AuditChainLink(line: line)?.seq ?? 0
        return (seq, Array(Digest.sha256Hex(line).utf8), open)
    }

    private func write(_ bytes: [UInt8], sync: Bool) throws(AuditTrailError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw AuditTrailError("cannot write the audit log '\(path)': \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        guard !sync || fsync(fd) == 0 || errno == EINVAL else {
            throw AuditTrailError("cannot sync the audit log '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
