import NIOCore

/// A replication message that could not be decoded (truncated, unknown type or version, bad length).
public struct ReplicationCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    public var detail: String
    public init(_ detail: String) { self.detail = detail }
    public var description: String { "replication message: \(detail)" }
}

/// Binary form of `ReplicationMessage` for the peer connection (the broker adds the length framing).
///
/// Layout, big-endian: `type int8` (0 fetch, 1 fetch response, 2 durable, 3 notice), `version int8` (0),
/// `leaderEpoch int32`, then per type:
/// - fetch: `replicaId int32, fetchId int64, count int32, [key, fetchOffset int64, durableOffset int64, lastFetchedEpoch int32 (-1 none)]`
/// - fetch response: `primaryId int32, fetchId int64, synchronous int8, count int32, [key, fetchOffset int64,
///   lastFetchedEpoch int32, highWatermark int64, logStartOffset int64, hasDivergence int8,
///   (divergenceEpoch int32, divergenceEnd int64)?, recordsLength int32, records]`
/// - durable: `replicaId int32, count int32, [key, durableOffset int64]`
/// - notice: `nodeId int32, role int8 (0 primary, 1 replica)`
///
/// where `key` = `topicLength int16, topic utf8, partition int32`. Decoding checks every length against the
/// bytes that remain and never traps.
extension ReplicationMessage {
    static let version: Int8 = 0

    public func encode(into out: inout ByteBuffer) {
        switch self {
        case .fetch(let m):
            header(0, m.epoch, &out)
            out.writeInteger(m.replicaId)
            out.writeInteger(m.fetchId)
            out.writeInteger(Int32(m.partitions.count))
            for p in m.partitions {
                Self.writeKey(p.key, &out)
                out.writeInteger(p.fetchOffset)
                out.writeInteger(p.durableOffset)
                out.writeInteger(p.lastFetchedEpoch?.packed ?? -1)
            }
        case .fetchResponse(let m):
            header(1, m.epoch, &out)
            out.writeInteger(m.primaryId)
            out.writeInteger(m.fetchId)
            out.writeInteger(Int8(m.synchronous ? 1 : 0))
            out.writeInteger(Int32(m.partitions.count))
            for p in m.partitions {
                Self.writeKey(p.key, &out)
                out.writeInteger(p.fetchOffset)
                out.writeInteger(p.lastFetchedEpoch?.packed ?? -1)
                out.writeInteger(p.highWatermark)
                out.writeInteger(p.logStartOffset)
                if let d = p.divergence {
                    out.writeInteger(Int8(1))
                    out.writeInteger(d.epoch?.packed ?? -1)
                    out.writeInteger(d.endOffset)
                } else {
                    out.writeInteger(Int8(0))
                }
                out.writeInteger(Int32(p.records.readableBytes))
                var records = p.records
                out.writeBuffer(&records)
            }
        case .durable(let m):
            header(2, m.epoch, &out)
            out.writeInteger(m.replicaId)
            out.writeInteger(Int32(m.partitions.count))
            for p in m.partitions {
                Self.writeKey(p.key, &out)
                out.writeInteger(p.durableOffset)
            }
        case .notice(let m):
            header(3, m.epoch, &out)
            out.writeInteger(m.nodeId)
            out.writeInteger(Int8(m.role == .primary ? 0 : 1))
        }
    }

    private func header(_ type: Int8, _ epoch: LeaderEpoch, _ out: inout ByteBuffer) {
        out.writeInteger(type)
        out.writeInteger(Self.version)
        out.writeInteger(epoch.packed)
    }

    private static func writeKey(_ key: PartitionKey, _ out: inout ByteBuffer) {
        out.writeInteger(Int16(key.topic.utf8.count))
        out.writeString(key.topic)
        out.writeInteger(key.partition)
    }

