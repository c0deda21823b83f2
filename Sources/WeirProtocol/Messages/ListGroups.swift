// ListGroups (API key 16), versions 0-2. Flexible from v3.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's ListGroupsRequest/Response.json schemas.
import NIOCore

public struct ListGroupsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .listGroups

    public init() {}

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct ListGroupsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .listGroups
    public struct Group: Sendable, Hashable {
        /// The group ID. (versions 0+)
        public var groupId: String
        /// The protocol class. (versions 0+)
        public var protocolType: String

        public init(groupId: String = "", protocolType: String = "") {
            self.groupId = groupId
            self.protocolType = protocolType
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            groupId = try b.readStr(flexible: f)
            protocolType = try b.readStr(flexible: f)
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(groupId, flexible: f)
            w.buffer.writeStr(protocolType, flexible: f)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32
    /// The error code, or 0. (versions 0+)
    public var errorCode: KafkaErrorCode
    /// The groups. (versions 0+)
    public var groups: [Group]

    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, groups: [Group] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
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
        errorCode = try b.readErrorCode()
        groups = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Group(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.buffer.writeErrorCode(errorCode)
        w.writeArray(groups, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
