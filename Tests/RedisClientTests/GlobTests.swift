import Foundation
import RedisClient
import SessionBasics
import XCTest

/// Escaping ids for MATCH and matching on the client, with Redis's glob semantics.
final class GlobTests: XCTestCase {
    private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testEscapeEveryMetacharacter() {
        XCTAssertEqual(String(decoding: Glob.escape(b("a*b?c[d]e\\f")), as: UTF8.self), "a\\*b\\?c\\[d\\]e\\\\f")
        XCTAssertEqual(Glob.escape(b("plain:id-1")), b("plain:id-1"))
    }

    func testEscapedIdsMatchOnlyThemselves() {
        for id in ["a*", "a?", "[ab]", "x\\y", "*", "?", "]", "[", "\\", "a[^b]c"] {
            let pattern = Glob.escape(b(id))
            XCTAssertTrue(Glob.matches(pattern, b(id)), id)
            for other in ["a", "ab", "b", "xy", "x\\\\y", "aXc", ""] where other != id {
                XCTAssertFalse(Glob.matches(pattern, b(other)), "\(id) must not match \(other)")
            }
        }
    }

    func testRedisGlobSemantics() {
        XCTAssertTrue(Glob.matches(b("session:*"), b("session:abc")))
        XCTAssertTrue(Glob.matches(b("session:*"), b("session:")))
        XCTAssertFalse(Glob.matches(b("session:*"), b("sessions:abc")))
        XCTAssertFalse(Glob.matches(b("session:*"), b("Session:abc")))
        XCTAssertTrue(Glob.matches(b("s?ss"), b("sess")))
        XCTAssertTrue(Glob.matches(b("h[ae]llo"), b("hallo")))
        XCTAssertFalse(Glob.matches(b("h[^e]llo"), b("hello")))
        XCTAssertTrue(Glob.matches(b("h[a-c]llo"), b("hbllo")))
        XCTAssertTrue(Glob.matches(b("*:*:*"), b("user:a:b")))
        XCTAssertTrue(Glob.matches([0x73, 0x2A], [0x73, 0xFF, 0x00]), "binary bytes match *")
    }

    func testPathologicalPatternsEndQuickly() {
        // A recursive matcher backtracks exponentially here (161 s seen); this one takes pattern × string steps.
        let pattern = b("session:" + String(repeating: "*a", count: 12) + "*b")
        let value = b("session:" + String(repeating: "a", count: 60))
        let start = DispatchTime.now().uptimeNanoseconds
        XCTAssertFalse(Glob.matches(pattern, value))
        XCTAssertTrue(Glob.matches(pattern, value + b("b")))
        XCTAssertLessThan(DispatchTime.now().uptimeNanoseconds - start, 1_000_000_000, "well under a second")
        XCTAssertTrue(Glob.matches(b("*a*b*c"), b("xxaxxbxxc")))
        XCTAssertFalse(Glob.matches(b("*a*b*c"), b("xxaxxcxxb")))
        XCTAssertTrue(Glob.matches(b("a*[bc]?d"), b("a123cXd")))
        XCTAssertTrue(Glob.matches(b("a\\*"), b("a*")))
        XCTAssertFalse(Glob.matches(b("a\\*"), b("ab")))
    }
}
