// InitProducerId (API key 22), versions 0-1. Flexible from v2.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's InitProducerIdRequest/Response.json schemas.
import NIOCore

public struct InitProducerIdRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .initProducerId
    /// The transactional ID, or null for idempotence only. (versions 0+)
    public var transactionalId: String?
    /// Transaction timeout in milliseconds. (versions 0+)
    public var transactionTimeoutMs: Int32

    public init(transactionalId: String? = nil, transactionTimeoutMs: Int32 = 0) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        transactionalId = try b.readNullableStr(flexible: f)
        transactionTimeoutMs = try b.readI32()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeNullableStr(transactionalId, flexible: f)
        w.buffer.writeI32(transactionTimeoutMs)
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct InitProducerIdResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .initProducerId
    /// Throttle time in milliseconds (always 0). (versions 0+)
    public var throttleTimeMs: Int32
    /// The error code, or 0. (versions 0+)
    public var errorCode: KafkaErrorCode
    /// The producer ID. (versions 0+)
    public var producerId: Int64
    /// The producer epoch. (versions 0+)
    public var producerEpoch: Int16

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, producerId: Int64 = -1, producerEpoch: Int16 = -1) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
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
        errorCode = try b.readErrorCode()
        producerId = try b.readI64()
        producerEpoch = try b.readI16()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeI32(throttleTimeMs)
        w.buffer.writeErrorCode(errorCode)
        w.buffer.writeI64(producerId)
        w.buffer.writeI16(producerEpoch)
        w.buffer.writeTaggedFields(flexible: f)
    }
}
