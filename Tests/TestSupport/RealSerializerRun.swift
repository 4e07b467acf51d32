import Foundation

/// Runs a real language's program (Python, Ruby, PHP, Java) for the bytes it prints, so that
/// tests compare against the real implementation; a missing program fails with an install hint.
public enum RealSerializerRun {
    /// What `program arguments…` writes to stdout.
    public static func output(_ program: String, _ arguments: [String], hint: String) throws -> [UInt8] {
        guard let path = WebApp.which(program) else {
            throw TestSupportError("\(program) is not installed: \(hint) (scripts/setup.sh installs it)")
        }
        let env = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "PYTHONPATH", "LANG", "PYENV_ROOT"].contains($0.key) }
        let run = try Sessionctl.exec(path, arguments.map { Data($0.utf8) }, environment: env, stdin: nil, timeout: 120)
        guard run.status == 0 else { throw TestSupportError("\(program) failed: \(run.stderr)") }
        return Array(run.stdoutBytes)
    }

    /// What a Python script prints.
    public static func python(_ script: String) throws -> [UInt8] {
        try output("python3", ["-c", script], hint: "apt-get install python3")
    }
}
