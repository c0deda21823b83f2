// OffsetCommit (API key 8), versions 2-7. Flexible from v8.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's OffsetCommitRequest/Response.json schemas.
import NIOCore

public struct OffsetCommitRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .offsetCommit
    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The offset to commit. (versions 0+)
            public var committedOffset: Int64
            /// The leader epoch of the last consumed record, or -1. (versions 6+)
            public var committedLeaderEpoch: Int32
            /// Client metadata for the commit. (versions 0+)
            public var committedMetadata: String?

            public init(partitionIndex: Int32 = 0, committedOffset: Int64 = 0, committedLeaderEpoch: Int32 = -1, committedMetadata: String? = nil) {
                self.partitionIndex = partitionIndex
                self.committedOffset = committedOffset
                self.committedLeaderEpoch = committedLeaderEpoch
                self.committedMetadata = committedMetadata
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                committedOffset = try b.readI64()
                if v >= 6 { committedLeaderEpoch = try b.readI32() }
                committedMetadata = try b.readNullableStr(flexible: f)
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                w.buffer.writeI64(committedOffset)
                if v >= 6 { w.buffer.writeI32(committedLeaderEpoch) }
                w.buffer.writeNullableStr(committedMetadata, flexible: f)
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

    /// The group ID. (versions 0+)
    public var groupId: String
    /// The generation of the group. (versions 1+)
    public var generationId: Int32
    /// The member ID assigned by the coordinator. (versions 1+)
    public var memberId: String
    /// The static member instance ID, or null. (versions 7+)
    public var groupInstanceId: String?
    /// Offset retention in milliseconds (-1 = broker default). (versions 2-4)
    public var retentionTimeMs: Int64
    /// The topics to commit offsets for. (versions 0+)
    public var topics: [Topic]

    public init(groupId: String = "", generationId: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil, retentionTimeMs: Int64 = -1, topics: [Topic] = []) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.retentionTimeMs = retentionTimeMs
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
        if v >= 1 { generationId = try b.readI32() }
        if v >= 1 { memberId = try b.readStr(flexible: f) }
        if v >= 7 { groupInstanceId = try b.readNullableStr(flexible: f) }
        if v >= 2 && v <= 4 { retentionTimeMs = try b.readI64() }
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeStr(groupId, flexible: f)
        if v >= 1 { w.buffer.writeI32(generationId) }
        if v >= 1 { w.buffer.writeStr(memberId, flexible: f) }
        if v >= 7 { w.buffer.writeNullableStr(groupInstanceId, flexible: f) }
        if v >= 2 && v <= 4 { w.buffer.writeI64(retentionTimeMs) }
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct OffsetCommitResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .offsetCommit
    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The error code, or 0. (versions 0+)
            public var errorCode: KafkaErrorCode

            public init(partitionIndex: Int32 = 0, errorCode: KafkaErrorCode = .none) {
                self.partitionIndex = partitionIndex
                self.errorCode = errorCode
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                errorCode = try b.readErrorCode()
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
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
        if v >= 3 { throttleTimeMs = try b.readI32() }
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 3 { w.buffer.writeI32(throttleTimeMs) }
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
