import SessionBasics
import SessionCore
import XCTest

/// `--verify-url` makes the cookie a browser holds from a session id: each transform's cookie
/// turns back into the same id (Laravel's through a fresh encryption each time), and Rack's
/// private id, a hash, cannot be turned back.
final class CookieRoundTripTests: XCTestCase {
    func testEachTransformsCookieNamesTheSessionAgain() throws {
        let key = [UInt8](repeating: 7, count: 32)
        let secrets = CookieSecrets(signing: [Array("s3cret".utf8)], appKey: key)
        let id = Array("Ab-_9.x/y+z=".utf8)
        for t in [CookieTransform.plain, .base64, .expressSigned, .laravelEncrypted] {
            guard case .success(let cookie) = t.cookie(forSession: id, name: "laravel_session", secrets: secrets) else {
                return XCTFail("\(t): no cookie")
            }
            XCTAssertTrue(
                cookie.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "+") }, "\(t): header-safe")
            XCTAssertEqual(try t.sessionIds(cookie: cookie, secrets: secrets), [id], "\(t)")
        }
        let a = try XCTUnwrap(try? CookieTransform.laravelEncrypted.cookie(forSession: id, name: "n", secrets: secrets).get())
        let b = try XCTUnwrap(try? CookieTransform.laravelEncrypted.cookie(forSession: id, name: "n", secrets: secrets).get())
        XCTAssertNotEqual(a, b, "a fresh IV each time")
        // Laravel's value carries an HMAC of the cookie's name: the prefix differs by name, the id does not.
        XCTAssertEqual(try CookieTransform.laravelEncrypted.sessionIds(cookie: a, secrets: secrets), [id])
    }

    func testWhatCannotBeMadeSaysWhy() {
        let none = CookieSecrets()
        let cases: [(CookieTransform, [UInt8], String)] = [
            (.rackPrivateId, Array("2::abc".utf8), "public id"),
            (.expressSigned, Array("x".utf8), "--secret-file"),
            (.laravelEncrypted, Array("x".utf8), "--app-key-file"),
        ]
        for (t, id, words) in cases {
            guard case .failure(let e) = t.cookie(forSession: id, name: "c", secrets: none) else {
                XCTFail("\(t)")
                continue
            }
            XCTAssertTrue(e.description.contains(words), e.description)
        }
        // A legacy Rack id is the public id itself.
        XCTAssertEqual(
            try? CookieTransform.rackPrivateId.cookie(forSession: Array("abc123".utf8), name: "c", secrets: none).get(), Array("abc123".utf8))
    }
}