    /// Decodes exactly one message from `bytes` (all of it).
    public static func decode(_ bytes: ByteBuffer) throws(ReplicationCodecError) -> ReplicationMessage {
        var r = Reader(buffer: bytes)
        let type: Int8 = try r.int()
        let version: Int8 = try r.int()
        guard version == Self.version else { throw ReplicationCodecError("unsupported version \(version)") }
        guard let epoch = LeaderEpoch(packed: try r.int()) else { throw ReplicationCodecError("negative leader epoch") }
        let message: ReplicationMessage
        switch type {
        case 0:
            let replicaId: Int32 = try r.int()
            let fetchId: UInt64 = try r.int()
            var parts: [ReplicaFetch.Partition] = []
            for _ in 0..<(try r.count(minimumEach: 26)) {
                let key = try r.key()
                let fetchOffset: Int64 = try r.int()
                let durable: Int64 = try r.int()
                let last = LeaderEpoch(packed: try r.int())
                parts.append(ReplicaFetch.Partition(key: key, fetchOffset: fetchOffset, durableOffset: durable, lastFetchedEpoch: last))
            }
            message = .fetch(ReplicaFetch(epoch: epoch, replicaId: replicaId, fetchId: fetchId, partitions: parts))
        case 1:
            let primaryId: Int32 = try r.int()
            let fetchId: UInt64 = try r.int()
            let synchronous: Int8 = try r.int()
            var parts: [ReplicaFetchResponse.Partition] = []
            for _ in 0..<(try r.count(minimumEach: 39)) {
                let key = try r.key()
                let fetchOffset: Int64 = try r.int()
                let last = LeaderEpoch(packed: try r.int())
                let hw: Int64 = try r.int()
                let start: Int64 = try r.int()
                let hasDivergence: Int8 = try r.int()
                var divergence: Divergence?
                if hasDivergence != 0 {
                    let e = LeaderEpoch(packed: try r.int())
                    divergence = Divergence(epoch: e, endOffset: try r.int())
                }
                let length: Int32 = try r.int()
                let records = try r.slice(Int(length))
                parts.append(ReplicaFetchResponse.Partition(key: key, fetchOffset: fetchOffset, lastFetchedEpoch: last, highWatermark: hw, logStartOffset: start, records: records, divergence: divergence))
            }
            message = .fetchResponse(ReplicaFetchResponse(epoch: epoch, primaryId: primaryId, fetchId: fetchId, synchronous: synchronous != 0, partitions: parts))
        case 2:
            let replicaId: Int32 = try r.int()
            var parts: [ReplicaDurable.Partition] = []
            for _ in 0..<(try r.count(minimumEach: 14)) {
                let key = try r.key()
                parts.append(ReplicaDurable.Partition(key: key, durableOffset: try r.int()))
            }
            message = .durable(ReplicaDurable(epoch: epoch, replicaId: replicaId, partitions: parts))
        case 3:
            let nodeId: Int32 = try r.int()
            let role: Int8 = try r.int()
            guard role == 0 || role == 1 else { throw ReplicationCodecError("unknown role \(role)") }
            message = .notice(EpochNotice(epoch: epoch, nodeId: nodeId, role: role == 0 ? .primary : .replica))
        default:
            throw ReplicationCodecError("unknown message type \(type)")
        }
        guard r.buffer.readableBytes == 0 else { throw ReplicationCodecError("\(r.buffer.readableBytes) trailing bytes") }
        return message
    }

    private struct Reader {
        var buffer: ByteBuffer

        mutating func int<T: FixedWidthInteger>() throws(ReplicationCodecError) -> T {
            guard let v: T = buffer.readInteger() else { throw ReplicationCodecError("truncated") }
            return v
        }

        /// An array count, checked against the bytes left (each element takes at least `minimumEach`).
        mutating func count(minimumEach: Int) throws(ReplicationCodecError) -> Int {
            let n: Int32 = try int()
            guard n >= 0, Int(n) * minimumEach <= buffer.readableBytes else { throw ReplicationCodecError("count \(n) exceeds the message") }
            return Int(n)
        }

        mutating func slice(_ length: Int) throws(ReplicationCodecError) -> ByteBuffer {
            guard length >= 0, let s = buffer.readSlice(length: length) else { throw ReplicationCodecError("length \(length) exceeds the message") }
            return s
        }

        mutating func key() throws(ReplicationCodecError) -> PartitionKey {
            let length: Int16 = try int()
            var bytes = try slice(Int(length))
            guard let topic = bytes.readString(length: bytes.readableBytes) else { throw ReplicationCodecError("topic is not UTF-8") }
            return PartitionKey(topic, try int())
        }
    }
}
