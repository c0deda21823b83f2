// Heartbeat (API key 12), versions 0-3. Flexible from v4.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's HeartbeatRequest/Response.json schemas.
import NIOCore

public struct HeartbeatRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .heartbeat
    /// The group ID. (versions 0+)
    public var groupId: String
    /// The generation ID. (versions 0+)
    public var generationId: Int32
    /// The member ID. (versions 0+)
    public var memberId: String
    /// The static member instance ID, or null. (versions 3+)
    public var groupInstanceId: String?

    public init(groupId: String = "", generationId: Int32 = 0, memberId: String = "", groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
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
        generationId = try b.readI32()
        memberId = try b.readStr(flexible: f)
        if v >= 3 { groupInstanceId = try b.readNullableStr(flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeStr(groupId, flexible: f)
        w.buffer.writeI32(generationId)
        w.buffer.writeStr(memberId, flexible: f)
        if v >= 3 { w.buffer.writeNullableStr(groupInstanceId, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct HeartbeatResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .heartbeat
    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32
    /// The error code, or 0. (versions 0+)
    public var errorCode: KafkaErrorCode

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none) {
        self.throttleTimeMs = throttleTimeMs
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
        if v >= 1 { throttleTimeMs = try b.readI32() }
        errorCode = try b.readErrorCode()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.buffer.writeErrorCode(errorCode)
        w.buffer.writeTaggedFields(flexible: f)
    }
}
