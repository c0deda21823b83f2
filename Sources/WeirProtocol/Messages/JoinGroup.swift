// JoinGroup (API key 11), versions 0-5. Flexible from v6.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's JoinGroupRequest/Response.json schemas.
import NIOCore

public struct JoinGroupRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .joinGroup
    public struct JoinGroupProtocol: Sendable, Hashable {
        /// The protocol (assignor) name. (versions 0+)
        public var name: String
        /// The protocol metadata. (versions 0+)
        public var metadata: ByteBuffer

        public init(name: String = "", metadata: ByteBuffer = ByteBuffer()) {
            self.name = name
            self.metadata = metadata
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            metadata = try b.readBytesField(flexible: f)
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.buffer.writeBytesField(metadata, flexible: f)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The group ID. (versions 0+)
    public var groupId: String
    /// The session timeout in milliseconds. (versions 0+)
    public var sessionTimeoutMs: Int32
    /// The rebalance timeout (v0 uses the session timeout). (versions 1+)
    public var rebalanceTimeoutMs: Int32
    /// The member ID ("" on the first join). (versions 0+)
    public var memberId: String
    /// The static member instance ID, or null. (versions 5+)
    public var groupInstanceId: String?
    /// The protocol class ("consumer"). (versions 0+)
    public var protocolType: String
    /// The protocols the member supports. (versions 0+)
    public var protocols: [JoinGroupProtocol]

    public init(groupId: String = "", sessionTimeoutMs: Int32 = 0, rebalanceTimeoutMs: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil, protocolType: String = "", protocols: [JoinGroupProtocol] = []) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
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
        sessionTimeoutMs = try b.readI32()
        if v >= 1 { rebalanceTimeoutMs = try b.readI32() }
        memberId = try b.readStr(flexible: f)
        if v >= 5 { groupInstanceId = try b.readNullableStr(flexible: f) }
        protocolType = try b.readStr(flexible: f)
        protocols = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try JoinGroupProtocol(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeStr(groupId, flexible: f)
        w.buffer.writeI32(sessionTimeoutMs)
        if v >= 1 { w.buffer.writeI32(rebalanceTimeoutMs) }
        w.buffer.writeStr(memberId, flexible: f)
        if v >= 5 { w.buffer.writeNullableStr(groupInstanceId, flexible: f) }
        w.buffer.writeStr(protocolType, flexible: f)
        w.writeArray(protocols, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct JoinGroupResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .joinGroup
    public struct Member: Sendable, Hashable {
        /// The member ID. (versions 0+)
        public var memberId: String
        /// The static member instance ID, or null. (versions 5+)
        public var groupInstanceId: String?
        /// The member's protocol metadata. (versions 0+)
        public var metadata: ByteBuffer

        public init(memberId: String = "", groupInstanceId: String? = nil, metadata: ByteBuffer = ByteBuffer()) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            memberId = try b.readStr(flexible: f)
            if v >= 5 { groupInstanceId = try b.readNullableStr(flexible: f) }
            metadata = try b.readBytesField(flexible: f)
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(memberId, flexible: f)
            if v >= 5 { w.buffer.writeNullableStr(groupInstanceId, flexible: f) }
            w.buffer.writeBytesField(metadata, flexible: f)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 2+)
    public var throttleTimeMs: Int32
    /// The error code, or 0. (versions 0+)
    public var errorCode: KafkaErrorCode
    /// The generation ID. (versions 0+)
    public var generationId: Int32
    /// The chosen protocol. (versions 0+)
    public var protocolName: String
    /// The leader's member ID. (versions 0+)
    public var leader: String
    /// The member ID assigned to this member. (versions 0+)
    public var memberId: String
    /// The members (for the leader only). (versions 0+)
    public var members: [Member]

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, generationId: Int32 = -1, protocolName: String = "", leader: String = "", memberId: String = "", members: [Member] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolName = protocolName
        self.leader = leader
        self.memberId = memberId
        self.members = members
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
        errorCode = try b.readErrorCode()
        generationId = try b.readI32()
        protocolName = try b.readStr(flexible: f)
        leader = try b.readStr(flexible: f)
        memberId = try b.readStr(flexible: f)
        members = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Member(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 2 { w.buffer.writeI32(throttleTimeMs) }
        w.buffer.writeErrorCode(errorCode)
        w.buffer.writeI32(generationId)
        w.buffer.writeStr(protocolName, flexible: f)
        w.buffer.writeStr(leader, flexible: f)
        w.buffer.writeStr(memberId, flexible: f)
        w.writeArray(members, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
