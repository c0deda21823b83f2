import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WeirProtocol
import WeirRecords
import WeirReplication
import WeirStorage

/// How a broker is set up: identity, addresses, data directory, defaults.
public struct BrokerConfiguration: Sendable {
    public var nodeId: Int32 = 1
    public var dataDirectory = "./weir-data"
    /// Host and port clients are told to connect to (Metadata, FindCoordinator).
    public var advertisedHost = "127.0.0.1"
    public var advertisedPort: Int32 = 9092
    public var autoCreateTopics = true
    /// Partitions of auto-created topics and of CreateTopics with numPartitions = -1 (Kafka's num.partitions).
    public var defaultPartitions: Int32 = 1
    /// Kafka's group.initial.rebalance.delay.ms.
    public var groupInitialRebalanceDelayMs: Int64 = 3000
    public var maxFrameBytes = KafkaFrameDecoder.defaultMaximumFrameSize
    /// Threads that wait for fsync (group commit shares each fdatasync among them).
    public var durabilityThreads = 16
    public var clusterId = "weir-cluster"
    /// Two-node pair mode (nil: a single node).
    public var pair: PairConfiguration?
    public init() {}
}

/// The broker's request handling: one call per decoded request, answering a response (or nil for acks=0).
/// Thread-safe; handlers run on the connection's event loop and hop off it only to wait (fsync, groups).
public final class Broker: Sendable {
    public let configuration: BrokerConfiguration
    public let topics: TopicRegistry
    public let groups: GroupCoordinator
    public let metrics: BrokerMetrics
    let producerIds: ProducerIdAllocator
    let durabilityPool: NIOThreadPool
    let cleaner: LogCleaner
    let logger: Logger
    let offsetsLog: PartitionLog
    /// Pair mode: the replication driver (nil on a single node).
    public let replication: ReplicationHost?

    public static let offsetsTopic = "__consumer_offsets"

    public init(configuration: BrokerConfiguration, logger: Logger, metrics: BrokerMetrics = BrokerMetrics()) throws {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        let data = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let disk = CachedDisk(POSIXDisk(), capacity: 1024)
        cleaner = LogCleaner(logger: logger)
        topics = try TopicRegistry(dataDirectory: data, disk: disk, cleaner: cleaner, logger: logger, metrics: metrics, adoptUnknownDirectories: configuration.pair == nil)
        producerIds = try ProducerIdAllocator(directory: data)
        var offsetsConfig = LogConfig()
        offsetsConfig.compacted = true
        offsetsConfig.retentionMs = -1
        offsetsConfig.segmentBytes = 100 << 20
        offsetsLog = try PartitionLog(directory: data + "/" + Self.offsetsTopic, config: offsetsConfig, disk: disk, logger: logger)
        cleaner.register(offsetsLog)
        durabilityPool = NIOThreadPool(numberOfThreads: configuration.durabilityThreads)
        durabilityPool.start()
        var replication: ReplicationHost?
        var offsetsWriter: (any InternalLogWriter)?
        if let pair = configuration.pair {
            let host = ReplicationHost(
                pair: pair, nodeId: configuration.nodeId, dataDirectory: data, topics: topics, offsetsLog: offsetsLog,
                pool: durabilityPool, metrics: metrics, logger: logger)
            topics.metadata.writer.withLock { $0 = ReplicatedLogWriter(host: host, key: .topicCatalogue) }
            topics.setHooks(opened: { host.addPartitions($0) }, closing: { try host.removePartitions($0) })
            offsetsWriter = ReplicatedLogWriter(host: host, key: .consumerOffsets)
            replication = host
        }
        self.replication = replication
        groups = try GroupCoordinator(
            offsetsLog: offsetsLog, clock: { wallClockMs() }, logger: logger,
            config: GroupCoordinatorConfig(initialRebalanceDelayMs: configuration.groupInitialRebalanceDelayMs),
            durabilityPool: durabilityPool, writer: offsetsWriter)
        cleaner.start()
        if let replication {
            let groups = self.groups
            // A new primary takes over the groups its old primary replicated; a replica forgets members.
            replication.observeRole { _ in Task { await groups.reload() } }
            try replication.start()
        }
    }

