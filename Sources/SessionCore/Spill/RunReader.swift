import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// Reads one run's records back through a buffer of fixed size (grown only for a record larger than it).
final class RunReader {
    private let run: ExternalSorter.Run
    private var buffer: UnsafeMutableRawBufferPointer
    /// `buffer[0..<filled]` holds the file from `bufferStart`.
    private var bufferStart: Int
    private var filled = 0
    private var at = 0
    private var recordStart = 0
    private var recordLength = 0

    init(_ run: ExternalSorter.Run, bufferSize: Int) {
        self.run = run
        buffer = .allocate(byteCount: bufferSize, alignment: 8)
        bufferStart = run.start
    }

    deinit { buffer.deallocate() }

    /// The current record, valid until the next call to `next()`.
    var record: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer.baseAddress! + recordStart, count: recordLength)
    }

    /// Moves to the next record; `false` at the end of the run.
    func next() throws -> Bool {
        if bufferStart + at >= run.end { return false }
        try ensure(4)
        let n = Int(buffer[at]) | Int(buffer[at + 1]) << 8 | Int(buffer[at + 2]) << 16 | Int(buffer[at + 3]) << 24
        try ensure(4 + n)
        recordStart = at + 4
        recordLength = n
        at += 4 + n
        return true
    }

    /// Makes sure `count` bytes from `at` are in the buffer.
    private func ensure(_ count: Int) throws {
        if at + count <= filled { return }
        // Keep the unread tail at the front, read more behind it.
        let tail = filled - at
        if tail > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + at, tail) }
        bufferStart += at
        at = 0
        filled = tail
        if buffer.count < count {
            let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
            bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: filled)
            buffer.deallocate()
            buffer = bigger
        }
        while filled < count {
            let want = min(buffer.count - filled, run.end - (bufferStart + filled))
            guard want > 0 else { throw SpillError("a spill file in \(run.file.directory) ended early") }
            let n = try run.file.read(at: bufferStart + filled, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<filled + want]))
            guard n > 0 else { throw SpillError("a spill file in \(run.file.directory) ended early") }
            filled += n
        }
    }
}
