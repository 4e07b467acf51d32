import SessionBasics

/// One record as it goes out: its line (JSON, no newline) and what a sink may show beside it.
public struct AuditLine: Sendable {
    /// The record, one line of JSON of at most ``AuditTrail/maxLine`` bytes, as UTF-8.
    public let bytes: [UInt8]
    /// The record as text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    /// `event.action`.
    public let action: String
    /// `trace.id`: the run.
    public let run: String
    /// `@timestamp`.
    public let timestamp: String
}

/// Where audit records go besides the chained log file: a Redis stream, syslog. A sink writes
/// records (durably when `sync`) or throws, and then nothing more is deleted.
public protocol AuditSink: AnyObject {
    /// Writes `lines` in order; with `sync`, durably before it returns.
    func write(_ lines: [AuditLine], sync: Bool) throws(AuditTrailError)
}

/// What one batch's deletions came to, as the server confirmed them.
public struct DeletionOutcome: Sendable {
    /// Sessions whose keys (or rows) are gone.
    public var deleted: [SessionRef]
    /// Sessions whose deletion failed.
    public var failed: [SessionRef]

    /// An outcome.
    public init(deleted: [SessionRef], failed: [SessionRef]) {
        self.deleted = deleted
        self.failed = failed
    }
}

/// One record before it is written: its JSON with the `sessionctl` object left open, for the chain.
public struct AuditRecord: Sendable {
    /// `{"@timestamp":…,"sessionctl":{…` without the two closing braces, as UTF-8.
    let body: [UInt8]
    let action: String
    let run: String
    let timestamp: String

    /// The whole line: the chain (`seq` in this file and the digest of the line before; `null`
    /// outside a log file) closes the `sessionctl` object.
    func line(chain: (seq: UInt64, previous: [UInt8]?)?) -> AuditLine {
        var bytes = body
        if let chain {
            bytes.reserveCapacity(body.count + AuditTrail.chainRoom)
            bytes += #","chain":{"seq":"#.utf8
            bytes += String(chain.seq).utf8
            bytes += #","prev_sha256":"#.utf8
            if let previous = chain.previous {
                bytes.append(UInt8(ascii: "\""))
                bytes += previous
                bytes.append(UInt8(ascii: "\""))
            } else {
                bytes += "null".utf8
            }
            bytes += "}}}".utf8
        } else {
            bytes += #","chain":null}}"#.utf8
        }
        return AuditLine(bytes: bytes, action: action, run: run, timestamp: timestamp)
    }
}