    /// Whether this node takes writes: a single node always, a pair node while it is the primary.
    public var isPrimary: Bool { replication?.isPrimary ?? true }

    /// The node ids of the cluster (this node, and its peer in a pair).
    var clusterNodeIds: Set<Int32> {
        var ids: Set<Int32> = [configuration.nodeId]
        if let pair = configuration.pair { ids.insert(pair.peerNodeId) }
        return ids
    }

    /// The primary's node id and address as this node knows it.
    var primaryAddress: (nodeId: Int32, host: String, port: Int32) {
        if let replication, !replication.isPrimary, let pair = configuration.pair {
            return (pair.peerNodeId, pair.peerHost, Int32(pair.peerPort))
        }
        return (configuration.nodeId, configuration.advertisedHost, configuration.advertisedPort)
    }

    /// Stops background work and closes every log cleanly.
    public func shutdown() async {
        replication?.shutdown()
        cleaner.stop()
        try? await durabilityPool.shutdownGracefully()
        topics.closeAll()
        try? offsetsLog.close()
    }

    // MARK: Dispatch

    /// Handles one request. `peer` names the client in logs.
    public func handle(_ request: KafkaRequest, header: RequestHeader, peer: String, on eventLoop: any EventLoop) -> EventLoopFuture<KafkaResponse?> {
        let v = header.apiVersion
        if let replication {
            if !replication.isPrimary, let refusal = refusalOnReplica(request) {
                return eventLoop.makeSucceededFuture(refusal)
            }
            // Topic administration waits for replication (a blocking wait): off the event loop.
            if request.changesCatalogue(autoCreate: configuration.autoCreateTopics, topics: topics) {
                return durabilityPool.runIfActive(eventLoop: eventLoop) { () -> EventLoopFuture<KafkaResponse?> in
                    if case .produce(let r) = request {
                        for t in r.topicData where self.topics.topic(t.name) == nil && TopicRegistry.nameProblem(t.name) == nil {
                            _ = self.autoCreate(t.name)
                        }
                        return self.produce(r, version: v, peer: peer, on: eventLoop)
                    }
                    return self.dispatch(request, header: header, peer: peer, on: eventLoop)
                }.flatMap { $0 }
            }
        }
        return dispatch(request, header: header, peer: peer, on: eventLoop)
    }

