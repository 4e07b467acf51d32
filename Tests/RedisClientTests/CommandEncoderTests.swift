import RedisClient
import XCTest

/// Commands formatted by hiredis's `redisFormatCommandArgv`, compared with literal RESP.
final class CommandEncoderTests: XCTestCase {
    func testSimpleCommand() {
        let wire = CommandEncoder.encode(["SCAN", "0", "MATCH", "user:a\\*:*", "COUNT", "1000"].map { Array($0.utf8) })
        XCTAssertEqual(String(decoding: wire, as: UTF8.self),
                       "*6\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nMATCH\r\n$10\r\nuser:a\\*:*\r\n$5\r\nCOUNT\r\n$4\r\n1000\r\n")
    }

    func testBinaryAndEmptyArguments() {
        let key: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A]
        let wire = CommandEncoder.encode([Array("UNLINK".utf8), key, []])
        XCTAssertEqual(wire, Array("*3\r\n$6\r\nUNLINK\r\n$4\r\n".utf8) + key + Array("\r\n$0\r\n\r\n".utf8))
    }

    func testAppendBuildsAPipeline() {
        var buffer: [UInt8] = []
        CommandEncoder.append([Array("PING".utf8)], to: &buffer)
        CommandEncoder.append([Array("GET".utf8), Array("k".utf8)], to: &buffer)
        XCTAssertEqual(String(decoding: buffer, as: UTF8.self), "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
    }
}
