import SessionPayload
import TestSupport
import XCTest

/// Every decoder fed truncated, oversized-length, deeply nested, cyclic, exponential,
/// wrong-type and random bytes: an error with a reason, within bounded memory and time, never a trap.
final class HostileInputTests: XCTestCase {
    /// One valid payload per format, small enough to mutate exhaustively.
    static let seeds: [(PayloadFormat, [UInt8])] = [
        (
            .marshal,
            [4, 8, 0x7B, 7, 0x49, 0x22, 6, 0x61, 6, 0x3A, 6, 0x45, 0x54, 0x5B, 7, 0x69, 6, 0x40, 6]
                + [0x3A, 6, 0x62, 0x6F, 0x3A, 6, 0x58, 6, 0x3A, 7, 0x40, 0x78, 0x69, 7]
        ),
        (.phpSerialize, Array(#"a:3:{s:1:"a";i:1;s:1:"b";O:8:"stdClass":1:{s:1:"x";d:0.5;}s:1:"c";r:3;}"#.utf8)),
        (.phpSession, Array(#"user_id|i:42;ip|s:8:"10.0.0.1";o|a:1:{i:0;R:2;}"#.utf8)),
        (
            .pickle,
            [0x80, 4, 0x95, 0x20, 0, 0, 0, 0, 0, 0, 0, 0x7D, 0x94, 0x28, 0x8C, 1, 0x61, 0x94, 0x4B, 1]
                + [0x8C, 1, 0x62, 0x94, 0x5D, 0x94, 0x28, 0x68, 2, 0x88, 0x4E, 0x65, 0x75, 0x2E]
        ),
        (.msgpack, [0x83, 0xA1, 0x61, 0x01, 0xA1, 0x62, 0x92, 0xC3, 0xC0, 0xA1, 0x63, 0xD6, 0xFF, 0, 0, 0, 1]),
        (.json, Array(#"{"a":[1,2.5,"x\u00e9",{"b":null}],"c":true}"#.utf8)),
        (.javaSerialization, [0xAC, 0xED, 0x00, 0x05, 0x74, 0x00, 0x05] + Array("alice".utf8)),
    ]

    func testSeedsDecode() throws {
        for (format, bytes) in Self.seeds {
            XCTAssertNoThrow(try format.decode(bytes), "\(format)")
            XCTAssertEqual(PayloadFormat.sniff(bytes), format)
        }
    }

    func testEveryTruncationIsAnErrorWithAnOffset() {
        for (format, bytes) in Self.seeds {
            for n in 0..<bytes.count {
                do {
                    _ = try format.decode(Array(bytes.prefix(n)))
                    // A shorter prefix can be a whole value only for formats without a closing byte.
                    XCTAssertTrue(format == .phpSession, "\(format) accepted a prefix of \(n) bytes")
                } catch {
                    XCTAssertLessThanOrEqual(error.offset, n, "\(format)")
                    XCTAssertFalse(error.reason.isEmpty)
                }
            }
        }
    }

    func testRandomMutationsNeverTrap() {
        var rng = SplitMix(seed: 0x5E55)
        for (format, bytes) in Self.seeds {
            for _ in 0..<3000 {
                var b = bytes
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    let i = Int(rng.next() % UInt64(b.count))
                    switch rng.next() % 3 {
                    case 0: b[i] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: i)
                    default: if b.count > 1 { b.remove(at: i) }
                    }
                }
                _ = try? format.decode(b)
                _ = PayloadFormat.sniff(b)
            }
            for _ in 0..<500 {
                let random = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                _ = try? format.decode(bytes.prefix(3) + random)
            }
        }
    }

    func testHugeLengthsAreRefusedBeforeAnyAllocation() {
        let cases: [(PayloadFormat, [UInt8])] = [
            (.marshal, [4, 8, 0x22, 4, 0xFF, 0xFF, 0xFF, 0x7F]),  // a string of 2^31 bytes
            (.marshal, [4, 8, 0x5B, 4, 0xFF, 0xFF, 0xFF, 0x7F]),  // an array of 2^31 items
            (.phpSerialize, Array(#"s:9223372036854775807:"x";"#.utf8)),
            (.phpSerialize, Array("a:99999999999:{".utf8)),
            (.pickle, [0x80, 4, 0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            (.pickle, [0x80, 2, 0x8B, 0xFF, 0xFF, 0xFF, 0x7F]),
            (.msgpack, [0xDD, 0xFF, 0xFF, 0xFF, 0xFF]),
            (.msgpack, [0xDF, 0xFF, 0xFF, 0xFF, 0xFF]),
            (.msgpack, [0xC6, 0xFF, 0xFF, 0xFF, 0xFF]),
            (.javaSerialization, [0xAC, 0xED, 0x00, 0x05, 0x7C, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            // A long string of 2^64 - 1 bytes: past Int, found by the fuzzer (it trapped converting the length).
            (.javaSerialization, [0xAC, 0xED, 0x00, 0x05, 0x7C, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
        ]
        for (format, bytes) in cases {
            XCTAssertThrowsError(try format.decode(bytes), "\(format)") { e in
                XCTAssertTrue("\(e)".contains("fit") || "\(e)".contains("past the end"), "\(format): \(e)")
            }
        }
    }

    func testDeepNestingStopsAtTheDepthLimit() {
        let n = 100_000
        let cases: [(PayloadFormat, [UInt8])] = [
            (.marshal, [4, 8] + Array(repeating: [0x5B, 6], count: n).flatMap { $0 } + [0x30]),
            (.phpSerialize, Array(String(repeating: "a:1:{i:0;", count: n).utf8)),
            (.pickle, [0x80, 2] + Array(repeating: 0x5D, count: n) + Array(repeating: 0x61, count: n - 1) + [0x2E]),
            (.msgpack, Array(repeating: 0x91, count: n) + [0xC0]),
            (.json, Array(String(repeating: "[", count: n).utf8)),
        ]
        for (format, bytes) in cases {
            XCTAssertThrowsError(try format.decode(bytes), "\(format)") { e in
                XCTAssertTrue("\(e)".contains("deeper than"), "\(format): \(e)")
            }
        }
    }

    func testExponentialReferencesStopAtTheValueLimit() {
        // Each level holds the one before it twice: 2^40 values if references were copied blindly.
        var marshal: [UInt8] = [4, 8, 0x5B, 46, 0x5B, 6, 0x30]  // 41 items, the first [nil] (object 1)
        var php = #"a:41:{i:0;a:1:{i:0;N;}"#  // slot 2 is level 0; level L is slot 1 + 3L
        var pickle: [UInt8] = [0x80, 2, 0x5D, 0x71, 0]  // level 0: [] in memo 0
        for level in 1...40 {
            marshal += [0x5B, 7, 0x40, UInt8(level + 5), 0x40, UInt8(level + 5)]
            let previous = level == 1 ? 2 : 1 + 3 * (level - 1)
            php += "i:\(level);a:2:{i:0;r:\(previous);i:1;r:\(previous);}"
            pickle += [0x68, UInt8(level - 1), 0x68, UInt8(level - 1), 0x86, 0x71, UInt8(level)]
        }
        php += "}"
        pickle.append(0x2E)
        for (format, bytes) in [(PayloadFormat.marshal, marshal), (.phpSerialize, Array(php.utf8)), (.pickle, pickle)] {
            let start = Date()
            XCTAssertThrowsError(try format.decode(bytes), "\(format)") { e in
                XCTAssertTrue("\(e)".contains("more than"), "\(format): \(e)")
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 5, "\(format)")
        }
    }

    func testIntegerEdges() throws {
        XCTAssertEqual(try PHPSerialize.decode(Array("i:-9223372036854775808;".utf8)), .int(Int64.min))
        XCTAssertEqual(try PHPSerialize.decode(Array("i:9223372036854775807;".utf8)), .int(Int64.max))
        XCTAssertThrowsError(try PHPSerialize.decode(Array("i:9223372036854775808;".utf8)))
        XCTAssertThrowsError(try PHPSerialize.decode(Array("i:-;".utf8)))
        XCTAssertEqual(
            try RubyMarshal.decode([4, 8, 0x6C, 0x2D, 13] + Array(repeating: 0, count: 15) + [0x80]),
            .bigInt("-" + "170141183460469231731687303715884105728"), "a 128-bit negative bignum")
        XCTAssertEqual(try MessagePack.decode([0xD3, 0x80, 0, 0, 0, 0, 0, 0, 0]), .int(Int64.min))
        XCTAssertEqual(try JSONPayload.decode(Array("-9223372036854775809".utf8)), .bigInt("-9223372036854775809"))
    }

    func testCyclesAreMarkedNotFollowed() throws {
        XCTAssertEqual(try PHPSerialize.decode(Array("a:1:{i:0;r:1;}".utf8)), .map([PayloadEntry(.int(0), .cycle)]))
        XCTAssertEqual(try RubyMarshal.decode([4, 8, 0x5B, 6, 0x40, 0]), .list([.cycle]))
        XCTAssertEqual(try Pickle.decode([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E]), .list([.cycle]))
    }

    func testWrongTypesAndGarbageSayWhy() {
        let cases: [(PayloadFormat, String)] = [
            (.phpSerialize, "x:1;"), (.phpSerialize, "b:2;"), (.phpSerialize, "a:1:{d:0.5;i:1;}"), (.phpSerialize, "i:abc;"),
            (.phpSerialize, "r:9;"), (.phpSession, "|i:1;"), (.json, "nope"), (.json, "{1:2}"),
            (.marshal, "\u{4}\u{9}0"), (.pickle, "\u{80}\u{6}."), (.pickle, "a"), (.pickle, "\u{80}\u{2}h\u{5}."),
        ]
        for (format, text) in cases {
            XCTAssertThrowsError(try format.decode(Array(text.utf8)), "\(format) \(text)") { e in
                XCTAssertFalse("\(e)".isEmpty)
            }
        }
    }

}
