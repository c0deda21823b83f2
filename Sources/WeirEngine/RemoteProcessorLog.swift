import NIOCore
import WeirClient
import WeirProtocol
import WeirRecords
import WeirStreams

/// Any Kafka cluster as the processors' log (`weir process`): committed reads with Fetch (up to the high
/// watermark, read_committed for a cluster without transactions), appends through an idempotent producer with
/// acks=all (a retried write is stored once), and the input positions committed as consumer-group offsets, so
/// Kafka tools show each processor's lag. Exactly-once does not rest on the producer or the committed offsets:
/// recovery starts from the state snapshot and finds the answered inputs in the outputs' provenance headers.
public struct RemoteProcessorLog: ProcessorLog {
    public let client: KafkaClient
    public let producer: IdempotentProducer
    /// Positions are committed for group "<groupPrefix>.<processor name>".
    public let groupPrefix: String

    public init(client: KafkaClient, groupPrefix: String = "weir-process") {
        self.client = client
        self.producer = IdempotentProducer(client: client)
        self.groupPrefix = groupPrefix
    }

    /// Commits processed input positions (`ProcessorHost.positions()`: "processor|topic|partition" → next
    /// offset) as the offsets of one consumer group per processor (standalone commits, generation -1).
    public func commitPositions(_ positions: [String: Int64]) async throws {
        var byGroup: [String: [TopicPartition: Int64]] = [:]
        for (key, offset) in positions {
            let parts = key.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count >= 3, let partition = Int32(parts[parts.count - 1]) else { continue }
            let processor = parts.dropLast(2).joined(separator: "|")
            byGroup["\(groupPrefix).\(processor)", default: [:]][TopicPartition(String(parts[parts.count - 2]), partition)] = offset
        }
        for (group, offsets) in byGroup.sorted(by: { $0.key < $1.key }) {
            let coordinator = try await client.connection(to: try await client.findCoordinator(group: group))
            try await client.commitOffsets(group: group, generationId: -1, memberId: "", offsets: offsets, coordinator: coordinator)
        }
    }

    public func partitionCount(_ topic: String) async throws -> Int32? {
        let m = try await client.metadata(topics: [topic])
        guard let t = m.topic(topic), t.errorCode == .none else { return nil }
        return Int32(t.partitions.count)
    }

    public func ensureTopic(_ topic: String, partitions: Int32, configs: [(String, String)]) async throws -> Int32 {
        if let n = try await partitionCount(topic) { return n }
        do {
            try await client.createTopic(topic, partitions: partitions, configs: configs)
        } catch {
            guard error.code == .topicAlreadyExists else { throw error }
        }
        for _ in 0..<50 {
            if let n = try await partitionCount(topic) { return n }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw EngineError("topic \(topic) was created but does not show in the metadata")
    }

    public func read(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int) async throws -> LogRead {
        let fetched = try await client.fetch(topic: topic, offsets: [partition: offset], maxWaitMs: 0, partitionMaxBytes: Int32(clamping: maxBytes))
        guard let p = fetched.first else { throw EngineError("no fetch answer for \(topic)-\(partition)") }
        if p.errorCode == .offsetOutOfRange {
            let (start, end) = try await bounds(topic, partition)
            if offset < start { return LogRead(records: [], next: start, end: end) }
        }
        guard p.errorCode == .none else { throw EngineError("cannot read \(topic)-\(partition) at \(offset): \(p.errorCode)") }
        let records = p.records.filter { $0.offset < p.highWatermark }.map {
            InputRecord(topic: topic, partition: partition, offset: $0.offset, timestamp: $0.timestamp,
                        key: $0.key.map { Array($0.readableBytesView) }, value: $0.value.map { Array($0.readableBytesView) },
                        headers: $0.headers.map { ($0.key, $0.value.map { Array($0.readableBytesView) }) })
        }
        return LogRead(records: records, next: min(max(offset, p.nextOffset), p.highWatermark), end: p.highWatermark)
    }

    public func bounds(_ topic: String, _ partition: Int32) async throws -> (start: Int64, end: Int64) {
        let start = try await client.listOffsets(topic, partitions: [partition], timestamp: OffsetSpec.earliest)[partition] ?? 0
        let end = try await client.listOffsets(topic, partitions: [partition], timestamp: OffsetSpec.latest)[partition] ?? 0
        return (start, end)
    }

    public func append(_ batches: [OutputBatch]) async throws {
        for b in batches where !b.records.isEmpty {
            let records = b.records.map {
                ProducerRecord(key: $0.key.map { ByteBuffer(bytes: $0) }, value: $0.value.map { ByteBuffer(bytes: $0) },
                               headers: $0.headers.map { RecordHeader(key: $0.0, value: $0.1.map { ByteBuffer(bytes: $0) }) }, timestamp: $0.timestamp)
            }
            try await producer.produce(topic: b.topic, partition: b.partition, records: records)
        }
    }

    public func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], timeoutMs: Int) async {
        let offsets = positions.map { (TopicPartition($0.topic, $0.partition), $0.offset) }
        if (try? await client.fetch(offsets: offsets, maxWaitMs: Int32(clamping: timeoutMs), maxBytes: 1, partitionMaxBytes: 1)) == nil {
            try? await Task.sleep(for: .milliseconds(min(timeoutMs, 200)))
        }
    }
}
