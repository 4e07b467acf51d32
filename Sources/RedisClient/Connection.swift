import SessionBasics
import SessionTransport

/// One connection to one server: connect, `AUTH`, `SELECT`, then commands one at a time or pipelined.
///
/// After a timeout or a broken read the replies are out of step with the requests,
/// so the connection marks itself broken and refuses further commands.
public final class Connection {
    /// The address this connection reaches, for messages and routing.
    public let address: RedisEndpoint.Address
    private let transport: any Transport
    private let reader = RESPReader()
    private let options: ConnectionOptions
    private let readBuffer: UnsafeMutableRawBufferPointer
    private var brokenReason: String?

    /// Connects to `address` and runs the handshake (`AUTH`, `SELECT`, `PING`) in one round trip.
    public init(address: RedisEndpoint.Address, options: ConnectionOptions, selectDatabase: Bool = true) throws {
        self.address = address
        self.options = options
        let deadline = Deadline.after(seconds: options.connectTimeout)
        do {
            let socket = try SocketTransport(address: address, connectTimeout: options.connectTimeout, cancellation: options.cancellation)
            if let tls = options.tls {
                let host: String
                switch address {
                case .tcp(let h, _): host = h
                case .unix: host = "localhost"
                }
                transport = try TLSTransport(socket: socket, context: tls, host: host, endpoint: address.description, deadline: deadline)
            } else {
                transport = socket
            }
        } catch let error as TransportError {
            throw RedisClientError(error)
        }
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        try handshake(selectDatabase: selectDatabase)
    }

