import NIOCore
import NIOPosix
import WeirProtocol
import WeirRecords
import WeirReplication
import WeirStorage

/// How a node runs in a two-node pair (`weir serve --role primary|replica --peer HOST:PORT`).
public struct PairConfiguration: Sendable {
    /// The role of a node that has no persisted replication state yet (a fresh pair); afterwards the
    /// persisted state (epoch, role) wins: a promoted replica stays primary across restarts.
    public var initialRole: Role
    /// The peer's Kafka listener: replication connects to it, and clients are told it is the primary
    /// when it is (so it must be an address clients can reach too).
    public var peerHost: String
    public var peerPort: Int
    public var peerNodeId: Int32
    /// Operator setting (loudly logged, metered, audited): a primary whose replica is lost acknowledges
    /// with its own fsync alone instead of failing writes with NOT_ENOUGH_REPLICAS. Breaks RPO = 0 while on.
    public var allowDegraded = false
    /// A produce not replicated within this fails with NOT_ENOUGH_REPLICAS (retriable).
    public var ackTimeoutMs: Int64 = 5_000
    /// The replica counts its primary as lost after this much silence (promotion without `--force`).
    public var primaryLossMs: Int64 = 1_000

    public init(initialRole: Role, peerHost: String, peerPort: Int, peerNodeId: Int32) {
        self.initialRole = initialRole
        self.peerHost = peerHost
        self.peerPort = peerPort
        self.peerNodeId = peerNodeId
    }
}

extension ApiKey {
    /// Weir's private API keys, outside Kafka's range: replication messages between the two nodes of a pair
    /// (one-way: no response) and the operator's admin requests (JSON in, JSON out).
    public static let weirReplication = ApiKey(rawValue: 32_001)
    public static let weirAdmin = ApiKey(rawValue: 32_002)
}

/// The internal logs replication carries besides topic partitions.
extension PartitionKey {
    static let topicCatalogue = PartitionKey(MetadataLog.directoryName, 0)
    static let consumerOffsets = PartitionKey(Broker.offsetsTopic, 0)
}

/// How the broker's own records (topic catalogue, committed offsets) reach their log: appended in call
/// order, acknowledged once durable — fsynced here on a single node, on both nodes in a pair.
public protocol InternalLogWriter: Sendable {
    /// Appends now (in call order); the future succeeds once the batch is acknowledged.
    func append(_ batch: RecordBatch) -> EventLoopFuture<Void>
}

/// A single node's internal log writes: append, then fsync on the durability threads.
struct LocalLogWriter: InternalLogWriter {
    let log: PartitionLog
    let pool: NIOThreadPool
    let eventLoop: any EventLoop

    func append(_ batch: RecordBatch) -> EventLoopFuture<Void> {
        let info: PartitionLog.AppendInfo
        do throws(StorageError) { info = try log.append(batch) } catch { return eventLoop.makeFailedFuture(error) }
        let log = self.log
        return pool.runIfActive(eventLoop: eventLoop) { try log.waitUntilDurable(info.lastOffset + 1) }
    }
}

/// A pair node's internal log writes: through the replication node (its epoch stamped, acknowledged once
/// durable on both nodes).
struct ReplicatedLogWriter: InternalLogWriter {
    let host: ReplicationHost
    let key: PartitionKey

    func append(_ batch: RecordBatch) -> EventLoopFuture<Void> {
        host.append(batch, to: key).map { _ in }
    }
}
