// DeleteRecords (API key 21), versions 0-1 (v2, flexible, is encoded the same way but not advertised).
// Moves each partition's log start offset forward: records below `offset` (-1: the high watermark) are no longer
// readable and whole segments below it are deleted. Field layout: Kafka's DeleteRecordsRequest/Response.json.
import NIOCore

public struct DeleteRecordsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .deleteRecords

    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// Records below this offset are deleted; -1 means the high watermark. (versions 0+)
            public var offset: Int64

            public init(partitionIndex: Int32 = 0, offset: Int64 = 0) {
                self.partitionIndex = partitionIndex
                self.offset = offset
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                offset = try b.readI64()
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                w.buffer.writeI64(offset)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var name: String
        /// The partitions to delete records from. (versions 0+)
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

    /// The topics to delete records from. (versions 0+)
    public var topics: [Topic]
    /// How long to wait for the deletion to complete, in milliseconds. (versions 0+)
    public var timeoutMs: Int32

    public init(topics: [Topic] = [], timeoutMs: Int32 = 0) {
        self.topics = topics
        self.timeoutMs = timeoutMs
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
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeI32(timeoutMs)
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct DeleteRecordsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .deleteRecords

    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The partition's log start offset after the deletion. (versions 0+)
            public var lowWatermark: Int64
            /// The error code, or 0. (versions 0+)
            public var errorCode: KafkaErrorCode

            public init(partitionIndex: Int32 = 0, lowWatermark: Int64 = -1, errorCode: KafkaErrorCode = .none) {
                self.partitionIndex = partitionIndex
                self.lowWatermark = lowWatermark
                self.errorCode = errorCode
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                partitionIndex = try b.readI32()
                lowWatermark = try b.readI64()
                errorCode = try b.readErrorCode()
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(partitionIndex)
                w.buffer.writeI64(lowWatermark)
                w.buffer.writeErrorCode(errorCode)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var name: String
        /// Per-partition results. (versions 0+)
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

    /// Throttle time in milliseconds (always 0). (versions 0+)
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
        throttleTimeMs = try b.readI32()
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeI32(throttleTimeMs)
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
