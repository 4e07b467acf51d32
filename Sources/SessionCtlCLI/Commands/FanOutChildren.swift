import SessionBasics
import SessionCore

#if canImport(Glibc)
    import Glibc
#endif

/// The children of a run over many contexts: started with posix_spawn, at most ``FanOut/parallel``
/// at once, their output kept in unlinked temporary files and relayed a context at a time.
extension FanOut {
    // MARK: Children

    /// Runs a child per context, at most ``parallel`` at once; each one's output is kept in unlinked temporary files.
    static func runAll(_ names: [String], targets: [String: String], inv: Invocation, console: Console, extra: [String: String]) -> [Child] {
        var children = names.map { Child(context: $0, target: targets[$0] ?? "-") }
        var running: [pid_t: (index: Int, out: Int32, err: Int32)] = [:]
        var next = 0
        while next < children.count || !running.isEmpty {
            while running.count < parallel && next < children.count {
                var env = console.environment
                env[Override.context] = children[next].context
                for (k, v) in extra { env[k] = v }
                if let (pid, out, err) = spawn(inv.rawArguments, environment: env) {
                    running[pid] = (next, out, err)
                } else {
                    children[next].status = 1
                    children[next].stderr = Array("sessionctl: cannot start a process for this context: \(String(cString: strerror(errno)))\n".utf8)
                }
                next += 1
            }
            guard !running.isEmpty else { continue }
            var status: Int32 = 0
            let pid = waitpid(-1, &status, 0)
            if pid < 0 {
                if errno == EINTR { continue }
                break
            }
            guard let slot = running.removeValue(forKey: pid) else { continue }
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            children[slot.index].status = code
            children[slot.index].stdout = readAll(slot.out)
            children[slot.index].stderr = readAll(slot.err)
        }
        return children
    }

    /// Starts this binary with `arguments`, its output to two unlinked temporary files.
    private static func spawn(_ arguments: [[UInt8]], environment: [String: String]) -> (pid_t, Int32, Int32)? {
        guard let out = temporary(), let err = temporary() else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out, 1)
        posix_spawn_file_actions_adddup2(&actions, err, 2)
        let argv: [UnsafeMutablePointer<CChar>?] =
            ([Array("sessionctl".utf8)] + arguments).map { bytes in
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
                p[bytes.count] = 0
                return p
            } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { p?.deallocate() }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, envp)
        guard rc == 0 else {
            close(out)
            close(err)
            errno = rc
            return nil
        }
        return (pid, out, err)
    }

    /// A file in $TMPDIR, unlinked at once: nothing is left behind, whatever ends the run.
    private static func temporary() -> Int32? {
        let dir = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(dir)/sessionctl-fanout-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        defer { close(fd) }
        lseek(fd, 0, SEEK_SET)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            out += chunk[0..<n]
        }
        return out
    }

    /// Each child's stderr, a context at a time (never interleaved), each line marked with its context.
    static func relay(_ children: [Child], _ console: Console) {
        for c in children where !c.stderr.isEmpty {
            for line in c.stderr.split(separator: UInt8(ascii: "\n")) {
                console.err.write("[\(c.context)] " + String(decoding: line, as: UTF8.self) + "\n")
            }
        }
        console.err.flush()
    }
}
