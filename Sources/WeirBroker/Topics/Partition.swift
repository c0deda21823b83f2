import NIOCore
import Synchronization
import WeirProtocol
import WeirRecords
import WeirStorage

/// One topic-partition as the broker serves it: the log, the high watermark (the end of what is
/// acknowledged and visible to consumers), idempotent-producer state, and fetchers waiting for data.
public final class Partition: Sendable {
    public let topic: String
    public let index: Int32
    public let log: PartitionLog

    private struct State: ~Copyable {
        /// Offsets below it are durable (single node: fsynced) and may be served to consumers.
        var highWatermark: Int64
        var producers: ProducerStateTable?  // nil until the first idempotent batch: built from the log lazily
        var waiters: [UInt64: @Sendable () -> Void] = [:]
        var nextWaiterId: UInt64 = 0
    }
    private let state: Mutex<State>

    init(topic: String, index: Int32, log: PartitionLog) {
        self.topic = topic
        self.index = index
        self.log = log
        // Recovery keeps only whole batches; what survived a restart is what the disk holds, all of it durable.
        self.state = Mutex(State(highWatermark: log.logEndOffset))
    }

    public var highWatermark: Int64 { state.withLock { $0.highWatermark } }

    /// Outcome of a produce to this partition.
    public enum AppendOutcome: Sendable {
        case appended(PartitionLog.AppendInfo)
        /// An idempotent retry of a batch already in the log: answered with its original offsets.
        case duplicate(baseOffset: Int64, nextOffset: Int64)
        case rejected(KafkaErrorCode, String)
    }

    /// Validates and appends one Produce partition payload; checks producer sequence numbers under the
    /// same lock as the append, so pipelined batches of one producer are ordered exactly once.
    public func append(_ bytes: ByteBuffer) -> AppendOutcome {
        switch validate(bytes) {
        case .failure(let rejected): return rejected.outcome
        case .success(let validated):
            return append(validated: validated) { batch in
                do throws(StorageError) { return .appended(try log.append(batch)) } catch {
                    if let batchError = error.batchError { return .rejected(Self.errorCode(for: batchError), error.description) }
                    return .rejected(.kafkaStorageError, error.description)
                }
            }
        }
    }

    /// A validation failure, as the produce answer.
    public struct Rejection: Error {
        public var outcome: AppendOutcome
    }

    /// Validates one Produce partition payload as exactly one RecordBatch v2 this partition accepts
    /// (CPU only: runs on the connection's event loop, in parallel with other connections).
    public func validate(_ bytes: ByteBuffer) -> Result<RecordBatch, Rejection> {
        let config = log.config
        do throws(RecordBatchError) {
            return .success(try RecordBatch.validateForAppend(bytes, maxBatchBytes: config.maxMessageBytes, requireKeys: config.compacted).batch)
        } catch {
            return .failure(Rejection(outcome: .rejected(Self.errorCode(for: error), error.description)))
        }
    }

    /// Appends a validated batch with `write` (the local log, or the replication node that stamps its
    /// epoch), after the idempotence check; both under this partition's lock, so pipelined batches of one
    /// producer are ordered exactly once. `write` answers `.appended` or `.rejected`.
    public func append(validated: RecordBatch, write: (RecordBatch) -> AppendOutcome) -> AppendOutcome {
        let header = validated.header
        return state.withLock { state -> AppendOutcome in
            if header.isIdempotent {
                if state.producers == nil {
                    do throws(StorageError) { state.producers = try ProducerStateTable(rebuiltFrom: log) } catch {
                        return .rejected(.kafkaStorageError, "\(error)")
                    }
                }
                switch state.producers!.check(header) {
                case .append: break
                case .duplicate(let base):
                    // A batch's offsets advance with its sequence numbers, so the original spans the same length.
                    return .duplicate(baseOffset: base, nextOffset: base + Int64(header.lastOffsetDelta) + 1)
                case .reject(let code, let why): return .rejected(code, why)
                }
            }
            let outcome = write(validated)
            if case .appended(let info) = outcome, header.isIdempotent { state.producers!.record(header, baseOffset: info.baseOffset) }
            return outcome
        }
    }

    /// Raises the high watermark (never lowers it) and wakes the fetchers waiting on this partition.
    public func advanceHighWatermark(to offset: Int64) {
        let woken: [@Sendable () -> Void] = state.withLock { state in
            guard offset > state.highWatermark else { return [] }
            state.highWatermark = offset
            let w = Array(state.waiters.values)
            state.waiters.removeAll()
            return w
        }
        for wake in woken { wake() }
    }

    /// Calls `wake` once, when the high watermark next moves past `offset` (at once if it already has).
    /// Returns an id for `cancelWait`, or nil when `wake` was already called.
    public func waitForData(beyond offset: Int64, wake: @escaping @Sendable () -> Void) -> UInt64? {
        let id: UInt64? = state.withLock { state in
            guard state.highWatermark <= offset else { return nil }
            let id = state.nextWaiterId
            state.nextWaiterId += 1
            state.waiters[id] = wake
            return id
        }
        if id == nil { wake() }
        return id
    }

    public func cancelWait(_ id: UInt64) {
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }

    /// Sets the high watermark, also downwards (a pair node opening at its checkpointed high watermark).
    func resetHighWatermark(to offset: Int64) {
        state.withLock { $0.highWatermark = min(offset, log.logEndOffset) }
    }

    /// Forgets idempotent-producer state (a role change: the next primary rebuilds it from the log).
    func resetProducerState() {
        state.withLock { $0.producers = nil }
    }

    /// After the log was truncated or replaced (replication), producer state is rebuilt from the log.
    public func resetAfterTruncation() {
        state.withLock { state in
            state.producers = nil
            state.highWatermark = min(state.highWatermark, log.logEndOffset)
        }
    }

    static func errorCode(for error: RecordBatchError) -> KafkaErrorCode {
        switch error.kind {
        case .truncated, .crcMismatch: .corruptMessage
        case .unsupportedMagic: .unsupportedForMessageFormat
        case .invalidStructure: .invalidRecord
        case .unsupportedCompression: .unsupportedCompressionType
        case .tooLarge: .messageTooLarge
        }
    }
}
