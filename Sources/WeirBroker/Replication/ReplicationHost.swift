import Dispatch
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WeirProtocol
import WeirRecords
import WeirReplication
import WeirStorage

/// Drives the sans-I/O `ReplicationNode` inside the broker: one serial executor (a dedicated one-thread
/// event loop) feeds it every event — client appends, peer messages, fsync completions, 10 ms ticks,
/// operator promotions — and carries out the actions it returns: sends over the `PeerLink`, fsyncs on the
/// durability threads, completes produce requests, moves partitions' high watermarks, applies the
/// replicated topic catalogue on the replica, and writes the audit trail.
///
/// Thread-safety: every `var` below is confined to `loop`; other threads read `snapshot` (a Mutex) and
/// reach the node only through `loop.submit`/`execute`.
public final class ReplicationHost: @unchecked Sendable {
    /// What other threads may read about the node, published from the loop after each change.
    public struct Snapshot: Sendable {
        public var role: Role
        public var epoch: Epoch
        public var leaderEpoch: LeaderEpoch
        public var inSync: Bool
        /// Primary: why it acknowledges alone (nil: synchronous).
        public var alone: SoloReason?
        public var offline: String?
        public var peerConnected = false
    }

    public struct Acknowledged: Sendable {
        public var baseOffset: Int64
        public var lastOffset: Int64
    }

