import SessionBasics

/// A byte stream to one server: a plain socket or a TLS session over one.
///
/// Every call takes a deadline; none blocks past it.
public protocol Transport: AnyObject {
    /// Writes all of `bytes` before `deadline`.
    func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws
    /// Reads what is available (at least one byte) into `buffer`, waiting until `deadline`; 0 means the peer closed.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int
    /// The socket to `poll(2)` on when waiting for several connections at once.
    var descriptor: Int32 { get }
    /// Whether bytes are already decoded and waiting (TLS records read ahead), so polling would wait in vain.
    var hasBufferedData: Bool { get }
    /// Whether reply bytes can be read right now, without waiting (a closed stream is not bytes).
    var hasUnreadBytes: Bool { get }
}
