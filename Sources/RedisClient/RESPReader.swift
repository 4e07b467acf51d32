import CHiredis
import SessionBasics

/// hiredis's own reply-building functions, read once from a reader made for the purpose.
private let hiredisFunctions: redisReplyObjectFunctions = {
    guard let probe = redisReaderCreate() else { preconditionFailure("out of memory creating the RESP reader") }
    defer { redisReaderFree(probe) }
    return probe.pointee.fn.pointee
}()

/// The same functions, but an array header claiming more than ``RESPReader/maxArrayElements``
/// elements (or a negative count) is refused before hiredis allocates a slot for each.
nonisolated(unsafe) private let limitedFunctions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
    let p = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
    p.initialize(to: hiredisFunctions)
    p.pointee.createArray = { task, elements in
        guard elements >= 0, elements <= RESPReader.maxArrayElements else { return nil }
        return hiredisFunctions.createArray(task, elements)
    }
    return p
}()

/// Decodes RESP2 bytes into ``RESPValue``s with hiredis's reader.
///
/// Owns one `redisReader *`, created in `init` and freed in `deinit`. Every reply tree
/// hiredis builds is converted at once and its root freed exactly once. An array header
/// claiming an absurd number of elements is a protocol error at once, not gigabytes.
public final class RESPReader {
    private let reader: UnsafeMutablePointer<redisReader>

    /// The most elements one array reply may claim (16 Mi): far above any SCAN page,
    /// `CLUSTER SHARDS` or pipelined reply sessionctl reads.
    public static let maxArrayElements: Int32 = 16 * 1024 * 1024

    /// A reader with an empty buffer.
    public init() {
        guard let r = redisReaderCreateWithFunctions(limitedFunctions) else {
            // redisReaderCreate fails only when malloc does.
            preconditionFailure("out of memory creating the RESP reader")
        }
        reader = r
    }

    deinit {
        redisReaderFree(reader)
    }

    /// Appends bytes received from the wire.
    public func feed(_ buffer: UnsafeRawBufferPointer) throws {
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        if redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), buffer.count) != REDIS_OK {
            throw RESPReaderError(message: errorText())
        }
    }

    /// Appends bytes received from the wire.
    public func feed(_ bytes: Bytes) throws {
        try bytes.withUnsafeBytes { (raw) in try feed(raw) }
    }

    /// The next complete reply, or `nil` when more bytes are needed.
    public func next() throws -> RESPValue? {
        var raw: UnsafeMutableRawPointer?
        if redisReaderGetReply(reader, &raw) != REDIS_OK {
            throw RESPReaderError(message: errorText())
        }
        guard let raw else { return nil }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply)
    }

    /// Bytes fed but not yet part of a returned reply (a reply still arriving, or one nobody asked for).
    public var unreadByteCount: Int {
        max(0, Int(reader.pointee.len) - Int(reader.pointee.pos))
    }

    private func errorText() -> String {
        withUnsafeBytes(of: reader.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            if text == "Out of memory" {
                return "an array reply claims more than \(RESPReader.maxArrayElements) elements (or a negative count)"
            }
            return bytes.isEmpty ? "malformed reply" : text
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulk(copyBytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: copyBytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(RedisError(message: String(decoding: copyBytes(r.str, r.len), as: UTF8.self)))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RESPValue] = []
            elements.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                if let child = r.element[i] { elements.append(convert(child)) } else { elements.append(.null) }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func copyBytes(_ p: UnsafeMutablePointer<CChar>?, _ n: Int) -> Bytes {
        guard let p, n > 0 else { return [] }
        return Bytes(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// The reader met bytes that are not RESP.
public struct RESPReaderError: Error, Equatable, Sendable {
    /// hiredis's description of the problem.
    public let message: String
}

extension RESPReaderError: ClassifiedError {
    public var failureClass: FailureClass { .failure }

    public var description: String { "protocol error: \(message)" }
}
