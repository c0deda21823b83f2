import NIOCore

/// Replica → primary: "here is where each of my logs stands; send me what follows".
/// Pull-based like a Kafka follower fetch. Also the replica's acknowledgement: `durableOffset`.
public struct ReplicaFetch: Hashable, Sendable {
    public struct Partition: Hashable, Sendable {
        public var key: PartitionKey
        /// The replica's log end offset: the primary sends batches from here.
        public var fetchOffset: Int64
        /// The replica's fsynced end, capped at what the current primary incarnation confirmed matches
        /// (so it is always a true statement about the primary's own records).
        public var durableOffset: Int64
        /// The leader epoch of the replica's last batch (`nil`: empty log): the divergence check.
        public var lastFetchedEpoch: LeaderEpoch?

        public init(key: PartitionKey, fetchOffset: Int64, durableOffset: Int64, lastFetchedEpoch: LeaderEpoch?) {
            self.key = key
            self.fetchOffset = fetchOffset
            self.durableOffset = durableOffset
            self.lastFetchedEpoch = lastFetchedEpoch
        }
    }
    /// The leader epoch (fencing epoch + primary incarnation) the replica follows.
    public var epoch: LeaderEpoch
    public var replicaId: NodeId
    /// Echoed by the response so the replica can tell the answer to its outstanding fetch from
    /// duplicates and stragglers.
    public var fetchId: UInt64
    public var partitions: [Partition]

    public init(epoch: LeaderEpoch, replicaId: NodeId, fetchId: UInt64, partitions: [Partition]) {
        self.epoch = epoch
        self.replicaId = replicaId
        self.fetchId = fetchId
        self.partitions = partitions
    }
}

/// Tells the replica to truncate: the primary's history ends `epoch` at `endOffset`.
public struct Divergence: Hashable, Sendable {
    /// The largest epoch ≤ the replica's `lastFetchedEpoch` that the primary knows (nil: none).
    public var epoch: LeaderEpoch?
    public var endOffset: Int64

    public init(epoch: LeaderEpoch?, endOffset: Int64) {
        self.epoch = epoch
        self.endOffset = endOffset
    }
}

/// Primary → replica: batches (byte for byte as in the primary's log), the high watermark, or a divergence.
public struct ReplicaFetchResponse: Hashable, Sendable {
    public struct Partition: Hashable, Sendable {
        public var key: PartitionKey
        /// The fetch offset this answers (batches start there); a straggler answer is recognised by it.
        public var fetchOffset: Int64
        /// The fetch's `lastFetchedEpoch`, echoed: with `fetchOffset` it pins which replica log state this
        /// answers (a truncation that a crash undid can bring back the same end offset, not the same epoch).
        public var lastFetchedEpoch: LeaderEpoch?
        public var highWatermark: Int64
        public var logStartOffset: Int64
        /// Whole batches from `fetchOffset`, at most the fetch byte bound (the first batch always whole).
        public var records: ByteBuffer
        /// Set instead of records when the replica's log diverges from the primary's.
        public var divergence: Divergence?

        public init(key: PartitionKey, fetchOffset: Int64, lastFetchedEpoch: LeaderEpoch?, highWatermark: Int64, logStartOffset: Int64, records: ByteBuffer, divergence: Divergence?) {
            self.key = key
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.highWatermark = highWatermark
            self.logStartOffset = logStartOffset
            self.records = records
            self.divergence = divergence
        }
    }
    public var epoch: LeaderEpoch
    public var primaryId: NodeId
    public var fetchId: UInt64
    /// The primary acknowledges only what this replica reported durable (false: it acknowledges alone,
    /// so the replica may lack acknowledged records and must not be promoted).
    public var synchronous: Bool
    public var partitions: [Partition]

    public init(epoch: LeaderEpoch, primaryId: NodeId, fetchId: UInt64, synchronous: Bool, partitions: [Partition]) {
        self.epoch = epoch
        self.primaryId = primaryId
        self.fetchId = fetchId
        self.synchronous = synchronous
        self.partitions = partitions
    }
}

/// Replica → primary, sent as soon as an fsync completes: the new durable offsets.
///
/// Why a separate message rather than the next fetch: with pipelining the next fetch leaves as soon as
/// the batches are *written*, before their fsync; if it then sits in the primary's long poll (no new
/// data), the acknowledgement would wait for the poll to expire. A small idempotent progress message
/// costs one datagram per group commit and lets the high watermark move one fsync after the write.
/// Loss is harmless: every later fetch repeats the durable offsets.
public struct ReplicaDurable: Hashable, Sendable {
    public var epoch: LeaderEpoch
    public var replicaId: NodeId
    public var partitions: [Partition]
    public struct Partition: Hashable, Sendable {
        public var key: PartitionKey
        public var durableOffset: Int64
        public init(key: PartitionKey, durableOffset: Int64) {
            self.key = key
            self.durableOffset = durableOffset
        }
    }

    public init(epoch: LeaderEpoch, replicaId: NodeId, partitions: [Partition]) {
        self.epoch = epoch
        self.replicaId = replicaId
        self.partitions = partitions
    }
}

/// Either direction: "this is my epoch and role". Sent by a primary that hears no replica (so a peer
/// with a newer epoch can make it step down) and by any node answering a message of a stale epoch.
public struct EpochNotice: Hashable, Sendable {
    public var epoch: LeaderEpoch
    public var nodeId: NodeId
    public var role: Role

    public init(epoch: LeaderEpoch, nodeId: NodeId, role: Role) {
        self.epoch = epoch
        self.nodeId = nodeId
        self.role = role
    }
}

/// Everything the two nodes say to each other.
public enum ReplicationMessage: Hashable, Sendable, CustomStringConvertible {
    case fetch(ReplicaFetch)
    case fetchResponse(ReplicaFetchResponse)
    case durable(ReplicaDurable)
    case notice(EpochNotice)

    public var epoch: LeaderEpoch {
        switch self {
        case .fetch(let m): m.epoch
        case .fetchResponse(let m): m.epoch
        case .durable(let m): m.epoch
        case .notice(let m): m.epoch
        }
    }

    public var description: String {
        switch self {
        case .fetch(let m): "ReplicaFetch(\(m.epoch) #\(m.fetchId) \(m.partitions.map { "\($0.key)@\($0.fetchOffset)/d\($0.durableOffset)/\($0.lastFetchedEpoch.map { "\($0)" } ?? "-")" }))"
        case .fetchResponse(let m): "ReplicaFetchResponse(\(m.epoch) #\(m.fetchId)\(m.synchronous ? "" : " solo") \(m.partitions.map { "\($0.key)@\($0.fetchOffset) hw\($0.highWatermark) \($0.records.readableBytes)B\($0.divergence.map { " diverge \($0.epoch.map { "\($0)" } ?? "-")@\($0.endOffset)" } ?? "")" }))"
        case .durable(let m): "ReplicaDurable(\(m.epoch) \(m.partitions.map { "\($0.key)@\($0.durableOffset)" }))"
        case .notice(let m): "EpochNotice(\(m.epoch) \(m.role) from \(m.nodeId))"
        }
    }
}
