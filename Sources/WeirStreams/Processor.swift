import NIOCore
import WeirRecords

/// One record read from an input partition, in offset order.
public struct InputRecord: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Record timestamp, milliseconds since the epoch.
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [(String, [UInt8]?)]

    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8]?,
                headers: [(String, [UInt8]?)] = []) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// A record of a stored batch: absolute offset and timestamp from the batch's base values.
    public init(topic: String, partition: Int32, record: Record, baseOffset: Int64, baseTimestamp: Int64) {
        self.init(topic: topic, partition: partition, offset: baseOffset + Int64(record.offsetDelta),
                  timestamp: baseTimestamp + record.timestampDelta,
                  key: record.key.map { Array($0.readableBytesView) }, value: record.value.map { Array($0.readableBytesView) },
                  headers: record.headers.map { ($0.key, $0.value.map { Array($0.readableBytesView) }) })
    }

    public static func == (a: InputRecord, b: InputRecord) -> Bool {
        a.topic == b.topic && a.partition == b.partition && a.offset == b.offset && a.timestamp == b.timestamp
            && a.key == b.key && a.value == b.value && a.headers.count == b.headers.count
            && zip(a.headers, b.headers).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// One record a processor asks its host to append. Every output carries provenance headers (see `Provenance`).
public struct OutputRecord: Sendable, Equatable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Event time of the output, milliseconds since the epoch (the host may use it as the record timestamp).
    public var timestamp: Int64
    public var headers: [(String, [UInt8]?)]

    public init(topic: String, key: [UInt8]?, value: [UInt8]?, timestamp: Int64, headers: [(String, [UInt8]?)] = []) {
        self.topic = topic
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
    }

    public var provenance: Provenance? { Provenance(headers: headers) }

    /// Adds this record to a batch under construction.
    public func append(to builder: inout RecordBatchBuilder) {
        builder.append(key: key.map { ByteBuffer(bytes: $0) }, value: value.map { ByteBuffer(bytes: $0) }, timestamp: timestamp,
                       headers: headers.map { RecordHeader(key: $0.0, value: $0.1.map { ByteBuffer(bytes: $0) }) })
    }

    public static func == (a: OutputRecord, b: OutputRecord) -> Bool {
        a.topic == b.topic && a.key == b.key && a.value == b.value && a.timestamp == b.timestamp
            && a.headers.count == b.headers.count && zip(a.headers, b.headers).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }
}

/// Which input an output answers, and under which definition version it was computed. Carried in the
/// headers `weir.in.topic`, `weir.in.partition`, `weir.in.offset`, `weir.version`.
public struct Provenance: Sendable, Equatable {
    public static let topicHeader = "weir.in.topic"
    public static let partitionHeader = "weir.in.partition"
    public static let offsetHeader = "weir.in.offset"
    public static let versionHeader = "weir.version"

    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var version: String

    public init(topic: String, partition: Int32, offset: Int64, version: String) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.version = version
    }

    public init?(headers: [(String, [UInt8]?)]) {
        var topic: String?, partition: Int32?, offset: Int64?, version = ""
        for (k, v) in headers {
            guard let v else { continue }
            let s = String(decoding: v, as: UTF8.self)
            switch k {
            case Self.topicHeader: topic = s
            case Self.partitionHeader: partition = Int32(s)
            case Self.offsetHeader: offset = Int64(s)
            case Self.versionHeader: version = s
            default: break
            }
        }
        guard let topic, let partition, let offset else { return nil }
        self.init(topic: topic, partition: partition, offset: offset, version: version)
    }

    /// Provenance from stored record headers (the host reading the tail of an output partition).
    public init?(recordHeaders: [RecordHeader]) {
        self.init(headers: recordHeaders.map { ($0.key, $0.value.map { Array($0.readableBytesView) }) })
    }

    public var headers: [(String, [UInt8]?)] {
        [(Self.topicHeader, Array(topic.utf8)), (Self.partitionHeader, Array(String(partition).utf8)),
         (Self.offsetHeader, Array(String(offset).utf8)), (Self.versionHeader, Array(version.utf8))]
    }

    /// The last input offset of (`topic`, `partition`) answered in an output partition, given its records from
    /// newest to oldest (the host stops reading as soon as this returns non-nil). Nil: nothing answered yet.
    public static func lastAnsweredOffset(inputTopic: String, inputPartition: Int32,
                                          newestFirst records: some Sequence<[(String, [UInt8]?)]>) -> Int64? {
        for headers in records {
            if let p = Provenance(headers: headers), p.topic == inputTopic, p.partition == inputPartition { return p.offset }
        }
        return nil
    }
}

