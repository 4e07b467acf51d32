#if canImport(Glibc)
import Glibc
#endif

/// The audit log file: records appended as JSON lines and synced before anything is deleted.
public final class AuditLogFile: AuditSink {
    private let path: String
    private let fd: Int32

    /// Opens (creating it with mode 0600) the log at `path`, so that a bad path fails before anything is scanned.
    public init(path: String) throws(AuditTrailError) {
        self.path = path
        let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            throw AuditTrailError("cannot open the audit log '\(path)': \(String(cString: strerror(errno))); nothing was deleted")
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
