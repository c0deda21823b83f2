/// A node of the replicated pair (the broker's `node.id`).
public typealias NodeId = Int32

/// The fencing epoch: raised by every promotion, persisted before the node acts on it, carried by every
/// replication message. A node holding a lower epoch than its peer can never acknowledge a write.
///
/// Epochs are owned by parity: the node with the lower id only ever creates odd epochs, the other even
/// ones, so two promotions racing on both sides of a partition can never produce the same epoch (and at
/// most one node acknowledges in any epoch, structurally).
public struct Epoch: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Int32
    public init(_ value: Int32) { self.value = value }

    public static let zero = Epoch(0)
    /// The largest fencing epoch that still packs into a `LeaderEpoch`.
    public static let maximum = Epoch(Int32(Int16.max))

    public static func < (a: Epoch, b: Epoch) -> Bool { a.value < b.value }
    public var description: String { "e\(value)" }

    /// Whether `node` may create this epoch by promotion (parity ownership, see the type comment).
    public func isOwned(by node: NodeId, peer: NodeId) -> Bool {
        (value & 1) == (node < peer ? 1 : 0)
    }

    /// The smallest epoch above `self` that `node` owns: what a promotion of `node` persists.
    public func next(ownedBy node: NodeId, peer: NodeId) -> Epoch {
        var candidate = Epoch(value + 1)
        if !candidate.isOwned(by: node, peer: peer) { candidate.value += 1 }
        return candidate
    }
}

/// The epoch stamped on every batch a primary appends (`partitionLeaderEpoch`) and carried by every
/// replication message: the fencing epoch plus the primary's incarnation within it (bumped, and
/// persisted, every time a primary restarts). Packed as `epoch << 16 | incarnation` in an Int32.
///
/// Why the incarnation: a primary that crashes loses its unsynced tail, which the replica may already
/// hold. Were the restarted primary to reuse the same batch epoch, it would append *different* batches
/// with the same epoch at the same offsets and the divergence check (which trusts "same epoch, same
/// offset ⇒ same batch") would miss it. A fresh incarnation makes the lost tail diverge visibly, without
/// creating a new fencing epoch that could outrank a promoted peer.
public struct LeaderEpoch: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var epoch: Epoch
    public var incarnation: UInt16

    public init(epoch: Epoch, incarnation: UInt16) {
        precondition(epoch >= .zero && epoch <= .maximum, "epoch \(epoch) does not pack into a leader epoch")
        self.epoch = epoch
        self.incarnation = incarnation
    }

    /// Unpacks a batch's `partitionLeaderEpoch`; nil for negative values (no epoch).
    public init?(packed: Int32) {
        guard packed >= 0 else { return nil }
        self.epoch = Epoch(packed >> 16)
        self.incarnation = UInt16(truncatingIfNeeded: packed & 0xFFFF)
    }

    public var packed: Int32 { epoch.value << 16 | Int32(incarnation) }
    public static let none = LeaderEpoch(epoch: .zero, incarnation: 0)

    public static func < (a: LeaderEpoch, b: LeaderEpoch) -> Bool { a.packed < b.packed }
    public var description: String { "\(epoch).\(incarnation)" }
}

/// What a node does in the pair.
public enum Role: String, Hashable, Sendable {
    case primary
    case replica
}

/// One topic-partition, opaque to replication (topic metadata and consumer offsets are logs too).
public struct PartitionKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public static func < (a: PartitionKey, b: PartitionKey) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
    public var description: String { "\(topic)-\(partition)" }
}
