import Foundation
import TestSupport
import XCTest

/// Rails 6.1 with Devise 4.8 and redis-actionpack 5.3 (Debian's ruby-rails, ruby-devise, ruby-redis-actionpack).
final class RailsAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = .redisApp(framework: "rails", program: "ruby", arguments: [WebApp.sources.appendingPathComponent("rails/app.rb").path],
                            cookieName: "_app_session",
                            installHint: "apt-get install ruby-rails ruby-devise ruby-redis-actionpack ruby-sqlite3 ruby-webrick", timeout: 120)
    }

    override class func tearDown() { fixture.stop() }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        // Devise keeps [[id], salt] under warden.user.user.key.
        try Self.fixture.get().story(format: "ruby-marshal")
    }

    func testTheMappingHoldsTheRackPrivateIdAndTheCookieIsItsPublicId() throws {
        let s = try Self.fixture.get()
        let carol = try s.app.login("carol")
        let id = try XCTUnwrap(try carol.userId())
        let sessions = try s.sessions(of: id)
        XCTAssertEqual(sessions.count, 1, "\(sessions)")
        let session = try XCTUnwrap(sessions.first?["session"] as? String)
        XCTAssertTrue(session.hasPrefix("2::") && session.count == 67, session)
        XCTAssertEqual(sessions.first?["mapping_key"] as? String, "user:\(id):\(session)", "the mapping splits at the private id, not inside it")
        XCTAssertEqual(sessions.first?["session_key"] as? String, "session:\(session)")
        let shown = try s.run(["show", "--cookie", "-o", "json", "--", try XCTUnwrap(carol.session)])
        XCTAssertEqual(shown.status, 0, "\(shown)")
        let detail = try XCTUnwrap((try shown.json()["sessions"] as? [[String: Any]])?.first)
        XCTAssertEqual(detail["session"] as? String, session)
        XCTAssertNotNil((detail["fields"] as? [String: Any])?["last_seen_at"], "Devise's timeoutable last_request_at: \(detail)")
        // A cookie the store does not know is not found (exit 3), and nothing is revoked.
        let bad = try s.run(["revoke", "--cookie", "--yes", "--", "%zz"])
        XCTAssertEqual(bad.status, 3, "\(bad)")
        XCTAssertTrue(try carol.isLoggedIn())
    }
}
