import SessionBasics

/// One session in full: its record, type, idle time and payload.
public struct SessionDetail: Equatable, Sendable {
    /// A session's data as stored.
    public enum Payload: Equatable, Sendable {
        /// A string value (Rails, Laravel, Django, Express, PHP all store strings).
        case string(Bytes)
        /// A hash's fields and values.
        case hash([(field: Bytes, value: Bytes)])
        /// Another type, not shown.
        case other(type: String)
        /// The key is gone.
        case none

        public static func == (a: Payload, b: Payload) -> Bool {
            switch (a, b) {
            case (.string(let x), .string(let y)): return x == y
            case (.hash(let x), .hash(let y)): return x.map(\.field) == y.map(\.field) && x.map(\.value) == y.map(\.value)
            case (.other(let x), .other(let y)): return x == y
            case (.none, .none): return true
            default: return false
            }
        }
    }

    /// Owner, keys, existence, TTL and size.
    public var record: SessionRecord
    /// The Redis type of the session key (`string`, `hash`, …; `none` when gone).
    public var type: String
    /// Seconds since the key was last read or written (`OBJECT IDLETIME`), when the server tells.
    public var idleSeconds: Int64?
    /// The data, at most ``RedisSessionStore/maxPayload`` bytes of it.
    public var payload: Payload
    /// Whether more data exists than `payload` holds (``SessionRecord/bytes`` says how much).
    public var payloadTruncated = false
    /// The payload decoded, or why it could not be; `nil` when there is nothing to decode.
    public var decoded: DecodedPayload?

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(
        record: SessionRecord, type: String, idleSeconds: Int64? = nil, payload: Payload, payloadTruncated: Bool = false,
        decoded: DecodedPayload? = nil
    ) {
        self.record = record
        self.type = type
        self.idleSeconds = idleSeconds
        self.payload = payload
        self.payloadTruncated = payloadTruncated
        self.decoded = decoded
    }
}

/// What `show` found.
public struct ShowResult: Equatable, Sendable {
    /// The sessions found, in the order named.
    public var sessions: [SessionDetail] = []
    /// Mappings that were not followed.
    public var refused: [Refusal] = []
    /// Session ids named that have no mapping.
    public var notFound: [Bytes] = []
    /// Whether every node was scanned.
    public var completeness = Completeness()

    /// A value from its parts (the memberwise initializer, for the stores).
    package init(sessions: [SessionDetail] = [], refused: [Refusal] = [], notFound: [Bytes] = [], completeness: Completeness = Completeness()) {
        self.sessions = sessions
        self.refused = refused
        self.notFound = notFound
        self.completeness = completeness
    }
}
