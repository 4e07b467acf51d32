import RedisClient
import RedisStore
import SQLClient
import SessionBasics
import SessionCore
import SessionCtlCLI
import SessionPayload

#if canImport(Glibc)
    import Glibc
#endif

/// What each fuzz target feeds the bytes to. Every target must end without a trap, within
/// bounded memory and time, whatever the bytes; an error is a fine answer. Each also checks what
/// must hold (a `precondition`, which the fuzzer reports as a crash): an escaped glob matches
/// itself, a decoded tree stays within the limits passed in, a template and a sealed cookie
/// round-trip.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// Bytes from the network → RESP values, then the readers of network values (topology, redirects).
    case resp
    /// Bytes → an endpoint URL, and its redaction.
    case url
    /// NUL-separated bytes → argv → tokens → a bound invocation.
    case argv
    /// First line a mapping template, the rest ids → keys, patterns, splits.
    case template
    /// Pattern NUL string → the client-side glob matcher.
    case glob
    /// First byte picks a format (or a framework's reader), the rest is a payload → every decoder, then field paths.
    case payload
    /// First byte picks a cookie transform, the rest is a cookie value → session ids.
    case cookie
    /// Bytes → the configuration file's YAML → contexts, and one applied to a command line.
    case config
    /// One line of a snapshot file (what `diff --against FILE` reads) → an entry or a located error.
    case snapshot

    /// Runs one input.
    func run(_ data: [UInt8]) {
        switch self {
        case .resp: Self.resp(data)
        case .url: Self.url(data)
        case .argv:
            let argv = data.split(separator: 0, omittingEmptySubsequences: false).map(Array.init)
            _ = try? Binder.parse(argv)
        case .template: Self.template(data)
        case .payload: Self.payload(data)
        case .cookie: Self.cookie(data)
        case .config: Self.config(data)
        case .snapshot: _ = try? SnapshotFile.parseLine(Array(data.prefix(1 << 20)))
        case .glob:
            let parts = data.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false).map(Array.init)
            let pattern = parts.first ?? []
            let string = parts.count > 1 ? parts[1] : []
            _ = Glob.matches(Array(pattern.prefix(256)), Array(string.prefix(4096)))
            // Escaped, any bytes match exactly themselves: what keeps ids out of MATCH's metacharacters.
            let literal = Array(pattern.prefix(256))
            precondition(Glob.matches(Glob.escape(literal), literal), "an escaped pattern does not match itself")
            if !literal.isEmpty { precondition(!Glob.matches(Glob.escape(literal), literal + [0x78]), "an escaped pattern matches more than itself") }
        }
    }

    /// A password a URL holds never shows in its redacted text or its description as credentials
    /// (`:password@`); checked where it occurs once in the URL, so it cannot stand elsewhere by chance.
    private static func url(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let redacted = RedisEndpoint.redact(text)
        if let e = try? RedisEndpoint.parse(text), let p = e.password, !p.isEmpty, text.components(separatedBy: p).count == 2 {
            precondition(!redacted.contains(":\(p)@"), "a redacted Redis URL shows its password")
            precondition(!e.description.contains(":\(p)@"), "an endpoint's description shows its password")
        }
        let sqlRedacted = SQLURL.redact(text)
        if let u = try? SQLURL(text), let p = u.password, !p.isEmpty, text.components(separatedBy: p).count == 2 {
            precondition(!sqlRedacted.contains(":\(p)@"), "a redacted SQL URL shows its password")
        }
    }

    /// Every complete frame is one reply, whatever the reads' boundaries: the same bytes fed whole
    /// and fed in two pieces give the same replies (never more, never others).
    private static func replies(_ pieces: [[UInt8]]) -> [RESPValue] {
        let reader = RESPReader()
        var out: [RESPValue] = []
        for piece in pieces {
            guard (try? reader.feed(piece)) != nil else { return out }
            while let value = try? reader.next() { out.append(value) }
        }
        return out
    }

    private static func resp(_ data: [UInt8]) {
        let cut = data.isEmpty ? 0 : Int(data[0]) % (data.count + 1)
        let whole = replies([data])
        let split = replies([Array(data[..<cut]), Array(data[cut...])])
        precondition(
            split.count <= whole.count && Array(whole.prefix(split.count)) == split,
            "a read's boundary made more replies, or other ones, than the same bytes read whole")
        let reader = RESPReader()
        // Fed in two pieces, as replies arrive split across reads.
        for piece in [Array(data[..<cut]), Array(data[cut...])] {
            guard (try? reader.feed(piece)) != nil else { return }
            while true {
                guard let value = try? reader.next() else { break }
                _ = Topology.parseShards(value, seedHost: "seed", tls: data.count % 2 == 0)
                _ = Topology.parseSlots(value, seedHost: "seed")
                if let e = value.redisError { _ = Redirect(e, fromHost: "seed") }
                if let items = value.array {
                    for item in items.prefix(64) { if let e = item.redisError { _ = Redirect(e, fromHost: "seed") } }
                }
            }
        }
    }

    private static func payload(_ data: [UInt8]) {
        guard let selector = data.first else { return }
        let body = Array(data.dropFirst())
        let limits = PayloadLimits(maxDepth: 64, maxNodes: 20_000)
        let formats = PayloadFormat.allCases
        if Int(selector) < formats.count {
            if let v = try? formats[Int(selector)].decode(body, limits: limits) {
                checkLimits(v, limits)
                _ = FieldPaths.generic.extract(from: v)
                _ = PayloadPath("a.*.0.b")?.lookup(v)
            }
        } else {
            let kinds: [Framework.PayloadKind] = [.rails, .laravel, .php, .django, .flask, .express, .spring, .sniff]
            var reader = PayloadReader(kind: kinds[Int(selector) % kinds.count], appKey: Array(repeating: 7, count: 32))
            reader.limits = limits
            let decoded = reader.decode(body)
            if let v = decoded.value { checkLimits(v, limits) }
            // The SQL tables' columns: Laravel's base64 payload, Django's signed (maybe zlib-compressed) data.
            _ = reader.decodeLaravelRow(body)
            _ = reader.decodeDjangoSigned(body)
            if let v = decoded.value { _ = Framework.all[Int(selector) % Framework.all.count].fields.extract(from: v) }
            // The same bytes as a hash's field values (Spring).
            let pairs = body.split(separator: 0, maxSplits: 8).map { (field: Array("f".utf8), value: Array($0)) }
            _ = reader.decode(hash: pairs)
        }
        _ = PayloadFormat.sniff(body)
    }

    /// A decoded tree never holds more containers inside containers, or more values, than the
    /// limits the decoder was given (each decoder layer has its own budget: a layer's limits
    /// twice over at most, for the envelopes that wrap one payload in another).
    private static func checkLimits(_ v: PayloadValue, _ limits: PayloadLimits) {
        var nodes = 0
        func depth(_ v: PayloadValue, _ level: Int) -> Int {
            nodes += 1
            precondition(nodes <= limits.maxNodes, "a decoded tree holds more values than its limits allow")
            switch v {
            case .list(let items): return items.map { depth($0, level + 1) }.max() ?? level + 1
            case .map(let entries), .object(_, let entries):
                return entries.map { max(depth($0.key, level + 1), depth($0.value, level + 1)) }.max() ?? level + 1
            default: return level
            }
        }
        let d = depth(v, 0)
        precondition(d <= limits.maxDepth, "a decoded tree is deeper than its limits allow")
    }

    /// The framework reader the first byte picks (as in `payload`), on the rest, once: what make bench times.
    static func decodeOnce(_ data: [UInt8]) -> DecodedPayload {
        let kinds: [Framework.PayloadKind] = [.rails, .laravel, .php, .django, .flask, .express, .spring, .sniff]
        return PayloadReader(kind: kinds[Int(data.first ?? 0) % kinds.count]).decode(Array(data.dropFirst()))
    }

    private static func config(_ data: [UInt8]) {
        guard let file = try? ConfigFile.parse(String(decoding: data.prefix(1 << 16), as: UTF8.self), path: "fuzz.yaml") else { return }
        for c in file.contexts { _ = try? file.context(named: c.name) }
        _ = try? file.context(named: nil)
    }

    private static func cookie(_ data: [UInt8]) {
        guard let selector = data.first else { return }
        let transforms: [CookieTransform] = [.plain, .rackPrivateId, .expressSigned, .laravelEncrypted, .base64]
        let secrets = CookieSecrets(signing: [Array("keyboard cat".utf8)], appKey: Array(repeating: 7, count: 32))
        _ = try? transforms[Int(selector) % transforms.count].sessionIds(cookie: Array(data.dropFirst()), secrets: secrets)
        _ = CookieSecrets.laravelAppKey(fromFile: Array(data.dropFirst()))
        // Laravel's envelope: what is sealed with a key opens with it to the same bytes.
        let plain = Array(data.dropFirst().prefix(4096))
        if let sealed = LaravelEnvelope.seal(plain, key: secrets.appKey!) {
            precondition((try? LaravelEnvelope.open(sealed, key: secrets.appKey!)) == plain, "a sealed cookie does not open to what was sealed")
        }
    }

    private static func template(_ data: [UInt8]) {
        let lines = data.split(separator: 10, maxSplits: 3, omittingEmptySubsequences: false).map(Array.init)
        let source = String(decoding: lines.first ?? [], as: UTF8.self)
        guard let m = try? MappingTemplate(source) else { return }
        let user = lines.count > 1 ? lines[1] : Array("u".utf8)
        let session = lines.count > 2 ? lines[2] : Array("s".utf8)
        let key = m.key(user: user, session: session)
        if m.acceptsSession(session), !user.isEmpty, let ids = m.parse(key) {
            // A key built from ids splits back into ids that build the same key.
            precondition(m.key(user: ids.user, session: ids.session) == key, "template round trip")
        }
        let pattern = m.pattern(user: user, session: nil)
        _ = Glob.matches(pattern, key)
        if lines.count > 3 { _ = m.parse(lines[3]) }
        _ = try? SessionLayout(mapping: source, sessionKey: String(decoding: session, as: UTF8.self), sessionGlob: "session:*")
    }
}