    /// Adopts an already connected transport (TLS, tests) and runs the handshake.
    public init(address: RedisEndpoint.Address, transport: any Transport, options: ConnectionOptions, selectDatabase: Bool = true) throws {
        self.address = address
        self.options = options
        self.transport = transport
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        try handshake(selectDatabase: selectDatabase)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Whether the server took `CLIENT NO-TOUCH ON` (Redis ≥ 7.2): this connection's reads leave
    /// keys' idle times (and what LRU eviction sees) alone.
    public private(set) var noTouch = false

    private func handshake(selectDatabase: Bool) throws {
        var commands: [[Bytes]] = []
        if let password = try options.passwordProvider?() ?? options.password {
            if let user = options.username {
                commands.append(["AUTH", user, password].map { Array($0.utf8) })
            } else {
                commands.append(["AUTH", password].map { Array($0.utf8) })
            }
        }
        if selectDatabase && options.database != 0 {
            commands.append(["SELECT", String(options.database)].map { Array($0.utf8) })
        }
        // Looking must not make a session look used (nor change what LRU eviction sees): from
        // Redis 7.2 a NO-TOUCH client's reads leave idle times alone. Older servers refuse it, and
        // so may an ACL; either way the connection goes on (its reads then reset idle times).
        commands.append(["CLIENT", "NO-TOUCH", "ON"].map { Array($0.utf8) })
        commands.append([Array("PING".utf8)])
        let replies: [RESPValue]
        do {
            replies = try exchange(commands, deadline: .after(seconds: options.connectTimeout))
        } catch let error as RedisClientError {
            if case .timedOut(let ep, _, let s) = error {
                throw RedisClientError.connectFailed(
                    endpoint: ep, reason: "the server accepted the connection but did not answer within \(formatSeconds(s))")
            }
            if case .connectionLost(let ep, let why) = error { throw RedisClientError.connectFailed(endpoint: ep, reason: why) }
            if case .protocolError(let ep, let why) = error {
                throw RedisClientError.connectFailed(endpoint: ep, reason: "not a Redis server? \(why)")
            }
            throw error
        }
        for (command, reply) in zip(commands, replies) {
            if command[0] == Array("CLIENT".utf8) && reply.redisError == nil { noTouch = true }
            guard let err = reply.redisError else { continue }
            let name = String(decoding: command[0], as: UTF8.self)
            if name == "CLIENT" && err.code != "WRONGPASS" && err.code != "NOAUTH" { continue }
            switch err.code {
            case "WRONGPASS", "NOAUTH":
                throw RedisClientError.authenticationFailed(endpoint: address.description, reason: err.message)
            case "NOPERM" where name != "AUTH":
                throw RedisClientError.permissionDenied(endpoint: address.description, command: name, reason: err.message)
            default:
                if name == "AUTH" { throw RedisClientError.authenticationFailed(endpoint: address.description, reason: err.message) }
                throw RedisClientError.connectFailed(endpoint: address.description, reason: "\(name): \(err.message)")
            }
        }
    }

    // MARK: Commands

    /// Sends one command and returns its reply (an error reply is a value).
    public func execute(_ arguments: [Bytes]) throws -> RESPValue {
        try exchange([arguments], deadline: nil)[0]
    }

    /// Sends one command given as text arguments.
    public func execute(_ arguments: String...) throws -> RESPValue {
        try execute(arguments.map { Array($0.utf8) })
    }

    /// Sends commands pipelined in batches of `options.pipelineBatch` and returns one reply per command.
    public func pipeline(_ commands: [[Bytes]]) throws -> [RESPValue] {
        if commands.count <= options.pipelineBatch { return try exchange(commands, deadline: nil) }
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        var start = 0
        while start < commands.count {
            if options.cancellation.isCancelled { throw RedisClientError.interrupted }
            let end = min(start + options.pipelineBatch, commands.count)
            replies.append(contentsOf: try exchange(Array(commands[start..<end]), deadline: nil))
            start = end
        }
        return replies
    }

    /// Writes `commands` at once and reads exactly one reply for each.
    ///
    /// With `deadline` nil, each reply has `options.commandTimeout` seconds from the previous one.
    private func exchange(_ commands: [[Bytes]], deadline fixed: Deadline?) throws -> [RESPValue] {
        try send(commands, deadline: fixed)
        while true {
            if let replies = try receive() { return replies }
        }
    }

    // MARK: Split exchanges, for waiting on several connections at once

    private var pending = 0
    private var collected: [RESPValue] = []
    private var replyDeadline = Deadline.after(seconds: 0)
    private var fixedDeadline = false

    /// Writes commands and expects one reply each; collect them with ``receive(wait:)``.
    public func send(_ commands: [[Bytes]], deadline fixed: Deadline? = nil) throws {
        if let brokenReason { throw RedisClientError.connectionLost(endpoint: address.description, reason: brokenReason) }
        precondition(pending == 0, "a connection carries one exchange at a time")
        var out = Bytes()
        out.reserveCapacity(commands.count * 48)
        for c in commands { CommandEncoder.append(c, to: &out) }
        fixedDeadline = fixed != nil
        replyDeadline = fixed ?? .after(seconds: options.commandTimeout)
        do {
            try out.withUnsafeBytes { raw in try transport.write(raw, deadline: replyDeadline) }
        } catch let error as TransportError {
            brokenReason = error.description
            throw RedisClientError(error)
        }
        pending = commands.count
        collected = []
        collected.reserveCapacity(commands.count)
    }

    /// Does one read (waiting for data until the reply deadline) and returns every reply
    /// once all have arrived, else `nil`. Call it when the socket is readable to never wait.
    public func receive() throws -> [RESPValue]? {
        do {
            while pending > 0, let reply = try nextReply() {
                collected.append(reply)
                pending -= 1
                if !fixedDeadline { replyDeadline = .after(seconds: options.commandTimeout) }
            }
            if pending == 0 { return try finish() }
            do { try readMore(until: replyDeadline) } catch let error as TransportError { throw RedisClientError(error) }
            while pending > 0, let reply = try nextReply() {
                collected.append(reply)
                pending -= 1
                if !fixedDeadline { replyDeadline = .after(seconds: options.commandTimeout) }
            }
            return pending == 0 ? try finish() : nil
        } catch let error as RedisClientError {
            brokenReason = error.description
            pending = 0
            throw error
        }
    }

    private func nextReply() throws -> RESPValue? {
        do {
            return try reader.next()
        } catch let error as RESPReaderError {
            throw RedisClientError.protocolError(endpoint: address.description, reason: error.message)
        }
    }

    /// Hands over a complete exchange, unless bytes follow its last reply: then the replies
    /// are out of step with the commands (a proxy or server that answered one command twice
    /// shifts every later reply), so none of them can be trusted, and the connection is dropped.
    private func finish() throws -> [RESPValue] {
        let extra = reader.unreadByteCount
        if extra > 0 || transport.hasUnreadBytes {
            let what = extra > 0 ? "\(extra) bytes" : "more bytes"
            throw RedisClientError.protocolError(
                endpoint: address.description,
                reason: "\(what) arrived after the last expected reply: the replies are out of step with the commands, so this batch was discarded")
        }
        let out = collected
        collected = []
        return out
    }

    // MARK: Messages the server sends on its own (a subscription)

    /// Writes a command whose replies come as the server pleases (`PSUBSCRIBE`): read them with
    /// ``nextPush(deadline:)``. The connection serves nothing else afterwards.
    public func subscribe(_ command: [Bytes]) throws {
        if let brokenReason { throw RedisClientError.connectionLost(endpoint: address.description, reason: brokenReason) }
        var out = Bytes()
        CommandEncoder.append(command, to: &out)
        do {
            try out.withUnsafeBytes { raw in try transport.write(raw, deadline: .after(seconds: options.commandTimeout)) }
        } catch let error as TransportError {
            brokenReason = error.description
            throw RedisClientError(error)
        }
    }

    /// The next message of a subscription, waiting until `deadline`; `nil` when none came by then.
    public func nextPush(deadline: Deadline) throws -> RESPValue? {
        if let reply = try nextReply() { return reply }
        do { try readMore(until: deadline) } catch let error as TransportError {
            if case .timedOut = error { return nil }
            brokenReason = error.description
            throw RedisClientError(error)
        }
        return try nextReply()
    }

    /// One read from the socket into the reply reader (a transport failure is the caller's to name).
    private func readMore(until deadline: Deadline) throws {
        let n = try transport.read(into: readBuffer, deadline: deadline)
        if n == 0 { throw RedisClientError.connectionLost(endpoint: address.description, reason: "the server closed the connection") }
        do {
            try reader.feed(UnsafeRawBufferPointer(rebasing: readBuffer[0..<n]))
        } catch let error as RESPReaderError {
            throw RedisClientError.protocolError(endpoint: address.description, reason: error.message)
        }
    }

    /// The socket to poll while replies are expected.
    public var descriptor: Int32 { transport.descriptor }

    /// Whether decoded bytes wait in the transport (poll would not see them).
    public var hasBufferedData: Bool { transport.hasBufferedData }

    /// When the next reply is overdue.
    public var deadline: Deadline { replyDeadline }

    /// Marks the connection unusable (its exchange timed out while waiting on several connections).
    public func markBroken(_ reason: String) {
        brokenReason = reason
        pending = 0
    }

    /// Whether a failure left this connection unusable.
    public var isBroken: Bool { brokenReason != nil }

    /// The request to stop that this connection's waits honour.
    public var cancellation: Cancellation { options.cancellation }
}
