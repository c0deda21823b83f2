import NIOCore
import Synchronization
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
    /// Appends every batch, in order, each as one record batch, and returns once they are in the log: batches of
    /// a later call come after them. The answer completes once all are durable (acknowledged), or with the first
    /// error. An append refused before entering the log must be followed only by refused appends to that
    /// partition until the host recovers (the broker's contract; a hole would look answered to recovery).
    func beginAppend(_ batches: [OutputBatch]) async throws -> PendingAppend
    /// `read` for the host's rounds: the records' headers may be left out (the built-in processors never read an
    /// input's headers; recovery reads provenance headers with `read`).
    func readInputs(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int) async throws -> LogRead
    /// `waitForData`, also returning when `append` (if any) completes.
    func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], orDurable append: PendingAppend?, timeoutMs: Int) async
}

extension ProcessorLog {
    public func readInputs(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int) async throws -> LogRead {
        try await read(topic, partition, from: offset, maxBytes: maxBytes)
    }

    /// A log without pipelined appends: durable on return.
    public func beginAppend(_ batches: [OutputBatch]) async throws -> PendingAppend {
        try await append(batches)
        return PendingAppend(completed: .success(()))
    }

    public func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], orDurable append: PendingAppend?, timeoutMs: Int) async {
        if let append, append.isDone { return }
        await waitForData(positions, timeoutMs: timeoutMs)
    }
}

/// Appends in the log whose durability is still awaited (`ProcessorLog.beginAppend`).
public final class PendingAppend: Sendable {
    private struct State {
        var result: Result<Void, any Error>?
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var callbacks: [@Sendable () -> Void] = []
    }
    private let state: Mutex<State>

    public init(completed result: Result<Void, any Error>) { state = Mutex(State(result: result)) }
    public init() { state = Mutex(State()) }

    /// Completes once (later calls are ignored); wakes the waiters.
    public func complete(_ result: Result<Void, any Error>) {
        let (waiters, callbacks) = state.withLock { s -> ([CheckedContinuation<Void, any Error>], [@Sendable () -> Void]) in
            guard s.result == nil else { return ([], []) }
            s.result = result
            defer { s.waiters = []; s.callbacks = [] }
            return (s.waiters, s.callbacks)
        }
        for w in waiters { w.resume(with: result) }
        for c in callbacks { c() }
    }

    public var isDone: Bool { state.withLock { $0.result != nil } }

    /// Returns once durable; throws the append's error.
    public func durable() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let done = state.withLock { s -> Result<Void, any Error>? in
                if let r = s.result { return r }
                s.waiters.append(c)
                return nil
            }
            if let done { c.resume(with: done) }
        }
    }

    /// Calls `wake` once, when complete (at once if it is).
    public func onDone(_ wake: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.result != nil { return true }
            s.callbacks.append(wake)
            return false
        }
        if now { wake() }
    }
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

/// Decodes whole record batches into input records at or after `from`; control batches are skipped. Without
/// `headers`, the records' headers are left out (the host's rounds).
public func decodeBatches(_ bytes: ByteBuffer, topic: String, partition: Int32, from: Int64, headers: Bool = true) throws -> (records: [InputRecord], next: Int64) {
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
            if headers {
                out.append(InputRecord(topic: topic, partition: partition, record: record, baseOffset: it.baseOffset, baseTimestamp: it.baseTimestamp))
            } else {
                out.append(InputRecord(topic: topic, partition: partition, offset: offset, timestamp: it.baseTimestamp + record.timestampDelta,
                                       key: record.key.map { Array($0.readableBytesView) }, value: record.value.map { Array($0.readableBytesView) }))
            }
        }
    }
    if let reason = scanner.stopReason, reason.kind != .truncated {
        throw EngineError("bad record batch in \(topic)-\(partition) after offset \(next): \(reason)")
    }
    return (out, next)
}

/// Builds the record batch of one output batch (uncompressed, no producer id): the records region is encoded
/// straight from the outputs' bytes, one buffer for the whole batch (`RecordBatchBuilder` would first copy every
/// key, value and header into buffers of its own).
public func buildBatch(_ records: [OutputRecord]) throws -> RecordBatch {
    guard let first = records.first else { throw EngineError("a batch needs at least one record") }
    @inline(__always) func nullableSize(_ b: [UInt8]?) -> Int {
        guard let b else { return 1 }
        return Varint.size(signed: Int64(b.count)) + b.count
    }
    @inline(__always) func writeNullable(_ b: [UInt8]?, _ out: inout ByteBuffer) {
        guard let b else { out.writeVarint(-1); return }
        out.writeVarint(Int64(b.count))
        out.writeBytes(b)
    }
    var region = ByteBuffer()
    var capacity = 0
    for r in records { capacity += 32 + (r.key?.count ?? 0) + (r.value?.count ?? 0) + r.headers.reduce(0) { $0 + 8 + $1.0.utf8.count + ($1.1?.count ?? 0) } }
    region.reserveCapacity(capacity)
    var maxTimestamp = Int64.min
    for (index, r) in records.enumerated() {
        let timestampDelta = r.timestamp &- first.timestamp
        maxTimestamp = max(maxTimestamp, r.timestamp)
        var body = 1 + Varint.size(signed: timestampDelta) + Varint.size(signed: Int64(index))
        body += nullableSize(r.key) + nullableSize(r.value) + Varint.size(signed: Int64(r.headers.count))
        for (k, v) in r.headers { body += Varint.size(signed: Int64(k.utf8.count)) + k.utf8.count + nullableSize(v) }
        // Record v2: length | attributes | timestampDelta | offsetDelta | key | value | headers.
        region.writeVarint(Int64(body))
        region.writeInteger(UInt8(0))
        region.writeVarint(timestampDelta)
        region.writeVarint(Int64(index))
        writeNullable(r.key, &region)
        writeNullable(r.value, &region)
        region.writeVarint(Int64(r.headers.count))
        for (k, v) in r.headers {
            region.writeVarint(Int64(k.utf8.count))
            region.writeString(k)
            writeNullable(v, &region)
        }
    }
    let header = RecordBatchHeader(lastOffsetDelta: Int32(records.count - 1), baseTimestamp: first.timestamp, maxTimestamp: maxTimestamp,
                                   recordCount: Int32(records.count))
    return try RecordBatchBuilder.assemble(header: header, recordsRegion: region)
}
