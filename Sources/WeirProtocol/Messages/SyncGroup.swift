// SyncGroup (API key 14), versions 0-3. Flexible from v4.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's SyncGroupRequest/Response.json schemas.
import NIOCore

public struct SyncGroupRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .syncGroup
    public struct Assignment: Sendable, Hashable {
        /// The member ID. (versions 0+)
        public var memberId: String
        /// The member assignment. (versions 0+)
        public var assignment: ByteBuffer

        public init(memberId: String = "", assignment: ByteBuffer = ByteBuffer()) {
            self.memberId = memberId
            self.assignment = assignment
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            memberId = try b.readStr(flexible: f)
            assignment = try b.readBytesField(flexible: f)
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(memberId, flexible: f)
            w.buffer.writeBytesField(assignment, flexible: f)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The group ID. (versions 0+)
    public var groupId: String
    /// The generation ID. (versions 0+)
    public var generationId: Int32
    /// The member ID. (versions 0+)
    public var memberId: String
    /// The static member instance ID, or null. (versions 3+)
    public var groupInstanceId: String?
    /// The assignments (leader only). (versions 0+)
    public var assignments: [Assignment]

    public init(groupId: String = "", generationId: Int32 = 0, memberId: String = "", groupInstanceId: String? = nil, assignments: [Assignment] = []) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.assignments = assignments
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
        assignments = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Assignment(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeStr(groupId, flexible: f)
        w.buffer.writeI32(generationId)
        w.buffer.writeStr(memberId, flexible: f)
        if v >= 3 { w.buffer.writeNullableStr(groupInstanceId, flexible: f) }
        w.writeArray(assignments, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct SyncGroupResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .syncGroup
    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32
    /// The error code, or 0. (versions 0+)
    public var errorCode: KafkaErrorCode
    /// This member's assignment. (versions 0+)
    public var assignment: ByteBuffer

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, assignment: ByteBuffer = ByteBuffer()) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.assignment = assignment
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
        assignment = try b.readBytesField(flexible: f)
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.buffer.writeErrorCode(errorCode)
        w.buffer.writeBytesField(assignment, flexible: f)
        w.buffer.writeTaggedFields(flexible: f)
    }
}
