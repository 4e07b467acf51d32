import SessionBasics

/// One record as it goes out: its line (JSON, no newline) and what a sink may show beside it.
public struct AuditLine: Sendable {
    /// The record, one line of JSON of at most ``AuditTrail/maxLine`` bytes.
    public let text: String
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
    /// `{"@timestamp":…,"sessionctl":{…` without the two closing braces.
    let body: String
    let action: String
    let run: String
    let timestamp: String

    /// The whole line: the chain (`seq` in this file and the digest of the line before; `null`
    /// outside a log file) closes the `sessionctl` object.
    func line(chain: (seq: UInt64, previous: String?)?) -> AuditLine {
        let tail: String
        if let chain {
            tail = #","chain":{"seq":\#(chain.seq),"prev_sha256":\#(chain.previous.map { "\"\($0)\"" } ?? "null")}}}"#
        } else {
            tail = #","chain":null}}"#
        }
        return AuditLine(text: body + tail, action: action, run: run, timestamp: timestamp)
    }
}
