// FindCoordinator (API key 10), versions 0-2. Flexible from v3.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's FindCoordinatorRequest/Response.json schemas.
import NIOCore

public struct FindCoordinatorRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .findCoordinator
    /// The coordinator key (group ID or transactional ID). (versions 0+)
    public var key: String
    /// 0 group, 1 transaction. (versions 1+)
    public var keyType: Int8

    public init(key: String = "", keyType: Int8 = 0) {
        self.key = key
        self.keyType = keyType
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        key = try b.readStr(flexible: f)
        if v >= 1 { keyType = try b.readI8() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeStr(key, flexible: f)
        if v >= 1 { w.buffer.writeI8(keyType) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct FindCoordinatorResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .findCoordinator
    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32
    /// The error code, or 0. (versions 0+)
    public var errorCode: KafkaErrorCode
    /// The error message, or null. (versions 1+)
    public var errorMessage: String?
    /// The coordinator's broker ID. (versions 0+)
    public var nodeId: Int32
    /// The coordinator's host. (versions 0+)
    public var host: String
    /// The coordinator's port. (versions 0+)
    public var port: Int32

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, nodeId: Int32 = 0, host: String = "", port: Int32 = 0) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
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
        errorCode = try b.readErrorCode()
        if v >= 1 { errorMessage = try b.readNullableStr(flexible: f) }
        nodeId = try b.readI32()
        host = try b.readStr(flexible: f)
        port = try b.readI32()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.buffer.writeErrorCode(errorCode)
        if v >= 1 { w.buffer.writeNullableStr(errorMessage, flexible: f) }
        w.buffer.writeI32(nodeId)
        w.buffer.writeStr(host, flexible: f)
        w.buffer.writeI32(port)
        w.buffer.writeTaggedFields(flexible: f)
    }
}
