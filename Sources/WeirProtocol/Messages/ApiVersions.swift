// ApiVersions (API key 18), versions 0-3. Flexible from v3.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's ApiVersionsRequest/Response.json schemas.
import NIOCore

public struct ApiVersionsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .apiVersions
    /// The client software name. (versions 3+)
    public var clientSoftwareName: String
    /// The client software version. (versions 3+)
    public var clientSoftwareVersion: String

    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "") {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        if v >= 3 { clientSoftwareName = try b.readStr(flexible: f) }
        if v >= 3 { clientSoftwareVersion = try b.readStr(flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 3 { w.buffer.writeStr(clientSoftwareName, flexible: f) }
        if v >= 3 { w.buffer.writeStr(clientSoftwareVersion, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct ApiVersionsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .apiVersions
    public struct ApiVersion: Sendable, Hashable {
        /// The API key. (versions 0+)
        public var apiKey: Int16
        /// The minimum supported version. (versions 0+)
        public var minVersion: Int16
        /// The maximum supported version. (versions 0+)
        public var maxVersion: Int16

        public init(apiKey: Int16 = 0, minVersion: Int16 = 0, maxVersion: Int16 = 0) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            apiKey = try b.readI16()
            minVersion = try b.readI16()
            maxVersion = try b.readI16()
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeI16(apiKey)
            w.buffer.writeI16(minVersion)
            w.buffer.writeI16(maxVersion)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The error code, or 0. (versions 0+)
    public var errorCode: KafkaErrorCode
    /// The supported APIs. (versions 0+)
    public var apiKeys: [ApiVersion]
    /// Throttle time in milliseconds (always 0). (versions 1+)
    public var throttleTimeMs: Int32

    public init(errorCode: KafkaErrorCode = .none, apiKeys: [ApiVersion] = [], throttleTimeMs: Int32 = 0) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        errorCode = try b.readErrorCode()
        apiKeys = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try ApiVersion(from: &e, version: v, flexible: f) }
        if v >= 1 { throttleTimeMs = try b.readI32() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeErrorCode(errorCode)
        w.writeArray(apiKeys, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 1 { w.buffer.writeI32(throttleTimeMs) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
