// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "sessionctl",
    products: [
        .executable(name: "sessionctl", targets: ["sessionctl"])
    ],
    dependencies: [
        // The configuration file's YAML (contexts): a well-kept parser, not one of ours.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2")
    ],
    targets: [
        // MARK: System libraries
        // No pkg-config: hiredis's .pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses with a
        // warning on every build; the shim includes <hiredis/…> and the module map links it.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Headers only: the libraries are loaded on first use by CSQLLoader (see its loader.c).
        .systemLibrary(name: "CLibPQ", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CMariaDB", providers: [.apt(["libmariadb-dev"])]),
        .target(name: "CSQLLoader"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // MARK: Layers, each depending only on the ones below it (each target's README says what it may import)
        // Shared basics: bytes, cancellation, deadlines, the clock, completeness and partial failure.
        .target(name: "SessionBasics", exclude: ["README.md"]),
        // Byte streams with deadlines: the socket and TLS transports, for RESP and HTTP alike.
        .target(name: "SessionTransport", dependencies: ["SessionBasics", "CHiredis", "COpenSSL"], exclude: ["README.md"]),
        // The wire to Redis.
        .target(name: "RedisClient", dependencies: ["SessionBasics", "SessionTransport", "CHiredis"], exclude: ["README.md"]),
        // One connection type per SQL engine.
        .target(name: "SQLClient", dependencies: ["SessionBasics", "CLibPQ", "CMariaDB", "CSQLite", "CSQLLoader"], exclude: ["README.md"]),
        .target(name: "SessionPayload", exclude: ["README.md"]),
        .target(name: "SessionCrypto", dependencies: ["COpenSSL", "CZlib"], exclude: ["README.md"]),
        // The backend-neutral core: models, plans and results, SessionBackend, filters, the watch loop,
        // the audit trail, presets, payload reading, cookies, spill, diff, JSON. Neither client library.
        .target(name: "SessionCore", dependencies: ["SessionBasics", "SessionCrypto", "SessionPayload"], exclude: ["README.md"]),
        // The stores behind SessionBackend; neither imports the other.
        .target(
            name: "RedisStore", dependencies: ["SessionBasics", "SessionCore", "RedisClient", "SessionCrypto", "SessionPayload"],
            exclude: ["README.md"]),
        .target(
            name: "SQLStore", dependencies: ["SessionBasics", "SessionCore", "SQLClient", "SessionCrypto", "SessionPayload"], exclude: ["README.md"]),
        // --verify-url: asks the application over HTTP(S) whether a cookie still logs in.
        .target(name: "HTTPProbe", dependencies: ["SessionBasics", "SessionCore", "SessionTransport"], exclude: ["README.md"]),
        .target(
            name: "SessionCtlCLI",
            dependencies: [
                "CMalloc", "SessionBasics", "SessionCore", "RedisStore", "SQLStore", "HTTPProbe",
                "SessionPayload", "SessionCrypto", "SessionTransport", "RedisClient", "SQLClient", .product(name: "Yams", package: "Yams"),
            ], exclude: ["README.md"]),
        .executableTarget(name: "sessionctl", dependencies: ["SessionCtlCLI"]),

        // MARK: Fuzzing: libFuzzer targets (make fuzz), and a replayer of their inputs in a normal build
        .executableTarget(
            name: "sessionctl-fuzz",
            dependencies: ["SessionCtlCLI", "SessionBasics", "SessionCore", "RedisStore", "SessionPayload", "RedisClient", "SQLClient"],
            path: "fuzz/Targets",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]),

        // MARK: Tests: one target per source target, and the binary end to end
        .target(name: "TestSupport", dependencies: ["SessionBasics", "SessionTransport", "RedisClient", "SQLClient"], path: "Tests/TestSupport"),
        .testTarget(name: "SessionBasicsTests", dependencies: ["SessionBasics"]),
        .testTarget(name: "SessionTransportTests", dependencies: ["SessionTransport", "SessionBasics", "TestSupport"]),
        .testTarget(name: "RedisClientTests", dependencies: ["SessionBasics", "SessionTransport", "RedisClient", "CHiredis", "TestSupport"]),
        .testTarget(name: "SQLClientTests", dependencies: ["SQLClient", "TestSupport"]),
        .testTarget(name: "SessionPayloadTests", dependencies: ["SessionPayload", "TestSupport"]),
        .testTarget(name: "SessionCryptoTests", dependencies: ["SessionCrypto"]),
        .testTarget(name: "SessionCoreTests", dependencies: ["SessionCore", "SessionBasics", "SessionPayload", "SessionCrypto", "TestSupport"]),
        .testTarget(
            name: "RedisStoreTests", dependencies: ["RedisStore", "SessionCore", "SessionBasics", "RedisClient", "SessionPayload", "TestSupport"]),
        .testTarget(name: "SQLStoreTests", dependencies: ["SQLStore", "SessionCore", "SessionBasics", "SQLClient", "TestSupport"]),
        .testTarget(name: "HTTPProbeTests", dependencies: ["HTTPProbe", "SessionCore", "SessionBasics"]),
        .testTarget(
            name: "SessionCtlCLITests",
            dependencies: [
                "SessionCtlCLI", "SessionBasics", "SessionCore", "RedisStore", "SQLStore", "HTTPProbe", "SessionTransport", "RedisClient",
                "SQLClient",
            ]),
        .testTarget(name: "EndToEndTests", dependencies: ["sessionctl", "TestSupport", "SessionBasics", "RedisClient"]),
    ],
    swiftLanguageModes: [.v6]
)