    /// A produce or internal write that replication refused or could not complete.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var reason: ProduceFailure
        public var code: KafkaErrorCode {
            switch reason {
            case .notPrimary: .notLeaderOrFollower
            case .notEnoughReplicas: .notEnoughReplicas
            case .notEnoughReplicasAfterAppend: .notEnoughReplicasAfterAppend
            case .invalidBatch: .invalidRecord
            case .storage: .kafkaStorageError
            case .unknownPartition: .unknownTopicOrPartition
            }
        }
        public var description: String {
            switch reason {
            case .notPrimary: "this node is not the primary"
            case .notEnoughReplicas: "the replica is lost: nothing was written (NOT_ENOUGH_REPLICAS)"
            case .notEnoughReplicasAfterAppend: "written here, but the replica did not make it durable in time (NOT_ENOUGH_REPLICAS_AFTER_APPEND)"
            case .invalidBatch(let why): "invalid batch: \(why)"
            case .storage(let why): "storage: \(why)"
            case .unknownPartition: "unknown partition"
            }
        }
    }

    public let pair: PairConfiguration
    public let nodeId: Int32
    let loop: any EventLoop
    private let loopGroup: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let pool: NIOThreadPool
    private let metrics: BrokerMetrics
    private let topics: TopicRegistry
    private let logSet: BrokerLogSet
    private let dataDirectory: String
    private let published: Mutex<Snapshot>
    /// Called (off the loop) with the new role after every role change; set once before `start`.
    private let roleObservers = Mutex<[@Sendable (Role) -> Void]>([])

    // Loop-confined state.
    private var node: ReplicationNode!
    private var link: PeerLink!
    private var ticker: RepeatedTask?
    private var waiting: [UInt64: EventLoopPromise<Acknowledged>] = [:]
    private var nextToken: UInt64 = 1
    /// Idempotent duplicates waiting for the high watermark to cover their original batch.
    private var hwWaiters: [(key: PartitionKey, offset: Int64, deadline: Int64, promise: EventLoopPromise<Void>)] = []
    /// Primary: (end offset, append time) of recent appends per partition, for the lag in milliseconds.
    private var appendTimes: [PartitionKey: [(end: Int64, at: Int64)]] = [:]
    private var checkpointed: [PartitionKey: Int64] = [:]
    private var lastCheckpointAt: Int64 = 0
    private var aloneSince: Int64?
    private var aloneMsTotal: Int64 = 0
    private var lastRole: Role?
    private var stopped = false

    static func nowMs() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }

    init(pair: PairConfiguration, nodeId: Int32, dataDirectory: String, topics: TopicRegistry, offsetsLog: PartitionLog,
         pool: NIOThreadPool, metrics: BrokerMetrics, logger: Logger) {
        self.pair = pair
        self.nodeId = nodeId
        self.dataDirectory = dataDirectory
        self.topics = topics
        self.logSet = BrokerLogSet(topics: topics, offsetsLog: offsetsLog)
        self.pool = pool
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "node"] = "\(nodeId)"
        self.logger = logger
        loopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = loopGroup.next()
        published = Mutex(Snapshot(role: pair.initialRole, epoch: .zero, leaderEpoch: .none, inSync: false))
    }

    public var snapshot: Snapshot { published.withLock { $0 } }
    public var isPrimary: Bool { snapshot.role == .primary && snapshot.offline == nil }

    /// Registers a callback for role changes (processors run on the primary only).
    public func observeRole(_ observer: @escaping @Sendable (Role) -> Void) {
        roleObservers.withLock { $0.append(observer) }
    }

    // MARK: Lifecycle

    /// Opens the node (loads or creates its persisted state, scans epoch histories) and starts replicating.
    func start() throws {
        try loop.submit { try self.open() }.wait()
    }

    private func open() throws {
        var config = ReplicationConfig(nodeId: nodeId, peerId: pair.peerNodeId, initialRole: pair.initialRole)
        config.allowDegraded = pair.allowDegraded
        config.ackTimeoutMs = pair.ackTimeoutMs
        config.primaryLossMs = pair.primaryLossMs
        config.replicaLossMs = pair.primaryLossMs
        let store = try DiskReplicationStateStore(disk: POSIXDisk(), directory: dataDirectory)
        let hws = loadCheckpoint()
        let now = Self.nowMs()
        node = try ReplicationNode(config: config, store: store, logs: logSet, now: now, highWatermarks: hws)
        checkpointed = hws
        // Consumers see exactly what was acknowledged before the restart, not the unreplicated tail.
        for key in node.partitionKeys {
            topics.partition(key.topic, key.partition)?.resetHighWatermark(to: node.highWatermark(key))
        }
        if node.role == .primary, node.state.inSync == false {
            logger.warning("this primary was acknowledging alone before the restart and goes on doing so until its replica catches up")
        }
        link = PeerLink(host: pair.peerHost, port: pair.peerPort, loop: loop, nodeId: nodeId, logger: logger) { [unowned self] up in
            self.published.withLock { $0.peerConnected = up }
            self.metrics.replicationPeer(connected: up)
            if !up { self.node.peerUnreachable() }
        }
        logger.notice("replication node opened", metadata: [
            "role": "\(node.role)", "epoch": "\(node.state.epoch)", "leaderEpoch": "\(node.leaderEpoch)",
            "peer": "\(pair.peerHost):\(pair.peerPort) (node \(pair.peerNodeId))", "allowDegraded": "\(pair.allowDegraded)",
        ])
        if pair.allowDegraded {
            logger.warning("allow-degraded is ON: if the replica is lost this primary acknowledges alone and RPO = 0 no longer holds; every such period is audited")
        }
        run(node.start(now: now))
        link.start()
        ticker = loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { [unowned self] _ in
            self.tick()
        }
    }

    /// Stops replicating: no more sends or ticks; waiting produces fail; the high watermarks are checkpointed.
    func shutdown() {
        try? loop.submit {
            guard !self.stopped else { return }
            self.stopped = true
            self.ticker?.cancel()
            self.link?.stop()
            for (_, promise) in self.waiting { promise.fail(Failure(reason: .storage("the broker is shutting down"))) }
            self.waiting.removeAll()
            for w in self.hwWaiters { w.promise.fail(Failure(reason: .storage("the broker is shutting down"))) }
            self.hwWaiters.removeAll()
            if self.node != nil { self.writeCheckpoint(force: true) }
        }.wait()
        try? loopGroup.syncShutdownGracefully()
    }

    // MARK: Appends

    /// A client's validated batch for `partition`: idempotence check and append on the node's executor,
    /// in call order; the future answers once the batch is acknowledged (durable on both nodes) or failed.
    func appendProduce(_ partition: Partition, _ batch: RecordBatch) -> EventLoopFuture<ProduceAnswer> {
        loop.flatSubmit { () -> EventLoopFuture<ProduceAnswer> in
            let key = PartitionKey(partition.topic, partition.index)
            guard !self.stopped else { return self.loop.makeSucceededFuture(ProduceAnswer(errorCode: .kafkaStorageError)) }
            // The broker checked the role when the request arrived, but the node may have stepped down since
            // (requests queued behind the step-down, e.g. a frozen primary resuming). Steer before the
            // idempotence check: the producer state left from its time as primary would answer
            // OUT_OF_ORDER_SEQUENCE_NUMBER (fatal for librdkafka's idempotent producer) or a duplicate's success.
            guard self.node.role == .primary else {
                return self.loop.makeSucceededFuture(ProduceAnswer(errorCode: .notLeaderOrFollower, reason: "this node is not the primary"))
            }
            let now = Self.nowMs()
            let token = self.nextToken
            self.nextToken += 1
            var actions: [ReplicationAction] = []
            let outcome = partition.append(validated: batch) { b in
                let (info, acts) = self.node.appendReporting(b, to: key, token: ProduceToken(token), now: now)
                actions = acts
                if let info { return .appended(info) }
                for case .failed(let t, let reason) in acts where t.value == token {
                    let failure = Failure(reason: reason)
                    return .rejected(failure.code, failure.description)
                }
                return .rejected(.kafkaStorageError, "append refused")
            }
            switch outcome {
            case .appended(let info):
                let promise = self.loop.makePromise(of: Acknowledged.self)
                self.waiting[token] = promise
                self.appendTimes[key, default: []].append((info.lastOffset + 1, now))
                self.run(actions)
                return promise.futureResult.map { ack in
                    ProduceAnswer(errorCode: .none, baseOffset: ack.baseOffset, logStartOffset: info.logStartOffset)
                }.flatMapErrorThrowing { error in
                    ProduceAnswer(errorCode: (error as? Failure)?.code ?? .kafkaStorageError, reason: "\(error)")
                }
            case .duplicate(let base, let next):
                self.run(actions)
                // The original may not be acknowledged yet: answer once the high watermark covers it.
                return self.waitForHighWatermark(key, next, now: now).map {
                    ProduceAnswer(errorCode: .none, baseOffset: base, logStartOffset: partition.log.logStartOffset)
                }.flatMapErrorThrowing { error in
                    ProduceAnswer(errorCode: (error as? Failure)?.code ?? .kafkaStorageError, reason: "\(error)")
                }
            case .rejected(let code, let why):
                self.run(actions)
                // A synchronous primary whose replica has been silent for the loss time may be a stale one (a
                // frozen process resuming before it hears the new epoch). Its producer state has not seen the
                // sequences written to the new primary since, and a sequence error is fatal to an idempotent
                // producer: steer the client to refresh its metadata instead. Nothing was appended.
                if code == .outOfOrderSequenceNumber || code == .unknownProducerId,
                   self.node.solo == nil, self.node.replicaSilence(now: now) >= self.pair.primaryLossMs {
                    return self.loop.makeSucceededFuture(ProduceAnswer(
                        errorCode: .notLeaderOrFollower, reason: "replica silent for \(self.node.replicaSilence(now: now)) ms: possibly no longer the primary (\(why))"))
                }
                return self.loop.makeSucceededFuture(ProduceAnswer(errorCode: code, reason: why))
            }
        }
    }

    /// Appends one of the broker's own batches (topic catalogue, committed offsets) through the node.
    func append(_ batch: RecordBatch, to key: PartitionKey) -> EventLoopFuture<Acknowledged> {
        loop.flatSubmit {
            guard !self.stopped else { return self.loop.makeFailedFuture(Failure(reason: .storage("the broker is shutting down"))) }
            let now = Self.nowMs()
            let token = self.nextToken
            self.nextToken += 1
            let promise = self.loop.makePromise(of: Acknowledged.self)
            self.waiting[token] = promise
            let (info, actions) = self.node.appendReporting(batch, to: key, token: ProduceToken(token), now: now)
            if let info { self.appendTimes[key, default: []].append((info.lastOffset + 1, now)) }
            self.run(actions)
            return promise.futureResult
        }
    }

    private func waitForHighWatermark(_ key: PartitionKey, _ offset: Int64, now: Int64) -> EventLoopFuture<Void> {
        if node.highWatermark(key) >= offset { return loop.makeSucceededVoidFuture() }
        guard node.role == .primary else { return loop.makeFailedFuture(Failure(reason: .notPrimary)) }
        let promise = loop.makePromise(of: Void.self)
        hwWaiters.append((key, offset, now + pair.ackTimeoutMs, promise))
        return promise.futureResult
    }

    // MARK: Events from the network and the operator

    /// A message from the peer (decoded by the connection handler).
    func receive(_ message: ReplicationMessage) {
        loop.execute {
            guard !self.stopped, self.node != nil else { return }
            self.run(self.node.receive(message, now: Self.nowMs()))
        }
    }

    /// `weir promote`: this replica becomes primary of a new epoch.
    public func promote(force: Bool) -> EventLoopFuture<PromotionResult> {
        loop.submit {
            let (result, actions) = self.node.promote(force: force, now: Self.nowMs())
            self.run(actions)
            self.logger.notice("promotion requested", metadata: ["force": "\(force)", "result": "\(result)"])
            return result
        }
    }

    /// A replica forwards a client's topic auto-creation to its primary (best effort: the client retries).
    func requestAutoCreate(_ topic: String) {
        loop.execute {
            guard !self.stopped, self.node.role == .replica else { return }
            self.link.sendAdmin(AdminRequest(op: "auto-create", topic: topic))
        }
    }

    /// Partitions created by topic administration on the primary (so the replica learns of empty ones too).
    func addPartitions(_ keys: [PartitionKey]) {
        loop.execute {
            guard !self.stopped else { return }
            for key in keys { self.run(self.node.addPartition(key)) }
        }
    }

    /// Removes deleted partitions from the node before their logs close (the node must not read them again).
    func removePartitions(_ keys: [PartitionKey]) throws {
        try loop.submit {
            for key in keys { self.forget(key) }
        }.wait()
    }

    private func forget(_ key: PartitionKey) {
        run(node.removePartition(key))
        appendTimes[key] = nil
        checkpointed[key] = nil
    }

    // MARK: Status

    public struct PartitionStatus: Sendable, Codable {
        public var topic: String
        public var partition: Int32
        public var logEndOffset: Int64
        public var highWatermark: Int64
        /// Primary: records not yet durable on the replica; replica: nil (ask the primary).
        public var lagRecords: Int64?
        public var lagMs: Int64?
    }

    public struct Status: Sendable, Codable {
        public var nodeId: Int32
        public var role: String
        public var epoch: Int32
        public var leaderEpoch: String
        public var inSync: Bool
        public var acknowledgingAlone: String?
        public var allowDegraded: Bool
        public var offline: String?
        public var peer: String
        public var peerNodeId: Int32
        public var peerConnected: Bool
        /// Milliseconds since the peer was last heard (nil: not heard since start).
        public var peerSilenceMs: Int64?
        /// Total time this node acknowledged alone since it started (the audit log has every period).
        public var aloneMsTotal: Int64
        public var partitions: [PartitionStatus]
    }

    public func status() -> EventLoopFuture<Status> {
        loop.submit {
            let now = Self.nowMs()
            let node = self.node!
            var parts: [PartitionStatus] = []
            for key in node.partitionKeys {
                guard let log = self.logSet.log(key) else { continue }
                var s = PartitionStatus(topic: key.topic, partition: key.partition, logEndOffset: log.logEndOffset, highWatermark: node.highWatermark(key))
                if node.role == .primary {
                    let replicated = node.replicaDurableOffset(key)
                    s.lagRecords = max(0, log.logEndOffset - replicated)
                    let oldest = self.appendTimes[key]?.first { $0.end > replicated }
                    s.lagMs = oldest.map { now - $0.at } ?? 0
                }
                parts.append(s)
            }
            let snap = self.snapshot
            let silence: Int64? = node.role == .primary ? node.replicaSilence(now: now) : node.primarySilence(now: now)
            return Status(
                nodeId: self.nodeId, role: node.role.rawValue, epoch: node.state.epoch.value, leaderEpoch: "\(node.leaderEpoch)",
                inSync: node.state.inSync, acknowledgingAlone: node.solo.map { "\($0)" }, allowDegraded: self.pair.allowDegraded,
                offline: node.offlineReason, peer: "\(self.pair.peerHost):\(self.pair.peerPort)", peerNodeId: self.pair.peerNodeId,
                peerConnected: snap.peerConnected, peerSilenceMs: silence,
                aloneMsTotal: self.aloneMsTotal + (self.aloneSince.map { now - $0 } ?? 0), partitions: parts)
        }
    }

    // MARK: Carrying out actions (on the loop)

    private func tick() {
        guard !stopped else { return }
        let now = Self.nowMs()
        run(node.tick(now: now))
        if !hwWaiters.isEmpty {
            var kept: [(key: PartitionKey, offset: Int64, deadline: Int64, promise: EventLoopPromise<Void>)] = []
            for w in hwWaiters {
                if node.highWatermark(w.key) >= w.offset {
                    w.promise.succeed()
                } else if w.deadline <= now || node.role != .primary {
                    w.promise.fail(Failure(reason: node.role == .primary ? .notEnoughReplicasAfterAppend : .notPrimary))
                } else {
                    kept.append(w)
                }
            }
            hwWaiters = kept
        }
        if now - lastCheckpointAt >= 1_000 { writeCheckpoint(force: false) }
    }

    private func run(_ actions: [ReplicationAction]) {
        for action in actions { perform(action) }
    }

    private func perform(_ action: ReplicationAction) {
        switch action {
        case .send(let message):
            link.send(message)
        case .sync(let key):
            guard let log = logSet.partitionLog(key) else {
                run(node.syncCompleted(key, now: Self.nowMs()))
                return
            }
            let metrics = self.metrics
            let started = DispatchTime.now().uptimeNanoseconds
            pool.runIfActive(eventLoop: loop) { try log.waitUntilDurable(log.logEndOffset) }.whenComplete { result in
                guard !self.stopped else { return }
                switch result {
                case .success:
                    metrics.fsyncWait(nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
                    self.run(self.node.syncCompleted(key, now: Self.nowMs()))
                case .failure(let error):
                    self.logger.critical("fsync failed; the replication node goes offline", metadata: ["partition": "\(key)", "error": "\(error)"])
                    self.run(self.node.syncFailed(key, error: "\(error)"))
                }
            }
        case .acknowledged(let token, let key, let base, let last, _):
            waiting.removeValue(forKey: token.value)?.succeed(Acknowledged(baseOffset: base, lastOffset: last))
            trimAppendTimes(key)
        case .failed(let token, let reason):
            waiting.removeValue(forKey: token.value)?.fail(Failure(reason: reason))
        case .highWatermark(let key, let hw):
            if let partition = topics.partition(key.topic, key.partition), key != .topicCatalogue, key != .consumerOffsets {
                partition.advanceHighWatermark(to: hw)
            }
            if key == .topicCatalogue && node.role == .replica { applyCatalogue(upTo: hw) }
            if !hwWaiters.isEmpty {
                hwWaiters.removeAll { w in
                    guard w.key == key, w.offset <= hw else { return false }
                    w.promise.succeed()
                    return true
                }
            }
            trimAppendTimes(key)
        case .truncated(let key, let offset):
            topics.partition(key.topic, key.partition)?.resetAfterTruncation()
            logger.warning("replica log truncated (a divergent suffix that was never acknowledged)", metadata: ["partition": "\(key)", "to": "\(offset)"])
        case .partitionCreated(let key):
            logger.debug("partition created by replication", metadata: ["partition": "\(key)"])
        case .stateChanged(let state):
            published.withLock {
                $0.role = state.role
                $0.epoch = state.epoch
                $0.leaderEpoch = node.leaderEpoch
                $0.inSync = state.inSync
                $0.alone = node.solo
            }
            metrics.replicationState(primary: state.role == .primary, epoch: state.epoch.value)
            if lastRole != state.role { roleChanged(to: state.role) }
        case .audit(let event):
            audit(event)
        case .offline(let reason):
            published.withLock { $0.offline = reason }
            logger.critical("replication node offline: it acknowledges nothing until restarted", metadata: ["reason": "\(reason)"])
            for (_, promise) in waiting { promise.fail(Failure(reason: .storage(reason))) }
            waiting.removeAll()
        }
    }

    private func trimAppendTimes(_ key: PartitionKey) {
        guard var times = appendTimes[key], !times.isEmpty else { return }
        let replicated = node.role == .primary ? node.replicaDurableOffset(key) : Int64.max
        let covered = min(replicated, node.highWatermark(key))
        let drop = times.prefix { $0.end <= covered }.count
        if drop > 0 { times.removeFirst(drop) }
        if times.count > 100_000 { times.removeFirst(times.count - 100_000) }  // bounded: lag beyond this is coarse
        appendTimes[key] = times
    }

    private func roleChanged(to role: Role) {
        let first = lastRole == nil
        lastRole = role
        // Idempotent-producer state is rebuilt from the log by whichever node is primary now.
        for topic in topics.allTopics { for p in topic.partitions { p.resetProducerState() } }
        if role == .primary {
            // Everything in the catalogue log is ours from now on: apply what the old primary wrote.
            applyCatalogue(upTo: topics.metadata.log.logEndOffset)
        }
        if !first { logger.notice("role changed", metadata: ["role": "\(role)", "epoch": "\(node.state.epoch)"]) }
        let observers = roleObservers.withLock { $0 }
        for o in observers { o(role) }
    }

    private func applyCatalogue(upTo offset: Int64) {
        do {
            let removed = try topics.applyReplicated(upTo: offset) { keys in
                for key in keys { self.forget(key) }
            }
            if !removed.isEmpty { logger.info("replicated topic deletions applied", metadata: ["partitions": "\(removed.count)"]) }
        } catch {
            logger.error("cannot apply the replicated topic catalogue", metadata: ["error": "\(error)"])
        }
    }

    private func audit(_ event: AuditEvent) {
        let now = Self.nowMs()
        switch event {
        case .acknowledgingAlone(let reason):
            if aloneSince == nil { aloneSince = now }
            published.withLock { $0.alone = reason }
            metrics.replicationAlone(true)
            logger.warning("ACKNOWLEDGING ALONE: writes are acknowledged with this node's fsync only (RPO = 0 does not hold until the replica catches up)", metadata: ["reason": "\(reason)"])
        case .synchronous:
            if let since = aloneSince {
                aloneMsTotal += now - since
                metrics.replicationAloneTime(milliseconds: now - since)
            }
            aloneSince = nil
            published.withLock { $0.alone = nil }
            metrics.replicationAlone(false)
            logger.notice("replica caught up: acknowledgements need both fsyncs again (synchronous)")
        case .discardedAcknowledged(let key, let hw, let to):
            logger.critical("acknowledged records discarded after degraded operation", metadata: ["partition": "\(key)", "highWatermark": "\(hw)", "truncatedTo": "\(to)"])
        default:
            logger.notice("replication event", metadata: ["event": "\(event)"])
        }
        appendAudit("\(event)")
    }

    /// `<data>/replication-audit.log`: one line per operator-relevant event, wall-clock stamped, fsynced.
    private func appendAudit(_ line: String) {
        let path = dataDirectory + "/replication-audit.log"
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = "\(stamp) node=\(nodeId) epoch=\(node?.state.epoch.value ?? -1) \(line)\n"
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { return }
        _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        _ = fsync(fd)
        Glibc.close(fd)
    }

    // MARK: High-watermark checkpoint

    private var checkpointPath: String { dataDirectory + "/replication-high-watermarks" }

    private func loadCheckpoint() -> [PartitionKey: Int64] {
        guard let text = try? String(contentsOfFile: checkpointPath, encoding: .utf8) else { return [:] }
        var hws: [PartitionKey: Int64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 3, let p = Int32(f[1]), let hw = Int64(f[2]) else { continue }
            hws[PartitionKey(String(f[0]), p)] = hw
        }
        return hws
    }

    /// Persists each partition's high watermark (never above what was acknowledged) about once a second.
    private func writeCheckpoint(force: Bool) {
        lastCheckpointAt = Self.nowMs()
        var current: [PartitionKey: Int64] = [:]
        for key in node.partitionKeys { current[key] = node.highWatermark(key) }
        guard force || current != checkpointed else { return }
        let text = current.keys.sorted().map { "\($0.topic) \($0.partition) \(current[$0]!)" }.joined(separator: "\n") + "\n"
        do {
            try writeDurably(text, to: checkpointPath)
            checkpointed = current
        } catch {
            logger.error("cannot checkpoint high watermarks", metadata: ["error": "\(error)"])
        }
    }
}

