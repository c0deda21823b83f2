// IncrementalAlterConfigs (API key 44), versions 0-0. Flexible from v1.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's IncrementalAlterConfigsRequest/Response.json schemas.
import NIOCore

public struct IncrementalAlterConfigsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .incrementalAlterConfigs
    public struct Resource: Sendable, Hashable {
        public struct Config: Sendable, Hashable {
            /// The config name. (versions 0+)
            public var name: String
            /// 0 set, 1 delete, 2 append, 3 subtract. (versions 0+)
            public var configOperation: Int8
            /// The config value. (versions 0+)
            public var value: String?

            public init(name: String = "", configOperation: Int8 = 0, value: String? = nil) {
                self.name = name
                self.configOperation = configOperation
                self.value = value
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                name = try b.readStr(flexible: f)
                configOperation = try b.readI8()
                value = try b.readNullableStr(flexible: f)
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeStr(name, flexible: f)
                w.buffer.writeI8(configOperation)
                w.buffer.writeNullableStr(value, flexible: f)
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The resource type. (versions 0+)
        public var resourceType: Int8
        /// The resource name. (versions 0+)
        public var resourceName: String
        /// The config changes. (versions 0+)
        public var configs: [Config]

        public init(resourceType: Int8 = 0, resourceName: String = "", configs: [Config] = []) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            resourceType = try b.readI8()
            resourceName = try b.readStr(flexible: f)
            configs = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Config(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeI8(resourceType)
            w.buffer.writeStr(resourceName, flexible: f)
            w.writeArray(configs, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The resources to update. (versions 0+)
    public var resources: [Resource]
    /// Validate without altering. (versions 0+)
    public var validateOnly: Bool

    public init(resources: [Resource] = [], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        resources = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Resource(from: &e, version: v, flexible: f) }
        validateOnly = try b.readBool()
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(resources, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeBool(validateOnly)
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct IncrementalAlterConfigsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .incrementalAlterConfigs
    public struct Result: Sendable, Hashable {
        /// The error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode
        /// The error message, or null. (versions 0+)
        public var errorMessage: String?
        /// The resource type. (versions 0+)
        public var resourceType: Int8
        /// The resource name. (versions 0+)
        public var resourceName: String

        public init(errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, resourceType: Int8 = 0, resourceName: String = "") {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            errorCode = try b.readErrorCode()
            errorMessage = try b.readNullableStr(flexible: f)
            resourceType = try b.readI8()
            resourceName = try b.readStr(flexible: f)
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeErrorCode(errorCode)
            w.buffer.writeNullableStr(errorMessage, flexible: f)
            w.buffer.writeI8(resourceType)
            w.buffer.writeStr(resourceName, flexible: f)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 0+)
    public var throttleTimeMs: Int32
    /// Per-resource results. (versions 0+)
    public var responses: [Result]

    public init(throttleTimeMs: Int32 = 0, responses: [Result] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
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
        responses = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Result(from: &e, version: v, flexible: f) }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.buffer.writeI32(throttleTimeMs)
        w.writeArray(responses, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