    private func dispatch(_ request: KafkaRequest, header: RequestHeader, peer: String, on eventLoop: any EventLoop) -> EventLoopFuture<KafkaResponse?> {
        let v = header.apiVersion
        switch request {
        case .apiVersions:
            return eventLoop.makeSucceededFuture(.apiVersions(ApiVersionsResponse.advertised()))
        case .metadata(let r):
            return eventLoop.makeSucceededFuture(.metadata(metadata(r, version: v)))
        case .produce(let r):
            return produce(r, version: v, peer: peer, on: eventLoop)
        case .fetch(let r):
            return fetch(r, version: v, on: eventLoop).map { .fetch($0) }
        case .listOffsets(let r):
            return eventLoop.makeSucceededFuture(.listOffsets(listOffsets(r)))
        case .findCoordinator(let r):
            var response = FindCoordinatorResponse()
            if r.keyType == 0 {
                let primary = primaryAddress  // groups live on the primary
                response.nodeId = primary.nodeId
                response.host = primary.host
                response.port = primary.port
            } else {
                // Not retriable on purpose: clients fail init_transactions() at once with this error instead of
                // retrying COORDINATOR_NOT_AVAILABLE until their timeout.
                response.errorCode = .transactionalIdAuthorizationFailed
                response.errorMessage = "Weir has no transaction coordinator: transactions are not supported (use an idempotent producer)"
                response.nodeId = -1
                logger.warning("transaction coordinator asked for: transactions are not supported", metadata: ["peer": "\(peer)"])
            }
            return eventLoop.makeSucceededFuture(.findCoordinator(response))
        case .initProducerId(let r):
            var response = InitProducerIdResponse()
            if r.transactionalId != nil {
                response.errorCode = .transactionalIdAuthorizationFailed
                response.producerId = -1
                response.producerEpoch = -1
                logger.warning("transactional producer refused: transactions are not supported", metadata: ["peer": "\(peer)"])
            } else {
                do {
                    response.producerId = try producerIdPrefix() | producerIds.allocate()
                    response.producerEpoch = 0
                } catch {
                    logger.error("cannot allocate a producer id", metadata: ["peer": "\(peer)", "error": "\(error)"])
                    response.errorCode = .kafkaStorageError
                    response.producerId = -1
                    response.producerEpoch = -1
                }
            }
            return eventLoop.makeSucceededFuture(.initProducerId(response))
        case .createTopics(let r):
            return eventLoop.makeSucceededFuture(.createTopics(createTopics(r)))
        case .deleteTopics(let r):
            return eventLoop.makeSucceededFuture(.deleteTopics(deleteTopics(r)))
        case .deleteRecords(let r):
            // Waits for fsyncs in flight on the partitions (a blocking wait): off the event loop.
            return durabilityPool.runIfActive(eventLoop: eventLoop) { .deleteRecords(self.deleteRecords(r)) }
        case .createPartitions(let r):
            return eventLoop.makeSucceededFuture(.createPartitions(createPartitions(r)))
        case .describeConfigs(let r):
            return eventLoop.makeSucceededFuture(.describeConfigs(describeConfigs(r, version: v)))
        case .alterConfigs(let r):
            return eventLoop.makeSucceededFuture(.alterConfigs(alterConfigs(r)))
        case .incrementalAlterConfigs(let r):
            return eventLoop.makeSucceededFuture(.incrementalAlterConfigs(incrementalAlterConfigs(r)))
        case .joinGroup(let r):
            // Kafka reports a member's host as "/<address>" (no port).
            let host = peer.lastIndex(of: ":").map { "/" + peer[..<$0] } ?? "/" + peer
            let client = GroupClient(clientId: header.clientId ?? "", clientHost: host)
            return eventLoop.makeFutureWithTask { .joinGroup(await self.groups.joinGroup(r, version: v, client: client)) }
        case .syncGroup(let r):
            return eventLoop.makeFutureWithTask { .syncGroup(await self.groups.syncGroup(r, version: v)) }
        case .heartbeat(let r):
            return eventLoop.makeFutureWithTask { .heartbeat(await self.groups.heartbeat(r, version: v)) }
        case .leaveGroup(let r):
            return eventLoop.makeFutureWithTask { .leaveGroup(await self.groups.leaveGroup(r, version: v)) }
        case .offsetCommit(let r):
            // As Kafka: partitions of topics that do not exist are answered UNKNOWN_TOPIC_OR_PARTITION, not stored.
            var known = r
            var unknown: [OffsetCommitResponse.Topic] = []
            known.topics = []
            for t in r.topics {
                let (ok, missing) = (t.partitions.filter { topics.partition(t.name, $0.partitionIndex) != nil },
                                     t.partitions.filter { topics.partition(t.name, $0.partitionIndex) == nil })
                if !ok.isEmpty { known.topics.append(.init(name: t.name, partitions: ok)) }
                if !missing.isEmpty {
                    unknown.append(.init(name: t.name, partitions: missing.map { .init(partitionIndex: $0.partitionIndex, errorCode: .unknownTopicOrPartition) }))
                }
            }
            if known.topics.isEmpty && !r.topics.isEmpty {
                return eventLoop.makeSucceededFuture(.offsetCommit(OffsetCommitResponse(topics: unknown)))
            }
            let commit = known, refused = unknown
            return eventLoop.makeFutureWithTask {
                var response = await self.groups.offsetCommit(commit, version: v)
                response.topics += refused
                return .offsetCommit(response)
            }
        case .offsetFetch(let r):
            return eventLoop.makeFutureWithTask { .offsetFetch(await self.groups.offsetFetch(r, version: v)) }
        case .describeGroups(let r):
            return eventLoop.makeFutureWithTask { .describeGroups(await self.groups.describeGroups(r, version: v)) }
        case .listGroups(let r):
            return eventLoop.makeFutureWithTask { .listGroups(await self.groups.listGroups(r, version: v)) }
        case .deleteGroups(let r):
            return eventLoop.makeFutureWithTask { .deleteGroups(await self.groups.deleteGroups(r, version: v)) }
        }
    }

    // MARK: Metadata