/// `Provenance.headers` for consecutive inputs of one partition under one version: the values that do not change
/// (topic, partition, version) are encoded once and shared by the outputs.
public struct ProvenanceHeaderCache: Sendable {
    private var key: (topic: String, partition: Int32, version: String)?
    private var topic: [UInt8] = [], partition: [UInt8] = [], version: [UInt8] = []

    public init() {}

    public mutating func headers(_ p: Provenance) -> [(String, [UInt8]?)] {
        if key == nil || key!.topic != p.topic || key!.partition != p.partition || key!.version != p.version {
            key = (p.topic, p.partition, p.version)
            (topic, partition, version) = (Array(p.topic.utf8), Array(String(p.partition).utf8), Array(p.version.utf8))
        }
        return [(Provenance.topicHeader, topic), (Provenance.partitionHeader, partition), (Provenance.offsetHeader, Array(String(p.offset).utf8)),
                (Provenance.versionHeader, version)]
    }
}

/// A deterministic function of (definition version, state, input) → outputs. Inputs arrive in offset order per
/// input partition. A processor's whole state round-trips through `snapshot()`/`restore(_:)`.
public protocol Processor {
    /// Processes one input record, appending its outputs (each with provenance headers) to `outputs`.
    mutating func process(_ input: InputRecord, into outputs: inout [OutputRecord])
    /// The processor's state, serialised (versioned JSON).
    func snapshot() throws -> [UInt8]
    /// Replaces the processor's state by a snapshot taken by `snapshot()`.
    mutating func restore(_ bytes: [UInt8]) throws
}

/// A persisted checkpoint: the processor's state after every input below `nextOffset` was processed.
public struct StateSnapshot: Sendable, Equatable, Codable {
    public static let formatVersion = 1
    public var formatVersion: Int
    public var inputTopic: String
    public var inputPartition: Int32
    public var nextOffset: Int64
    public var state: [UInt8]

    public init(inputTopic: String, inputPartition: Int32, nextOffset: Int64, state: [UInt8]) {
        self.formatVersion = Self.formatVersion
        self.inputTopic = inputTopic
        self.inputPartition = inputPartition
        self.nextOffset = nextOffset
        self.state = state
    }

    /// Binary form: "WSS1" | nextOffset (8 bytes BE) | partition (4) | topic length (2) | topic | state.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = Array("WSS1".utf8)
        for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: nextOffset >> Int64(s))) }
        for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: inputPartition >> Int32(s))) }
        let t = Array(inputTopic.utf8)
        out.append(UInt8(t.count >> 8)); out.append(UInt8(t.count & 0xFF))
        out += t
        out += state
        return out
    }

    public init(decoding bytes: [UInt8]) throws(StreamsError) {
        guard bytes.count >= 18, Array(bytes[0..<4]) == Array("WSS1".utf8) else {
            throw StreamsError("state snapshot: not a version 1 snapshot")
        }
        var next: Int64 = 0
        for b in bytes[4..<12] { next = next << 8 | Int64(b) }
        var part: Int32 = 0
        for b in bytes[12..<16] { part = part << 8 | Int32(b) }
        let n = Int(bytes[16]) << 8 | Int(bytes[17])
        guard bytes.count >= 18 + n else { throw StreamsError("state snapshot: truncated") }
        self.init(inputTopic: String(decoding: bytes[18..<18 + n], as: UTF8.self), inputPartition: part, nextOffset: next,
                  state: Array(bytes[(18 + n)...]))
    }
}