/// `--list-targets`: the targets, one a line (scripts/fuzz.sh takes its list from here, not from a copy).
func listTargetsIfAsked() {
    guard CommandLine.arguments.dropFirst().first == "--list-targets" else { return }
    for t in FuzzTarget.allCases { print(t.rawValue) }
    exit(0)
}

/// The target chosen by `$SESSIONCTL_FUZZ_TARGET`.
func chosenTarget() -> FuzzTarget {
    guard let name = getenv("SESSIONCTL_FUZZ_TARGET").map({ String(cString: $0) }), let t = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        complain("set SESSIONCTL_FUZZ_TARGET to one of \(names)")
        exit(2)
    }
    return t
}

/// One line on standard error.
func complain(_ message: String) {
    let line = Array("sessionctl-fuzz: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

#if FUZZING
    nonisolated(unsafe) private var target = FuzzTarget.resp

    /// libFuzzer's driver (in the fuzzer runtime that -sanitize=fuzzer links).
    @_silgen_name("LLVMFuzzerRunDriver")
    private func runDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// Built with -sanitize=fuzzer -DFUZZING: hands the chosen target to libFuzzer's driver.
    @main
    struct Fuzz {
        static func main() {
            listTargetsIfAsked()
            target = chosenTarget()
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                runDriver(&argc, &argv) { data, size in
                    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                })
        }
    }
#else
    /// Without libFuzzer: replays files or folders of inputs through the chosen target (the suite
    /// replays the seed corpus and every crash found, kept as regression inputs).
    @main
    struct Replay {
        static func main() {
            listTargetsIfAsked()
            let target = chosenTarget()
            var count = 0
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == "--seconds", arguments.count >= 3, let seconds = Double(arguments[1]) {
                // make bench: how many bytes a second the target gets through, per input.
                for file in arguments.dropFirst(2) {
                    guard let data = read(file) else {
                        complain("cannot read \(file)")
                        exit(1)
                    }
                    throughput(target, data, seconds: seconds, name: file)
                }
                return
            }
            for path in arguments {
                for file in files(path) {
                    guard let data = read(file) else {
                        complain("cannot read \(file)")
                        exit(1)
                    }
                    target.run(data)
                    count += 1
                }
            }
            print("replayed \(count) inputs through \(target.rawValue)")
        }

        /// Runs `data` through `target` for about `seconds` and prints `NAME runs bytes seconds MB/s`.
        private static func throughput(_ target: FuzzTarget, _ data: [UInt8], seconds: Double, name: String) {
            var ts = timespec()
            func now() -> Double {
                clock_gettime(CLOCK_MONOTONIC, &ts)
                return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
            }
            let start = now()
            var runs = 0
            while now() - start < seconds {
                for _ in 0..<100 {
                    if target == .payload { _ = FuzzTarget.decodeOnce(data) } else { target.run(data) }
                }
                runs += 100
            }
            let spent = now() - start
            print("\(name) \(runs) \(data.count) \(spent) \(Double(runs * data.count) / spent / 1e6)")
        }

        private static func files(_ path: String) -> [String] {
            guard let dir = opendir(path) else { return [path] }
            defer { closedir(dir) }
            var out: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if !name.hasPrefix(".") { out.append(path + "/" + name) }
            }
            return out.sorted()
        }

        private static func read(_ path: String) -> [UInt8]? {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var out: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 { return nil }
                if n == 0 { return out }
                out += chunk[0..<n]
            }
        }
    }
#endif
