import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WeirRecords
import WeirStorage

/// The topic catalogue as a log: `<data>/__weir_metadata`, a compacted log with one record per topic
/// change — key = topic name, value = the topic's whole resulting state as JSON, null value = deleted.
/// It is the source of truth for which topics exist (partition directories follow it), and, being a
/// log like any other, it is what replication copies to carry topic creation, deletion and configs.
final class MetadataLog: Sendable {
    static let directoryName = "__weir_metadata"
    let log: PartitionLog
    /// Where records go: nil = this log, fsynced here (a single node); in a pair, the replication node.
    let writer = Mutex<(any InternalLogWriter)?>(nil)

    /// The state a record carries for a topic.
    struct TopicState: Codable, Hashable, Sendable {
        var version = 1
        var partitions: Int32
        var config: [String: String]
    }

    init(dataDirectory: String, disk: any Disk, logger: Logger) throws {
        var config = LogConfig()
        config.compacted = true
        config.retentionMs = -1
        config.segmentBytes = 16 << 20
        // Tombstones stay (they are tiny): one compacted away would let a directory left by an
        // interrupted deletion be adopted back as a topic.
        config.deleteRetentionMs = 100 * 365 * 86_400_000
        log = try PartitionLog(directory: dataDirectory + "/" + Self.directoryName, config: config, disk: disk, logger: logger)
    }

    /// Appends one change and waits until it is durable (on both nodes of a pair): a topic change is
    /// acknowledged only then. Blocks: never call it on an event loop of a pair node.
    func record(topic: String, state: TopicState?) throws {
        var builder = RecordBatchBuilder()
        let value = try state.map { try JSONEncoder().encode($0) }
        builder.append(key: ByteBuffer(string: topic), value: value.map { ByteBuffer(bytes: $0) }, timestamp: wallClockMs())
        let batch = try builder.build()
        if let writer = writer.withLock({ $0 }) {
            // Waiting for replication on an event loop would stall (and NIO forbids it): callers hop off first.
            guard MultiThreadedEventLoopGroup.currentEventLoop == nil else {
                throw BrokerError("topic change for '\(topic)' requested on an event loop; retry")
            }
            try writer.append(batch).wait()
        } else {
            try log.appendDurably(batch)
        }
    }

    /// The topic changes at offsets [from, to), in log order.
    func changes(from: Int64, to: Int64) throws -> [(offset: Int64, topic: String, state: TopicState?)] {
        var out: [(Int64, String, TopicState?)] = []
        var offset = max(from, log.logStartOffset)
        while offset < to {
            let chunk = try log.read(from: offset, maxBytes: 1 << 20, upTo: to)
            var scanner = RecordBatchScanner(chunk)
            var advanced = false
            while let (index, header) = scanner.next() {
                let batch = RecordBatch(unchecked: chunk.getSlice(at: index, length: header.totalSize)!, header: header)
                var records = try batch.records()
                while let r = try records.next() {
                    let at = records.offset(of: r)
                    guard at >= from, at < to, let key = r.key.map({ String(buffer: $0) }) else { continue }
                    let state = try r.value.map { try JSONDecoder().decode(TopicState.self, from: Data($0.readableBytesView)) }
                    out.append((at, key, state))
                }
                offset = header.nextOffset
                advanced = true
            }
            if !advanced { break }
        }
        return out
    }

    /// The latest state of every topic named in the log (nil = deleted), in log order of last change.
    func replay() throws -> [(topic: String, state: TopicState?)] {
        var latest: [String: (Int64, TopicState?)] = [:]
        var offset = log.logStartOffset
        let end = log.logEndOffset
        while offset < end {
            let chunk = try log.read(from: offset, maxBytes: 1 << 20)
            var scanner = RecordBatchScanner(chunk)
            var advanced = false
            while let (index, header) = scanner.next() {
                let batch = RecordBatch(unchecked: chunk.getSlice(at: index, length: header.totalSize)!, header: header)
                var records = try batch.records()
                while let r = try records.next() {
                    guard let key = r.key.map({ String(buffer: $0) }) else { continue }
                    let state = try r.value.map { try JSONDecoder().decode(TopicState.self, from: Data($0.readableBytesView)) }
                    latest[key] = (records.offset(of: r), state)
                }
                offset = header.nextOffset
                advanced = true
            }
            if !advanced { break }
        }
        return latest.sorted { $0.value.0 < $1.value.0 }.map { ($0.key, $0.value.1) }
    }
}
