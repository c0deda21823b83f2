/// Timeouts and switches of one node. All durations are milliseconds of the injected clock.
public struct ReplicationConfig: Hashable, Sendable {
    public var nodeId: NodeId
    public var peerId: NodeId
    /// The role a node without a persisted state starts in (exactly one node of a fresh pair is primary).
    public var initialRole: Role
    /// A produce not acknowledged (replicated) within this fails with NOT_ENOUGH_REPLICAS (retriable).
    public var ackTimeoutMs: Int64 = 5_000
    /// The primary holds a replica fetch that finds nothing new this long before answering it empty.
    public var longPollMs: Int64 = 500
    /// The replica sends a new fetch when the outstanding one has no answer after this long (> longPollMs).
    public var fetchRetryMs: Int64 = 1_000
    /// Replica: the primary counts as unreachable (promotion allowed without force) after this silence.
    public var primaryLossMs: Int64 = 1_000
    /// Primary: after this long without a message from the replica it probes the peer with its epoch
    /// (a newer primary there makes it step down) and, when `allowDegraded`, starts acknowledging alone.
    public var replicaLossMs: Int64 = 1_000
    /// Operator setting: a primary whose replica is lost acknowledges alone (recorded as an audit event).
    /// Off by default: with it on, a later promotion of the replica can lose what was acknowledged alone.
    public var allowDegraded = false
    /// Upper bound on record bytes per partition in one fetch response (the first batch always whole).
    public var maxFetchBytes = 1 << 20
    /// Upper bound on record bytes in one whole fetch response (partitions past it are answered empty and
    /// served by the next fetch), so a catching-up replica of many partitions stays under the frame limit.
    public var maxFetchResponseBytes = 32 << 20

    public init(nodeId: NodeId, peerId: NodeId, initialRole: Role) {
        precondition(nodeId != peerId, "a pair needs two node ids")
        self.nodeId = nodeId
        self.peerId = peerId
        self.initialRole = initialRole
    }
}

/// Identifies one client append so its completion can be matched (the broker's produce request slot).
public struct ProduceToken: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public var description: String { "#\(value)" }
}

/// Why a produce failed; each maps to a Kafka error code.
public enum ProduceFailure: Hashable, Sendable {
    /// NOT_LEADER_OR_FOLLOWER: this node is (or became) the replica.
    case notPrimary
    /// NOT_ENOUGH_REPLICAS (retriable): not written. (Not produced by the node today: a lost replica still
    /// gets every write appended, in order, so an idempotent producer's sequence never has a hole.)
    case notEnoughReplicas
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND (retriable): appended here, but not durable on the replica within
    /// `ackTimeoutMs`. The outcome is unknown to the client: the record may still become visible once the
    /// replica catches up (as in Kafka).
    case notEnoughReplicasAfterAppend
    /// The batch was refused by the log (the message names the reason; `invalidBatch` is the client's fault).
    case invalidBatch(String)
    /// KAFKA_STORAGE_ERROR: the node went offline.
    case storage(String)
    /// UNKNOWN_TOPIC_OR_PARTITION: the partition does not exist (its topic was deleted meanwhile).
    case unknownPartition
}

/// Why a primary acknowledges without its replica.
public enum SoloReason: Hashable, Sendable {
    /// It was promoted; it stays alone until the old primary rejoins as replica and catches up.
    case promotion
    /// `allowDegraded` and the replica was lost.
    case operatorDegraded
}

/// Operator-visible decisions, to be written to the audit log.
public enum AuditEvent: Hashable, Sendable {
    case promoted(from: Epoch, to: Epoch, forced: Bool, primaryReachable: Bool)
    case steppedDown(from: LeaderEpoch, to: LeaderEpoch)
    case restartedAsPrimary(LeaderEpoch)
    /// From here on the primary acknowledges with its own fsync only.
    case acknowledgingAlone(SoloReason)
    /// The replica caught up: acknowledgements need both fsyncs again.
    case synchronous
    /// A replica discarded a divergent suffix (never acknowledged: it lies above the high watermark).
    case truncated(PartitionKey, from: Int64, to: Int64)
    /// A truncation went below the high watermark: possible only after acknowledging alone by
    /// operator choice (`allowDegraded`) and a promotion of the other side. Never with RPO = 0.
    case discardedAcknowledged(PartitionKey, highWatermark: Int64, truncatedTo: Int64)
}

/// What the driver (the broker, or the simulation) must do after feeding the node an event.
public enum ReplicationAction: Hashable, Sendable {
    /// Send to the peer (best effort: loss, duplication and reordering are all tolerated).
    case send(ReplicationMessage)
    /// fsync this partition's log, then call `syncCompleted` (or `syncFailed`). At most one at a time per
    /// partition: appends arriving meanwhile are covered by the next one (group commit).
    case sync(PartitionKey)
    /// The produce is replicated and durable on both nodes (or on the primary alone when acknowledging alone).
    case acknowledged(ProduceToken, PartitionKey, baseOffset: Int64, lastOffset: Int64, epoch: LeaderEpoch)
    case failed(ProduceToken, ProduceFailure)
    /// The partition's high watermark moved (only ever up, except as reported by `.truncated`).
    case highWatermark(PartitionKey, Int64)
    /// The log lost its suffix from this offset (replica divergence): reset producer state, wake fetchers.
    case truncated(PartitionKey, to: Int64)
    /// The replica created a partition the primary reported.
    case partitionCreated(PartitionKey)
    /// The persisted state changed (it is already durable).
    case stateChanged(ReplicationState)
    case audit(AuditEvent)
    /// The node can no longer act (its state or a log could not be written): stop it; a restart recovers.
    case offline(String)
}

/// The operator's `weir promote` answer.
public enum PromotionResult: Hashable, Sendable {
    case promoted(Epoch)
    /// Refused: this node already is the primary.
    case alreadyPrimary
    /// Refused: the primary answered within `primaryLossMs`; pass `force` to promote anyway.
    case primaryReachable
    /// Refused, even forced: the primary was last heard acknowledging alone, so this log may lack
    /// acknowledged records (promoting it would break RPO = 0). It must catch up first.
    case notInSync
    case failed(String)
}
