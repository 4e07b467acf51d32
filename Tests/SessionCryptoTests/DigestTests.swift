import SessionCrypto
import XCTest

final class DigestTests: XCTestCase {
    /// FIPS 180-2's examples, and the writer reused across inputs of every length around a block.
    func testSHA256HexWriterAgreesWithTheStandardAndTheOneShotDigest() {
        let writer = SHA256HexWriter()
        var out: [UInt8] = Array("x".utf8)
        writer.append(digestOf: Array("abc".utf8), to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        out = []
        writer.append(digestOf: [], to: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for n in [1, 55, 56, 63, 64, 65, 1_000] {
            let input = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            out = []
            writer.append(digestOf: input, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), Digest.sha256Hex(input), "length \(n)")
            let hasher = SHA256Hasher()
            hasher.update(input)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), Digest.hex(hasher.finish()), "length \(n)")
        }
    }
}
