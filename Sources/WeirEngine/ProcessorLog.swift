import NIOCore
import WeirRecords
import WeirStreams

/// One input's outputs to one output partition: appended as one record batch.
public struct OutputBatch: Sendable {
    public var topic: String
    public var partition: Int32
    public var records: [OutputRecord]
    public init(topic: String, partition: Int32, records: [OutputRecord]) {
        self.topic = topic
        self.partition = partition
        self.records = records
    }
}

/// Committed records of one partition read from an offset.
public struct LogRead: Sendable {
    public var records: [InputRecord]
    /// The next offset to read (past the last record, or past offsets holding no record).
    public var next: Int64
    /// The high watermark when read.
    public var end: Int64
}

public struct EngineError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a processor host needs from a log: the same host code runs inside the broker (`BrokerProcessorLog`,
/// no network hop) and as a standalone process against any Kafka cluster (`RemoteProcessorLog`).
public protocol ProcessorLog: Sendable {
    /// Partition count of `topic`, nil when it does not exist.
    func partitionCount(_ topic: String) async throws -> Int32?
    /// Creates `topic` with `configs` (Kafka topic configs) unless it exists; returns its partition count.
    @discardableResult
    func ensureTopic(_ topic: String, partitions: Int32, configs: [(String, String)]) async throws -> Int32
    /// Committed records (below the high watermark) from `offset`, at most about `maxBytes`.
    func read(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int) async throws -> LogRead
    /// First retained offset and high watermark.
    func bounds(_ topic: String, _ partition: Int32) async throws -> (start: Int64, end: Int64)
    /// Appends every batch, in order, each as one record batch; returns once all are durable (acknowledged).
    func append(_ batches: [OutputBatch]) async throws
    /// Returns when any partition has committed data at or past its offset, or after `timeoutMs`.
    func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], timeoutMs: Int) async
}

extension ProcessorLog {
    /// Every committed record of a partition in `[from, to)`.
    func readAll(_ topic: String, _ partition: Int32, from: Int64, to: Int64? = nil) async throws -> [InputRecord] {
        var out: [InputRecord] = []
        let (start, end) = try await bounds(topic, partition)
        let limit = min(to ?? end, end)
        var next = max(from, start)
        var guardCount = 0
        while next < limit {
            let r = try await read(topic, partition, from: next, maxBytes: 4 << 20)
            guardCount += 1
            if r.next <= next || guardCount > 1_000_000 { break }
            out += r.records.lazy.filter { $0.offset < limit }
            next = r.next
        }
        return out
    }

    /// The last input offset of `inputTopic`-`inputPartition` answered in `topic`-`partition` (newest first).
    func lastAnswered(in topic: String, _ partition: Int32, inputTopic: String, inputPartition: Int32) async throws -> Int64? {
        let (start, end) = try await bounds(topic, partition)
        var upper = end
        var window: Int64 = 256
        while upper > start {
            let lower = max(start, upper - window)
            let records = try await readAll(topic, partition, from: lower, to: upper)
            if let found = Provenance.lastAnsweredOffset(inputTopic: inputTopic, inputPartition: inputPartition,
                                                         newestFirst: records.reversed().lazy.map(\.headers)) {
                return found
            }
            upper = lower
            window = min(window * 4, 1 << 16)
        }
        return nil
    }
}

/// Decodes whole record batches into input records at or after `from`; control batches are skipped.
func decodeBatches(_ bytes: ByteBuffer, topic: String, partition: Int32, from: Int64) throws -> (records: [InputRecord], next: Int64) {
    var scanner = RecordBatchScanner(bytes)
    var out: [InputRecord] = []
    var next = from
    while let (index, header) = scanner.next() {
        guard let slice = bytes.getSlice(at: index, length: header.totalSize) else { break }
        next = max(next, header.nextOffset)
        if header.attributes.isControl { continue }
        var it = try RecordBatch(unchecked: slice, header: header).records()
        while let record = try it.next() {
            let offset = it.offset(of: record)
            guard offset >= from else { continue }
            out.append(InputRecord(topic: topic, partition: partition, record: record, baseOffset: it.baseOffset, baseTimestamp: it.baseTimestamp))
        }
    }
    if let reason = scanner.stopReason, reason.kind != .truncated {
        throw EngineError("bad record batch in \(topic)-\(partition) after offset \(next): \(reason)")
    }
    return (out, next)
}

/// Builds the record batch of one output batch.
func buildBatch(_ records: [OutputRecord]) throws -> RecordBatch {
    var builder = RecordBatchBuilder()
    for r in records { r.append(to: &builder) }
    return try builder.build()
}
