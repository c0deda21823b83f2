// CreatePartitions (API key 37), versions 0-1. Flexible from v2.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's CreatePartitionsRequest/Response.json schemas.
import NIOCore

public struct CreatePartitionsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .createPartitions
    public struct Topic: Sendable, Hashable {
        public struct Assignment: Sendable, Hashable {
            /// The replica broker IDs. (versions 0+)
            public var brokerIds: [Int32]

            public init(brokerIds: [Int32] = []) {
                self.brokerIds = brokerIds
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                brokerIds = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.writeArray(brokerIds, flexible: f) { $0.buffer.writeI32($1) }
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var name: String
        /// The new partition count. (versions 0+)
        public var count: Int32
        /// New replica assignments, or null. (versions 0+)
        public var assignments: [Assignment]?

        public init(name: String = "", count: Int32 = 0, assignments: [Assignment]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            count = try b.readI32()
            assignments = try b.readNullableArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Assignment(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.buffer.writeI32(count)
            w.writeNullableArray(assignments, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The topics to grow. (versions 0+)
    public var topics: [Topic]
    /// Timeout in milliseconds. (versions 0+)
    public var timeoutMs: Int32
    /// Validate without creating. (versions 0+)
    public var validateOnly: Bool

    public init(topics: [Topic] = [], timeoutMs: Int32 = 0, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        timeoutMs = try b.readI32()
        validateOnly = try b.readBool()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeI32(timeoutMs)
        w.buffer.writeBool(validateOnly)
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct CreatePartitionsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .createPartitions
    public struct Result: Sendable, Hashable {
        /// The topic name. (versions 0+)
        public var name: String
        /// The error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode
        /// The error message, or null. (versions 0+)
        public var errorMessage: String?

        public init(name: String = "", errorCode: KafkaErrorCode = .none, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            errorCode = try b.readErrorCode()
            errorMessage = try b.readNullableStr(flexible: f)
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.buffer.writeErrorCode(errorCode)
            w.buffer.writeNullableStr(errorMessage, flexible: f)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 0+)
    public var throttleTimeMs: Int32
    /// Per-topic results. (versions 0+)
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        throttleTimeMs = try b.readI32()
        results = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Result(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeI32(throttleTimeMs)
        w.writeArray(results, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
