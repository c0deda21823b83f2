// ListOffsets (API key 2), versions 1-5. Flexible from v6.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's ListOffsetsRequest/Response.json schemas.
import NIOCore

public struct ListOffsetsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .listOffsets
    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The current leader epoch, or -1. (versions 4+)
            public var currentLeaderEpoch: Int32
            /// -1 latest, -2 earliest, >= 0 first offset with timestamp >= this. (versions 0+)
            public var timestamp: Int64

            public init(partitionIndex: Int32 = 0, currentLeaderEpoch: Int32 = -1, timestamp: Int64 = 0) {
                self.partitionIndex = partitionIndex
                self.currentLeaderEpoch = currentLeaderEpoch
                self.timestamp = timestamp
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                if v >= 4 { currentLeaderEpoch = try b.readI32() }
                timestamp = try b.readI64()
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                if v >= 4 { w.buffer.writeI32(currentLeaderEpoch) }
                w.buffer.writeI64(timestamp)
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

    /// The broker ID of the requester, or -1 for a client. (versions 0+)
    public var replicaId: Int32
    /// 0 read_uncommitted, 1 read_committed. (versions 2+)
    public var isolationLevel: Int8
    /// The topics to list offsets for. (versions 0+)
    public var topics: [Topic]

    public init(replicaId: Int32 = -1, isolationLevel: Int8 = 0, topics: [Topic] = []) {
        self.replicaId = replicaId
        self.isolationLevel = isolationLevel
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
        replicaId = try b.readI32()
        if v >= 2 { isolationLevel = try b.readI8() }
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeI32(replicaId)
        if v >= 2 { w.buffer.writeI8(isolationLevel) }
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct ListOffsetsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .listOffsets
    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The error code, or 0. (versions 0+)
            public var errorCode: KafkaErrorCode
            /// The timestamp of the returned offset (-1 for latest/earliest queries). (versions 1+)
            public var timestamp: Int64
            /// The returned offset, or -1. (versions 1+)
            public var offset: Int64
            /// The leader epoch, or -1. (versions 4+)
            public var leaderEpoch: Int32

            public init(partitionIndex: Int32 = 0, errorCode: KafkaErrorCode = .none, timestamp: Int64 = -1, offset: Int64 = -1, leaderEpoch: Int32 = -1) {
                self.partitionIndex = partitionIndex
                self.errorCode = errorCode
                self.timestamp = timestamp
                self.offset = offset
                self.leaderEpoch = leaderEpoch
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                errorCode = try b.readErrorCode()
                if v >= 1 { timestamp = try b.readI64() }
                if v >= 1 { offset = try b.readI64() }
                if v >= 4 { leaderEpoch = try b.readI32() }
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                w.buffer.writeErrorCode(errorCode)
                if v >= 1 { w.buffer.writeI64(timestamp) }
                if v >= 1 { w.buffer.writeI64(offset) }
                if v >= 4 { w.buffer.writeI32(leaderEpoch) }
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

    /// Throttle time in milliseconds (always 0). (versions 2+)
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
