import XCTest

@testable import SessionCtlCLI

/// Ids read from standard input as they arrive, in chunks that cut lines anywhere.
final class StdinIDsTests: XCTestCase {
    private func batches(_ chunks: [[UInt8]], size: Int = 1000) -> [[String]] {
        var queue = chunks
        var it = StdinIDs.Batches(arguments: [[UInt8(ascii: "-")]], read: { queue.isEmpty ? nil : queue.removeFirst() }, size: size)
        var out: [[String]] = []
        while let b = it.next() { out.append(b.map { String(decoding: $0, as: UTF8.self) }) }
        return out
    }

    func testABatchEndsWhenNoMoreInputComesWithinThePause() {
        // Two bursts: "more input within the pause" is true inside a burst, false between them.
        var queue: [[UInt8]] = [Array("a\nb\n".utf8), Array("c\n".utf8), Array("d\ne\n".utf8)]
        var gaps = [true, false, true]  // asked before reading the 2nd, 3rd and 4th chunk
        var it = StdinIDs.Batches(
            arguments: [[UInt8(ascii: "-")]], read: { queue.isEmpty ? nil : queue.removeFirst() }, size: 1000,
            more: { _ in gaps.isEmpty ? true : gaps.removeFirst() })
        var out: [[String]] = []
        while let b = it.next() { out.append(b.map { String(decoding: $0, as: UTF8.self) }) }
        XCTAssertEqual(out, [["a", "b", "c"], ["d", "e"]], "a pause ends a batch; a burst is one")
    }

    func testLinesCutAcrossChunks() {
        let text = Array("alice\r\n  bob \n\n\tcarol\ndave".utf8)
        for cut in 1..<text.count {
            XCTAssertEqual(batches([Array(text[..<cut]), Array(text[cut...])]), [["alice", "bob", "carol", "dave"]], "cut at \(cut)")
        }
        let oneByteChunks = text.map { [$0] }
        XCTAssertEqual(batches(oneByteChunks), [["alice", "bob", "carol", "dave"]])
    }

    func testALongLineArrivingInManyChunksIsOneId() {
        // 8 MB without a newline, in 64 KB reads: found once the newline comes, searching each byte once.
        let chunk = [UInt8](repeating: 0x78, count: 64 * 1024)
        let got = batches(Array(repeating: chunk, count: 128) + [Array("\nbob\n".utf8)])
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got[0].count, 2)
        XCTAssertEqual(got[0][0].utf8.count, 8 * 1024 * 1024)
        XCTAssertEqual(got[0][1], "bob")
    }

    func testBatchesOfTheGivenSize() {
        let ids = (0..<25).map { "u\($0)\n" }.joined()
        XCTAssertEqual(batches([Array(ids.utf8)], size: 10).map(\.count), [10, 10, 5])
    }
}
