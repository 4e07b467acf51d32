#if canImport(Glibc)
    import Glibc
#endif

/// Somewhere bytes go: a file descriptor, or a buffer in tests.
public protocol OutputSink: AnyObject {
    /// Queues bytes for output.
    func write(_ bytes: [UInt8])
    /// Writes out what is queued.
    func flush()
    /// Why a write failed (not a closed pipe, which ends output quietly), if one did.
    var writeError: String? { get }
}

extension OutputSink {
    /// Queues a string's UTF-8 bytes.
    public func write(_ s: String) { write(Array(s.utf8)) }
}

/// A buffered writer on a file descriptor; a closed pipe (`| head`) ends output quietly.
public final class FileSink: OutputSink {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Whether the reader went away (EPIPE), or a write failed.
    public private(set) var isClosed = false
    /// Why a write failed, other than a closed pipe (`> /dev/full`: no space left on device).
    public private(set) var writeError: String?

    /// A sink on `fd` (1 for stdout, 2 for stderr).
    public init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(64 * 1024)
    }

    deinit { flush() }

    public func write(_ bytes: [UInt8]) {
        buffer += bytes
        if buffer.count >= 64 * 1024 { flush() }
    }

    public func flush() {
        guard !isClosed else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno != EPIPE { writeError = String(cString: strerror(errno)) }
            isClosed = true
            break
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A sink that keeps what is written, for tests.
public final class BufferSink: OutputSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty buffer.
    public init() {}

    public func write(_ bytes: [UInt8]) { self.bytes += bytes }
    public func flush() {}
    public var writeError: String? { nil }

    /// What was written, as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
