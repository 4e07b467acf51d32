import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// Sorts byte strings (records) in bounded memory, exactly: records are kept in one flat buffer
/// until it reaches half the budget, then sorted and written as a run to a private spill file;
/// reading the result merges the runs (in passes of at most ``fanIn`` when there are many).
/// With `unique`, equal records are kept once.
///
/// Records compare as bytes (memcmp, then length), so callers encode what they sort with
/// ``OrderedBytes`` to get the order they want. Memory, whatever the number of records: the
/// buffer (half the budget) while records come in; once anything went to disk, the last records
/// follow them there and the buffer is freed, so that the merge's read buffers (the other half)
/// never sit beside it.
public final class ExternalSorter {
    /// Bytes of records and their index that make a run.
    let runBudget: Int
    /// Bytes read at once from each run during a merge.
    let readBuffer: Int
    /// Runs merged at once.
    let fanIn: Int
    let unique: Bool
    private let cancellation: Cancellation?
    private let directory: SpillDirectory

    /// Records: `[u32 length][bytes]` back to back.
    private var buffer: [UInt8] = []
    /// Per record: its first eight bytes (big-endian, for a fast first comparison) and its offset.
    struct Entry {
        var prefix: UInt64
        var offset: Int
    }

    private var index: [Entry] = []
    private var sorted = true
    /// Runs on disk: their file and byte range.
    private var runs: [Run] = []
    private var file: SpillFile?
    /// Records added.
    public private(set) var count = 0
    /// Runs written (for tests and the bench).
    public private(set) var runsWritten = 0

    struct Run {
        let file: SpillFile
        let start: Int
        let end: Int
    }

    /// A sorter spending at most `budget` bytes, spilling under `temporaryDirectory`.
    public init(budget: Int, temporaryDirectory: String, unique: Bool = false, cancellation: Cancellation? = nil) {
        let budget = max(budget, MemoryLimit.minimumBytes)
        runBudget = budget / 2
        readBuffer = min(max(budget / 64, 512), 1 << 20)
        fanIn = max(2, (budget / 2) / readBuffer)
        self.unique = unique
        self.cancellation = cancellation
        directory = SpillDirectory(parent: temporaryDirectory)
    }

    public convenience init(_ limit: MemoryLimit, share: Double = 1, unique: Bool = false, cancellation: Cancellation? = nil) {
        self.init(budget: Int(Double(limit.bytes) * share), temporaryDirectory: limit.temporaryDirectory, unique: unique, cancellation: cancellation)
    }

    /// Whether anything was written to disk.
    public var spilled: Bool { runsWritten > 0 }

    /// Adds a record built in place by `build` (which appends its bytes).
    public func add(_ build: (inout [UInt8]) -> Void) throws {
        if buffer.capacity == 0 {
            // Reserved, not touched: pages count once written, and the buffer never moves while it fills.
            buffer.reserveCapacity(runBudget)
            index.reserveCapacity(runBudget / 96)
        }
        let start = buffer.count
        for _ in 0..<4 { buffer.append(0) }
        build(&buffer)
        let length = buffer.count - start - 4
        let n = UInt32(length)
        buffer[start] = UInt8(n & 0xff)
        buffer[start + 1] = UInt8(n >> 8 & 0xff)
        buffer[start + 2] = UInt8(n >> 16 & 0xff)
        buffer[start + 3] = UInt8(n >> 24)
        var prefix: UInt64 = 0
        for i in 0..<8 { prefix = prefix << 8 | UInt64(i < length ? buffer[start + 4 + i] : 0) }
        index.append(Entry(prefix: prefix, offset: start))
        sorted = false
        count += 1
        // The index and the radix sort's scratch copy of it: 32 bytes a record.
        if buffer.count + index.count * 32 >= runBudget { try spill() }
    }

    /// Makes the spill directory and writes into it, before anything depends on it (a revocation
    /// proves it can keep what it deletes before the first deletion): a missing `$TMPDIR` or a
    /// full disk is an error now, not halfway.
    public func prepare() throws {
        let probe = try directory.file()
        try [UInt8](repeating: 0, count: 4096).withUnsafeBytes { try probe.append($0) }
        try probe.flush()
    }

    /// Adds a record.
    public func add(_ record: Bytes) throws {
        try add { $0 += record }
    }

