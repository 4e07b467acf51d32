/// Ids read from standard input: one per line; CRLF, surrounding spaces and tabs, and blank lines are ignored.
enum StdinIDs {
    /// Splits `input` into ids.
    static func parse(_ input: [UInt8]) -> [[UInt8]] {
        var ids: [[UInt8]] = []
        for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            if let id = clean(line) { ids.append(id) }
        }
        return ids
    }

    private static func clean(_ line: ArraySlice<UInt8>) -> [UInt8]? {
        var s = line
        while let last = s.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { s = s.dropLast() }
        while let first = s.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { s = s.dropFirst() }
        return s.isEmpty ? nil : Array(s)
    }

    /// The command's ids in batches of at most `size`: the named ids first, then, where `-`
    /// stands, the ids on standard input, read as they arrive. A batch ends at `size` ids, at the
    /// end of the input, or when no more input comes within `pause` milliseconds: a list piped
    /// at once is one batch (one pass over the keyspace), a list that trickles in is worked on
    /// as it comes, and memory stays bounded by `size`.
    struct Batches: IteratorProtocol {
        private var named: [[UInt8]]
        private var readsStdin: Bool
        private let read: () -> [UInt8]?
        private let more: (Int32) -> Bool
        private let pause: Int32
        private let size: Int
        private var pending: [UInt8] = []
        /// How much of `pending` is known to hold no newline, so a long line is not searched again on every read.
        private var searched = 0
        private var ready: [[UInt8]] = []
        private var atEnd = false
        /// How many ids standard input gave.
        private(set) var fromStdin = 0

        init(arguments: [[UInt8]], read: @escaping () -> [UInt8]?, size: Int, more: @escaping (Int32) -> Bool = { _ in true }, pause: Int32 = 200) {
            named = arguments.filter { $0 != [UInt8(ascii: "-")] }
            readsStdin = arguments.contains([UInt8(ascii: "-")])
            self.read = read
            self.size = size
            self.more = more
            self.pause = pause
        }

        mutating func next() -> [[UInt8]]? {
            if !named.isEmpty {
                defer { named = [] }
                return named
            }
            guard readsStdin else { return nil }
            while ready.count < size && !atEnd {
                if !ready.isEmpty && !more(pause) { break }
                guard let chunk = read() else {
                    atEnd = true
                    if let id = clean(pending[...]) { ready.append(id) }
                    pending = []
                    break
                }
                pending += chunk
                var start = 0
                while let nl = pending[max(start, searched)...].firstIndex(of: UInt8(ascii: "\n")) {
                    if let id = clean(pending[start..<nl]) { ready.append(id) }
                    start = nl + 1
                }
                pending.removeFirst(start)
                searched = pending.count
            }
            if ready.isEmpty { return nil }
            let batch = Array(ready.prefix(size))
            ready.removeFirst(batch.count)
            fromStdin += batch.count
            return batch
        }
    }
}
