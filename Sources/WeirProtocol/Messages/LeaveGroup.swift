// LeaveGroup (API key 13), versions 0-2. Flexible from v4.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's LeaveGroupRequest/Response.json schemas.
import NIOCore

public struct LeaveGroupRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .leaveGroup
    /// The group ID. (versions 0+)
    public var groupId: String
    /// The member ID leaving the group. (versions 0+)
    public var memberId: String

    public init(groupId: String = "", memberId: String = "") {
        self.groupId = groupId
        self.memberId = memberId
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
        memberId = try b.readStr(flexible: f)
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeStr(groupId, flexible: f)
        w.buffer.writeStr(memberId, flexible: f)
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct LeaveGroupResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .leaveGroup
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
