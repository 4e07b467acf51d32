import Foundation
import TestSupport
import XCTest

/// The completion scripts loaded in the real shells, the man page linted, `make install` checked.
final class SurfaceEndToEndTests: XCTestCase {
    private var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private func shell(_ program: String, _ args: [String], timeout: TimeInterval = 30) throws -> Sessionctl.Run {
        try Sessionctl.exec(
            program, args.map { Data($0.utf8) }, environment: ["HOME": NSTemporaryDirectory(), "TERM": "xterm"],
            stdin: nil, timeout: timeout)
    }

    private func words(_ run: Sessionctl.Run) -> Set<String> {
        Set(run.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }.filter { !$0.isEmpty })
    }

    // MARK: bash, with Debian's bash-completion

    private func bash(_ words: [String]) throws -> Set<String> {
        let script = root.appendingPathComponent("completions/bash/sessionctl").path
        let quoted = words.map { "'\($0)'" }.joined(separator: " ")
        // As readline splits them: "=" is a word of its own, but the line has no blanks around it.
        let line = words.joined(separator: " ").replacingOccurrences(of: " = ", with: "=")
        let program = """
            source /usr/share/bash-completion/bash_completion
            source '\(script)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); COMP_LINE='\(line)'; COMP_POINT=${#COMP_LINE}
            _sessionctl
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let run = try shell("/bin/bash", ["-c", program])
        XCTAssertEqual(run.status, 0, run.description)
        return self.words(run)
    }

    func testBashCompletes() throws {
        XCTAssertEqual(try bash(["sessionctl", "re"]), ["revoke", "revoke-user", "revoke-all"])
        XCTAssertEqual(try bash(["sessionctl", "list", "alice", "--out"]), ["--output"])
        XCTAssertEqual(try bash(["sessionctl", "--output", "j"]), ["json"])
        XCTAssertEqual(try bash(["sessionctl", "--output", "=", "nd"]), ["ndjson"])
        XCTAssertEqual(try bash(["sessionctl", "users", "--sort", ""]), ["count", "user"])
        XCTAssertEqual(try bash(["sessionctl", "completion", ""]), ["bash", "zsh", "fish"])
        XCTAssertEqual(try bash(["sessionctl", "-o", "json", "au"]), ["audit", "audit-log"])
        XCTAssertEqual(try bash(["sessionctl", "-o", "json", "audit-"]), ["audit-log"])
        XCTAssertTrue(try bash(["sessionctl", "ping", "--cacert", "/etc/host"]).contains("/etc/hosts"))
        XCTAssertTrue(try bash(["sessionctl", "--"]).isSuperset(of: ["--url", "--dry-run", "--audit-log", "--no-cluster"]))
        // After a command, only its own options: revoke-user takes none of users' selection options.
        let revokeUser = try bash(["sessionctl", "revoke-user", "alice", "--"])
        XCTAssertTrue(revokeUser.isSuperset(of: ["--dry-run", "--except", "--url", "--audit-log"]), "\(revokeUser)")
        XCTAssertTrue(revokeUser.isDisjoint(with: ["--sort", "--min", "--top", "--user", "--memory-limit"]), "\(revokeUser)")
        XCTAssertEqual(try bash(["sessionctl", "users", "--so"]), ["--sort"])
        XCTAssertEqual(try bash(["sessionctl", "list", "alice", "--so"]), [])
    }

    // MARK: zsh, through a pseudo-terminal

    private func zsh(_ line: String) throws -> Set<String> {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zfpath-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(
            at: root.appendingPathComponent("completions/zsh/_sessionctl"), to: dir.appendingPathComponent("_sessionctl"))
        let run = try shell("/usr/bin/zsh", [root.appendingPathComponent("Tests/Shells/zsh-complete.zsh").path, dir.path, line])
        XCTAssertEqual(run.status, 0, run.description)
        return words(run)
    }

    func testZshCompletes() throws {
        XCTAssertEqual(try zsh("sessionctl re"), ["revoke", "revoke-user", "revoke-all"])
        XCTAssertEqual(try zsh("sessionctl list alice --out"), ["--output"])
        XCTAssertEqual(try zsh("sessionctl --output "), ["table", "wide", "json", "ndjson"])
        XCTAssertEqual(try zsh("sessionctl users --sort "), ["count", "user"])
        XCTAssertEqual(try zsh("sessionctl completion "), ["bash", "zsh", "fish"])
        XCTAssertTrue(try zsh("sessionctl ping --cacert /etc/host").contains("hosts"))
    }

    // MARK: fish

    private func fish(_ line: String) throws -> Set<String> {
        let script = root.appendingPathComponent("completions/fish/sessionctl.fish").path
        let run = try shell("/usr/bin/fish", ["--no-config", "-c", "source '\(script)'; complete -C '\(line)'"])
        XCTAssertEqual(run.status, 0, run.description)
        return words(run)
    }

    func testFishCompletes() throws {
        XCTAssertEqual(try fish("sessionctl re"), ["revoke", "revoke-user", "revoke-all"])
        XCTAssertEqual(try fish("sessionctl list alice --out"), ["--output"])
        XCTAssertEqual(try fish("sessionctl --output "), ["table", "wide", "json", "ndjson"])
        XCTAssertEqual(try fish("sessionctl users --sort "), ["count", "user"])
        XCTAssertEqual(try fish("sessionctl completion "), ["bash", "zsh", "fish"])
        XCTAssertEqual(try fish("sessionctl -o json au"), ["audit", "audit-log"])
        XCTAssertTrue(try fish("sessionctl ping --cacert /etc/host").contains("/etc/hosts"))
    }

    func testCompletionCommandPrintsTheCommittedScripts() throws {
        for (shell, path) in [
            ("bash", "completions/bash/sessionctl"), ("zsh", "completions/zsh/_sessionctl"), ("fish", "completions/fish/sessionctl.fish"),
        ] {
            let r = try Sessionctl.run(["completion", shell])
            assertExitStatus(r, 0)
            XCTAssertEqual(r.stdout, try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8), shell)
        }
    }

    // MARK: man page and install

    func testManPageIsCleanUnderGroff() throws {
        let r = try shell("/usr/bin/groff", ["-man", "-ww", "-z", root.appendingPathComponent("man/sessionctl.1").path])
        XCTAssertEqual(r.status, 0, r.description)
        XCTAssertEqual(r.stderr, "", "groff warnings")
    }

    func testMakeInstallPutsEveryFileInPlace() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("prefix-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: prefix) }
        // BIN names the binary the tests already built, so the suite does not build release too.
        let r = try Sessionctl.exec(
            "/usr/bin/make", ["-s", "-C", root.path, "install", "PREFIX=\(prefix.path)", "BIN=\(Sessionctl.binary)"].map { Data($0.utf8) },
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"], stdin: nil, timeout: 120)
        XCTAssertEqual(r.status, 0, r.description)
        let expected = [
            ("bin/sessionctl", nil),
            ("share/man/man1/sessionctl.1", "man/sessionctl.1"),
            ("share/bash-completion/completions/sessionctl", "completions/bash/sessionctl"),
            ("share/zsh/site-functions/_sessionctl", "completions/zsh/_sessionctl"),
            ("share/fish/vendor_completions.d/sessionctl.fish", "completions/fish/sessionctl.fish"),
        ]
        for (installed, source) in expected {
            let path = prefix.appendingPathComponent(installed).path
            XCTAssertTrue(FileManager.default.fileExists(atPath: path), installed)
            if let source {
                XCTAssertEqual(
                    FileManager.default.contents(atPath: path), FileManager.default.contents(atPath: root.appendingPathComponent(source).path),
                    installed)
            }
        }
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: prefix.appendingPathComponent("bin/sessionctl").path))
        let version = try Sessionctl.exec(
            prefix.appendingPathComponent("bin/sessionctl").path, [Data("--version".utf8)], environment: [:], stdin: nil, timeout: 10)
        XCTAssertTrue(version.stdout.hasPrefix("sessionctl "))
    }
}
