import Foundation
import TestSupport
import XCTest

/// Flask with Flask-Session (Redis, msgpack) and Flask-Login, from PyPI.
final class FlaskAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = .redisApp(
            framework: "flask", program: "python3", arguments: [WebApp.sources.appendingPathComponent("flask/app.py").path],
            cookieName: "session", installHint: "pip install flask-session flask-login")
    }

    override class func tearDown() { fixture.stop() }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testARequestInFlightWritesTheSessionBackAndTheSettleDeletesItAgain() throws {
        try Self.fixture.get().writeBackStory()
    }

    func testVerifyURLAsksTheAppWhetherEachRevokedCookieStillLogsIn() throws {
        try Self.fixture.get().verifyStory()
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        try Self.fixture.get().story(format: "msgpack")
    }
}
