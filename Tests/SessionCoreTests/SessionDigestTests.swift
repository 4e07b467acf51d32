import Foundation
import SessionPayload
import XCTest

@testable import SessionCore

/// The digest `diff` compares: the same data in any key order (and any encoding) has one digest.
final class SessionDigestTests: XCTestCase {
    private func digest(_ v: PayloadValue) -> [UInt8] { SessionDigest.of(DecodedPayload(format: "t", value: v), raw: []) }
    private func s(_ t: String) -> PayloadValue { .string(Array(t.utf8)) }

    func testKeyOrderDoesNotCountButDataDoes() {
        let a = PayloadValue.map([
            PayloadEntry(s("_token"), s("t")), PayloadEntry(s("login_web_x"), .int(42)), PayloadEntry(.int(7), s("seven")),
            PayloadEntry(s("_flash"), .map([PayloadEntry(s("old"), .list([])), PayloadEntry(s("new"), .list([]))])),
        ])
        let b = PayloadValue.map([
            PayloadEntry(s("_flash"), .map([PayloadEntry(s("new"), .list([])), PayloadEntry(s("old"), .list([]))])),
            PayloadEntry(.int(7), s("seven")), PayloadEntry(s("login_web_x"), .int(42)), PayloadEntry(s("_token"), s("t")),
        ])
        XCTAssertEqual(digest(a), digest(b))
        let c = PayloadValue.map([PayloadEntry(s("_token"), s("t")), PayloadEntry(s("login_web_x"), .int(43))])
        XCTAssertNotEqual(digest(a), digest(c))
        // Keys that are not strings or integers take the general path: the same answer.
        let d = PayloadValue.map([PayloadEntry(.list([.int(1)]), s("x")), PayloadEntry(s("k"), .null)])
        let e = PayloadValue.map([PayloadEntry(s("k"), .null), PayloadEntry(.list([.int(1)]), s("x"))])
        XCTAssertEqual(digest(d), digest(e))
        // A string is not its bytes as a list, an integer not its text.
        XCTAssertNotEqual(digest(s("42")), digest(.int(42)))
        XCTAssertNotEqual(digest(.list([s("a"), s("b")])), digest(.list([s("ab")])))
        // Undecoded data is compared as bytes.
        // SHA-256 of "r" and the bytes (`printf 'r\x01\x02' | sha256sum`), a literal, not one call compared with another.
        XCTAssertEqual(
            SessionDigest.of(DecodedPayload(), raw: [1, 2]).map { String(format: "%02x", $0) }.joined(),
            "21a3993392eabe4e3da03cbcac00fb2da5d29d173b9bed046557034ff3b2ac2e")
        XCTAssertNotEqual(SessionDigest.of(DecodedPayload(), raw: [1, 2]), SessionDigest.of(DecodedPayload(), raw: [1, 3]))
    }
}
