import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// The audit log file: records appended as JSON lines and synced before anything is deleted.
///
/// The log is a regular file (or a character device such as /dev/null). A symbolic link is followed only when it leads to a regular file
/// that the operator owns and that has no other name (a link planted in a shared folder must
/// not make sessionctl append to, or create, a file of someone else's choosing); the file opened
/// is checked to be the one inspected.
public final class AuditLogFile: AuditSink {
    private let path: String
    private let fd: Int32
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
        var flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK
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
        let opened = open(path, flags, 0o600)
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
        fd = opened
    }

    deinit {
        close(fd)
    }

    /// Appends one line per record and syncs the file.
    public func write(_ records: [[(String, JSON)]]) throws(AuditTrailError) {
        let text = records.map { JSON.object($0).render(pretty: false) + "\n" }.joined()
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw AuditTrailError("cannot write the audit log '\(path)': \(String(cString: strerror(errno))); nothing more was deleted")
            }
            offset += n
        }
        guard fsync(fd) == 0 || errno == EINVAL else {
            throw AuditTrailError("cannot sync the audit log '\(path)': \(String(cString: strerror(errno))); nothing more was deleted")
        }
    }
}
