// Metadata (API key 3), versions 0-8. Flexible from v9.
// Field layouts: docs/kafka-wire-protocol.md §4 and Kafka's MetadataRequest/Response.json schemas.
import NIOCore

public struct MetadataRequest: KafkaRequestBody {
    public static let apiKey: ApiKey = .metadata
    public struct Topic: Sendable, Hashable {
        /// The topic name. (versions 0+)
        public var name: String

        public init(name: String = "") {
            self.name = name
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            name = try b.readStr(flexible: f)
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeStr(name, flexible: f)
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Topics to describe. v0: empty = all; v1+: null = all, empty = none. (versions 0+)
    public var topics: [Topic]?
    /// Whether the broker may auto-create the topics (v0-3 always allow). (versions 4+)
    public var allowAutoTopicCreation: Bool
    /// Whether to include cluster authorized operations. (versions 8+)
    public var includeClusterAuthorizedOperations: Bool
    /// Whether to include topic authorized operations. (versions 8+)
    public var includeTopicAuthorizedOperations: Bool

    public init(topics: [Topic]? = nil, allowAutoTopicCreation: Bool = true, includeClusterAuthorizedOperations: Bool = false, includeTopicAuthorizedOperations: Bool = false) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        topics = try b.readNullableArray(flexible: f, allowNull: v >= 1) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        if v >= 4 { allowAutoTopicCreation = try b.readBool() }
        if v >= 8 { includeClusterAuthorizedOperations = try b.readBool() }
        if v >= 8 { includeTopicAuthorizedOperations = try b.readBool() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        w.writeNullableArray(topics, flexible: f, allowNull: v >= 1) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 4 { w.buffer.writeBool(allowAutoTopicCreation) }
        if v >= 8 { w.buffer.writeBool(includeClusterAuthorizedOperations) }
        if v >= 8 { w.buffer.writeBool(includeTopicAuthorizedOperations) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}

public struct MetadataResponse: KafkaResponseBody {
    public static let apiKey: ApiKey = .metadata
    public struct Broker: Sendable, Hashable {
        /// The broker ID. (versions 0+)
        public var nodeId: Int32
        /// The advertised host name. (versions 0+)
        public var host: String
        /// The advertised port. (versions 0+)
        public var port: Int32
        /// The rack, or null. (versions 1+)
        public var rack: String?

        public init(nodeId: Int32 = 0, host: String = "", port: Int32 = 0, rack: String? = nil) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.rack = rack
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            nodeId = try b.readI32()
            host = try b.readStr(flexible: f)
            port = try b.readI32()
            if v >= 1 { rack = try b.readNullableStr(flexible: f) }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeI32(nodeId)
            w.buffer.writeStr(host, flexible: f)
            w.buffer.writeI32(port)
            if v >= 1 { w.buffer.writeNullableStr(rack, flexible: f) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    public struct Topic: Sendable, Hashable {
        public struct Partition: Sendable, Hashable {
            /// The partition error code, or 0. (versions 0+)
            public var errorCode: KafkaErrorCode
            /// The partition index. (versions 0+)
            public var partitionIndex: Int32
            /// The leader's broker ID. (versions 0+)
            public var leaderId: Int32
            /// The leader epoch. (versions 7+)
            public var leaderEpoch: Int32
            /// The replica broker IDs. (versions 0+)
            public var replicaNodes: [Int32]
            /// The in-sync replica broker IDs. (versions 0+)
            public var isrNodes: [Int32]
            /// The offline replica broker IDs. (versions 5+)
            public var offlineReplicas: [Int32]

            public init(errorCode: KafkaErrorCode = .none, partitionIndex: Int32 = 0, leaderId: Int32 = 0, leaderEpoch: Int32 = -1, replicaNodes: [Int32] = [], isrNodes: [Int32] = [], offlineReplicas: [Int32] = []) {
                self.errorCode = errorCode
                self.partitionIndex = partitionIndex
                self.leaderId = leaderId
                self.leaderEpoch = leaderEpoch
                self.replicaNodes = replicaNodes
                self.isrNodes = isrNodes
                self.offlineReplicas = offlineReplicas
            }

            init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
                self.init()
                errorCode = try b.readErrorCode()
                partitionIndex = try b.readI32()
                leaderId = try b.readI32()
                if v >= 7 { leaderEpoch = try b.readI32() }
                replicaNodes = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }
                isrNodes = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() }
                if v >= 5 { offlineReplicas = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try e.readI32() } }
                try b.readTaggedFields(flexible: f)
            }

            func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
                w.buffer.writeErrorCode(errorCode)
                w.buffer.writeI32(partitionIndex)
                w.buffer.writeI32(leaderId)
                if v >= 7 { w.buffer.writeI32(leaderEpoch) }
                w.writeArray(replicaNodes, flexible: f) { $0.buffer.writeI32($1) }
                w.writeArray(isrNodes, flexible: f) { $0.buffer.writeI32($1) }
                if v >= 5 { w.writeArray(offlineReplicas, flexible: f) { $0.buffer.writeI32($1) } }
                w.buffer.writeTaggedFields(flexible: f)
            }
        }

        /// The topic error code, or 0. (versions 0+)
        public var errorCode: KafkaErrorCode
        /// The topic name. (versions 0+)
        public var name: String
        /// Whether the topic is internal. (versions 1+)
        public var isInternal: Bool
        /// Each partition. (versions 0+)
        public var partitions: [Partition]
        /// Topic authorized operations bit field (Int32.min = not requested). (versions 8+)
        public var topicAuthorizedOperations: Int32

        public init(errorCode: KafkaErrorCode = .none, name: String = "", isInternal: Bool = false, partitions: [Partition] = [], topicAuthorizedOperations: Int32 = Int32.min) {
            self.errorCode = errorCode
            self.name = name
            self.isInternal = isInternal
            self.partitions = partitions
            self.topicAuthorizedOperations = topicAuthorizedOperations
        }

        init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
            self.init()
            errorCode = try b.readErrorCode()
            name = try b.readStr(flexible: f)
            if v >= 1 { isInternal = try b.readBool() }
            partitions = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Partition(from: &e, version: v, flexible: f) }
            if v >= 8 { topicAuthorizedOperations = try b.readI32() }
            try b.readTaggedFields(flexible: f)
        }

