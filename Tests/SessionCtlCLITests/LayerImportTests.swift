import Foundation
import XCTest

/// The house as Package.swift and each target's README draw it: a target imports only what its
/// README allows. SwiftPM builds every module into one search path, so an import of a module that
/// is not a declared dependency can still compile; this test is what keeps the core free of the
/// client libraries and the two stores apart.
final class LayerImportTests: XCTestCase {
    private static let system: Set<String> = ["Glibc", "Foundation", "Dispatch", "Synchronization"]

    /// What each target may import (besides the system's), as its README says.
    private static let allowed: [String: Set<String>] = [
        "SessionBasics": [],
        "SessionTransport": ["SessionBasics", "CHiredis", "COpenSSL"],
        "RedisClient": ["SessionBasics", "SessionTransport", "CHiredis"],
        "SQLClient": ["SessionBasics", "CLibPQ", "CMariaDB", "CSQLite", "CSQLLoader"],
        "SessionPayload": [],
        "SessionCrypto": ["COpenSSL", "CZlib"],
        "SessionCore": ["SessionBasics", "SessionPayload", "SessionCrypto"],
        "RedisStore": ["SessionBasics", "SessionCore", "RedisClient", "SessionPayload", "SessionCrypto"],
        "SQLStore": ["SessionBasics", "SessionCore", "SQLClient", "SessionPayload", "SessionCrypto"],
        "HTTPProbe": ["SessionBasics", "SessionCore", "SessionTransport"],
        "SessionCtlCLI": [
            "SessionBasics", "SessionCore", "RedisStore", "SQLStore", "HTTPProbe", "SessionTransport", "RedisClient", "SQLClient",
            "SessionPayload", "SessionCrypto", "CMalloc", "Yams",
        ],
        "sessionctl": ["SessionCtlCLI"],
    ]

    private var sources: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    func testEachTargetImportsOnlyWhatItsLayerAllows() throws {
        let targets = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { !$0.hasPrefix("C") || $0 == "CSQLLoader" }
        var checked = 0
        for target in targets where target != "CSQLLoader" {
            guard let allowed = Self.allowed[target] else {
                XCTFail("Sources/\(target) is a target this test does not know: say what it may import")
                continue
            }
            let files =
                FileManager.default.enumerator(atPath: sources.appendingPathComponent(target).path)?
                .compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
            for file in files {
                let text = try String(contentsOf: sources.appendingPathComponent(target).appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n")
                where line.hasPrefix("import ") || line.hasPrefix("@testable import ") || line.hasPrefix("@_exported import ") {
                    let module = String(line.split(separator: " ").last ?? "")
                    XCTAssertTrue(
                        allowed.contains(module) || Self.system.contains(module),
                        "Sources/\(target)/\(file) imports \(module), which its layer may not")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 300, "the imports of every target were read")
    }

    func testTheCoreNamesNeitherClientLibrary() throws {
        let allowed = try XCTUnwrap(Self.allowed["SessionCore"])
        XCTAssertTrue(allowed.isDisjoint(with: ["RedisClient", "SQLClient", "RedisStore", "SQLStore", "CHiredis", "CLibPQ", "CMariaDB", "CSQLite"]))
        XCTAssertFalse(try XCTUnwrap(Self.allowed["RedisStore"]).contains("SQLStore"), "the stores do not import each other")
        XCTAssertFalse(try XCTUnwrap(Self.allowed["SQLStore"]).contains("RedisStore"))
        XCTAssertFalse(try XCTUnwrap(Self.allowed["SQLStore"]).contains("RedisClient"))
        XCTAssertFalse(try XCTUnwrap(Self.allowed["HTTPProbe"]).contains("RedisClient"), "the HTTP probe speaks HTTP over the shared transports")
    }
}
