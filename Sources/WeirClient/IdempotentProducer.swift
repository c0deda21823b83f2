import NIOCore
import WeirProtocol
import WeirRecords

/// An idempotent producer (KIP-98 without transactions) over a `KafkaClient`: one producer id and epoch from
/// InitProducerId, a sequence number per partition, and retries that resend the *same* batch, so a write whose
/// answer was lost (timeout, closed connection, NOT_ENOUGH_REPLICAS_AFTER_APPEND, a new leader) is written once.
///
/// Writes to one partition are serialized (the next batch is sent once the previous one is answered), so the
/// broker never sees a sequence gap. A fatal sequence error (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID,
/// INVALID_PRODUCER_EPOCH) is thrown and the producer takes a new id for its next write.
public actor IdempotentProducer {
    public nonisolated let client: KafkaClient
    /// Attempts per batch for retriable failures, and the pause between them.
    let attempts: Int
    let backoffMs: Int
    private var identity: (id: Int64, epoch: Int16)?
    private var pendingIdentity: Task<(id: Int64, epoch: Int16), any Error>?
    private var sequences: [TopicPartition: Int32] = [:]
    private var busy: Set<TopicPartition> = []
    private var waiting: [TopicPartition: [CheckedContinuation<Void, Never>]] = [:]

    public init(client: KafkaClient, attempts: Int = 20, backoffMs: Int = 100) {
        self.client = client
        self.attempts = max(1, attempts)
        self.backoffMs = backoffMs
    }

    /// The producer id and epoch in use (nil before the first write or after a fatal error).
    public var producerId: (id: Int64, epoch: Int16)? { identity }

    /// Writes `records` as one batch with acks=all and returns its base offset.
    @discardableResult
    public func produce(topic: String, partition: Int32, records: [ProducerRecord], timeoutMs: Int32 = 30_000) async throws(WeirClientError) -> Int64 {
        guard !records.isEmpty else { throw .invalidArgument("nothing to produce") }
        let tp = TopicPartition(topic, partition)
        await acquire(tp)
        defer { release(tp) }
        let (id, epoch) = try await currentIdentity()
        let sequence = sequences[tp] ?? 0
        let now = WallClock.nowMs()
        var builder = RecordBatchBuilder(producerId: id, producerEpoch: epoch, baseSequence: sequence)
        for r in records { builder.append(key: r.key, value: r.value, timestamp: r.timestamp ?? now, headers: r.headers) }
        let batch: ByteBuffer
        do { batch = try builder.build().bytes } catch { throw .invalidArgument("cannot build a record batch: \(error)") }

        var lastError: WeirClientError?
        for attempt in 0..<attempts {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(backoffMs * min(attempt, 10))) }
            do {
                let base = try await client.produce(topic: topic, partition: partition, batch: batch, acks: -1, timeoutMs: timeoutMs)
                // Invariant: the sequence advances only once the broker holds this batch (written now or before),
                // and only for the producer id that wrote it.
                if identity?.id == id && identity?.epoch == epoch { sequences[tp] = sequence &+ Int32(records.count) & Int32.max }
                return base
            } catch {
                if let code = error.code {
                    switch code {
                    case .outOfOrderSequenceNumber, .unknownProducerId, .invalidProducerEpoch:
                        // The broker lost or fenced this producer's state: start over with a new id.
                        if identity?.id == id && identity?.epoch == epoch {
                            identity = nil
                            sequences.removeAll()
                        }
                        throw error
                    case .duplicateSequenceNumber:
                        if identity?.id == id && identity?.epoch == epoch { sequences[tp] = sequence &+ Int32(records.count) & Int32.max }
                        return -1
                    default:
                        guard code.isRetriable else { throw error }
                    }
                } else if error.isConnectFailure || error.isTimeout || error.isConnectionClosed {
                    // No answer: the batch may or may not be written; resending the same sequence is safe.
                } else {
                    throw error
                }
                lastError = error
            }
        }
        throw lastError ?? .invalidArgument("no attempt made")
    }

    /// The producer id, asked for once even when several partitions' first writes start together.
    private func currentIdentity() async throws(WeirClientError) -> (Int64, Int16) {
        if let identity { return identity }
        let request: Task<(id: Int64, epoch: Int16), any Error>
        if let pending = pendingIdentity {
            request = pending
        } else {
            let client = self.client, attempts = self.attempts, backoffMs = self.backoffMs
            request = Task {
                var lastError: WeirClientError?
                for attempt in 0..<attempts {
                    if attempt > 0 { try? await Task.sleep(for: .milliseconds(backoffMs * min(attempt, 10))) }
                    do throws(WeirClientError) {
                        return try await client.initProducerId()
                    } catch {
                        guard error.code?.isRetriable ?? (error.isConnectFailure || error.isTimeout || error.isConnectionClosed) else { throw error }
                        lastError = error
                    }
                }
                throw lastError ?? .invalidArgument("no attempt made")
            }
            pendingIdentity = request
        }
        do {
            let fresh = try await request.value
            if pendingIdentity == request {
                pendingIdentity = nil
                identity = fresh
                sequences.removeAll()  // Invariant: sequences belong to one producer id and restart at 0 with a new one.
            }
            return identity.map { ($0.id, $0.epoch) } ?? (fresh.id, fresh.epoch)
        } catch {
            if pendingIdentity == request { pendingIdentity = nil }
            throw (error as? WeirClientError) ?? .invalidArgument("cannot get a producer id: \(error)")
        }
    }

    private func acquire(_ tp: TopicPartition) async {
        if busy.insert(tp).inserted { return }
        await withCheckedContinuation { waiting[tp, default: []].append($0) }
        // Ownership was handed over by `release` (tp stays in `busy`).
    }

    private func release(_ tp: TopicPartition) {
        if var queue = waiting[tp], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[tp] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            busy.remove(tp)
        }
    }
}
