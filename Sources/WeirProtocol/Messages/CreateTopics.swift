// CreateTopics (API key 19), versions 2-4. Flexible from v5.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's CreateTopicsRequest/Response.json schemas.
import NIOCore

public struct CreateTopicsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .createTopics
    public struct Topic: Sendable, Hashable {
        public struct Assignment: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The replica broker IDs. (versions 0+)
            public var brokerIds: [Int32]

            public init(partitionIndex: Int32 = 0, brokerIds: [Int32] = []) {
                self.partitionIndex = partitionIndex
                self.brokerIds = brokerIds
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                brokerIds = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                w.writeArray(brokerIds, flexible: f) { $0.buffer.writeI32($1) }
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        public struct Config: Sendable, Hashable {
            /// The config name. (versions 0+)
            public var name: String
            /// The config value. (versions 0+)
            public var value: String?

            public init(name: String = "", value: String? = nil) {
                self.name = name
                self.value = value
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                name = try b.readStr(flexible: f)
                value = try b.readNullableStr(flexible: f)
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeStr(name, flexible: f)
                w.buffer.writeNullableStr(value, flexible: f)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var name: String
        /// The number of partitions (-1 = broker default). (versions 0+)
        public var numPartitions: Int32
        /// The replication factor (-1 = broker default). (versions 0+)
        public var replicationFactor: Int16
        /// Manual replica assignment. (versions 0+)
        public var assignments: [Assignment]
        /// Topic configs. (versions 0+)
        public var configs: [Config]

        public init(name: String = "", numPartitions: Int32 = -1, replicationFactor: Int16 = -1, assignments: [Assignment] = [], configs: [Config] = []) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            numPartitions = try b.readI32()
            replicationFactor = try b.readI16()
            assignments = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Assignment(from: &e, version: v, flexible: f) }
            configs = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Config(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.buffer.writeI32(numPartitions)
            w.buffer.writeI16(replicationFactor)
            w.writeArray(assignments, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.writeArray(configs, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The topics to create. (versions 0+)
    public var topics: [Topic]
    /// Timeout in milliseconds. (versions 0+)
    public var timeoutMs: Int32
    /// Validate without creating. (versions 1+)
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
        if v >= 1 { validateOnly = try b.readBool() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeI32(timeoutMs)
        if v >= 1 { w.buffer.writeBool(validateOnly) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct CreateTopicsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .createTopics
    public struct Topic: Sendable, Hashable {
        /// The topic name. (versions 0+)
        public var name: String
        /// The error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode
        /// The error message, or null. (versions 1+)
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
            if v >= 1 { errorMessage = try b.readNullableStr(flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.buffer.writeErrorCode(errorCode)
            if v >= 1 { w.buffer.writeNullableStr(errorMessage, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 2+)
    public var throttleTimeMs: Int32
    /// Per-topic results. (versions 0+)
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        if v >= 2 { throttleTimeMs = try b.readI32() }
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 2 { w.buffer.writeI32(throttleTimeMs) }
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
