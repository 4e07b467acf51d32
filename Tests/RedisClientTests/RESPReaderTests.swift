import RedisClient
import SessionBasics
import XCTest

/// RESP decoding by feeding bytes to hiredis's reader: no server.
final class RESPReaderTests: XCTestCase {
    private func decode(_ text: String) throws -> [RESPValue] {
        let reader = RESPReader()
        try reader.feed(Array(text.utf8))
        var out: [RESPValue] = []
        while let v = try reader.next() { out.append(v) }
        return out
    }

    func testEveryReplyType() throws {
        XCTAssertEqual(try decode("+OK\r\n"), [.status("OK")])
        XCTAssertEqual(try decode("-WRONGTYPE Operation against a key\r\n"), [.error(RedisError(message: "WRONGTYPE Operation against a key"))])
        XCTAssertEqual(try decode(":-42\r\n"), [.integer(-42)])
        XCTAssertEqual(try decode("$3\r\nabc\r\n"), [.bulk(Array("abc".utf8))])
        XCTAssertEqual(try decode("$0\r\n\r\n"), [.bulk([])])
        XCTAssertEqual(try decode("$-1\r\n"), [.null])
        XCTAssertEqual(try decode("*-1\r\n"), [.null])
        XCTAssertEqual(try decode("*0\r\n"), [.array([])])
    }

    func testNestedScanReply() throws {
        let reply = try decode("*2\r\n$2\r\n17\r\n*2\r\n$13\r\nuser:alice:s1\r\n$13\r\nuser:alice:s2\r\n")
        XCTAssertEqual(reply, [.array([.bulk(Array("17".utf8)), .array([.bulk(Array("user:alice:s1".utf8)), .bulk(Array("user:alice:s2".utf8))])])])
        XCTAssertEqual(reply[0].array?[0].integer, 17)
    }

    func testBinaryBulkStringsKeepEveryByte() throws {
        let reader = RESPReader()
        let payload: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0xC3, 0x28]
        try reader.feed(Array("$6\r\n".utf8) + payload + Array("\r\n".utf8))
        XCTAssertEqual(try reader.next(), .bulk(payload))
    }

    func testRepliesSplitAcrossFeedsArriveWhole() throws {
        let reader = RESPReader()
        let wire = Array("*2\r\n$5\r\nhello\r\n:7\r\n+PONG\r\n".utf8)
        var got: [RESPValue] = []
        for byte in wire {
            try reader.feed([byte])
            while let v = try reader.next() { got.append(v) }
        }
        XCTAssertEqual(got, [.array([.bulk(Array("hello".utf8)), .integer(7)]), .status("PONG")])
    }

    func testIncompleteInputYieldsNothingYet() throws {
        let reader = RESPReader()
        try reader.feed(Array("$10\r\nabc".utf8))
        XCTAssertNil(try reader.next())
    }

    func testGarbageIsAProtocolError() {
        let reader = RESPReader()
        XCTAssertThrowsError(
            try {
                try reader.feed(Array("HTTP/1.1 400 Bad Request\r\n".utf8))
                _ = try reader.next()
            }()
        ) { error in
            XCTAssertTrue(error is RESPReaderError, "\(error)")
        }
    }
}