public struct StreamsError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runs a processor over one input partition with exactly-once output, without multi-partition atomic writes.
///
/// Host loop: `for record in input(from: driver.nextOffset) { append(driver.process(record)) ; maybe persist
/// driver.snapshot() }` where every input's outputs to one output partition are appended as one batch.
/// Restart: `ProcessorDriver(restoring: snapshot, processor:, answered:)` with, per output topic, the last input
/// offset already present there (`Provenance.lastAnsweredOffset`); input is replayed from the snapshot's offset
/// and outputs already written are suppressed, so the output holds each answer exactly once.
public struct ProcessorDriver<P: Processor> {
    public private(set) var processor: P
    public let inputTopic: String
    public let inputPartition: Int32
    /// The next input offset expected.
    public private(set) var nextOffset: Int64
    /// Per output topic: outputs answering inputs at or below this offset are already written.
    public private(set) var answered: [String: Int64]
    /// Outputs suppressed during replay (already present in the output).
    public private(set) var suppressed = 0
    private var scratch: [OutputRecord] = []

    public init(processor: P, inputTopic: String, inputPartition: Int32, startOffset: Int64 = 0) {
        self.processor = processor
        self.inputTopic = inputTopic
        self.inputPartition = inputPartition
        self.nextOffset = startOffset
        self.answered = [:]
    }

    /// Restores after a crash: state from `snapshot` (nil: start from `startOffset` with the processor's initial
    /// state), suppression from `answered` (per output topic, the last input offset present there).
    public init(restoring snapshot: StateSnapshot?, processor: P, inputTopic: String, inputPartition: Int32,
                startOffset: Int64 = 0, answered: [String: Int64]) throws {
        self.init(processor: processor, inputTopic: inputTopic, inputPartition: inputPartition, startOffset: startOffset)
        if let snapshot {
            guard snapshot.inputTopic == inputTopic, snapshot.inputPartition == inputPartition else {
                throw StreamsError("snapshot is for \(snapshot.inputTopic)-\(snapshot.inputPartition), not \(inputTopic)-\(inputPartition)")
            }
            try self.processor.restore(snapshot.state)
            self.nextOffset = snapshot.nextOffset
        }
        self.answered = answered
    }

    /// Processes the record at `nextOffset`; returns the outputs not yet present in their output topics.
    /// Records below `nextOffset` (a re-read) are ignored; gaps (compaction, transaction markers) are allowed.
    public mutating func process(_ record: InputRecord) throws -> [OutputRecord] {
        guard record.topic == inputTopic, record.partition == inputPartition else {
            throw StreamsError("record of \(record.topic)-\(record.partition) given to the driver of \(inputTopic)-\(inputPartition)")
        }
        if record.offset < nextOffset { return [] }
        scratch.removeAll(keepingCapacity: true)
        processor.process(record, into: &scratch)
        nextOffset = record.offset + 1
        if answered.isEmpty { return scratch }
        var out: [OutputRecord] = []
        for o in scratch {
            // Invariant: an output is written iff its input is above the last answered offset of its topic.
            if let last = answered[o.topic], record.offset <= last { suppressed += 1; continue }
            out.append(o)
        }
        if answered.values.allSatisfy({ $0 < nextOffset }) { answered.removeAll() }
        return out
    }

    /// Moves past offsets that hold no record (compaction, transaction markers).
    public mutating func skip(to offset: Int64) {
        if offset > nextOffset { nextOffset = offset }
    }

    /// Checkpoint of the state after every input below `nextOffset`.
    public func snapshot() throws -> StateSnapshot {
        StateSnapshot(inputTopic: inputTopic, inputPartition: inputPartition, nextOffset: nextOffset, state: try processor.snapshot())
    }

    /// Direct access for control operations (staging a deployment) between two inputs.
    public mutating func withProcessor<R>(_ body: (inout P) throws -> R) rethrows -> R {
        try body(&processor)
    }
}
