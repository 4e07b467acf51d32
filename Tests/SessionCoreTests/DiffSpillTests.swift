import Foundation
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// The partitioned spill-and-compare against a plain in-memory comparison of the same entries.
final class DiffSpillTests: XCTestCase {
    func testSpilledComparisonEqualsTheInMemoryOne() throws {
        var rng = SystemRandomNumberGenerator()
        func entry(_ u: Int, _ s: Int, _ d: UInt8) -> SnapshotEntry {
            SnapshotEntry(user: Array("user\(u)".utf8), session: Array("s\(s)".utf8) + [0, 255], digest: Array(repeating: d, count: 32))
        }
        var a: [SnapshotEntry] = []
        var b: [SnapshotEntry] = []
        for i in 0..<20_000 {
            let e = entry(Int.random(in: 0..<3000, using: &rng), i, 1)
            switch Int.random(in: 0..<20, using: &rng) {
            case 0: a.append(e)
            case 1: b.append(e)
            case 2:
                a.append(e)
                b.append(SnapshotEntry(user: e.user, session: e.session, digest: Array(repeating: 2, count: 32)))
            default:
                a.append(e)
                b.append(e)
            }
        }
        b.append(b[0])  // a duplicate line counts once
        // In memory.
        var expected: [[UInt8]: UserDifference] = [:]
        let inB = Dictionary(b.map { ($0.user + [1] + $0.session, $0.digest) }, uniquingKeysWith: { x, _ in x })
        let inA = Dictionary(a.map { ($0.user + [1] + $0.session, $0.digest) }, uniquingKeysWith: { x, _ in x })
        for e in a {
            if let d = inB[e.user + [1] + e.session] {
                if d != e.digest { expected[e.user, default: UserDifference(user: e.user)].differ.append(e.session) }
            } else {
                expected[e.user, default: UserDifference(user: e.user)].onlyInA.append(e.session)
            }
        }
        var seen = Set<[UInt8]>()
        for e in b where inA[e.user + [1] + e.session] == nil && seen.insert(e.user + [1] + e.session).inserted {
            expected[e.user, default: UserDifference(user: e.user)].onlyInB.append(e.session)
        }
        // Spilled, in pages as a store hands them over, within 4 KiB of memory.
        let directory = try TemporaryDirectory()
        var got: [[UInt8]: UserDifference] = [:]
        var summary = DiffSummary()
        do {
            let spill = DiffSpill(memory: MemoryLimit(bytes: MemoryLimit.minimumBytes, temporaryDirectory: directory.path))
            for page in stride(from: 0, to: a.count, by: 777) { try spill.add(Array(a[page..<min(page + 777, a.count)]), side: .a) }
            for page in stride(from: 0, to: b.count, by: 500) { try spill.add(Array(b[page..<min(page + 500, b.count)]), side: .b) }
            XCTAssertTrue(spill.spilled)
            let made = try directory.contents()
            XCTAssertEqual(made.count, 1)
            var info = stat()
            XCTAssertEqual(stat(directory.path + "/" + made[0], &info), 0)
            XCTAssertEqual(info.st_mode & 0o777, 0o700, "a private directory")
            var order: [[UInt8]] = []
            summary = try spill.compare {
                got[$0.user] = $0
                order.append($0.user)
            }
            XCTAssertEqual(order, order.sorted { $0.lexicographicallyPrecedes($1) }, "users in byte order")
            var again: [[UInt8]: UserDifference] = [:]
            XCTAssertEqual(try spill.compare { again[$0.user] = $0 }, summary, "a second pass reads the same")
            XCTAssertEqual(again, got)
        }
        XCTAssertEqual(try directory.contents(), [], "removed when done")
        XCTAssertEqual(Set(got.keys), Set(expected.keys))
        for (u, d) in expected {
            XCTAssertEqual(got[u]?.onlyInA.sorted { $0.lexicographicallyPrecedes($1) }, d.onlyInA.sorted { $0.lexicographicallyPrecedes($1) })
            XCTAssertEqual(got[u]?.onlyInB.sorted { $0.lexicographicallyPrecedes($1) }, d.onlyInB.sorted { $0.lexicographicallyPrecedes($1) })
            XCTAssertEqual(got[u]?.differ.sorted { $0.lexicographicallyPrecedes($1) }, d.differ.sorted { $0.lexicographicallyPrecedes($1) })
        }
        XCTAssertEqual(summary.sessionsA, Set(a.map { $0.user + [1] + $0.session }).count)
        XCTAssertEqual(summary.usersDiffering, expected.count)
        XCTAssertEqual(summary.usersA, Set(a.map(\.user)).count)
        XCTAssertEqual(summary.usersIdentical + summary.usersDiffering, Set(a.map(\.user) + b.map(\.user)).count)
    }
}
