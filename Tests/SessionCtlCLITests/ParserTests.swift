import RedisStore
import SessionBasics
import SessionCore
import SessionCtlCLI
import XCTest

/// The two-stage parser: tokens with indexes, binding, whole-line checks, and errors.
final class ParserTests: XCTestCase {
    private func parse(_ args: String...) throws -> Invocation {
        try Binder.parse(args.map { Array($0.utf8) })
    }

    private func error(_ args: String...) -> ParseError? {
        do {
            _ = try Binder.parse(args.map { Array($0.utf8) })
            return nil
        } catch {
            return error
        }
    }

    func testTokensKeepTheirIndexes() throws {
        let tokens = try Tokenizer.split(["-o", "json", "list", "--url=redis://h", "alice", "--", "--bob"].map { Array($0.utf8) })
        XCTAssertEqual(
            tokens,
            [
                .option("output", spelling: "-o", value: Array("json".utf8), index: 1),
                .positional(Array("list".utf8), index: 3),
                .option("url", spelling: "--url", value: Array("redis://h".utf8), index: 4),
                .positional(Array("alice".utf8), index: 5),
                .positional(Array("--bob".utf8), index: 7),
            ])
    }

    func testOptionsBeforeOrAfterTheCommand() throws {
        let a = try parse("--json", "-u", "redis://h:1", "list", "alice", "bob")
        let b = try parse("list", "alice", "--url", "redis://h:1", "bob", "-o", "json")
        for inv in [a, b] {
            XCTAssertEqual(inv.command, .list)
            XCTAssertEqual(inv.arguments.map { String(decoding: $0, as: UTF8.self) }, ["alice", "bob"])
            XCTAssertEqual(inv.connection.url, "redis://h:1")
            XCTAssertEqual(inv.output.format, .json)
        }
    }

    func testValueForms() throws {
        XCTAssertEqual(try parse("users", "--scan-count=50").layout.scanCount, 50)
        XCTAssertEqual(try parse("users", "--scan-count", "50").layout.scanCount, 50)
        XCTAssertEqual(try parse("users", "-ondjson").output.format, .ndjson)
        XCTAssertEqual(try parse("users", "--timeout", "0.25").connection.timeout, 0.25)
        let clustered = try parse("revoke-user", "-yq", "alice")
        XCTAssertTrue(clustered.destructive.yes)
        XCTAssertTrue(clustered.output.quiet)
        XCTAssertEqual(try parse("list", "--", "-alice").arguments, [Array("-alice".utf8)])
        XCTAssertEqual(try parse("revoke-user", "-", "--dry-run").arguments, [Array("-".utf8)])
        XCTAssertEqual(try parse("--version").command, .version)
        XCTAssertTrue(try parse("list", "--help").help)
    }

