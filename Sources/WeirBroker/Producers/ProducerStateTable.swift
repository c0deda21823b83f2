import NIOCore
import WeirProtocol
import WeirRecords
import WeirStorage

/// Idempotent-producer state of one partition: per producer id, the epoch and the last five batches'
/// sequence ranges with their offsets (Kafka keeps five, matching max.in.flight ≤ 5).
struct ProducerStateTable: Sendable {
    struct BatchRecord: Sendable, Hashable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
    }
    struct Entry: Sendable {
        var epoch: Int16
        var recent: [BatchRecord] = []  // oldest first, at most `retainedBatches`
    }
    static let retainedBatches = 5

    private(set) var producers: [Int64: Entry] = [:]

    init() {}

    /// Rebuilds the table by reading every batch header of `log` (the log is the only source of truth).
    init(rebuiltFrom log: PartitionLog) throws(StorageError) {
        var offset = log.logStartOffset
        let end = log.logEndOffset
        while offset < end {
            let chunk = try log.read(from: offset, maxBytes: 4 << 20)
            var scanner = RecordBatchScanner(chunk, verifyCRC: false)
            var advanced = false
            while let (_, header) = scanner.next() {
                if header.isIdempotent { record(header, baseOffset: header.baseOffset) }
                offset = header.nextOffset
                advanced = true
            }
            if !advanced { break }  // nothing readable from here (compaction gap at the end)
        }
    }

    enum Verdict: Sendable, Equatable {
        case append
        case duplicate(baseOffset: Int64)
        case reject(KafkaErrorCode, String)
    }

    /// Decides what to do with an idempotent batch, as Kafka's ProducerStateManager does.
    func check(_ header: RecordBatchHeader) -> Verdict {
        let first = header.baseSequence
        let last = header.lastSequence
        guard first >= 0 else { return .reject(.invalidRecord, "idempotent batch without a base sequence") }
        guard let entry = producers[header.producerId] else {
            // A producer we have no state for must start at sequence 0.
            return first == 0 ? .append : .reject(.outOfOrderSequenceNumber, "producer \(header.producerId) unknown here: first sequence \(first), expected 0")
        }
        if header.producerEpoch < entry.epoch {
            return .reject(.invalidProducerEpoch, "producer \(header.producerId) epoch \(header.producerEpoch) is older than \(entry.epoch)")
        }
        if header.producerEpoch > entry.epoch {
            return first == 0 ? .append : .reject(.outOfOrderSequenceNumber, "new epoch \(header.producerEpoch) must start at sequence 0, got \(first)")
        }
        if let seen = entry.recent.first(where: { $0.firstSequence == first && $0.lastSequence == last }) {
            return .duplicate(baseOffset: seen.baseOffset)
        }
        let expected = entry.recent.last.map { $0.lastSequence == Int32.max ? 0 : $0.lastSequence + 1 } ?? 0
        guard first == expected else {
            return .reject(.outOfOrderSequenceNumber, "producer \(header.producerId) sent sequence \(first), expected \(expected)")
        }
        return .append
    }

    /// Remembers an appended batch.
    mutating func record(_ header: RecordBatchHeader, baseOffset: Int64) {
        var entry = producers[header.producerId] ?? Entry(epoch: header.producerEpoch)
        if header.producerEpoch != entry.epoch {
            entry = Entry(epoch: header.producerEpoch)
        }
        entry.recent.append(BatchRecord(firstSequence: header.baseSequence, lastSequence: header.lastSequence, baseOffset: baseOffset))
        if entry.recent.count > Self.retainedBatches { entry.recent.removeFirst(entry.recent.count - Self.retainedBatches) }
        producers[header.producerId] = entry
    }
}
