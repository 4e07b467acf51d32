import RedisStore
import SessionBasics
import SessionCore
import XCTest

/// Templates, patterns and the exact client-side split of mapping keys.
final class LayoutTests: XCTestCase {
    private func b(_ s: String) -> [UInt8] { Array(s.utf8) }
    private func s(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    func testDefaultPatternsEscapeTheIds() throws {
        let m = try MappingTemplate(MappingTemplate.defaultSource)
        XCTAssertEqual(s(m.pattern(user: b("alice"), session: nil)), "user:alice:*")
        XCTAssertEqual(s(m.pattern(user: b("a*[x]"), session: nil)), "user:a\\*\\[x\\]:*")
        XCTAssertEqual(s(m.pattern(user: nil, session: b("s?1"))), "user:*:s\\?1")
        XCTAssertEqual(s(m.pattern(user: nil, session: nil)), "user:*:*")
        XCTAssertEqual(s(m.key(user: b("alice"), session: b("s1"))), "user:alice:s1")
    }

    func testHashTagTemplateKeepsBracesLiteral() throws {
        let m = try MappingTemplate("user:{<user>}:<session>")
        XCTAssertEqual(s(m.pattern(user: b("alice"), session: nil)), "user:{alice}:*")
        XCTAssertEqual(s(m.key(user: b("a:b"), session: b("s1"))), "user:{a:b}:s1")
        let parsed = try XCTUnwrap(m.parse(b("user:{a:b}:s1")))
        XCTAssertEqual(s(parsed.user), "a:b")
        XCTAssertEqual(s(parsed.session), "s1")
    }

    func testUserNeverSeesAnotherUsersKeys() throws {
        let m = try MappingTemplate(MappingTemplate.defaultSource)
        // user:a:b:s3 belongs to user a:b (session ids never contain the separator).
        XCTAssertNil(m.parse(b("user:a:b:s3"), user: b("a")))
        XCTAssertEqual(m.parse(b("user:a:b:s3"), user: b("a:b")).map { s($0.session) }, "s3")
        XCTAssertNil(m.parse(b("user:a*:s4"), user: b("a")))
        XCTAssertNil(m.parse(b("user:A:s5"), user: b("a")))
        XCTAssertNil(m.parse(b("user:ab:s6"), user: b("a")))
        XCTAssertNil(m.parse(b("user:a:"), user: b("a")), "empty session")
        XCTAssertNil(m.parse(b("user::s1")), "empty user")
        XCTAssertNil(m.parse(b("users:a:s1")))
        XCTAssertEqual(m.parse(b("user:a:s1"), user: b("a"), session: b("s1")).map { s($0.user) }, "a")
        XCTAssertNil(m.parse(b("user:a:s1"), user: b("a"), session: b("s2")))
    }

    func testSessionFirstTemplatesSplitAtTheFirstSeparator() throws {
        let m = try MappingTemplate("owner/<session>/<user>")
        let parsed = try XCTUnwrap(m.parse(b("owner/s1/team/alice")))
        XCTAssertEqual(s(parsed.session), "s1")
        XCTAssertEqual(s(parsed.user), "team/alice")
    }

    func testBinaryIdsSurvive() throws {
        let m = try MappingTemplate(MappingTemplate.defaultSource)
        let user: [UInt8] = [0xFF, 0x00, 0x2A]
        let key = m.key(user: user, session: b("s1"))
        XCTAssertEqual(m.parse(key, user: user).map(\.session), b("s1"))
        XCTAssertEqual(m.pattern(user: user, session: nil), [0x75, 0x73, 0x65, 0x72, 0x3A, 0xFF, 0x00, 0x5C, 0x2A, 0x3A, 0x2A])
    }

    func testBadTemplatesAreRefused() {
        for bad in ["user:<user>", "<user><session>", "user:<user>:<session>:<user>", "user:<who>:<session>", "<value>:<user>:<session>"] {
            XCTAssertThrowsError(try MappingTemplate(bad), bad)
        }
        // Templates that reach outside any namespace.
        for loose in ["<user>:<session>", ":<user>:<session>", "{<user>}:<session>", "<session>:<user>", "-:<user>:<session>"] {
            XCTAssertThrowsError(try MappingTemplate(loose), loose) { error in
                XCTAssertTrue("\(error)".contains("literal prefix"), "\(error)")
            }
        }
        for fine in ["u:<user>:<session>", "user:{<user>}:<session>", "app1_<session>@<user>", "sess-map/<user>/<session>"] {
            XCTAssertNoThrow(try MappingTemplate(fine), fine)
        }
        XCTAssertThrowsError(try SessionLayout(sessionKey: "x:<value>"))
        XCTAssertThrowsError(try SessionLayout(sessionGlob: "*"))
        XCTAssertThrowsError(try SessionLayout(sessionGlob: ""))
    }

    func testSessionKeyAndGuard() throws {
        let layout = try SessionLayout()
        XCTAssertEqual(try layout.sessionKey(user: b("a"), session: b("s1"), mappingValue: b("session:s1")).get(), b("session:s1"))
        XCTAssertEqual(layout.sessionKey(user: b("a"), session: b("s1"), mappingValue: b("config:main")), .failure(.outsideGlob))
        XCTAssertEqual(layout.sessionKey(user: b("a"), session: b("s1"), mappingValue: []), .failure(.emptyMappingValue))
        let derived = try SessionLayout(sessionKey: "sess:<user>:<session>", sessionGlob: "sess:*")
        XCTAssertFalse(derived.sessionKeyIsMappingValue)
        XCTAssertEqual(try derived.sessionKey(user: b("a"), session: b("s1"), mappingValue: nil).get(), b("sess:a:s1"))
    }
}
