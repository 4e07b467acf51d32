/// A byte stream to one server: a plain socket or a TLS session over one.
///
/// Every call takes a deadline; none blocks past it.
public protocol Transport: AnyObject {
    /// Writes all of `bytes` before `deadline`.
    func write(_ bytes: UnsafeRawBufferPointer, deadline: Deadline) throws
    /// Reads what is available (at least one byte) into `buffer`, waiting until `deadline`; 0 means the peer closed.
    func read(into buffer: UnsafeMutableRawBufferPointer, deadline: Deadline) throws -> Int
}
