#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Synchronization
import WeirProtocol
import WeirStorage

extension Broker {
    /// Fetch with long poll: answers at once when at least `minBytes` are available (or on an error),
    /// otherwise when a high watermark of a requested partition moves, or after `maxWaitMs`.
    func fetch(_ r: FetchRequest, version: Int16, on eventLoop: any EventLoop) -> EventLoopFuture<FetchResponse> {
        let first = readFetch(r)
        let minBytes = max(1, Int(r.minBytes))
        if first.bytes >= minBytes || first.hasError || r.maxWaitMs <= 0 {
            return eventLoop.makeSucceededFuture(first.response)
        }
        let deadline = NIODeadline.now() + .milliseconds(Int64(r.maxWaitMs))
        let promise = eventLoop.makePromise(of: FetchResponse.self)
        let wait = FetchWait(promise: promise)
        let timeout = eventLoop.scheduleTask(deadline: deadline) { wait.finish { self.readFetch(r).response } }
        wait.setTimeout(timeout)
        armFetchWait(wait, r, minBytes: minBytes, deadline: deadline, on: eventLoop)
        return promise.futureResult
    }

    /// Registers `wait` on every requested partition; on a wake-up, answers if enough data arrived, else re-arms.
    private func armFetchWait(_ wait: FetchWait, _ r: FetchRequest, minBytes: Int, deadline: NIODeadline, on eventLoop: any EventLoop) {
        let wake: @Sendable () -> Void = {
            eventLoop.execute {
                guard !wait.isFinished else { return }
                wait.cancelPartitionWaits()
                let now = self.readFetch(r)
                if now.bytes >= minBytes || now.hasError || NIODeadline.now() >= deadline {
                    wait.finish { now.response }
                } else {
                    self.armFetchWait(wait, r, minBytes: minBytes, deadline: deadline, on: eventLoop)
                }
            }
        }
        for t in r.topics {
            for p in t.partitions {
                guard let partition = topics.partition(t.topic, p.partition) else { continue }
                let from = max(p.fetchOffset, partition.highWatermark)
                if let id = partition.waitForData(beyond: from, wake: wake) {
                    wait.addPartitionWait(partition, id)
                }
            }
        }
    }

    struct FetchRead {
        var response: FetchResponse
        var bytes: Int
        var hasError: Bool
    }

    /// Reads what is available now, honouring partition and response max bytes; the first batch of the
    /// first non-empty partition is returned whole even if larger than the limits (as Kafka does).
    func readFetch(_ r: FetchRequest) -> FetchRead {
        var response = FetchResponse()
        var total = 0
        var hasError = false
        let responseLimit = r.maxBytes > 0 ? Int(r.maxBytes) : Int(Int32.max)
        for t in r.topics {
            var out = FetchResponse.FetchableTopicResponse(topic: t.topic)
            for p in t.partitions {
                var answer = FetchResponse.FetchableTopicResponse.PartitionData(partitionIndex: p.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1)
                defer { out.partitions.append(answer) }
                guard let partition = topics.partition(t.topic, p.partition) else {
                    answer.errorCode = .unknownTopicOrPartition
                    hasError = true
                    continue
                }
                let hw = partition.highWatermark
                let start = partition.log.logStartOffset
                answer.highWatermark = hw
                answer.lastStableOffset = hw
                answer.logStartOffset = start
                if partition.log.isOffline {
                    answer.errorCode = .kafkaStorageError
                    hasError = true
                    continue
                }
                guard p.fetchOffset >= start, p.fetchOffset <= max(hw, partition.log.logEndOffset) else {
                    answer.errorCode = .offsetOutOfRange
                    hasError = true
                    continue
                }
                let budget = min(Int(max(0, p.partitionMaxBytes)), responseLimit - total)
                guard budget > 0 || total == 0 else {
                    answer.records = ByteBuffer()
                    continue
                }
                do throws(StorageError) {
                    // Left in the segment file when it has a descriptor: the connection writes it with sendfile.
                    let slice = try partition.log.readForSending(from: p.fetchOffset, maxBytes: max(budget, 1), upTo: hw)
                    switch slice {
                    case .file(let descriptor, _, _) where total > 0 && slice.count > budget:
                        // Only the first non-empty partition may exceed the limits (KIP-74): this one answers
                        // empty, as Kafka does, rather than push the response past max_bytes.
                        close(descriptor)
                        answer.records = ByteBuffer()
                    case .bytes where total > 0 && slice.count > budget:
                        answer.records = ByteBuffer()
                    case .bytes(let bytes):
                        answer.records = bytes
                    case .file(let descriptor, let offset, let length):
                        answer.recordsFile = FileRecords(takingOwnershipOf: descriptor, offset: offset, length: length)
                    }
                    total += answer.recordsFile?.length ?? answer.records?.readableBytes ?? 0
                } catch {
                    answer.errorCode = error.kind == .offsetOutOfRange ? .offsetOutOfRange : .kafkaStorageError
                    hasError = true
                }
            }
            response.responses.append(out)
        }
        metrics.bytesOut(total)
        return FetchRead(response: response, bytes: total, hasError: hasError)
    }
}

/// One long-polling Fetch: finished exactly once, by data, by its timeout or by shutdown.
final class FetchWait: Sendable {
    private struct State {
        var finished = false
        var timeout: Scheduled<Void>?
        var partitionWaits: [(Partition, UInt64)] = []
    }
    private let state = Mutex(State())
    private let promise: EventLoopPromise<FetchResponse>

    init(promise: EventLoopPromise<FetchResponse>) { self.promise = promise }

    var isFinished: Bool { state.withLock { $0.finished } }

    func setTimeout(_ t: Scheduled<Void>) { state.withLock { $0.timeout = t } }

    func addPartitionWait(_ p: Partition, _ id: UInt64) {
        let late = state.withLock { s -> Bool in
            if s.finished { return true }
            s.partitionWaits.append((p, id))
            return false
        }
        if late { p.cancelWait(id) }
    }

    func cancelPartitionWaits() {
        let waits = state.withLock { s -> [(Partition, UInt64)] in
            defer { s.partitionWaits = [] }
            return s.partitionWaits
        }
        for (p, id) in waits { p.cancelWait(id) }
    }

    /// Answers with `make()` unless already answered.
    func finish(_ make: () -> FetchResponse) {
        let (first, timeout, waits) = state.withLock { s -> (Bool, Scheduled<Void>?, [(Partition, UInt64)]) in
            guard !s.finished else { return (false, nil, []) }
            s.finished = true
            defer { s.partitionWaits = [] }
            return (true, s.timeout, s.partitionWaits)
        }
        guard first else { return }
        timeout?.cancel()
        for (p, id) in waits { p.cancelWait(id) }
        promise.succeed(make())
    }
}
