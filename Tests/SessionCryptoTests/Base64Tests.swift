import Foundation
import SessionCrypto
import XCTest

/// The one-pass base64 decoder against Foundation's, on random bytes, both alphabets, with and without padding.
final class Base64Tests: XCTestCase {
    func testAgreesWithFoundation() {
        var rng = SystemRandomNumberGenerator()
        for n in 0..<300 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let standard = Data(bytes).base64EncodedString()
            XCTAssertEqual(CookieCrypto.base64Decode(Array(standard.utf8)), bytes, standard)
            let unpadded = standard.replacingOccurrences(of: "=", with: "")
            XCTAssertEqual(CookieCrypto.base64Decode(Array(unpadded.utf8)), bytes, unpadded)
            let urlSafe = unpadded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            XCTAssertEqual(CookieCrypto.base64Decode(Array(urlSafe.utf8)), bytes, urlSafe)
            let wrapped = Data(bytes).base64EncodedString(options: [.lineLength64Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
            XCTAssertEqual(CookieCrypto.base64Decode(Array(wrapped.utf8)), bytes, "line breaks are skipped")
        }
        XCTAssertNil(CookieCrypto.base64Decode(Array("abc!".utf8)))
        XCTAssertNil(CookieCrypto.base64Decode(Array("a".utf8)), "one leftover character is not base64")
        XCTAssertEqual(CookieCrypto.base64Decode(Array("YQ==trailing".utf8)), [0x61], "decoding stops at the padding")
        XCTAssertEqual(CookieCrypto.base64Decode([]), [])
    }
}
