import RedisClient
import SessionBasics

#if canImport(Glibc)
    import Glibc
#endif

/// The terminal as the commands see it: injected, so tests drive the table, colour and prompt paths without a tty.
public final class Console {
    /// Data goes here.
    public let out: any OutputSink
    /// Progress, warnings, prompts and errors go here.
    public let err: any OutputSink
    /// Whether stdout is a terminal.
    public let stdoutIsTerminal: Bool
    /// Whether stderr is a terminal (progress shows only then).
    public let stderrIsTerminal: Bool
    /// Whether stdin is a terminal (confirmation prompts need one).
    public let stdinIsTerminal: Bool
    /// The process environment.
    public let environment: [String: String]
    /// Reads the next chunk of standard input; `nil` at its end.
    public let readInput: () -> [UInt8]?
    /// Reads one line of standard input (a confirmation answer), `nil` at end of input.
    public let readLine: () -> String?
    /// The operator's request to stop (Ctrl-C), passed down to every connection.
    public let cancellation: Cancellation
    /// Asks for a secret: shows the prompt on stderr and reads a line without echo on a terminal
    /// (the first line of standard input otherwise); `nil` at end of input or on Ctrl-C.
    public let readSecret: (String) -> String?
    /// Whether more standard input arrives within this many milliseconds (a list piped at once
    /// is one batch; a list typed or streamed is worked on as it comes).
    public let inputWithin: (Int32) -> Bool
    /// Throws away what was typed ahead on the terminal, so that no answer is given before its question.
    public let discardTypeahead: () -> Void
    /// The terminal's width in columns (stderr's), when known.
    public let columns: () -> Int?

    /// A console from its parts.
    public init(
        out: any OutputSink, err: any OutputSink, stdoutIsTerminal: Bool = false, stderrIsTerminal: Bool = false,
        stdinIsTerminal: Bool = false, environment: [String: String] = [:],
        readInput: @escaping () -> [UInt8]? = { nil }, readLine: @escaping () -> String? = { nil },
        cancellation: Cancellation = Cancellation(), readSecret: @escaping (String) -> String? = { _ in nil },
        inputWithin: @escaping (Int32) -> Bool = { _ in true }, discardTypeahead: @escaping () -> Void = {},
        columns: @escaping () -> Int? = { nil }
    ) {
        self.columns = columns
        self.inputWithin = inputWithin
        self.discardTypeahead = discardTypeahead
        self.cancellation = cancellation
        self.readSecret = readSecret
        self.out = out
        self.err = err
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        self.stdinIsTerminal = stdinIsTerminal
        self.environment = environment
        self.readInput = readInput
        self.readLine = readLine
    }

    /// The real process's standard streams and environment; `cancellation` is set by the signal handler.
    public static func process(cancellation: Cancellation) -> Console {
        var env: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") { env[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            p += 1
        }
        return Console(
            out: FileSink(fd: 1), err: FileSink(fd: 2),
            stdoutIsTerminal: isatty(1) == 1, stderrIsTerminal: isatty(2) == 1, stdinIsTerminal: isatty(0) == 1,
            environment: env, readInput: { readStandardInput(cancellation) }, readLine: { readAnswer(cancellation) },
            cancellation: cancellation, readSecret: { prompt in readSecretLine(prompt, cancellation) },
            inputWithin: { ms in
                var pfd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
                return poll(&pfd, 1, ms) > 0
            },
            discardTypeahead: { if isatty(0) == 1 { tcflush(0, TCIFLUSH) } },
            columns: {
                var size = winsize()
                if ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
                return env["COLUMNS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
            })
    }

    /// One line from standard input, unbuffered; `nil` at its end or on Ctrl-C (Swift's
    /// `readLine` retries after a signal, which would leave a prompt deaf to Ctrl-C).
    private static func readAnswer(_ cancellation: Cancellation) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            guard waitForInput(cancellation) else { return nil }
            let n = read(0, &byte, 1)
            if n == 1 {
                if byte == UInt8(ascii: "\n") { break }
                line.append(byte)
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n == 0 && !line.isEmpty { break }
            return nil
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// A line typed without echo: the prompt on stderr, echo off on the terminal while reading.
    private static func readSecretLine(_ prompt: String, _ cancellation: Cancellation) -> String? {
        let terminal = isatty(0) == 1
        var saved = termios()
        if terminal {
            let p = Array(prompt.utf8)
            _ = p.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            tcgetattr(0, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(0, TCSAFLUSH, &quiet)
        }
        defer {
            if terminal {
                tcsetattr(0, TCSAFLUSH, &saved)
                _ = write(2, "\n", 1)
            }
        }
        var line = readAnswer(cancellation)
        if line?.last == "\r" { line?.removeLast() }
        return line
    }

    /// The next chunk of standard input; `nil` at its end or on Ctrl-C (which the caller's
    /// outcome then reports as an interruption, not as an empty input).
    private static func readStandardInput(_ cancellation: Cancellation) -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            guard waitForInput(cancellation) else { return nil }
            let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n > 0 { return Array(chunk[0..<n]) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            return nil
        }
    }

    /// Waits until standard input is readable (or at its end), in 200 ms slices so that a
    /// Ctrl-C landing just before a wait is still seen; `false` once a stop is requested.
    private static func waitForInput(_ cancellation: Cancellation) -> Bool {
        while !cancellation.isCancelled {
            var pfd = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) > 0 { return true }  // readable, at its end, or an error the read will tell
        }
        return false
    }

    /// Whether to colour stdout: a terminal, `NO_COLOR` unset or empty, `TERM` not `dumb`, and no `--no-color`.
    public func colorEnabled(noColorFlag: Bool) -> Bool {
        stdoutIsTerminal && !noColorFlag && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// Writes `sessionctl: message` on stderr.
    public func error(_ message: String) {
        err.write("sessionctl: \(message)\n")
        err.flush()
    }

    /// Writes `sessionctl: warning: message` on stderr.
    public func warn(_ message: String) {
        err.write("sessionctl: warning: \(message)\n")
    }

    /// Flushes both streams.
    public func flush() {
        out.flush()
        err.flush()
    }
}