    func testErrorsCarryIndexesAndHints() {
        XCTAssertEqual(error("list", "alice", "--outptu", "json"), .unknownOption("--outptu", index: 3, suggestion: "--output"))
        XCTAssertEqual(error("lsit", "alice"), .unknownCommand("lsit", index: 1, suggestion: "list"))
        XCTAssertEqual(error("frobnicate"), .unknownCommand("frobnicate", index: 1, suggestion: nil))
        XCTAssertEqual(
            error("users", "--scan-count", "abc"),
            .invalidValue(option: "--scan-count", value: "abc", reason: "expected a whole number from 1 to 1000000", index: 2))
        XCTAssertEqual(
            error("users", "--timeout", "-1"),
            .invalidValue(option: "--timeout", value: "-1", reason: "expected a number of seconds greater than 0, such as 5 or 0.5", index: 2))
        XCTAssertEqual(error("users", "--timeout"), .missingValue(option: "--timeout", index: 2))
        XCTAssertEqual(error("users", "--json=yes"), .unexpectedValue(option: "--json", index: 2))
        XCTAssertEqual(error("list"), .missingArgument(command: "list", what: "at least one user id, or a filter (--ip, --user-agent, …)", index: 2))
        XCTAssertEqual(error("list", ""), .emptyID(command: "list", index: 2))
        XCTAssertEqual(error("users", "extra"), .unexpectedArgument(command: "users", value: "extra", index: 2))
        XCTAssertEqual(error("list", "a", "--dry-run"), .optionNotForCommand(option: "--dry-run", command: "list", index: 3))
        XCTAssertEqual(error("list", "a", "--user", "x"), .optionNotForCommand(option: "--user", command: "list", index: 3))
        XCTAssertEqual(error("-x"), .unknownOption("-x", index: 1, suggestion: nil))
        XCTAssertEqual(error(), .missingCommand(index: 1))
        XCTAssertEqual(error("-q"), .missingCommand(index: 2))
        XCTAssertEqual(
            error("users", "-o", "yaml"),
            .invalidValue(option: "-o", value: "yaml", reason: "expected table, wide, json or ndjson", index: 2))
        XCTAssertEqual(
            error("users", "-o", "jsno"),
            .invalidValue(option: "-o", value: "jsno", reason: "expected table, wide, json or ndjson; did you mean 'json'?", index: 2))
        XCTAssertEqual(error("users", "--json", "-o", "table"), .conflict("--json and -o ask for different output formats", index: 3))
        XCTAssertEqual(error("show", "-"), .conflict("'show' does not read ids from stdin; name the sessions", index: 2))
        XCTAssertEqual(
            error("revoke", "s1", "--user", ""),
            .invalidValue(option: "--user", value: "", reason: "a user id must not be empty", index: 3))
        XCTAssertEqual(error("users", "--cluster", "--no-cluster"), .conflict("--cluster and --no-cluster contradict each other", index: 3))
        XCTAssertEqual(error("users", "--key", "k.pem"), .conflict("--key goes with --cert", index: 2))
        XCTAssertEqual(
            error("completion", "tcsh"),
            .invalidValue(option: "completion", value: "tcsh", reason: "expected bash, zsh or fish", index: 2))
    }

    func testEveryParseErrorCarriesAnIndex() {
        // Each error names the argument it is about, or where the missing one was expected.
        let cases: [([String], Int)] = [
            ([], 1), (["list"], 2), (["completion"], 2), (["users", "--json", "-o", "table"], 3),
            (["users", "--no-cluster", "--cluster"], 3), (["show", "a", "-"], 3), (["users", "--key", "k"], 2),
        ]
        for (args, index) in cases {
            do {
                _ = try Binder.parse(args.map { Array($0.utf8) })
                XCTFail("\(args) parsed")
            } catch {
                XCTAssertEqual(error.index, index, "\(args): \(error)")
            }
        }
    }

    func testChoicesComeFromTheEnumerations() {
        XCTAssertEqual(OptionTable.long("output")?.value, .value(meta: "FORMAT", choices: OutputFormat.allCases.map(\.rawValue)))
        XCTAssertEqual(OptionTable.long("sort")?.value, .value(meta: "KEY", choices: UserSort.allCases.map(\.rawValue)))
        XCTAssertEqual(Set(OptionTable.all.map(\.name)).count, OptionTable.all.count, "one row per option")
    }

    func testSizes() throws {
        XCTAssertEqual(try parse("show", "s", "--max-payload", "4096").show.maxPayload, 4096)
        XCTAssertEqual(try parse("show", "s", "--max-payload", "64KiB").show.maxPayload, 65_536)
        XCTAssertEqual(try parse("show", "s", "--max-payload", "1m").show.maxPayload, 1 << 20)
        XCTAssertEqual(try parse("audit", "--memory-limit", "16MiB").counting.memoryLimit, 16 << 20)
        XCTAssertEqual(try parse("users").counting.memoryLimit, 64 << 20)
        XCTAssertThrowsError(try parse("users", "--memory-limit", "1k"), "below the 4 KiB floor")
        XCTAssertEqual(try parse("show", "s").show.maxPayload, 65_536)
        for bad in ["0", "-1", "2GiB", "lots", "1.5k", "", "99999999999999999999"] {
            XCTAssertNotNil(error("show", "s", "--max-payload", bad), bad)
        }
    }

