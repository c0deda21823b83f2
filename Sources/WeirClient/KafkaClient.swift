import NIOCore
import WeirProtocol
import WeirRecords

/// A small Kafka client: admin calls, produce, fetch and offsets, over connections to the bootstrap broker and
/// to the brokers the cluster metadata names. Built for the operator CLI and tests, not for throughput.
///
/// An actor: connections and the cached leaders are its state; every method may be called from any task.
/// Broker error codes become `WeirClientError`s that name the Kafka error (`TOPIC_ALREADY_EXISTS (36)`).
public actor KafkaClient {
    /// The connection to the broker given at start.
    public nonisolated let bootstrap: BrokerConnection
    public nonisolated let clientId: String
    private var connections: [BrokerAddress: BrokerConnection] = [:]
    private var nodes: [Int32: BrokerAddress] = [:]
    private var controllerId: Int32 = -1
    private var leaders: [TopicPartition: Int32] = [:]
    private var partitionCounts: [String: Int32] = [:]
    private var closed = false

    private init(bootstrap: BrokerConnection) {
        self.bootstrap = bootstrap
        self.clientId = bootstrap.clientId
        self.connections[bootstrap.address] = bootstrap
    }

    /// Connects to `broker` ("HOST:PORT") and negotiates versions.
    public static func connect(
        broker: String,
        clientId: String = "weir",
        requestTimeout: TimeAmount = .seconds(30)
    ) async throws(WeirClientError) -> KafkaClient {
        let address = try BrokerAddress(parsing: broker)
        return try await connect(address: address, clientId: clientId, requestTimeout: requestTimeout)
    }

    public static func connect(
        address: BrokerAddress,
        clientId: String = "weir",
        requestTimeout: TimeAmount = .seconds(30)
    ) async throws(WeirClientError) -> KafkaClient {
        let connection = try await BrokerConnection.connect(to: address, clientId: clientId, requestTimeout: requestTimeout)
        return KafkaClient(bootstrap: connection)
    }

    /// Closes every connection this client opened.
    public func close() async {
        closed = true
        let all = Array(connections.values)
        connections.removeAll()
        for connection in all { await connection.close() }
    }

    // MARK: Connections

    /// A shared connection to `address` (the bootstrap one when it is the same address).
    public func connection(to address: BrokerAddress) async throws(WeirClientError) -> BrokerConnection {
        if let existing = connections[address] { return existing }
        let connection = try await BrokerConnection.connect(to: address, clientId: clientId, requestTimeout: bootstrap.requestTimeout)
        // Re-check after the await: another task may have connected meanwhile.
        if let existing = connections[address] {
            await connection.close()
            return existing
        }
        if closed {
            await connection.close()
            throw .connectionClosed(address, while: "a connection (the client is closed)")
        }
        connections[address] = connection
        return connection
    }

    /// A new connection of its own (not shared), e.g. for a group coordinator whose long-held JoinGroup must
    /// not delay other requests. The caller closes it.
    public func dedicatedConnection(to address: BrokerAddress) async throws(WeirClientError) -> BrokerConnection {
        try await BrokerConnection.connect(to: address, clientId: clientId, requestTimeout: bootstrap.requestTimeout)
    }

    /// A shared connection to node `id` as the last metadata listed it (metadata is refreshed if unknown).
    public func connection(toNode id: Int32) async throws(WeirClientError) -> BrokerConnection {
        if nodes[id] == nil { _ = try await metadata(topics: []) }
        guard let address = nodes[id] else {
            throw .protocolError(bootstrap.address, "node \(id) is not in the cluster metadata")
        }
        return try await connection(to: address)
    }

    // MARK: Metadata

    /// Metadata for `topics` (nil = every topic). Does not ask the broker to auto-create topics.
    public func metadata(topics: [String]?) async throws(WeirClientError) -> ClusterMetadata {
        let request = MetadataRequest(topics: topics.map { $0.map { MetadataRequest.Topic(name: $0) } }, allowAutoTopicCreation: false)
        // (At Metadata v0 an empty list means "all topics": harmless, the caller then gets more than it asked.)
        let response = try await bootstrap.send(request)
        var result = ClusterMetadata(brokers: [:], controllerId: response.controllerId, clusterId: response.clusterId, topics: [])
        for broker in response.brokers {
            result.brokers[broker.nodeId] = BrokerAddress(host: broker.host, port: Int(broker.port))
        }
        for topic in response.topics {
            let partitions = topic.partitions.map {
                PartitionMetadata(partition: $0.partitionIndex, errorCode: $0.errorCode, leader: $0.leaderId, replicas: $0.replicaNodes, isr: $0.isrNodes)
            }.sorted { $0.partition < $1.partition }
            result.topics.append(TopicMetadata(name: topic.name, errorCode: topic.errorCode, isInternal: topic.isInternal, partitions: partitions))
        }
        result.topics.sort { $0.name < $1.name }
        nodes = result.brokers
        controllerId = response.controllerId
        for topic in result.topics where topic.errorCode == .none {
            partitionCounts[topic.name] = Int32(topic.partitions.count)
            for partition in topic.partitions {
                leaders[TopicPartition(topic.name, partition.partition)] = partition.leader
            }
        }
        return result
    }

    /// The metadata of one topic; throws the topic's error (UNKNOWN_TOPIC_OR_PARTITION for a missing one).
    public func topicMetadata(_ topic: String) async throws(WeirClientError) -> TopicMetadata {
        let metadata = try await metadata(topics: [topic])
        guard let entry = metadata.topic(topic) else {
            throw .kafka(.unknownTopicOrPartition, "topic \(topic)")
        }
        guard entry.errorCode == .none else { throw .kafka(entry.errorCode, "topic \(topic)") }
        return entry
    }

    /// The number of partitions of `topic` (from cache, else from a Metadata request).
    public func partitionCount(_ topic: String) async throws(WeirClientError) -> Int32 {
        if let count = partitionCounts[topic] { return count }
        return Int32(try await topicMetadata(topic).partitions.count)
    }

    private func leaderConnection(_ tp: TopicPartition) async throws(WeirClientError) -> BrokerConnection {
        if leaders[tp] == nil { _ = try await topicMetadata(tp.topic) }
        guard let leader = leaders[tp] else { throw .kafka(.unknownTopicOrPartition, "partition \(tp)") }
        guard leader >= 0 else { throw .kafka(.leaderNotAvailable, "partition \(tp)") }
        return try await connection(toNode: leader)
    }

    private func controllerConnection() async throws(WeirClientError) -> BrokerConnection {
        if controllerId < 0 { _ = try await metadata(topics: []) }
        if controllerId >= 0, nodes[controllerId] != nil {
            return try await connection(toNode: controllerId)
        }
        return bootstrap
    }

    // MARK: Admin

    /// Creates a topic. `partitions`/`replicationFactor` -1 take the broker defaults.
    public func createTopic(
        _ name: String,
        partitions: Int32 = -1,
        replicationFactor: Int16 = -1,
        configs: [(String, String)] = [],
        validateOnly: Bool = false,
        timeoutMs: Int32 = 30_000
    ) async throws(WeirClientError) {
        let request = CreateTopicsRequest(
            topics: [
                .init(
                    name: name, numPartitions: partitions, replicationFactor: replicationFactor,
                    configs: configs.map { .init(name: $0.0, value: $0.1) })
            ],
            timeoutMs: timeoutMs, validateOnly: validateOnly)
        let response = try await controllerConnection().send(request)
        guard let result = response.topics.first(where: { $0.name == name }) ?? response.topics.first else {
            throw .protocolError(bootstrap.address, "CreateTopics answer has no result for \(name)")
        }
        guard result.errorCode == .none else {
            throw .kafka(result.errorCode, "cannot create topic \(name)", message: result.errorMessage)
        }
        partitionCounts[name] = nil
    }

    /// Deletes a topic.
    public func deleteTopic(_ name: String, timeoutMs: Int32 = 30_000) async throws(WeirClientError) {
        let response = try await controllerConnection().send(DeleteTopicsRequest(topicNames: [name], timeoutMs: timeoutMs))
        guard let result = response.responses.first(where: { $0.name == name }) ?? response.responses.first else {
            throw .protocolError(bootstrap.address, "DeleteTopics answer has no result for \(name)")
        }
        guard result.errorCode == .none else { throw .kafka(result.errorCode, "cannot delete topic \(name)") }
        partitionCounts[name] = nil
        leaders = leaders.filter { $0.key.topic != name }
    }

    /// Raises the partition count of `topic` to `totalCount`.
    public func createPartitions(_ topic: String, totalCount: Int32, timeoutMs: Int32 = 30_000) async throws(WeirClientError) {
        let request = CreatePartitionsRequest(topics: [.init(name: topic, count: totalCount, assignments: nil)], timeoutMs: timeoutMs)
        let response = try await controllerConnection().send(request)
        guard let result = response.results.first else {
            throw .protocolError(bootstrap.address, "CreatePartitions answer has no result for \(topic)")
        }
        guard result.errorCode == .none else {
            throw .kafka(result.errorCode, "cannot add partitions to topic \(topic)", message: result.errorMessage)
        }
        partitionCounts[topic] = nil
    }

    /// Every config of `topic` (DescribeConfigs, resource type 2), sorted by name.
    public func describeTopicConfigs(_ topic: String) async throws(WeirClientError) -> [ConfigEntry] {
        let request = DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: topic, configurationKeys: nil)])
        let response = try await bootstrap.send(request)
        guard let result = response.results.first else {
            throw .protocolError(bootstrap.address, "DescribeConfigs answer has no result for \(topic)")
        }
        guard result.errorCode == .none else {
            throw .kafka(result.errorCode, "cannot describe configs of topic \(topic)", message: result.errorMessage)
        }
        return result.configs.map {
            ConfigEntry(name: $0.name, value: $0.value, readOnly: $0.readOnly, source: $0.configSource, isSensitive: $0.isSensitive)
        }.sorted { $0.name < $1.name }
    }

    /// Sets (value non-nil) or deletes (value nil) topic configs with IncrementalAlterConfigs.
    public func alterTopicConfigs(_ topic: String, _ changes: [(String, String?)]) async throws(WeirClientError) {
        let configs = changes.map { IncrementalAlterConfigsRequest.Resource.Config(name: $0.0, configOperation: $0.1 == nil ? 1 : 0, value: $0.1) }
        let request = IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: topic, configs: configs)])
        let response = try await bootstrap.send(request)
        guard let result = response.responses.first else {
            throw .protocolError(bootstrap.address, "IncrementalAlterConfigs answer has no result for \(topic)")
        }
        guard result.errorCode == .none else {
            throw .kafka(result.errorCode, "cannot alter configs of topic \(topic)", message: result.errorMessage)
        }
    }

    // MARK: Offsets

    /// ListOffsets for `partitions` of `topic` at `timestamp` (`OffsetSpec.earliest`, `.latest` or a time in ms).
    /// An offset of -1 means no record has a timestamp at or after the one asked for.
    public func listOffsets(_ topic: String, partitions: [Int32], timestamp: Int64) async throws(WeirClientError) -> [Int32: Int64] {
        var byLeader: [Int32: [Int32]] = [:]
        for partition in partitions {
            let tp = TopicPartition(topic, partition)
            if leaders[tp] == nil { _ = try await topicMetadata(topic) }
            byLeader[leaders[tp] ?? -1, default: []].append(partition)
        }
        var result: [Int32: Int64] = [:]
        for (leader, group) in byLeader.sorted(by: { $0.key < $1.key }) {
            guard leader >= 0 else { throw .kafka(.unknownTopicOrPartition, "partition \(topic)-\(group[0])") }
            let connection = try await connection(toNode: leader)
            let request = ListOffsetsRequest(
                replicaId: -1, isolationLevel: 0,
                topics: [.init(name: topic, partitions: group.map { .init(partitionIndex: $0, timestamp: timestamp) })])
            let response = try await connection.send(request)
            for topicResult in response.topics {
                for p in topicResult.partitions {
                    guard p.errorCode == .none else {
                        throw .kafka(p.errorCode, "cannot list offsets of \(topic)-\(p.partitionIndex)")
                    }
                    result[p.partitionIndex] = p.offset
                }
            }
        }
        for partition in partitions where result[partition] == nil {
            throw .protocolError(bootstrap.address, "ListOffsets answer has no result for \(topic)-\(partition)")
        }
        return result
    }

    // MARK: Produce

    /// Produces `records` as one RecordBatch to `topic`/`partition` and returns the base offset the broker gave
    /// it (-1 with acks=0). `acks`: -1 all, 1 leader, 0 none. snappy/zstd cannot be written by this client.
    @discardableResult
    public func produce(
        topic: String,
        partition: Int32,
        records: [ProducerRecord],
        codec: CompressionCodec = .none,
        acks: Int16 = -1,
        timeoutMs: Int32 = 30_000
    ) async throws(WeirClientError) -> Int64 {
        guard !records.isEmpty else { throw .invalidArgument("nothing to produce") }
        let now = WallClock.nowMs()
        var builder = RecordBatchBuilder(codec: codec)
        for record in records {
            builder.append(key: record.key, value: record.value, timestamp: record.timestamp ?? now, headers: record.headers)
        }
        let batch: RecordBatch
        do {
            batch = try builder.build()
        } catch {
            throw .invalidArgument("cannot build a \(codec) record batch: \(error)")
        }
        return try await produce(topic: topic, partition: partition, batch: batch.bytes, acks: acks, timeoutMs: timeoutMs)
    }

    /// Produces an already encoded record batch (or any bytes: tests use this to send what a broker must reject).
    @discardableResult
    public func produce(
        topic: String,
        partition: Int32,
        batch: ByteBuffer,
        acks: Int16 = -1,
        timeoutMs: Int32 = 30_000
    ) async throws(WeirClientError) -> Int64 {
        let tp = TopicPartition(topic, partition)
        let connection = try await leaderConnection(tp)
        let request = ProduceRequest(
            transactionalId: nil, acks: acks, timeoutMs: timeoutMs,
            topicData: [.init(name: topic, partitionData: [.init(index: partition, records: batch)])])
        if acks == 0 {
            try await connection.sendWithoutResponse(request)
            return -1
        }
        let response = try await connection.send(request, timeout: .milliseconds(Int64(timeoutMs)) + connection.requestTimeout)
        guard let result = response.responses.first?.partitionResponses.first else {
            throw .protocolError(connection.address, "Produce answer has no result for \(tp)")
        }
        guard result.errorCode == .none else {
            if result.errorCode == .notLeaderOrFollower || result.errorCode == .unknownTopicOrPartition { leaders[tp] = nil }
            throw .kafka(result.errorCode, "cannot produce to \(tp)")
        }
        return result.baseOffset
    }

    /// A producer id and epoch for an idempotent producer without a transactional id (asked of the controller,
    /// which on a Weir pair is the primary).
    public func initProducerId(transactionTimeoutMs: Int32 = 60_000) async throws(WeirClientError) -> (id: Int64, epoch: Int16) {
        let connection = try await controllerConnection()
        let response = try await connection.send(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: transactionTimeoutMs))
        guard response.errorCode == .none else {
            if response.errorCode == .notCoordinator || response.errorCode == .notController { controllerId = -1 }
            throw .kafka(response.errorCode, "cannot get a producer id")
        }
        return (response.producerId, response.producerEpoch)
    }

    // MARK: Fetch

    /// One Fetch of `topic` from `offsets` (partition → fetch offset), waiting up to `maxWaitMs` for data.
    /// Partitions are grouped by leader; a partition error comes back in its `FetchedPartition.errorCode`.
    public func fetch(
        topic: String,
        offsets: [Int32: Int64],
        maxWaitMs: Int32 = 500,
        minBytes: Int32 = 1,
        maxBytes: Int32 = 50 << 20,
        partitionMaxBytes: Int32 = 1 << 20
    ) async throws(WeirClientError) -> [FetchedPartition] {
        try await fetch(offsets: offsets.map { (TopicPartition(topic, $0.key), $0.value) }, maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: maxBytes, partitionMaxBytes: partitionMaxBytes)
    }

    /// One Fetch of several topics' partitions.
    public func fetch(
        offsets: [(TopicPartition, Int64)],
        maxWaitMs: Int32 = 500,
        minBytes: Int32 = 1,
        maxBytes: Int32 = 50 << 20,
        partitionMaxBytes: Int32 = 1 << 20
    ) async throws(WeirClientError) -> [FetchedPartition] {
        var byLeader: [Int32: [(TopicPartition, Int64)]] = [:]
        for (tp, offset) in offsets.sorted(by: { $0.0 < $1.0 }) {
            if leaders[tp] == nil { _ = try await topicMetadata(tp.topic) }
            byLeader[leaders[tp] ?? -1, default: []].append((tp, offset))
        }
        var results: [FetchedPartition] = []
        for (leader, group) in byLeader.sorted(by: { $0.key < $1.key }) {
            guard leader >= 0 else {
                for (tp, offset) in group {
                    results.append(FetchedPartition(topic: tp.topic, partition: tp.partition, errorCode: .leaderNotAvailable, highWatermark: -1, logStartOffset: -1, records: [], nextOffset: offset))
                }
                continue
            }
            let connection = try await connection(toNode: leader)
            var topics: [FetchRequest.FetchTopic] = []
            var fetchOffsets: [TopicPartition: Int64] = [:]
            for (tp, offset) in group {
                fetchOffsets[tp] = offset
                let partition = FetchRequest.FetchTopic.FetchPartition(partition: tp.partition, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: partitionMaxBytes)
                if let index = topics.firstIndex(where: { $0.topic == tp.topic }) {
                    topics[index].partitions.append(partition)
                } else {
                    topics.append(.init(topic: tp.topic, partitions: [partition]))
                }
            }
            let request = FetchRequest(
                replicaId: -1, maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: maxBytes, isolationLevel: 0,
                sessionId: 0, sessionEpoch: -1, topics: topics)
            let response = try await connection.send(request, timeout: .milliseconds(Int64(maxWaitMs)) + connection.requestTimeout)
            guard response.errorCode == .none else { throw .kafka(response.errorCode, "fetch from broker \(connection.address)") }
            for topicResponse in response.responses {
                for p in topicResponse.partitions {
                    let tp = TopicPartition(topicResponse.topic, p.partitionIndex)
                    guard let fetchOffset = fetchOffsets[tp] else { continue }
                    if p.errorCode == .notLeaderOrFollower || p.errorCode == .unknownTopicOrPartition { leaders[tp] = nil }
                    var fetched = FetchedPartition(
                        topic: tp.topic, partition: tp.partition, errorCode: p.errorCode, highWatermark: p.highWatermark,
                        logStartOffset: p.logStartOffset, records: [], nextOffset: fetchOffset)
                    if p.errorCode == .none, let records = p.records {
                        try Self.decodeRecords(records, into: &fetched, fetchOffset: fetchOffset, address: connection.address)
                    }
                    results.append(fetched)
                }
            }
        }
        return results
    }

    /// Reads the whole batches of a Fetch `records` field. A truncated last batch is dropped (the broker may
    /// cut at the byte limit, §9.3); any other damage is an error.
    static func decodeRecords(_ records: ByteBuffer, into fetched: inout FetchedPartition, fetchOffset: Int64, address: BrokerAddress) throws(WeirClientError) {
        var scanner = RecordBatchScanner(records)
        while let (index, header) = scanner.next() {
            let bytes = records.getSlice(at: index, length: header.totalSize) ?? ByteBuffer()
            let batch = RecordBatch(unchecked: bytes, header: header)
            fetched.nextOffset = max(fetched.nextOffset, header.nextOffset)
            if header.attributes.isControl { continue }
            do {
                var iterator = try batch.records()
                while let record = try iterator.next() {
                    let offset = iterator.offset(of: record)
                    guard offset >= fetchOffset else { continue }
                    fetched.records.append(
                        ConsumerRecord(
                            topic: fetched.topic, partition: fetched.partition, offset: offset,
                            timestamp: iterator.timestamp(of: record), key: record.key, value: record.value, headers: record.headers))
                }
            } catch {
                throw .protocolError(address, "bad record batch at offset \(header.baseOffset) of \(fetched.topic)-\(fetched.partition): \(error)")
            }
        }
        if let reason = scanner.stopReason, reason.kind != .truncated {
            throw .protocolError(address, "bad record batch in \(fetched.topic)-\(fetched.partition) after offset \(fetched.nextOffset): \(reason)")
        }
    }

    // MARK: Groups

    /// The coordinator of `group`, retrying while the broker answers COORDINATOR_NOT_AVAILABLE or
    /// COORDINATOR_LOAD_IN_PROGRESS (at most `attempts` times, 200 ms apart).
    public func findCoordinator(group: String, attempts: Int = 25) async throws(WeirClientError) -> BrokerAddress {
        var lastCode = KafkaErrorCode.none
        for attempt in 0..<max(1, attempts) {
            let response = try await bootstrap.send(FindCoordinatorRequest(key: group, keyType: 0))
            if response.errorCode == .none {
                return BrokerAddress(host: response.host, port: Int(response.port))
            }
            lastCode = response.errorCode
            guard response.errorCode.isRetriable, attempt + 1 < attempts else {
                throw .kafka(response.errorCode, "cannot find the coordinator of group \(group)", message: response.errorMessage)
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        throw .kafka(lastCode, "cannot find the coordinator of group \(group)")
    }

    /// Committed offsets of `group` for `partitions` of `topic`: -1 where there is no commit. Sent to `coordinator`.
    public func fetchCommittedOffsets(group: String, partitions: [TopicPartition], coordinator: BrokerConnection) async throws(WeirClientError) -> [TopicPartition: Int64] {
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        let request = OffsetFetchRequest(groupId: group, topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0] ?? []) })
        let response = try await coordinator.send(request)
        guard response.errorCode == .none else { throw .kafka(response.errorCode, "cannot fetch committed offsets of group \(group)") }
        var result: [TopicPartition: Int64] = [:]
        for topic in response.topics {
            for p in topic.partitions {
                guard p.errorCode == .none else {
                    throw .kafka(p.errorCode, "cannot fetch the committed offset of group \(group) for \(topic.name)-\(p.partitionIndex)")
                }
                result[TopicPartition(topic.name, p.partitionIndex)] = p.committedOffset
            }
        }
        return result
    }

    /// Commits `offsets` (the next offset to read, per partition) for `group` as member `memberId` of
    /// `generationId` (-1 and "" for a standalone commit). Throws the first partition error.
    public func commitOffsets(group: String, generationId: Int32, memberId: String, offsets: [TopicPartition: Int64], coordinator: BrokerConnection) async throws(WeirClientError) {
        guard !offsets.isEmpty else { return }
        var byTopic: [String: [OffsetCommitRequest.Topic.Partition]] = [:]
        for (tp, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            byTopic[tp.topic, default: []].append(.init(partitionIndex: tp.partition, committedOffset: offset, committedMetadata: ""))
        }
        let request = OffsetCommitRequest(
            groupId: group, generationId: generationId, memberId: memberId, retentionTimeMs: -1,
            topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0] ?? []) })
        let response = try await coordinator.send(request)
        for topic in response.topics {
            for p in topic.partitions where p.errorCode != .none {
                throw .kafka(p.errorCode, "cannot commit the offset of group \(group) for \(topic.name)-\(p.partitionIndex)")
            }
        }
    }
}
