import NIOCore
import NIOPosix
import WeirProtocol
import WeirRecords
import WeirStorage

/// Why an in-process append or read failed: the Kafka error code a Produce or Fetch would have answered.
public struct InternalAppendError: Error, CustomStringConvertible, Sendable {
    public let code: KafkaErrorCode
    public let message: String
    public init(_ code: KafkaErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}

/// Where an acknowledged in-process append landed.
public struct InternalAppendResult: Sendable, Equatable {
    public var baseOffset: Int64
    /// The offset after the batch's last record.
    public var nextOffset: Int64
}

/// A committed read of one partition: whole batches from the one holding `from`, below the high watermark.
public struct CommittedRead: Sendable {
    public var records: ByteBuffer
    public var highWatermark: Int64
    public var logStartOffset: Int64
}

/// The seam for processors running inside the broker process (WeirEngine): they read committed records of
/// local partitions directly and append through the same steps as a Produce with acks=all.
extension Broker {
    /// Appends `batch` to `topic`/`partition` as a Produce with acks=all would (validation, idempotence,
    /// then durability → high watermark) and completes once the batch is acknowledged. The append itself
    /// happens before this returns, so successive calls for one partition keep their order.
    public func appendInternal(_ batch: RecordBatch, topic: String, partition: Int32,
                               on eventLoop: (any EventLoop)? = nil) -> EventLoopFuture<InternalAppendResult> {
        let loop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
        guard let p = topics.partition(topic, partition) else {
            return loop.makeFailedFuture(InternalAppendError(.unknownTopicOrPartition, "\(topic)-\(partition) does not exist"))
        }
        metrics.bytesIn(batch.bytes.readableBytes)
        if let replication {
            // Pair mode: validated here, appended and acknowledged (replica fsync) by the replication node.
            switch p.validate(batch.bytes) {
            case .failure(let rejection):
                guard case .rejected(let code, let why) = rejection.outcome else {
                    return loop.makeFailedFuture(InternalAppendError(.unknownServerError, "append to \(topic)-\(partition) refused"))
                }
                metrics.produceRejected(code)
                return loop.makeFailedFuture(InternalAppendError(code, "append to \(topic)-\(partition) rejected: \(why)"))
            case .success(let validated):
                let span = Int64(validated.header.lastOffsetDelta) + 1
                return replication.appendProduce(p, validated).hop(to: loop).flatMapThrowing { answer in
                    guard answer.errorCode == .none else {
                        throw InternalAppendError(answer.errorCode, "append to \(topic)-\(partition) failed: \(answer.reason)")
                    }
                    return InternalAppendResult(baseOffset: answer.baseOffset, nextOffset: answer.baseOffset + span)
                }
            }
        }
        let result: InternalAppendResult
        switch p.append(batch.bytes) {
        case .appended(let info): result = InternalAppendResult(baseOffset: info.baseOffset, nextOffset: info.lastOffset + 1)
        case .duplicate(let base, let next): result = InternalAppendResult(baseOffset: base, nextOffset: next)
        case .rejected(let code, let why):
            metrics.produceRejected(code)
            return loop.makeFailedFuture(InternalAppendError(code, "append to \(topic)-\(partition) rejected: \(why)"))
        }
        return makeDurable([(p, result.nextOffset)], on: loop).flatMapThrowing { failed in
            guard failed.isEmpty else { throw InternalAppendError(.kafkaStorageError, "\(topic)-\(partition) could not be made durable") }
            return result
        }
    }

    /// Committed records (below the high watermark) of a local partition, whole batches starting with the one
    /// holding `from`. Empty when `from` is at the high watermark.
    public func readCommitted(topic: String, partition: Int32, from: Int64, maxBytes: Int) throws(InternalAppendError) -> CommittedRead {
        guard let p = topics.partition(topic, partition) else { throw InternalAppendError(.unknownTopicOrPartition, "\(topic)-\(partition) does not exist") }
        let hw = p.highWatermark
        let start = p.log.logStartOffset
        guard from < hw else { return CommittedRead(records: ByteBuffer(), highWatermark: hw, logStartOffset: start) }
        do throws(StorageError) {
            let bytes = try p.log.read(from: max(from, start), maxBytes: max(1, maxBytes), upTo: hw)
            return CommittedRead(records: bytes, highWatermark: hw, logStartOffset: start)
        } catch {
            throw InternalAppendError(error.kind == .offsetOutOfRange ? .offsetOutOfRange : .kafkaStorageError, "\(error)")
        }
    }

    /// First retained offset and high watermark of a local partition.
    public func committedBounds(topic: String, partition: Int32) throws(InternalAppendError) -> (logStartOffset: Int64, highWatermark: Int64) {
        guard let p = topics.partition(topic, partition) else { throw InternalAppendError(.unknownTopicOrPartition, "\(topic)-\(partition) does not exist") }
        let hw = p.highWatermark
        return (p.log.logStartOffset, hw)
    }

    /// Creates `name` unless it exists; returns its partition count.
    @discardableResult
    public func ensureTopic(_ name: String, partitions: Int32, configs: [(String, String?)] = []) throws(InternalAppendError) -> Int32 {
        if let t = topics.topic(name) { return Int32(t.partitions.count) }
        do {
            let t = try topics.create(name: name, partitions: partitions, configs: configs)
            return Int32(t?.partitions.count ?? Int(partitions))
        } catch {
            if error.code == .topicAlreadyExists, let t = topics.topic(name) { return Int32(t.partitions.count) }
            throw InternalAppendError(error.code, error.description)
        }
    }
}
