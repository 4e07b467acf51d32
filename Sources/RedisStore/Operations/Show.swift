import RedisClient
import SessionBasics
import SessionCore

extension RedisSessionStore {
    /// Finds each session by id (narrowed to `user` when given) and reads it in full.
    public func show(sessions ids: [Bytes], user: Bytes? = nil) throws -> ShowResult {
        var result = ShowResult()
        let (refs, refused, notFound) = try locate(sessions: ids, user: user, completeness: &result.completeness)
        result.refused = refused
        result.notFound = notFound
        try read(refs, into: &result)
        return result
    }

    /// Sessions already found (a plan's targets), each read in full as `show` reads it.
    public func details(_ refs: [SessionRef]) throws -> ShowResult {
        var result = ShowResult()
        try read(refs, into: &result)
        return result
    }

    /// Reads `refs` in full into `result`: type, idle time, payload (at most `maxPayload` bytes), decoded.
    private func read(_ refs: [SessionRef], into result: inout ShowResult) throws {
        // The idle time is read before STRLEN and GETRANGE touch the key.
        let inspected = try inspect(refs, idle: true, completeness: &result.completeness)
        let meta = try batched(inspected, completeness: &result.completeness) { [[Verb.type, $0.ref.sessionKey]] }
        // A session whose type could not be read is left out (the result says it is incomplete),
        // never shown as gone.
        var records: [SessionRecord] = []
        var types: [String] = []
        var idle: [Int64?] = []
        for (record, reply) in zip(inspected, meta) {
            guard let type = result.completeness.required(reply[0], "TYPE")?.text else { continue }
            records.append(record)
            types.append(type)
            idle.append(record.idleSeconds)
        }
        // At most `maxPayload` bytes of each payload are read: a 50 MB session is counted, not printed.
        let limit = Bytes(String(max(maxPayload, 1) - 1).utf8)
        let data = try batched(Array(zip(records, types)), completeness: &result.completeness) { record, type in
            type == "string" ? [[Verb.getrange, record.ref.sessionKey, Bytes("0".utf8), limit]] : []
        }
        for ((record, idleSeconds), (type, value)) in zip(zip(records, idle), zip(types, data)) {
            var detail = SessionDetail(record: record, type: type, idleSeconds: idleSeconds, payload: .none)
            switch type {
            case "string":
                if case .bulk(let b)? = value.first.flatMap({ result.completeness.required($0, "GETRANGE") }) {
                    detail.payload = .string(b)
                    detail.payloadTruncated = (record.bytes ?? 0) > Int64(b.count)
                }
            case "hash":
                if let (pairs, truncated) = try hashFields(record.ref.sessionKey, &result.completeness) {
                    detail.payload = .hash(pairs)
                    detail.payloadTruncated = truncated
                }
            case "none":
                break  // expired between the two reads
            default:
                detail.payload = .other(type: type)
            }
            decode(&detail)
            result.sessions.append(detail)
        }
    }

    /// Decodes a detail's payload and reads its fields (a truncated payload is not decoded).
    private func decode(_ detail: inout SessionDetail) {
        switch detail.payload {
        case .string(let b) where !b.isEmpty: detail.decoded = detail.payloadTruncated ? truncated() : payloadReader.decode(b)
        case .hash(let pairs) where !pairs.isEmpty: detail.decoded = detail.payloadTruncated ? truncated() : payloadReader.decode(hash: pairs)
        default: return
        }
        if let v = detail.decoded?.value { detail.record.fields = fieldPaths.extract(from: v) }
    }

    private func truncated() -> DecodedPayload {
        DecodedPayload(error: "not decoded: the payload is longer than --max-payload (\(maxPayload) bytes)")
    }

    /// A hash's fields by `HSCAN`, until about `maxPayload` bytes are read: `nil` when it could not be read.
    func hashFields(_ key: Bytes, _ completeness: inout Completeness) throws -> ([(field: Bytes, value: Bytes)], Bool)? {
        var pairs: [(field: Bytes, value: Bytes)] = []
        var cursor = Bytes("0".utf8)
        var size = 0
        var pages = 0
        repeat {
            pages += 1
            if pages > 10_000 { return (pairs, true) }  // a cursor that never returns to 0
            let reply = try keyspace.send([[Verb.hscan, key, cursor, Verb.count, Bytes("100".utf8)]])[0]
            guard let page = completeness.required(reply, "HSCAN")?.array, page.count == 2, let next = page[0].bytes,
                let flat = page[1].array
            else { return nil }
            var i = 0
            while i + 1 < flat.count {
                let field = flat[i].bytes ?? []
                let value = flat[i + 1].bytes ?? []
                if size >= maxPayload { return (pairs, true) }
                let room = max(0, maxPayload - size - field.count)
                pairs.append((field, Array(value.prefix(room))))
                size += field.count + min(value.count, room)
                if value.count > room { return (pairs, true) }
                i += 2
            }
            cursor = next
        } while cursor != Bytes("0".utf8)
        return (pairs, false)
    }

}
