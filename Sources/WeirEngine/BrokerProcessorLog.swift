import NIOCore
import Synchronization
import WeirBroker
import WeirRecords
import WeirStreams

/// The log of the broker this process runs: committed reads of local partitions and appends through the
/// broker's normal append path (`Broker.appendInternal`), with no network hop.
public struct BrokerProcessorLog: ProcessorLog {
    public let broker: Broker
    public init(broker: Broker) { self.broker = broker }

    public func partitionCount(_ topic: String) async throws -> Int32? {
        broker.topics.topic(topic).map { Int32($0.partitions.count) }
    }

    public func ensureTopic(_ topic: String, partitions: Int32, configs: [(String, String)]) async throws -> Int32 {
        try broker.ensureTopic(topic, partitions: partitions, configs: configs.map { ($0.0, $0.1) })
    }

    public func read(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int) async throws -> LogRead {
        try read(topic, partition, from: offset, maxBytes: maxBytes, headers: true)
    }

    public func readInputs(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int) async throws -> LogRead {
        try read(topic, partition, from: offset, maxBytes: maxBytes, headers: false)
    }

    func read(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int, headers: Bool) throws -> LogRead {
        let r = try broker.readCommitted(topic: topic, partition: partition, from: offset, maxBytes: maxBytes)
        let from = max(offset, r.logStartOffset)
        if r.records.readableBytes == 0 { return LogRead(records: [], next: max(from, min(offset, r.highWatermark)), end: r.highWatermark) }
        let (records, next) = try decodeBatches(r.records, topic: topic, partition: partition, from: from, headers: headers)
        return LogRead(records: records.filter { $0.offset < r.highWatermark }, next: min(next, r.highWatermark), end: r.highWatermark)
    }

    public func bounds(_ topic: String, _ partition: Int32) async throws -> (start: Int64, end: Int64) {
        let b = try broker.committedBounds(topic: topic, partition: partition)
        return (b.logStartOffset, b.highWatermark)
    }

    public func append(_ batches: [OutputBatch]) async throws {
        try await beginAppend(batches).durable()
    }

    public func beginAppend(_ batches: [OutputBatch]) async throws -> PendingAppend {
        // Each append enters the log before the next is issued (order kept); durability is awaited together.
        var futures: [EventLoopFuture<InternalAppendResult>] = []
        futures.reserveCapacity(batches.count)
        for b in batches where !b.records.isEmpty {
            futures.append(broker.appendInternal(try buildBatch(b.records), topic: b.topic, partition: b.partition))
        }
        let pending = PendingAppend()
        guard !futures.isEmpty else {
            pending.complete(.success(()))
            return pending
        }
        // Completes when the last one does, with the first error (in issue order) if any.
        let left = Mutex((count: futures.count, errors: [Int: any Error]()))
        for (i, f) in futures.enumerated() {
            f.whenComplete { result in
                let done = left.withLock { s -> Result<Void, any Error>? in
                    if case .failure(let e) = result { s.errors[i] = e }
                    s.count -= 1
                    guard s.count == 0 else { return nil }
                    if let first = s.errors.keys.min() { return .failure(s.errors[first]!) }
                    return .success(())
                }
                if let done { pending.complete(done) }
            }
        }
        return pending
    }

    public func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], timeoutMs: Int) async {
        await waitForData(positions, orDurable: nil, timeoutMs: timeoutMs)
    }

    public func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], orDurable append: PendingAppend?, timeoutMs: Int) async {
        let waits = WaitSet()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                waits.install(c)
                append?.onDone { waits.fire() }
                for pos in positions {
                    guard let p = broker.topics.partition(pos.topic, pos.partition) else { continue }
                    if let id = p.waitForData(beyond: pos.offset, wake: { waits.fire() }) { waits.add(p, id) }
                }
                waits.timeout(after: timeoutMs)
            }
        } onCancel: {
            waits.fire()
        }
        waits.cancelAll()
    }
}

/// A one-shot wake-up shared by several partition waits and a timer.
final class WaitSet: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, Never>?
        var fired = false
        var ids: [(Partition, UInt64)] = []
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    func install(_ c: CheckedContinuation<Void, Never>) {
        let resumeNow = state.withLock { s -> Bool in
            if s.fired { return true }
            s.continuation = c
            return false
        }
        if resumeNow { c.resume() }
    }

    func add(_ p: Partition, _ id: UInt64) { state.withLock { $0.ids.append((p, id)) } }

    func fire() {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.fired = true
            defer { s.continuation = nil }
            return s.continuation
        }
        c?.resume()
    }

    func timeout(after ms: Int) {
        let timer = Task { [self] in
            try? await Task.sleep(for: .milliseconds(ms))
            fire()
        }
        state.withLock { $0.timer = timer }
    }

    func cancelAll() {
        let (ids, timer) = state.withLock { s -> ([(Partition, UInt64)], Task<Void, Never>?) in
            defer { s.ids = []; s.timer = nil }
            return (s.ids, s.timer)
        }
        timer?.cancel()
        for (p, id) in ids { p.cancelWait(id) }
    }
}