    func metadata(_ r: MetadataRequest, version: Int16) -> MetadataResponse {
        var response = MetadataResponse()
        response.brokers = [.init(nodeId: configuration.nodeId, host: configuration.advertisedHost, port: configuration.advertisedPort)]
        if let pair = configuration.pair {
            response.brokers.append(.init(nodeId: pair.peerNodeId, host: pair.peerHost, port: Int32(pair.peerPort)))
            response.brokers.sort { $0.nodeId < $1.nodeId }
        }
        response.clusterId = configuration.clusterId
        response.controllerId = primaryAddress.nodeId
        if r.wantsAllTopics(version: version) {
            response.topics = topics.allTopics.map { describe($0) }
            return response
        }
        // Metadata v0–3 always allow auto-creation; v4+ carry the client's wish. Only the primary creates.
        let allowCreate = configuration.autoCreateTopics && (version < 4 || r.allowAutoTopicCreation) && isPrimary
        for requested in r.topics ?? [] {
            let name = requested.name
            if let t = topics.topic(name) {
                response.topics.append(describe(t))
            } else if let problem = TopicRegistry.nameProblem(name) {
                logger.debug("metadata for invalid topic name", metadata: ["topic": "\(name)", "reason": "\(problem)"])
                response.topics.append(.init(errorCode: .invalidTopicException, name: name))
            } else if allowCreate, let t = autoCreate(name) {
                response.topics.append(describe(t))
            } else if let replication, !replication.isPrimary, configuration.autoCreateTopics, version < 4 || r.allowAutoTopicCreation,
                      !TopicRegistry.reservedNames.contains(name) {
                // The replica forwards auto-creation to its primary; the client retries on LEADER_NOT_AVAILABLE.
                replication.requestAutoCreate(name)
                response.topics.append(.init(errorCode: .leaderNotAvailable, name: name))
            } else {
                response.topics.append(.init(errorCode: .unknownTopicOrPartition, name: name))
            }
        }
        return response
    }

    func autoCreate(_ name: String) -> Topic? {
        do {
            return try topics.create(name: name, partitions: configuration.defaultPartitions, configs: [])
        } catch {
            if error.code == .topicAlreadyExists { return topics.topic(name) }
            logger.warning("auto-creation failed", metadata: ["topic": "\(name)", "error": "\(error)"])
            return nil
        }
    }

    func describe(_ t: Topic) -> MetadataResponse.Topic {
        let node = configuration.nodeId
        guard let replication, let pair = configuration.pair else {
            return MetadataResponse.Topic(
                errorCode: .none, name: t.name, isInternal: false,
                partitions: t.partitions.map { p in
                    MetadataResponse.Topic.Partition(
                        errorCode: p.log.isOffline ? .kafkaStorageError : .none, partitionIndex: p.index, leaderId: node, leaderEpoch: 0,
                        replicaNodes: [node], isrNodes: [node], offlineReplicas: p.log.isOffline ? [node] : [])
                })
        }
        // A pair: the primary leads every partition; the leader epoch is the packed (epoch, incarnation),
        // which only grows, so clients that cache leader epochs (KIP-320) follow a failover.
        let snap = replication.snapshot
        let leader = primaryAddress.nodeId
        let follower = leader == node ? pair.peerNodeId : node
        let inSync = snap.role == .primary ? snap.alone == nil : snap.inSync
        return MetadataResponse.Topic(
            errorCode: .none, name: t.name, isInternal: false,
            partitions: t.partitions.map { p in
                MetadataResponse.Topic.Partition(
                    errorCode: p.log.isOffline ? .kafkaStorageError : .none, partitionIndex: p.index, leaderId: leader,
                    leaderEpoch: snap.leaderEpoch.packed, replicaNodes: [leader, follower], isrNodes: inSync ? [leader, follower] : [leader],
                    offlineReplicas: p.log.isOffline ? [node] : [])
            })
    }

    /// Pair mode: producer ids carry the fencing epoch and the node's side of the pair in their high bits,
    /// so ids handed out by either node, in any epoch, never collide.
    func producerIdPrefix() -> Int64 {
        guard let replication, let pair = configuration.pair else { return 0 }
        let side: Int64 = configuration.nodeId < pair.peerNodeId ? 0 : 1
        return Int64(replication.snapshot.epoch.value) << 40 | side << 39
    }

