// Produce (API key 0), versions 3-7. Flexible from v9.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's ProduceRequest/Response.json schemas.
import NIOCore

public struct ProduceRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .produce
    public struct TopicData: Sendable, Hashable {
        public struct PartitionData: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var index: Int32
            /// The record batches (a slice of the request frame, never copied). (versions 0+)
            public var records: ByteBuffer?

            public init(index: Int32 = 0, records: ByteBuffer? = nil) {
                self.index = index
                self.records = records
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                index = try b.readI32()
                records = try b.readNullableBytesField(flexible: f)
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(index)
                w.writeRecords(records, flexible: f)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var name: String
        /// Each partition to produce to. (versions 0+)
        public var partitionData: [PartitionData]

        public init(name: String = "", partitionData: [PartitionData] = []) {
            self.name = name
            self.partitionData = partitionData
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            partitionData = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try PartitionData(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.writeArray(partitionData, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The transactional ID, or null if the producer is not transactional. (versions 3+)
    public var transactionalId: String?
    /// Required acknowledgements: -1 all in-sync replicas, 0 none, 1 leader only. (versions 0+)
    public var acks: Int16
    /// How long to wait for the acknowledgements, in milliseconds. (versions 0+)
    public var timeoutMs: Int32
    /// Each topic to produce to. (versions 0+)
    public var topicData: [TopicData]

    public init(transactionalId: String? = nil, acks: Int16 = 0, timeoutMs: Int32 = 0, topicData: [TopicData] = []) {
        self.transactionalId = transactionalId
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topicData = topicData
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        if v >= 3 { transactionalId = try b.readNullableStr(flexible: f) }
        acks = try b.readI16()
        timeoutMs = try b.readI32()
        topicData = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try TopicData(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 3 { w.buffer.writeNullableStr(transactionalId, flexible: f) }
        w.buffer.writeI16(acks)
        w.buffer.writeI32(timeoutMs)
        w.writeArray(topicData, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct ProduceResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .produce
    public struct TopicResponse: Sendable, Hashable {
        public struct PartitionResponse: Sendable, Hashable {
            /// The partition index. (versions 0+)
            public var index: Int32
            /// The error code, or 0. (versions 0+)
            public var errorCode: KafkaErrorCode
            /// The offset given to the first record. (versions 0+)
            public var baseOffset: Int64
            /// The LogAppendTime timestamp, or -1 for CreateTime topics. (versions 2+)
            public var logAppendTimeMs: Int64
            /// The partition's log start offset. (versions 5+)
            public var logStartOffset: Int64

            public init(index: Int32 = 0, errorCode: KafkaErrorCode = .none, baseOffset: Int64 = 0, logAppendTimeMs: Int64 = -1, logStartOffset: Int64 = -1) {
                self.index = index
                self.errorCode = errorCode
                self.baseOffset = baseOffset
                self.logAppendTimeMs = logAppendTimeMs
                self.logStartOffset = logStartOffset
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                index = try b.readI32()
                errorCode = try b.readErrorCode()
                baseOffset = try b.readI64()
                if v >= 2 { logAppendTimeMs = try b.readI64() }
                if v >= 5 { logStartOffset = try b.readI64() }
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeI32(index)
                w.buffer.writeErrorCode(errorCode)
                w.buffer.writeI64(baseOffset)
                if v >= 2 { w.buffer.writeI64(logAppendTimeMs) }
                if v >= 5 { w.buffer.writeI64(logStartOffset) }
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic name. (versions 0+)
        public var name: String
        /// One entry per partition produced to. (versions 0+)
        public var partitionResponses: [PartitionResponse]

        public init(name: String = "", partitionResponses: [PartitionResponse] = []) {
            self.name = name
            self.partitionResponses = partitionResponses
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            partitionResponses = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try PartitionResponse(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.writeArray(partitionResponses, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// One entry per topic produced to. (versions 0+)
    public var responses: [TopicResponse]
    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32

    public init(responses: [TopicResponse] = [], throttleTimeMs: Int32 = 0) {
        self.responses = responses
        self.throttleTimeMs = throttleTimeMs
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        responses = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try TopicResponse(from: &e, version: v, flexible: f) }
        if v >= 1 { throttleTimeMs = try b.readI32() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(responses, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
