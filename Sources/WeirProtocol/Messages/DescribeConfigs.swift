// DescribeConfigs (API key 32), versions 1-2. Flexible from v4.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's DescribeConfigsRequest/Response.json schemas.
import NIOCore

public struct DescribeConfigsRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .describeConfigs
    public struct Resource: Sendable, Hashable {
        /// 2 topic, 4 broker. (versions 0+)
        public var resourceType: Int8
        /// The resource name. (versions 0+)
        public var resourceName: String
        /// The config keys, or null for all. (versions 0+)
        public var configurationKeys: [String]?

        public init(resourceType: Int8 = 0, resourceName: String = "", configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            resourceType = try b.readI8()
            resourceName = try b.readStr(flexible: f)
            configurationKeys = try b.readNullableArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readStr(flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeI8(resourceType)
            w.buffer.writeStr(resourceName, flexible: f)
            w.writeNullableArray(configurationKeys, flexible: f) { $0.buffer.writeStr($1, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// The resources to describe. (versions 0+)
    public var resources: [Resource]
    /// Whether to include synonyms. (versions 1+)
    public var includeSynonyms: Bool

    public init(resources: [Resource] = [], includeSynonyms: Bool = false) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
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
        if v >= 1 { includeSynonyms = try b.readBool() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeArray(resources, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 1 { w.buffer.writeBool(includeSynonyms) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct DescribeConfigsResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .describeConfigs
    public struct Result: Sendable, Hashable {
        public struct Config: Sendable, Hashable {
            public struct Synonym: Sendable, Hashable {
                /// The synonym name. (versions 0+)
                public var name: String
                /// The synonym value. (versions 0+)
                public var value: String?
                /// The synonym source. (versions 0+)
                public var source: Int8

                public init(name: String = "", value: String? = nil, source: Int8 = 0) {
                    self.name = name
                    self.value = value
                    self.source = source
                }

                init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                    self.init()
                    name = try b.readStr(flexible: f)
                    value = try b.readNullableStr(flexible: f)
                    source = try b.readI8()
                    try b.readTaggedFields(flexible: f)
                }

                func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                    w.buffer.writeStr(name, flexible: f)
                    w.buffer.writeNullableStr(value, flexible: f)
                    w.buffer.writeI8(source)
                    w.buffer.writeTaggedFields(flexible: f)
                }
            }

            /// The config name. (versions 0+)
            public var name: String
            /// The config value, or null. (versions 0+)
            public var value: String?
            /// Whether the config is read-only. (versions 0+)
            public var readOnly: Bool
            /// 1 topic, 4 static broker, 5 default. (versions 1+)
            public var configSource: Int8
            /// Whether the config is sensitive. (versions 0+)
            public var isSensitive: Bool
            /// The config synonyms. (versions 1+)
            public var synonyms: [Synonym]

            public init(name: String = "", value: String? = nil, readOnly: Bool = false, configSource: Int8 = -1, isSensitive: Bool = false, synonyms: [Synonym] = []) {
                self.name = name
                self.value = value
                self.readOnly = readOnly
                self.configSource = configSource
                self.isSensitive = isSensitive
                self.synonyms = synonyms
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                name = try b.readStr(flexible: f)
                value = try b.readNullableStr(flexible: f)
                readOnly = try b.readBool()
                if v >= 1 { configSource = try b.readI8() }
                isSensitive = try b.readBool()
                if v >= 1 { synonyms = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Synonym(from: &e, version: v, flexible: f) } }
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeStr(name, flexible: f)
                w.buffer.writeNullableStr(value, flexible: f)
                w.buffer.writeBool(readOnly)
                if v >= 1 { w.buffer.writeI8(configSource) }
                w.buffer.writeBool(isSensitive)
                if v >= 1 { w.writeArray(synonyms, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) } }
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode
        /// The error message, or null. (versions 0+)
        public var errorMessage: String?
        /// The resource type. (versions 0+)
        public var resourceType: Int8
        /// The resource name. (versions 0+)
        public var resourceName: String
        /// The configs. (versions 0+)
        public var configs: [Config]

        public init(errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, resourceType: Int8 = 0, resourceName: String = "", configs: [Config] = []) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            errorCode = try b.readErrorCode()
            errorMessage = try b.readNullableStr(flexible: f)
            resourceType = try b.readI8()
            resourceName = try b.readStr(flexible: f)
            configs = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Config(from: &e, version: v, flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeErrorCode(errorCode)
            w.buffer.writeNullableStr(errorMessage, flexible: f)
            w.buffer.writeI8(resourceType)
            w.buffer.writeStr(resourceName, flexible: f)
            w.writeArray(configs, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 0+)
    public var throttleTimeMs: Int32
    /// Per-resource results. (versions 0+)
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
