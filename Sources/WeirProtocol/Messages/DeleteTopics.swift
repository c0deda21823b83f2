// DeleteTopics (API key 20), versions 1-3. Flexible from v4.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's DeleteTopicsRequest/Response.json schemas.
import NIOCore

public struct DeleteTopicsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .deleteTopics
    /// The topics to delete. (versions 0+)
    public var topicNames: [String]
    /// Timeout in milliseconds. (versions 0+)
    public var timeoutMs: Int32

    public init(topicNames: [String] = [], timeoutMs: Int32 = 0) {
        self.topicNames = topicNames
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
        topicNames = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readStr(flexible: f) }
        timeoutMs = try b.readI32()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(topicNames, flexible: f) { $0.buffer.writeStr($1, flexible: f) }
        w.buffer.writeI32(timeoutMs)
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct DeleteTopicsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .deleteTopics
    public struct Result: Sendable, Hashable {
        /// The topic name. (versions 0+)
        public var name: String
        /// The error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode

        public init(name: String = "", errorCode: KafkaErrorCode = .none) {
            self.name = name
            self.errorCode = errorCode
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            errorCode = try b.readErrorCode()
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.buffer.writeErrorCode(errorCode)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32
    /// Per-topic results. (versions 0+)
    public var responses: [Result]

    public init(throttleTimeMs: Int32 = 0, responses: [Result] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        if v >= 1 { throttleTimeMs = try b.readI32() }
        responses = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Result(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.writeArray(responses, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