    // MARK: Produce

    func produce(_ r: ProduceRequest, version: Int16, peer: String, on eventLoop: any EventLoop) -> EventLoopFuture<KafkaResponse?> {
        guard r.acks == 0 || r.acks == 1 || r.acks == -1 else {
            let responses = r.topicData.map { t in
                ProduceResponse.TopicResponse(name: t.name, partitionResponses: t.partitionData.map { .init(index: $0.index, errorCode: .invalidRequiredAcks) })
            }
            return eventLoop.makeSucceededFuture(.produce(ProduceResponse(responses: responses)))
        }
        if r.transactionalId != nil {
            logger.warning("transactional produce refused", metadata: ["peer": "\(peer)"])
        }
        var responses: [ProduceResponse.TopicResponse] = []
        var toSync: [(Partition, Int64)] = []
        var replicated: [(String, Int32, EventLoopFuture<ProduceAnswer>)] = []
        for t in r.topicData {
            var topic = topics.topic(t.name)
            if topic == nil, configuration.autoCreateTopics, TopicRegistry.nameProblem(t.name) == nil {
                topic = autoCreate(t.name)
            }
            var out = ProduceResponse.TopicResponse(name: t.name)
            for pd in t.partitionData {
                var answer = ProduceResponse.TopicResponse.PartitionResponse(index: pd.index, errorCode: .none, baseOffset: -1)
                defer { out.partitionResponses.append(answer) }
                if r.transactionalId != nil {
                    answer.errorCode = .transactionalIdAuthorizationFailed
                    continue
                }
                guard let topic else {
                    answer.errorCode = TopicRegistry.nameProblem(t.name) == nil ? .unknownTopicOrPartition : .invalidTopicException
                    continue
                }
                guard pd.index >= 0, Int(pd.index) < topic.partitions.count else {
                    answer.errorCode = .unknownTopicOrPartition
                    continue
                }
                let partition = topic.partitions[Int(pd.index)]
                guard let records = pd.records, records.readableBytes > 0 else {
                    answer.errorCode = .invalidRecord
                    continue
                }
                metrics.bytesIn(records.readableBytes)
                if let replication {
                    // Validated here (in parallel), appended and acknowledged by the replication node.
                    switch partition.validate(records) {
                    case .failure(let rejection):
                        if case .rejected(let code, let why) = rejection.outcome {
                            answer.errorCode = code
                            metrics.produceRejected(code)
                            logger.info("produce rejected", metadata: ["peer": "\(peer)", "partition": "\(t.name)-\(pd.index)", "error": "\(code)", "reason": "\(why)"])
                        }
                    case .success(let batch):
                        replicated.append((t.name, pd.index, replication.appendProduce(partition, batch)))
                    }
                    continue
                }
                switch partition.append(records) {
                case .appended(let info):
                    answer.baseOffset = info.baseOffset
                    answer.logStartOffset = info.logStartOffset
                    toSync.append((partition, info.lastOffset + 1))
                case .duplicate(let base, let next):
                    answer.baseOffset = base
                    answer.logStartOffset = partition.log.logStartOffset
                    toSync.append((partition, next))  // the original may still be waiting for its fsync
                case .rejected(let code, let why):
                    answer.errorCode = code
                    metrics.produceRejected(code)
                    logger.info("produce rejected", metadata: ["peer": "\(peer)", "partition": "\(t.name)-\(pd.index)", "error": "\(code)", "reason": "\(why)"])
                }
            }
            responses.append(out)
        }
        let response = ProduceResponse(responses: responses)
        if !replicated.isEmpty {
            let futures = replicated.map { $0.2 }
            let slots = replicated.map { ($0.0, $0.1) }
            let answered = EventLoopFuture.whenAllSucceed(futures, on: eventLoop).map { answers -> KafkaResponse? in
                var response = response
                for ((topic, index), answer) in zip(slots, answers) {
                    guard let ti = response.responses.firstIndex(where: { $0.name == topic }),
                          let pi = response.responses[ti].partitionResponses.firstIndex(where: { $0.index == index }) else { continue }
                    response.responses[ti].partitionResponses[pi].errorCode = answer.errorCode
                    response.responses[ti].partitionResponses[pi].baseOffset = answer.errorCode == .none ? answer.baseOffset : -1
                    response.responses[ti].partitionResponses[pi].logStartOffset = answer.logStartOffset
                    if answer.errorCode != .none {
                        self.metrics.produceRejected(answer.errorCode)
                        self.logger.info("produce failed", metadata: ["peer": "\(peer)", "partition": "\(topic)-\(index)", "error": "\(answer.errorCode)", "reason": "\(answer.reason)"])
                    }
                }
                return .produce(response)
            }
            // acks=0: nothing to answer; the appends are already queued in order on the replication node.
            return r.acks == 0 ? eventLoop.makeSucceededFuture(nil) : answered
        }
        let synced = makeDurable(toSync, on: eventLoop)
        if r.acks == 0 { return synced.map { _ in nil } }
        return synced.map { failed in
            guard !failed.isEmpty else { return .produce(response) }
            var response = response
            for ti in response.responses.indices {
                for pi in response.responses[ti].partitionResponses.indices
                where failed.contains(PartitionKey(response.responses[ti].name, response.responses[ti].partitionResponses[pi].index)) {
                    response.responses[ti].partitionResponses[pi].errorCode = .kafkaStorageError
                    response.responses[ti].partitionResponses[pi].baseOffset = -1
                }
            }
            return .produce(response)
        }
    }

