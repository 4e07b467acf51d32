import SessionPayload
import XCTest

@testable import SessionCore

/// The JSON writer and the redaction rules, with literal expectations: both were rewritten over
/// bytes for speed, and must read exactly as before.
final class JSONAndRedactionTests: XCTestCase {
    func testStringsAreEscapedAsBefore() {
        let text = JSON.string("a\"b\\c\nd\re\tf\u{01}g\u{7F}h\u{1F}i\u{2028}j\u{2029}k é 😀")
        XCTAssertEqual(text.render(pretty: false), #""a\"b\\c\nd\re\tf\u0001g\u007fh\u001fi\u2028j\u2029k é 😀""#)
    }

    func testBytesThatAreNotUTF8GainTheirBase64Sibling() {
        let object = JSON.object([("id", .bytes([0x61, 0xFF, 0x0A])), ("ok", .bytes(Array("é\n".utf8))), ("n", .int(-3))])
        XCTAssertEqual(object.render(pretty: false), #"{"id":"a\\xff\\x0a","id_base64":"Yf8K","ok":"é\n","n":-3}"#)
        XCTAssertEqual(
            JSON.object([("a", .array([.bool(true), .null, .double(1.5), .array([]), .object([])]))]).render(pretty: true),
            "{\n  \"a\": [\n    true,\n    null,\n    1.5,\n    [],\n    {}\n  ]\n}")
    }

    func testSecretsAreFoundByNameWhateverTheCase() {
        for name in [
            "password", "Password_confirmation", "encrypted_password_digest", "pw_salt", "_token", "CSRF_token", "csrf", "client_secret",
            "Stripe_API_KEY", "apikey", "remember_user_token", "api_\u{212A}ey", "_csrf_token",
        ] {
            XCTAssertTrue(Redaction.isSecret(name: Array(name.utf8)), name)
        }
        for name in ["user_id", "token", "_tokens", "my_password", "digest_x", "ip", "", "warden.user.user.key", "pässword"] {
            XCTAssertFalse(Redaction.isSecret(name: Array(name.utf8)), name)
        }
    }

    func testRedactionReplacesSecretsAndDeviseSalts() {
        let value = PayloadValue.map([
            PayloadEntry(.string(Array("_csrf_token".utf8)), .string(Array("t".utf8))),
            PayloadEntry(.string(Array("CSRF".utf8)), .string(Array("x".utf8))),
            PayloadEntry(.string(Array("user_id".utf8)), .int(42)),
            PayloadEntry(
                .string(Array("warden.user.user.key".utf8)), .list([.list([.int(42)]), .string(Array("$2a$12$salt".utf8))])),
        ])
        let (out, count) = Redaction.redact(value)
        XCTAssertEqual(count, 3)
        let marker = PayloadValue.string(Array(Redaction.marker.utf8))
        XCTAssertEqual(
            out,
            .map([
                PayloadEntry(.string(Array("_csrf_token".utf8)), marker),
                PayloadEntry(.string(Array("CSRF".utf8)), marker),
                PayloadEntry(.string(Array("user_id".utf8)), .int(42)),
                PayloadEntry(.string(Array("warden.user.user.key".utf8)), .list([.list([.int(42)]), marker])),
            ]))
    }
}

final class EscapeVisibleTests: XCTestCase {
    func testEveryKindOfByteIsShownAsBefore() {
        let bytes: [UInt8] = [0x61, 0x5C, 0x0A, 0x7F, 0xFF, 0xC2, 0x85] + Array("é😀\u{202E}x".utf8) + [0xE2, 0x82] + [0xC0, 0xAF]
        XCTAssertEqual(Escape.visible(bytes), #"a\\\x0a\x7f\xff\xc2\x85é😀\u{202E}x\xe2\x82\xc0\xaf"#)
        XCTAssertEqual(Escape.visible([]), "")
        XCTAssertEqual(JSON.base64(Array("any carnal pleas".utf8)), "YW55IGNhcm5hbCBwbGVhcw==")
        XCTAssertEqual(JSON.base64([0xFF, 0xFE]), "//4=")
    }
}