/// One partition's answer to a Produce.
struct ProduceAnswer: Sendable {
    var errorCode: KafkaErrorCode
    var baseOffset: Int64 = -1
    var logStartOffset: Int64 = -1
    var reason: String = ""
}

/// The partitions of a broker as replication sees them: the topic catalogue, the consumer offsets and every
/// topic partition. A replica creates the partitions its primary reports; a primary never does (its
/// partitions come from topic administration).
final class BrokerLogSet: ReplicatedLogSet, @unchecked Sendable {
    let topics: TopicRegistry
    let offsetsLog: PartitionLog

    init(topics: TopicRegistry, offsetsLog: PartitionLog) {
        self.topics = topics
        self.offsetsLog = offsetsLog
    }

    var keys: [PartitionKey] {
        var keys: [PartitionKey] = [.topicCatalogue, .consumerOffsets]
        for t in topics.allTopics { for p in t.partitions { keys.append(PartitionKey(t.name, p.index)) } }
        return keys
    }

    func partitionLog(_ key: PartitionKey) -> PartitionLog? {
        if key == .topicCatalogue { return topics.metadata.log }
        if key == .consumerOffsets { return offsetsLog }
        return topics.partition(key.topic, key.partition)?.log
    }

    func log(_ key: PartitionKey) -> (any ReplicatedLog)? { partitionLog(key) }

    func create(_ key: PartitionKey) throws(StorageError) -> any ReplicatedLog {
        if let log = partitionLog(key) { return log }
        do {
            return try topics.ensureReplicaPartition(key.topic, key.partition).log
        } catch {
            throw StorageError(.io, "cannot create replicated partition \(key): \(error)")
        }
    }

    func mayCreate(_ key: PartitionKey, role: Role) -> Bool { role == .replica }
}
