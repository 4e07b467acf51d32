import Foundation
import TestSupport
import XCTest

/// Plain PHP on phpredis native sessions, from Debian's php-cli and php-redis.
final class PHPAppTests: XCTestCase {
    nonisolated(unsafe) static var fixture = ClassFixture()

    override class func setUp() {
        fixture = .redisApp(
            framework: "php", program: "php",
            arguments: [
                "-d", "session.save_handler=redis", "-d", "session.save_path=tcp://127.0.0.1:{redis}",
                "-d", "session.use_strict_mode=1", "-d", "session.gc_maxlifetime=3600",
                "-S", "127.0.0.1:{port}", WebApp.sources.appendingPathComponent("php/app.php").path,
            ],
            // Requests at once: a slow one in flight must not hold up the rest.
            environment: ["PHP_CLI_SERVER_WORKERS": "4"],
            cookieName: "PHPSESSID", installHint: "apt-get install php-cli php-redis")
    }

    override class func tearDown() { fixture.stop() }

    func testIndexBuildMapsWhatTheAppWrote() throws {
        try Self.fixture.get().indexBuildStory()
    }

    func testARequestInFlightWritesTheSessionBackAndTheSettleDeletesItAgain() throws {
        try Self.fixture.get().writeBackStory()
    }

    func testListShowAndRevokeAreProvenByTheApp() throws {
        try Self.fixture.get().story(format: "php-session")
    }
}
