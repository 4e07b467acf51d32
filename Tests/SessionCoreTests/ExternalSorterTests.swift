import Foundation
import SessionBasics
import SessionCore
import TestSupport
import XCTest

/// The spill-and-merge path against plain in-memory sorting and counting of the same records.
final class ExternalSorterTests: XCTestCase {
    private func records(_ n: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix(seed: seed)
        return (0..<n).map { _ in
            // Short and long, with zero bytes and shared prefixes (the eight-byte prefix ties).
            let length = Int(rng.next() % 40)
            return [UInt8]("prefix__".utf8) + (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next() % 7) }
        }
    }

    func testSortsLikeAnArrayAtAnyBudget() throws {
        let input = records(30_000, seed: 1) + [[], [0], [0, 0], Array(repeating: 0xff, count: 200_000)]
        let expected = input.sorted { $0.lexicographicallyPrecedes($1) }
        for budget in [MemoryLimit.minimumBytes, 64 << 10, 64 << 20] {
            let directory = try TemporaryDirectory()
            var got: [[UInt8]] = []
            let sorter = ExternalSorter(budget: budget, temporaryDirectory: directory.path)
            for r in input { try sorter.add(r) }
            try sorter.forEachRecord { got.append(Array($0)) }
            XCTAssertEqual(got, expected, "budget \(budget)")
            XCTAssertEqual(sorter.spilled, budget < 1 << 20, "budget \(budget)")
            // Read again: the same (the runs are read anew).
            var again = 0
            try sorter.forEachRecord { _ in again += 1 }
            XCTAssertEqual(again, input.count)
        }
    }

    func testManyRunsMergeInSeveralPassesAndUniqueKeepsEachOnce() throws {
        let base = records(20_000, seed: 2)
        let input = base + base.prefix(5000)  // repeats, as SCAN gives them
        let directory = try TemporaryDirectory()
        let sorter = ExternalSorter(budget: MemoryLimit.minimumBytes, temporaryDirectory: directory.path, unique: true)
        for r in input { try sorter.add(r) }
        XCTAssertGreaterThan(sorter.runsWritten, 100, "far more runs than one merge reads at once")
        var got: [[UInt8]] = []
        try sorter.forEachRecord { got.append(Array($0)) }
        XCTAssertEqual(got, Array(Set(base)).sorted { $0.lexicographicallyPrecedes($1) })
    }

    func testTheDirectoryIsPrivateAndGoneAfterwards() throws {
        let directory = try TemporaryDirectory()
        do {
            let sorter = ExternalSorter(budget: MemoryLimit.minimumBytes, temporaryDirectory: directory.path)
            XCTAssertEqual(try directory.contents(), [], "nothing made before the first spill")
            for r in records(5000, seed: 3) { try sorter.add(r) }
            let made = try directory.contents()
            XCTAssertEqual(made.count, 1)
            XCTAssertTrue(made[0].hasPrefix("sessionctl-"))
            var info = stat()
            XCTAssertEqual(stat(directory.path + "/" + made[0], &info), 0)
            XCTAssertEqual(info.st_mode & 0o777, 0o700)
            XCTAssertEqual(
                try FileManager.default.contentsOfDirectory(atPath: directory.path + "/" + made[0]), [], "run files are unlinked once open")
        }
        XCTAssertEqual(try directory.contents(), [], "removed with the sorter")
    }

    func testCtrlCDuringTheMergeIsAnInterruptionAndLeavesNothing() throws {
        let directory = try TemporaryDirectory()
        let cancellation = Cancellation()
        do {
            let sorter = ExternalSorter(budget: MemoryLimit.minimumBytes, temporaryDirectory: directory.path, cancellation: cancellation)
            for r in records(200_000, seed: 4) { try sorter.add(r) }
            var seen = 0
            XCTAssertThrowsError(
                try sorter.forEachRecord { _ in
                    seen += 1
                    if seen == 70_000 { cancellation.cancel() }
                }
            ) { error in
                XCTAssertEqual((error as? SpillError)?.interrupted, true)
            }
            XCTAssertLessThan(seen, 200_000, "stopped before the end")
            // A Ctrl-C from before (it stopped the scan) lets what was counted be read to the end.
            var all = 0
            try sorter.forEachRecord { _ in all += 1 }
            XCTAssertEqual(all, 200_000)
        }
        XCTAssertEqual(try directory.contents(), [])
    }

    func testAFullDiskIsAnErrorNotAShortResult() throws {
        // A 64 KiB tmpfs as the spill target: the runs do not fit.
        let directory = try TemporaryDirectory()
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", directory.path]
        try mount.run()
        mount.waitUntilExit()
        XCTAssertEqual(mount.terminationStatus, 0, "mount -t tmpfs (the tests run as root, as CI does)")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [directory.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let sorter = ExternalSorter(budget: MemoryLimit.minimumBytes, temporaryDirectory: directory.path)
        XCTAssertThrowsError(try { for r in self.records(100_000, seed: 5) { try sorter.add(r) } }()) { error in
            XCTAssertTrue("\(error)".contains("No space left on device"), "\(error)")
        }
        XCTAssertThrowsError(
            try ExternalSorter(budget: MemoryLimit.minimumBytes, temporaryDirectory: "/dev/full").add(Array(repeating: 1, count: 10_000))
        ) { error in
            XCTAssertTrue("\(error)".contains("cannot make a temporary directory in /dev/full"), "\(error)")
        }
    }

    func testUserTallyCountsLikeADictionary() throws {
        var rng = SplitMix(seed: 6)
        var pairs: [(Bytes, Bytes)] = []
        for _ in 0..<40_000 {
            let user = Bytes("u\(rng.next() % 3000)".utf8) + (rng.next() % 50 == 0 ? [0, 1] : [])
            pairs.append((user, Bytes("s\(rng.next() % 20)".utf8)))
        }
        pairs += pairs.prefix(3000)  // repeats count once
        var counts: [Bytes: Set<Bytes>] = [:]
        for (u, s) in pairs { counts[u, default: []].insert(s) }
        let all = counts.map { UserCount(user: $0.key, sessions: $0.value.count) }
        let byCount = all.sorted { $0.sessions != $1.sessions ? $0.sessions > $1.sessions : $0.user.lexicographicallyPrecedes($1.user) }
        let byUser = all.sorted { $0.user.lexicographicallyPrecedes($1.user) }
        for budget in [MemoryLimit.minimumBytes, 64 << 20] {
            let directory = try TemporaryDirectory()
            let tally = UserTally(MemoryLimit(bytes: budget, temporaryDirectory: directory.path))
            for (u, s) in pairs { try tally.add(user: u, key: s) }
            XCTAssertEqual(try tally.ranking(sort: .count).prefix(Int.max), byCount)
            XCTAssertEqual(try tally.ranking(sort: .count, top: 7).prefix(Int.max), Array(byCount.prefix(7)), "top kept in memory")
            XCTAssertEqual(try tally.ranking(sort: .count, top: 5000).prefix(Int.max), Array(byCount.prefix(5000)), "top sorted on disk")
            XCTAssertEqual(try tally.ranking(sort: .count, minimum: 15).prefix(Int.max), byCount.filter { $0.sessions >= 15 })
            XCTAssertEqual(try tally.ranking(sort: .user).prefix(Int.max), byUser)
            XCTAssertEqual(try tally.ranking(sort: .user, top: 3).prefix(Int.max), Array(byUser.prefix(3)))
            XCTAssertEqual(try tally.ranking(sort: .count, top: 3).distinctUsers, counts.count)
        }
    }
}
