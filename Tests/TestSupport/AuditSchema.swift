import Foundation

/// Every audit log a test's run of sessionctl writes is validated against the published JSON
/// Schema (`schema/audit-record.schema.json`) by Python's jsonschema (`scripts/validate-audit-log.py`),
/// right after the run: a record that does not fit fails the test that wrote it.
public enum AuditSchema {
    /// The repository's root: the folder that holds the build folder of the binary under test.
    public static var root: String {
        var url = URL(fileURLWithPath: Sessionctl.binary)
        while url.path != "/" && !url.lastPathComponent.hasPrefix(".build") { url = url.deletingLastPathComponent() }
        return url.deletingLastPathComponent().path
    }

    /// The audit logs a run names: `--audit-log FILE`, `--audit-log=FILE`, `$SESSIONCTL_AUDIT_LOG`.
    static func logs(_ arguments: [Data], _ environment: [String: String]) -> [String] {
        let args = arguments.map { String(decoding: $0, as: UTF8.self) }
        var out: [String] = []
        for (i, a) in args.enumerated() {
            if a == "--audit-log", i + 1 < args.count { out.append(args[i + 1]) }
            if a.hasPrefix("--audit-log=") { out.append(String(a.dropFirst("--audit-log=".count))) }
        }
        if let env = environment["SESSIONCTL_AUDIT_LOG"], !env.isEmpty { out.append(env) }
        return out
    }

    /// Validates each regular, non-empty file of `paths`; throws with the validator's words when a record does not fit.
    public static func validate(_ paths: [String]) throws {
        let files = paths.filter { p in
            var st = stat()
            return stat(p, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && st.st_size > 0 && access(p, R_OK) == 0
        }
        guard !files.isEmpty else { return }
        let run = try Sessionctl.exec(
            "/usr/bin/env", [Data("python3".utf8), Data("\(root)/scripts/validate-audit-log.py".utf8)] + files.map { Data($0.utf8) },
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"], stdin: nil, timeout: 60)
        guard run.status == 0 else {
            throw TestSupportError(
                "audit records that do not fit schema/audit-record.schema.json (install jsonschema: python3 -m pip install jsonschema):\n\(run.stdout)\(run.stderr)"
            )
        }
    }
}
