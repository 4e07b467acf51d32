import Foundation
import TestSupport
import XCTest

/// Flask with Flask-Session (Redis, msgpack) and Flask-Login, from PyPI.
final class FlaskAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = ClassFixture.start {
            let redis = try RedisServer()
            let app = try WebApp(name: "flask", program: "python3", arguments: [WebApp.sources.appendingPathComponent("flask/app.py").path],
                                 environment: ["REDIS_PORT": String(redis.port)], cookieName: "session",
                                 installHint: "pip install flask-session flask-login")
            return FrameworkScenario(framework: "flask", redis: redis, app: app)
        }
    }

    override class func tearDown() {
        fixture.scenario?.app.stop()
        fixture = ClassFixture()
    }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        try Self.fixture.get().story(format: "msgpack")
    }
}