    /// fsyncs each partition up to its target offset on the durability threads, then raises the high
    /// watermarks. Succeeds with the partitions whose fsync failed (they are offline now).
    func makeDurable(_ targets: [(Partition, Int64)], on eventLoop: any EventLoop) -> EventLoopFuture<Set<PartitionKey>> {
        guard !targets.isEmpty else { return eventLoop.makeSucceededFuture([]) }
        let metrics = self.metrics
        let logger = self.logger
        return durabilityPool.runIfActive(eventLoop: eventLoop) { () -> Set<PartitionKey> in
            var failed: Set<PartitionKey> = []
            for (partition, target) in targets {
                let started = DispatchTime.now().uptimeNanoseconds
                do throws(StorageError) {
                    try partition.log.waitUntilDurable(target)
                    metrics.fsyncWait(nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
                    partition.advanceHighWatermark(to: partition.log.durableOffset)
                } catch {
                    logger.error("fsync failed; partition offline", metadata: ["partition": "\(partition.topic)-\(partition.index)", "error": "\(error)"])
                    failed.insert(PartitionKey(partition.topic, partition.index))
                }
            }
            return failed
        }
    }

    // MARK: ListOffsets

    func listOffsets(_ r: ListOffsetsRequest) -> ListOffsetsResponse {
        var response = ListOffsetsResponse()
        for t in r.topics {
            var out = ListOffsetsResponse.Topic(name: t.name)
            for p in t.partitions {
                var answer = ListOffsetsResponse.Topic.Partition(partitionIndex: p.partitionIndex, leaderEpoch: 0)
                defer { out.partitions.append(answer) }
                guard let partition = topics.partition(t.name, p.partitionIndex) else {
                    answer.errorCode = .unknownTopicOrPartition
                    answer.leaderEpoch = -1
                    continue
                }
                switch p.timestamp {
                case -1:  // latest: the high watermark (= last stable offset without transactions)
                    answer.offset = partition.highWatermark
                case -2:  // earliest
                    answer.offset = partition.log.logStartOffset
                default:
                    do {
                        let hw = partition.highWatermark
                        if let (bytes, base) = try partition.log.batchOffset(forTimestamp: p.timestamp), base < hw,
                           // `batchOffset` reads exactly the one batch; a corrupt one is an error, not "no offset".
                           let found = try RecordBatch(validating: bytes).firstRecord(withTimestampAtLeast: p.timestamp), found.offset < hw {
                            answer.offset = max(found.offset, partition.log.logStartOffset)  // DeleteRecords may start the log mid-batch
                            answer.timestamp = found.timestamp
                        }
                    } catch {
                        answer.errorCode = .kafkaStorageError
                        logger.error("ListOffsets by timestamp failed", metadata: ["partition": "\(t.name)-\(p.partitionIndex)", "error": "\(error)"])
                    }
                }
            }
            response.topics.append(out)
        }
        return response
    }
}