    func testDurations() throws {
        XCTAssertEqual(try parse("prune", "--grace", "90s").prune.grace, 90)
        XCTAssertEqual(try parse("prune", "--grace", "15m").prune.grace, 900)
        XCTAssertEqual(try parse("prune", "--grace", "2h").prune.grace, 7_200)
        XCTAssertEqual(try parse("prune", "--grace", "1d").prune.grace, 86_400)
        XCTAssertEqual(try parse("prune", "--grace", "0").prune.grace, 0)
        XCTAssertEqual(try parse("prune", "--grace", "0.5").prune.grace, 0.5)
        XCTAssertEqual(try parse("prune").prune.grace, 60)
        for bad in ["-5m", "5x", "99999999999d", "", "m", "1e3", "nan", "inf", "1.2.3s"] {
            guard case .invalidValue(let option, _, _, let index)? = error("prune", "--grace", bad) else {
                return XCTFail("'\(bad)' was accepted")
            }
            XCTAssertEqual(option, "--grace")
            XCTAssertEqual(index, 2)
        }
    }

    func testBinaryIdsPassThroughUntouched() throws {
        let id: [UInt8] = [0x61, 0xFF, 0x00, 0x2A]
        let inv = try Binder.parse([Array("list".utf8), id])
        XCTAssertEqual(inv.arguments, [id])
    }

    func testEveryDeclaredOptionParses() throws {
        for spec in OptionTable.all {
            var args = ["revoke-user", "alice"]
            switch spec.name {
            case "user": args = ["revoke", "s1"]
            case "sort", "min", "top": args = ["users"]
            case "grace": args = ["prune"]
            case "max-payload", "reveal": args = ["show", "s1"]
            case "cookie", "secret-file": args = ["revoke", "s1"]
            case "resume": args = ["index", "build"]
            case "scan-payloads": args = ["list", "alice"]
            case "against", "exit-code": args = ["diff", "--against", "before.ndjson"]
            case "memory-limit": args = ["audit"]
            case "live": args = ["users"]
            case "sample": args = ["detect"]
            case "for", "interval", "revoke": args = ["watch", "42"]
            case "region", "cache-name", "service", "serverless": args = ["iam-token"]
            case "run", "since": args = ["audit-log", "show", "audit.log"]
            case "key": args += ["--cert", "client.pem"]
            default: break
            }
            if case .value(_, let choices, _) = spec.value {
                let sample =
                    [
                        "url": "redis://h", "mapping": "u:<user>:<session>", "session-key": "<value>", "ip": "10.0.0.0/8", "memory-limit": "16MiB",
                        "lifetime": "120m", "session-id-length": "22-256", "audit-syslog": "udp://127.0.0.1:514", "since": "24h",
                    ][
                        spec.name] ?? "5"
                args += ["--\(spec.name)", choices.first ?? sample]
            } else {
                args += ["--\(spec.name)"]
            }
            XCTAssertNoThrow(try Binder.parse(args.map { Array($0.utf8) }), spec.name)
        }
    }

    func testAuditLogTakesASubcommandAndOneFile() throws {
        XCTAssertNoThrow(try Binder.parse(["audit-log", "verify", "a.log"].map { Array($0.utf8) }))
        XCTAssertNoThrow(
            try Binder.parse(["audit-log", "show", "a.log", "--user", "alice", "--run", "5f0c", "--since", "7d"].map { Array($0.utf8) }))
        for (args, words) in [
            (["audit-log"], "a subcommand: verify or show"), (["audit-log", "check", "a.log"], "expected verify or show"),
            (["audit-log", "verify"], "the audit log's path"), (["audit-log", "show", "a.log", "b.log"], "b.log"),
            (["audit-log", "verify", "a.log", "--since", "1h"], "--since is for 'audit-log show'"),
            (["list", "alice", "--run", "x"], "--run"),
        ] {
            XCTAssertThrowsError(try Binder.parse(args.map { Array($0.utf8) }), "\(args)") { error in
                XCTAssertTrue("\(error)".contains(words), "\(args): \(error)")
            }
        }
    }
}