    private static func length(_ base: UnsafePointer<UInt8>, _ offset: Int) -> Int {
        Int(base[offset]) | Int(base[offset + 1]) << 8 | Int(base[offset + 2]) << 16 | Int(base[offset + 3]) << 24
    }

    /// Compares two records as bytes.
    package static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int32 {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return c }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    /// Sorts the index: a radix sort on the eight-byte prefixes (passes where every prefix has
    /// the same byte skipped), then each group of equal prefixes by the whole record.
    private func sortBuffer() {
        if sorted { return }
        sorted = true
        let n = index.count
        if n < 2 { return }
        var scratch = [Entry](repeating: Entry(prefix: 0, offset: 0), count: n)
        var counts = [Int](repeating: 0, count: 8 * 256)
        for e in index {
            var p = e.prefix
            for pass in 0..<8 {
                counts[pass * 256 + Int(p & 0xff)] += 1
                p >>= 8
            }
        }
        var inScratch = false
        for pass in 0..<8 {
            let h = pass * 256
            if (0..<256).contains(where: { counts[h + $0] == n }) { continue }
            var sum = 0
            for v in 0..<256 {
                let k = counts[h + v]
                counts[h + v] = sum
                sum += k
            }
            let shift = UInt64(pass * 8)
            if inScratch {
                for e in scratch {
                    let v = h + Int((e.prefix >> shift) & 0xff)
                    index[counts[v]] = e
                    counts[v] += 1
                }
            } else {
                for e in index {
                    let v = h + Int((e.prefix >> shift) & 0xff)
                    scratch[counts[v]] = e
                    counts[v] += 1
                }
            }
            inScratch.toggle()
        }
        if inScratch { swap(&index, &scratch) }
        // Equal prefixes: by the whole record.
        buffer.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            func less(_ x: Entry, _ y: Entry) -> Bool {
                let a = UnsafeRawBufferPointer(start: base + x.offset + 4, count: Self.length(base, x.offset))
                let b = UnsafeRawBufferPointer(start: base + y.offset + 4, count: Self.length(base, y.offset))
                return Self.compare(a, b) < 0
            }
            index.withUnsafeMutableBufferPointer { a in
                var i = 0
                while i < n {
                    var j = i + 1
                    while j < n && a[j].prefix == a[i].prefix { j += 1 }
                    if j - i > 1 {
                        if j - i <= 16 {
                            for k in (i + 1)..<j {
                                let e = a[k]
                                var m = k
                                while m > i && less(e, a[m - 1]) {
                                    a[m] = a[m - 1]
                                    m -= 1
                                }
                                a[m] = e
                            }
                        } else {
                            var group = UnsafeMutableBufferPointer(rebasing: a[i..<j])
                            group.sort(by: less)
                        }
                    }
                    i = j
                }
            }
        }
    }

    /// Visits the in-memory records in order (duplicates left in).
    private func eachBuffered(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        sortBuffer()
        try buffer.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            for e in index { try body(UnsafeRawBufferPointer(start: base + e.offset + 4, count: Self.length(base, e.offset))) }
        }
    }

    /// Writes the buffer as a sorted run and empties it. A record is stored as it is in the
    /// buffer (its length, then its bytes), so a run is copied out in large writes.
    private func spill() throws {
        if index.isEmpty { return }
        if file == nil { file = try directory.file() }
        let f = file!
        let start = f.size
        sortBuffer()
        let unique = self.unique
        try buffer.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            var out: [UInt8] = []
            out.reserveCapacity(SpillFile.writeSize)
            var last = -1
            for e in index {
                let n = Self.length(base, e.offset)
                if unique, last >= 0, Self.length(base, last) == n, memcmp(base + last + 4, base + e.offset + 4, n) == 0 { continue }
                last = e.offset
                out.append(contentsOf: UnsafeBufferPointer(start: base + e.offset, count: 4 + n))
                if out.count >= SpillFile.writeSize {
                    try out.withUnsafeBytes { try f.append($0) }
                    out.removeAll(keepingCapacity: true)
                }
            }
            try out.withUnsafeBytes { try f.append($0) }
        }
        try f.flush()
        runs.append(Run(file: f, start: start, end: f.size))
        runsWritten += 1
        buffer.removeAll(keepingCapacity: true)
        index.removeAll(keepingCapacity: true)
        sorted = true
    }

    /// Every record in order (each once with `unique`), as bytes valid during the call. May be
    /// called again (the runs are read anew). A Ctrl-C during it stops it with a ``SpillError``; one
    /// that came before (it stopped the scan) does not: what was counted so far is then reported.
    public func forEachRecord(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var previous = Previous()
        var visited = 0
        let interruptible = cancellation?.isCancelled == false
        func emit(_ r: UnsafeRawBufferPointer) throws {
            visited += 1
            if interruptible, visited & 0xffff == 0, cancellation?.isCancelled == true { throw SpillError("interrupted", interrupted: true) }
            if unique && previous.repeats(r) { return }
            try body(r)
        }
        if runs.isEmpty {
            try eachBuffered(emit)
            return
        }
        if !index.isEmpty { try spill() }
        // Everything is on disk: the buffer's memory goes back before the merge takes its own.
        buffer = []
        index = []
        try reduceRuns(interruptible: interruptible)
        try merge(runs.map { RunReader($0, bufferSize: readBuffer) }, emit)
    }

    /// Every record in order, `size` at a time, as arrays (the watch after `revoke-all` reads its keys so).
    public func batches(of size: Int, _ body: ([Bytes]) throws -> Void) throws {
        var page: [Bytes] = []
        page.reserveCapacity(size)
        try forEachRecord { record in
            page.append(Bytes(record))
            if page.count == size {
                try body(page)
                page.removeAll(keepingCapacity: true)
            }
        }
        if !page.isEmpty { try body(page) }
    }

    /// Merges runs in groups until one merge can read them all at once.
    private func reduceRuns(interruptible: Bool) throws {
        while runs.count > fanIn {
            let out = try directory.file()
            var next: [Run] = []
            var group = 0
            while group < runs.count {
                let chosen = Array(runs[group..<min(group + fanIn, runs.count)])
                group += fanIn
                let start = out.size
                var previous = Previous()
                try merge(chosen.map { RunReader($0, bufferSize: readBuffer) }) { r in
                    if unique && previous.repeats(r) { return }
                    try out.append(length: r.count)
                    try out.append(r)
                }
                try out.flush()
                next.append(Run(file: out, start: start, end: out.size))
                if interruptible, cancellation?.isCancelled == true { throw SpillError("interrupted", interrupted: true) }
            }
            runs = next
            file = out
        }
    }

    /// A k-way merge of runs through a binary heap (a tie goes to the earlier run); each run's
    /// current record is kept beside the heap, so comparing touches no reader.
    private func merge(_ readers: [RunReader], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var current = [UnsafeRawBufferPointer](repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: readers.count)
        var heap: [Int] = []
        for (i, r) in readers.enumerated() where try r.next() {
            current[i] = r.record
            heap.append(i)
        }
        try current.withUnsafeMutableBufferPointer { cur in
            try heap.withUnsafeMutableBufferPointer { h in
                var size = h.count
                func less(_ a: Int, _ b: Int) -> Bool {
                    let c = Self.compare(cur[a], cur[b])
                    return c != 0 ? c < 0 : a < b
                }
                func siftDown(_ from: Int) {
                    var i = from
                    while true {
                        let l = 2 * i + 1
                        let r = l + 1
                        var m = i
                        if l < size && less(h[l], h[m]) { m = l }
                        if r < size && less(h[r], h[m]) { m = r }
                        if m == i { return }
                        h.swapAt(i, m)
                        i = m
                    }
                }
                for i in stride(from: size / 2 - 1, through: 0, by: -1) { siftDown(i) }
                while size > 0 {
                    let top = h[0]
                    try body(cur[top])
                    let reader = readers[top]
                    if try reader.next() {
                        cur[top] = reader.record
                    } else {
                        size -= 1
                        h[0] = h[size]
                    }
                    if size > 0 { siftDown(0) }
                }
            }
        }
    }
}

/// The last record seen in a stream, copied (a merge's buffers move on), to keep equal ones once.
struct Previous {
    private var bytes: [UInt8] = []
    private var any = false

    /// Whether `record` equals the one before it; it becomes the one before the next.
    mutating func repeats(_ record: UnsafeRawBufferPointer) -> Bool {
        if any, bytes.withUnsafeBytes({ ExternalSorter.compare($0, record) }) == 0 { return true }
        any = true
        bytes.removeAll(keepingCapacity: true)
        bytes.append(contentsOf: record)
        return false
    }
}
