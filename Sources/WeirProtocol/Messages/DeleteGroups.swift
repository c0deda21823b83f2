// DeleteGroups (API key 42), versions 0-1. Flexible from v2.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's DeleteGroupsRequest/Response.json schemas.
import NIOCore

public struct DeleteGroupsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .deleteGroups
    /// The groups to delete. (versions 0+)
    public var groupsNames: [String]

    public init(groupsNames: [String] = []) {
        self.groupsNames = groupsNames
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        groupsNames = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readStr(flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(groupsNames, flexible: f) { $0.buffer.writeStr($1, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct DeleteGroupsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .deleteGroups
    public struct Result: Sendable, Hashable {
        /// The group ID. (versions 0+)
        public var groupId: String
        /// The error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode

        public init(groupId: String = "", errorCode: KafkaErrorCode = .none) {
            self.groupId = groupId
            self.errorCode = errorCode
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            groupId = try b.readStr(flexible: f)
            errorCode = try b.readErrorCode()
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(groupId, flexible: f)
            w.buffer.writeErrorCode(errorCode)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 0+)
    public var throttleTimeMs: Int32
    /// Per-group results. (versions 0+)
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
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
        results = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Result(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeI32(throttleTimeMs)
        w.writeArray(results, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
