#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import WeirProtocol
import WeirRecords

/// The cluster as a Metadata answer describes it.
public struct ClusterMetadata: Sendable {
    public var brokers: [Int32: BrokerAddress]
    public var controllerId: Int32
    public var clusterId: String?
    public var topics: [TopicMetadata]

    public func topic(_ name: String) -> TopicMetadata? { topics.first { $0.name == name } }
}

public struct TopicMetadata: Sendable {
    public var name: String
    public var errorCode: KafkaErrorCode
    public var isInternal: Bool
    /// Sorted by partition index.
    public var partitions: [PartitionMetadata]
}

public struct PartitionMetadata: Sendable {
    public var partition: Int32
    public var errorCode: KafkaErrorCode
    public var leader: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
}

/// One topic config as DescribeConfigs reports it.
public struct ConfigEntry: Sendable, Hashable {
    public var name: String
    public var value: String?
    public var readOnly: Bool
    /// Kafka's ConfigSource: 1 topic, 4 static broker, 5 default, …
    public var source: Int8
    public var isSensitive: Bool

    /// "topic", "default", "broker" … for display.
    public var sourceName: String {
        switch source {
        case 1: "topic"
        case 2: "dynamic-broker"
        case 3: "dynamic-default-broker"
        case 4: "static-broker"
        case 5: "default"
        case 6: "dynamic-broker-logger"
        default: "unknown"
        }
    }
}

/// A record to produce. `timestamp` nil means "now".
public struct ProducerRecord: Sendable, Hashable {
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    public var timestamp: Int64?

    public init(key: ByteBuffer? = nil, value: ByteBuffer?, headers: [RecordHeader] = [], timestamp: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    public init(key: String?, value: String?, headers: [(String, String?)] = [], timestamp: Int64? = nil) {
        self.init(
            key: key.map { ByteBuffer(string: $0) }, value: value.map { ByteBuffer(string: $0) },
            headers: headers.map { RecordHeader(key: $0.0, value: $0.1.map { ByteBuffer(string: $0) }) }, timestamp: timestamp)
    }
}

/// A consumed record.
public struct ConsumerRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]

    /// The key as UTF-8 text (invalid sequences repaired), nil for a null key.
    public var keyString: String? { key.map { String(decoding: $0.readableBytesView, as: UTF8.self) } }
    /// The value as UTF-8 text, nil for a null value.
    public var valueString: String? { value.map { String(decoding: $0.readableBytesView, as: UTF8.self) } }
}

/// What one Fetch returned for one partition.
public struct FetchedPartition: Sendable {
    public var topic: String
    public var partition: Int32
    public var errorCode: KafkaErrorCode
    public var highWatermark: Int64
    public var logStartOffset: Int64
    /// Records at or after the fetch offset, in offset order (control batches skipped).
    public var records: [ConsumerRecord]
    /// Where the next fetch of this partition starts: after the last whole batch returned, or the fetch
    /// offset again when nothing came back.
    public var nextOffset: Int64
}

/// A topic and partition.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }

    public var description: String { "\(topic)-\(partition)" }
}

/// Special ListOffsets timestamps.
public enum OffsetSpec {
    /// The log start offset.
    public static let earliest: Int64 = -2
    /// The high watermark.
    public static let latest: Int64 = -1
}

enum WallClock {
    /// Milliseconds since the Unix epoch.
    static func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
