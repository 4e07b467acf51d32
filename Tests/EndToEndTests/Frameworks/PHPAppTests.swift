import Foundation
import TestSupport
import XCTest

/// Plain PHP on phpredis native sessions, from Debian's php-cli and php-redis.
final class PHPAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = ClassFixture.start {
            let redis = try RedisServer()
            let app = try WebApp(name: "php", program: "php",
                                 arguments: ["-d", "session.save_handler=redis", "-d", "session.save_path=tcp://127.0.0.1:\(redis.port)",
                                             "-d", "session.use_strict_mode=1", "-d", "session.gc_maxlifetime=3600",
                                             "-S", "127.0.0.1:{port}", WebApp.sources.appendingPathComponent("php/app.php").path],
                                 environment: ["REDIS_PORT": String(redis.port)], cookieName: "PHPSESSID",
                                 installHint: "apt-get install php-cli php-redis")
            return FrameworkScenario(framework: "php", redis: redis, app: app)
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
        try Self.fixture.get().story(format: "php-session")
    }
}