        func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
            w.buffer.writeErrorCode(errorCode)
            w.buffer.writeStr(name, flexible: f)
            if v >= 1 { w.buffer.writeBool(isInternal) }
            w.writeArray(partitions, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
            if v >= 8 { w.buffer.writeI32(topicAuthorizedOperations) }
            w.buffer.writeTaggedFields(flexible: f)
        }
    }

    /// Throttle time in milliseconds (always 0). (versions 3+)
    public var throttleTimeMs: Int32
    /// Each broker (with its advertised address). (versions 0+)
    public var brokers: [Broker]
    /// The cluster ID, or null. (versions 2+)
    public var clusterId: String?
    /// The controller's broker ID (must be a listed node). (versions 1+)
    public var controllerId: Int32
    /// Each topic. (versions 0+)
    public var topics: [Topic]
    /// Cluster authorized operations bit field (Int32.min = not requested). (versions 8+)
    public var clusterAuthorizedOperations: Int32

    public init(throttleTimeMs: Int32 = 0, brokers: [Broker] = [], clusterId: String? = nil, controllerId: Int32 = -1, topics: [Topic] = [], clusterAuthorizedOperations: Int32 = Int32.min) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    public init(from b: inout ByteBuffer, version: Int16) throws(ProtocolDecodingError) {
        try self.init(from: &b, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    public func encode(to w: inout KafkaWriter, version: Int16) {
        encode(to: &w, version: version, flexible: Self.apiKey.isFlexible(version: version))
    }

    init(from b: inout ByteBuffer, version v: Int16, flexible f: Bool) throws(ProtocolDecodingError) {
        self.init()
        if v >= 3 { throttleTimeMs = try b.readI32() }
        brokers = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Broker(from: &e, version: v, flexible: f) }
        if v >= 2 { clusterId = try b.readNullableStr(flexible: f) }
        if v >= 1 { controllerId = try b.readI32() }
        topics = try b.readArray(flexible: f) { (e: inout ByteBuffer) throws(ProtocolDecodingError) in try Topic(from: &e, version: v, flexible: f) }
        if v >= 8 { clusterAuthorizedOperations = try b.readI32() }
        try b.readTaggedFields(flexible: f)
    }

    func encode(to w: inout KafkaWriter, version v: Int16, flexible f: Bool) {
        if v >= 3 { w.buffer.writeI32(throttleTimeMs) }
        w.writeArray(brokers, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 2 { w.buffer.writeNullableStr(clusterId, flexible: f) }
        if v >= 1 { w.buffer.writeI32(controllerId) }
        w.writeArray(topics, flexible: f) { $1.encode(to: &$0, version: v, flexible: f) }
        if v >= 8 { w.buffer.writeI32(clusterAuthorizedOperations) }
        w.buffer.writeTaggedFields(flexible: f)
    }
}
