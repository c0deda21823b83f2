// DescribeGroups (API key 15), versions 0-4. Flexible from v5.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's DescribeGroupsRequest/Response.json schemas.
import NIOCore

public struct DescribeGroupsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .describeGroups
    /// The group IDs to describe. (versions 0+)
    public var groups: [String]
    /// Whether to include authorized operations. (versions 3+)
    public var includeAuthorizedOperations: Bool

    public init(groups: [String] = [], includeAuthorizedOperations: Bool = false) {
        self.groups = groups
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        groups = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readStr(flexible: f) }
        if v >= 3 { includeAuthorizedOperations = try b.readBool() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(groups, flexible: f) { $0.buffer.writeStr($1, flexible: f) }
        if v >= 3 { w.buffer.writeBool(includeAuthorizedOperations) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct DescribeGroupsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .describeGroups
    public struct Group: Sendable, Hashable {
        public struct Member: Sendable, Hashable {
            /// The member ID. (versions 0+)
            public var memberId: String
            /// The static member instance ID, or null. (versions 4+)
            public var groupInstanceId: String?
            /// The client ID. (versions 0+)
            public var clientId: String
            /// The client host. (versions 0+)
            public var clientHost: String
            /// The member metadata. (versions 0+)
            public var memberMetadata: ByteBuffer
            /// The member assignment. (versions 0+)
            public var memberAssignment: ByteBuffer

            public init(memberId: String = "", groupInstanceId: String? = nil, clientId: String = "", clientHost: String = "", memberMetadata: ByteBuffer = ByteBuffer(), memberAssignment: ByteBuffer = ByteBuffer()) {
                self.memberId = memberId
                self.groupInstanceId = groupInstanceId
                self.clientId = clientId
                self.clientHost = clientHost
                self.memberMetadata = memberMetadata
                self.memberAssignment = memberAssignment
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                memberId = try b.readStr(flexible: f)
                if v >= 4 { groupInstanceId = try b.readNullableStr(flexible: f) }
                clientId = try b.readStr(flexible: f)
                clientHost = try b.readStr(flexible: f)
                memberMetadata = try b.readBytesField(flexible: f)
                memberAssignment = try b.readBytesField(flexible: f)
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeStr(memberId, flexible: f)
                if v >= 4 { w.buffer.writeNullableStr(groupInstanceId, flexible: f) }
                w.buffer.writeStr(clientId, flexible: f)
                w.buffer.writeStr(clientHost, flexible: f)
                w.buffer.writeBytesField(memberMetadata, flexible: f)
                w.buffer.writeBytesField(memberAssignment, flexible: f)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode
        /// The group ID. (versions 0+)
        public var groupId: String
        /// The group state (Stable, PreparingRebalance, CompletingRebalance, Empty, Dead). (versions 0+)
        public var groupState: String
        /// The protocol class. (versions 0+)
        public var protocolType: String
        /// The chosen protocol (assignor). (versions 0+)
        public var protocolData: String
        /// The members. (versions 0+)
        public var members: [Member]
        /// Authorized operations bit field. (versions 3+)
        public var authorizedOperations: Int32

        public init(errorCode: KafkaErrorCode = .none, groupId: String = "", groupState: String = "", protocolType: String = "", protocolData: String = "", members: [Member] = [], authorizedOperations: Int32 = Int32.min) {
            self.errorCode = errorCode
            self.groupId = groupId
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
            self.authorizedOperations = authorizedOperations
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            errorCode = try b.readErrorCode()
            groupId = try b.readStr(flexible: f)
            groupState = try b.readStr(flexible: f)
            protocolType = try b.readStr(flexible: f)
            protocolData = try b.readStr(flexible: f)
            members = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Member(from: &e, version: v, flexible: f) }
            if v >= 3 { authorizedOperations = try b.readI32() }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeErrorCode(errorCode)
            w.buffer.writeStr(groupId, flexible: f)
            w.buffer.writeStr(groupState, flexible: f)
            w.buffer.writeStr(protocolType, flexible: f)
            w.buffer.writeStr(protocolData, flexible: f)
            w.writeArray(members, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            if v >= 3 { w.buffer.writeI32(authorizedOperations) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32
    /// The groups. (versions 0+)
    public var groups: [Group]

    public init(throttleTimeMs: Int32 = 0, groups: [Group] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
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
        groups = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Group(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.writeArray(groups, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
