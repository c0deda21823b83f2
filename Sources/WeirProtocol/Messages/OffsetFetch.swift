// OffsetFetch (API key 9), versions 1-5. Flexible from v6.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's OffsetFetchRequest/Response.json schemas.
import NIOCore

public struct OffsetFetchRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .offsetFetch
    public struct Topic: Sendable, Hashable {
        /// The topic name. (versions 0+)
        public var name: String
        /// The partition indexes. (versions 0+)
        public var partitionIndexes: [Int32]

        public init(name: String = "", partitionIndexes: [Int32] = []) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            partitionIndexes = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.writeArray(partitionIndexes, flexible: f) { $0.buffer.writeI32($1) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The group ID. (versions 0+)
    public var groupId: String
    /// Topics to fetch offsets for (null from v2 = all committed partitions). (versions 0+)
    public var topics: [Topic]?

    public init(groupId: String = "", topics: [Topic]? = nil) {
        self.groupId = groupId
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
        groupId = try b.readStr(flexible: f)
        topics = try b.readNullableArray(flexible: f, allowNull: v >= 2) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeStr(groupId, flexible: f)
        w.writeNullableArray(topics, flexible: f, allowNull: v >= 2) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct OffsetFetchResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .offsetFetch
    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The committed offset, or -1 when none. (versions 0+)
            public var committedOffset: Int64
            /// The leader epoch of the committed offset, or -1. (versions 5+)
            public var committedLeaderEpoch: Int32
            /// The committed metadata. (versions 0+)
            public var metadata: String?
            /// The partition error code, or 0. (versions 0+)
            public var errorCode: KafkaErrorCode

            public init(partitionIndex: Int32 = 0, committedOffset: Int64 = -1, committedLeaderEpoch: Int32 = -1, metadata: String? = nil, errorCode: KafkaErrorCode = .none) {
                self.partitionIndex = partitionIndex
                self.committedOffset = committedOffset
                self.committedLeaderEpoch = committedLeaderEpoch
                self.metadata = metadata
                self.errorCode = errorCode
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                committedOffset = try b.readI64()
                if v >= 5 { committedLeaderEpoch = try b.readI32() }
                metadata = try b.readNullableStr(flexible: f)
                errorCode = try b.readErrorCode()
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                w.buffer.writeI64(committedOffset)
                if v >= 5 { w.buffer.writeI32(committedLeaderEpoch) }
                w.buffer.writeNullableStr(metadata, flexible: f)
                w.buffer.writeErrorCode(errorCode)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var name: String
        /// The partitions. (versions 0+)
        public var partitions: [Partition]

        public init(name: String = "", partitions: [Partition] = []) {
            self.name = name
            self.partitions = partitions
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            partitions = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Partition(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.writeArray(partitions, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 3+)
    public var throttleTimeMs: Int32
    /// The topics. (versions 0+)
    public var topics: [Topic]
    /// The top-level error code, or 0. (versions 2+)
    public var errorCode: KafkaErrorCode

    public init(throttleTimeMs: Int32 = 0, topics: [Topic] = [], errorCode: KafkaErrorCode = .none) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.errorCode = errorCode
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        if v >= 3 { throttleTimeMs = try b.readI32() }
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        if v >= 2 { errorCode = try b.readErrorCode() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 3 { w.buffer.writeI32(throttleTimeMs) }
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 2 { w.buffer.writeErrorCode(errorCode) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
