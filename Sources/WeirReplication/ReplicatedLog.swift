import NIOCore
import WeirRecords
import WeirStorage

/// The log operations replication needs; `PartitionLog` satisfies it as it is. All calls are quick
/// (page-cache writes and reads); the only slow operation, fsync, is requested through
/// `ReplicationAction.sync` and reported back with `ReplicationNode.syncCompleted`.
public protocol ReplicatedLog: AnyObject {
    var logStartOffset: Int64 { get }
    var logEndOffset: Int64 { get }
    /// The end of what fsync has covered.
    var durableOffset: Int64 { get }
    /// Appends at the log end offset, stamping `baseOffset` and `leaderEpoch` into the batch header.
    func append(_ batch: RecordBatch, leaderEpoch: Int32) throws(StorageError) -> PartitionLog.AppendInfo
    /// Whole batches from the one holding `offset`, at most `maxBytes` (the first batch always whole).
    func read(from offset: Int64, maxBytes: Int, upTo: Int64?) throws(StorageError) -> ByteBuffer
    /// Replica: appends a batch of the primary byte for byte, keeping its base offset (≥ the log end
    /// offset: compaction on the primary leaves gaps) and leader epoch.
    func appendAsFollower(_ batch: RecordBatch) throws(StorageError) -> PartitionLog.AppendInfo
    /// Removes every offset ≥ `offset`.
    func truncate(to offset: Int64) throws(StorageError)
    /// Replica: empties the log and restarts it at `offset` (the primary's retention deleted what the
    /// replica would fetch next).
    func reset(startingAt offset: Int64) throws(StorageError)
    /// Moves the log start forward (DeleteRecords on the primary, followed by the replica); returns the new start.
    @discardableResult
    func advanceLogStart(to offset: Int64) throws(StorageError) -> Int64
    /// A small durable file beside the log (the leader-epoch checkpoint), replaced atomically.
    func readSidecar(_ name: String) throws(StorageError) -> String?
    func writeSidecar(_ name: String, _ text: String) throws(StorageError)
}

extension PartitionLog: ReplicatedLog {}

/// The partitions of one node, keyed by an opaque (topic, partition). The replica creates a partition
/// the primary reports and it does not know yet.
public protocol ReplicatedLogSet: AnyObject {
    var keys: [PartitionKey] { get }
    func log(_ key: PartitionKey) -> (any ReplicatedLog)?
    func create(_ key: PartitionKey) throws(StorageError) -> any ReplicatedLog
    /// Whether a node in `role` may create an unknown partition. The broker answers false for a primary
    /// (its partitions come from topic administration; an append to an unknown one fails, the node stays up).
    func mayCreate(_ key: PartitionKey, role: Role) -> Bool
}

extension ReplicatedLogSet {
    public func mayCreate(_ key: PartitionKey, role: Role) -> Bool { true }
}

/// Leader-epoch history of one partition: for each leader epoch, the offset of its first batch
/// (Kafka's leader-epoch cache). Rebuilt from batch headers on open; kept in memory.
public struct EpochHistory: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var epoch: LeaderEpoch
        public var startOffset: Int64
    }
    /// Epochs strictly increase, start offsets strictly increase.
    public private(set) var entries: [Entry] = []

    public init() {}

    /// Scans every batch header of `log` (reads whole batches in 1 MiB chunks).
    static let checkpointName = "leader-epoch-checkpoint"

    /// The history from the log's checkpoint (written before any batch of a new epoch is appended, so it
    /// never lacks an epoch the log holds; entries at or past the log end — an append that did not
    /// survive — are dropped); without a checkpoint (or an unreadable one), by scanning, then checkpointed.
    public init(loading log: any ReplicatedLog) throws(StorageError) {
        if let text = try log.readSidecar(Self.checkpointName), let entries = Self.decode(text) {
            let end = log.logEndOffset
            self.init()
            self.entries = entries.filter { $0.startOffset < end }
            return
        }
        try self.init(scanning: log)
        try save(to: log)
    }

    /// Writes the checkpoint (durable before it returns).
    public func save(to log: any ReplicatedLog) throws(StorageError) {
        var text = "weir-leader-epochs v1\n"
        for e in entries { text += "\(e.epoch.packed) \(e.startOffset)\n" }
        try log.writeSidecar(Self.checkpointName, text)
    }

    static func decode(_ text: String) -> [Entry]? {
        var lines = text.split(separator: "\n")
        guard lines.first == "weir-leader-epochs v1" else { return nil }
        lines.removeFirst()
        var out: [Entry] = []
        for line in lines {
            let f = line.split(separator: " ")
            guard f.count == 2, let packed = Int32(f[0]), let epoch = LeaderEpoch(packed: packed), let start = Int64(f[1]) else { return nil }
            if let last = out.last, !(last.epoch < epoch && last.startOffset < start) { return nil }
            out.append(Entry(epoch: epoch, startOffset: start))
        }
        return out
    }

    public init(scanning log: any ReplicatedLog) throws(StorageError) {
        var offset = log.logStartOffset
        let end = log.logEndOffset
        while offset < end {
            let chunk = try log.read(from: offset, maxBytes: 1 << 20, upTo: nil)
            var scanner = RecordBatchScanner(chunk, verifyCRC: false)
            var advanced = false
            while let (_, header) = scanner.next() {
                record(LeaderEpoch(packed: header.partitionLeaderEpoch) ?? .none, startOffset: header.baseOffset)
                offset = header.nextOffset
                advanced = true
            }
            if !advanced { break }
        }
    }

    public var latest: LeaderEpoch? { entries.last?.epoch }

    /// Notes a batch of `epoch` appended at `startOffset` (a new entry when the epoch changes).
    public mutating func record(_ epoch: LeaderEpoch, startOffset: Int64) {
        if let last = entries.last {
            if last.epoch == epoch { return }
            // A log never goes back to an older epoch: batches are appended in epoch order.
            assert(last.epoch < epoch && last.startOffset < startOffset, "epoch history out of order: \(last) then \(epoch)@\(startOffset)")
        }
        entries.append(Entry(epoch: epoch, startOffset: startOffset))
    }

    /// Forgets epochs whose batches were all removed by a truncation to `offset`.
    public mutating func truncate(to offset: Int64) {
        while let last = entries.last, last.startOffset >= offset { entries.removeLast() }
    }

    /// Kafka's OffsetsForLeaderEpoch: the largest epoch ≤ `epoch` in this history and the offset where it
    /// ends (the next epoch's start, or `logEndOffset` for the latest). `nil` epoch when the history
    /// holds nothing at or below `epoch`: the answer offset is then `logStartOffset`.
    public func endOffset(for epoch: LeaderEpoch, logStartOffset: Int64, logEndOffset: Int64) -> (epoch: LeaderEpoch?, endOffset: Int64) {
        guard let index = entries.lastIndex(where: { $0.epoch <= epoch }) else { return (nil, logStartOffset) }
        let end = index + 1 < entries.count ? entries[index + 1].startOffset : logEndOffset
        return (entries[index].epoch, end)
    }
}
