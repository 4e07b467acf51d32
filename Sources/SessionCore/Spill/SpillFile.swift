import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// A failure of the spill files: a temporary directory that cannot be made, a full disk, or a
/// Ctrl-C during a merge. Nothing in the keyspace is touched by these commands, so nothing is lost.
public struct SpillError: Error, Equatable, CustomStringConvertible {
    public var description: String
    /// Whether Ctrl-C stopped the merge (not a failure of the disk).
    public var interrupted = false
    public init(_ d: String, interrupted: Bool = false) {
        description = d
        self.interrupted = interrupted
    }

    static func errno(_ what: String) -> SpillError {
        SpillError("\(what): \(String(cString: strerror(Glibc.errno)))")
    }
}

/// The private directory a command spills to: `<tmp>/sessionctl-XXXXXX`, mode 0700, made on the
/// first spill (a command whose results fit its budget never touches the disk) and removed when
/// this value goes away, after success, failure or Ctrl-C.
///
/// Each file is unlinked as soon as it is open: the disk space comes back when the file is
/// closed, whatever ends the process (even `kill -9`, which can leave only the empty directory).
final class SpillDirectory {
    let parent: String
    private(set) var path: String?

    init(parent: String) {
        self.parent = parent
    }

    deinit {
        if let path {
            rmdir(path)
            SpillRegistry.shared.forget(path)
        }
    }

    /// A new, already-unlinked file in the directory, open for reading and writing.
    func file() throws -> SpillFile {
        if path == nil {
            var template = Array((parent + "/sessionctl-XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw SpillError.errno("cannot make a temporary directory in \(parent)")
            }
            path = String(cString: made)
            SpillRegistry.shared.remember(path!)
        }
        let name = "\(path!)/run"
        let fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SpillError.errno("cannot create a spill file in \(path!)") }
        unlink(name)
        return SpillFile(fd: fd, directory: path!)
    }
}

/// One spill file: appended to through a buffer, read back with `pread` at any offset.
final class SpillFile {
    let fd: Int32
    let directory: String
    private var pending: [UInt8] = []
    private let bufferSize: Int
    /// Bytes written so far (flushed or not).
    private(set) var size = 0

    init(fd: Int32, directory: String, bufferSize: Int = SpillFile.writeSize) {
        self.fd = fd
        self.directory = directory
        self.bufferSize = bufferSize
        pending.reserveCapacity(bufferSize)
    }

    deinit { close(fd) }

    /// What a spill writes at once.
    static let writeSize = 256 << 10

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        size += bytes.count
        if pending.isEmpty && bytes.count >= bufferSize {
            try write(bytes)
            return
        }
        pending.append(contentsOf: bytes)
        if pending.count >= bufferSize { try flush() }
    }

    func append(length: Int) throws {
        var n = UInt32(length).littleEndian
        try withUnsafeBytes(of: &n) { try append($0) }
    }

    func flush() throws {
        try pending.withUnsafeBytes { try write($0) }
        pending.removeAll(keepingCapacity: true)
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw SpillError.errno("cannot write to the temporary directory \(directory)")
            }
            offset += n
        }
    }

    /// Reads up to `count` bytes at `offset` into `buffer` from `start`; the number read.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 && Glibc.errno == EINTR { continue }
            guard n >= 0 else { throw SpillError.errno("cannot read the spill file in \(directory)") }
            return n
        }
    }
}

/// A mutual-exclusion lock (a pthread mutex at a fixed address).
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func with<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Every spill directory of the process, removed at exit too: a directory whose owner is still
/// alive when the process ends (a value held by a finished background thread, an `exit()`) does
/// not stay behind. The files in it are already unlinked, so removing the directory is enough.
final class SpillRegistry: @unchecked Sendable {
    static let shared = SpillRegistry()
    private let lock = Lock()
    private var paths: Set<String> = []

    private init() {
        atexit { SpillRegistry.shared.removeAll() }
    }

    func remember(_ path: String) { lock.with { _ = paths.insert(path) } }

    func forget(_ path: String) { lock.with { _ = paths.remove(path) } }

    func removeAll() {
        lock.with {
            for p in paths { rmdir(p) }
            paths.removeAll()
        }
    }
}

extension SpillError: ClassifiedError {
    public var failureClass: FailureClass { interrupted ? .interrupted : .failure }
}
