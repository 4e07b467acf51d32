import Foundation
import SessionBasics
import SessionCore
import SessionPayload
import TestSupport
import XCTest

/// The framework readers on what the frameworks' current and previous versions write.
final class PayloadReaderTests: XCTestCase {
    private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testRailsCacheStoreEnvelopes() throws {
        // Rails 6.1's cache store: a Marshal'd ActiveSupport::Cache::Entry holding the session (real ActiveSupport).
        let entry = try RealSerializerRun.output(
            "ruby",
            [
                "-e",
                #"""
                require "active_support"; require "active_support/cache"
                STDOUT.write Marshal.dump(ActiveSupport::Cache::Entry.new({"warden.user.admin.key" => [[7], "salt"]}))
                """#,
            ], hint: "apt-get install ruby-rails")
        let reader = PayloadReader(kind: .rails)
        let d = reader.decode(entry)
        XCTAssertEqual(d.format, "rails-cache-entry+ruby-marshal")
        XCTAssertEqual(Framework.named("rails")!.fields.extract(from: try XCTUnwrap(d.value)).user, "7", "any Warden scope")
        // Rails 7.0's coder puts a signature byte before the Marshal data.
        let marshal = try RealSerializerRun.output("ruby", ["-e", #"STDOUT.write Marshal.dump({"user_id" => 9})"#], hint: "apt-get install ruby")
        let seven = reader.decode([0] + marshal)
        XCTAssertEqual(seven.format, "rails-cache+ruby-marshal")
        XCTAssertEqual(seven.value?["user_id"], .int(9))
        // A compressed entry is said to be one, never guessed at.
        XCTAssertEqual(reader.decode([1, 0x78, 0x9C, 1, 2, 3]).error, "a compressed cache entry is not decoded")
        // JSON stores (`serializer: :json`, redis-session-store's :json and :hybrid).
        XCTAssertEqual(reader.decode(b(#"{"warden.user.user.key":[[3],"s"]}"#)).format, "json")
    }

    func testPHPHandlersAndIgbinary() throws {
        let php = try RealSerializerRun.output(
            "php",
            [
                "-d", "session.save_path=/tmp", "-d", "session.serialize_handler=php_serialize", "-d", "error_reporting=0",
                "-r", #"session_start(); $_SESSION["user_id"] = 5; echo session_encode();"#,
            ], hint: "apt-get install php-cli")
        let reader = PayloadReader(kind: .php)
        let d = reader.decode(php)
        XCTAssertEqual(d.format, "php-serialize", "php_serialize handler: \(String(decoding: php, as: UTF8.self))")
        XCTAssertEqual(d.value?["user_id"], .int(5))
        XCTAssertEqual(reader.decode(b(#"user_id|i:5;"#)).format, "php-session")
        XCTAssertTrue(reader.decode([0, 0, 0, 2, 0x14, 1]).error?.contains("igbinary") == true)
        // Laravel-style login keys are the php preset's second choice.
        let laravelish = try XCTUnwrap(reader.decode(b(#"login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d|i:12;"#)).value)
        XCTAssertEqual(Framework.named("php")!.fields.extract(from: laravelish).user, "12")
    }

    func testDjangoRawIntegersAndFlaskVersions() throws {
        XCTAssertEqual(PayloadReader(kind: .django).decode(b("42")).value, .int(42), "Django's Redis cache stores integers as digits")
        let flask = PayloadReader(kind: .flask)
        // Flask-Session before 0.7 pickled the session; 0.7 on write msgpack; JSON when configured.
        let pickled = try RealSerializerRun.python(#"import pickle, sys; sys.stdout.buffer.write(pickle.dumps({"_user_id": "3"}, 4))"#)
        XCTAssertEqual(flask.decode(pickled).format, "pickle")
        XCTAssertEqual(flask.decode(pickled).value?["_user_id"], .string(b("3")))
        XCTAssertEqual(flask.decode(b(#"{"_user_id":"3"}"#)).format, "json")
        XCTAssertEqual(flask.decode([0x81, 0xA1, 0x61, 0x01]).format, "msgpack")
    }

    func testLaravelAppKeyFiles() {
        let key = Data(repeating: 9, count: 32).base64EncodedString()
        XCTAssertEqual(CookieSecrets.laravelAppKey(fromFile: b("APP_NAME=x\nAPP_KEY=\"base64:\(key)\"\n")), Array(repeating: 9, count: 32))
        XCTAssertEqual(CookieSecrets.laravelAppKey(fromFile: b("base64:\(key)")), Array(repeating: 9, count: 32))
        XCTAssertEqual(CookieSecrets.laravelAppKey(fromFile: b(String(repeating: "k", count: 32))), b(String(repeating: "k", count: 32)))
        XCTAssertNil(CookieSecrets.laravelAppKey(fromFile: b("APP_KEY=base64:c2hvcnQ=")), "a key that is not 32 bytes")
    }
}
