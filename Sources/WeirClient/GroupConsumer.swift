import NIOCore
import WeirProtocol

/// A simple consumer-group member (the classic eager protocol, §7): joins `group` with the "range" assignor
/// over every partition of its topics, fetches its assignment from the committed offsets (or the reset
/// position), heartbeats between polls, re-joins when the coordinator says so, and commits on demand.
///
/// Not concurrent by design: `poll()` does one step at a time (re-join if needed, heartbeat if due, one
/// Fetch of at most `maxWaitMs`), so the heartbeat interval must be a few times longer than `maxWaitMs`.
/// Group traffic goes over its own connection to the coordinator, so a long-poll Fetch never delays it.
public actor GroupConsumer {
    public struct Configuration: Sendable {
        public var sessionTimeoutMs: Int32 = 10_000
        public var rebalanceTimeoutMs: Int32 = 10_000
        public var heartbeatIntervalMs: Int64 = 3_000
        /// Where to start a partition with no committed offset: earliest (true) or latest (false).
        public var resetToEarliest = false
        /// Bound on JoinGroup/SyncGroup rounds in one re-join.
        public var maxJoinAttempts = 20

        public init() {}
    }

    public nonisolated let groupId: String
    public nonisolated let topics: [String]
    private let client: KafkaClient
    private let configuration: Configuration
    private var coordinator: BrokerConnection?
    private var memberId = ""
    private var generationId: Int32 = -1
    private var needsJoin = true
    private var lastHeartbeat = NIODeadline.now()
    private var positions: [TopicPartition: Int64] = [:]
    private var committed: [TopicPartition: Int64] = [:]

    public init(client: KafkaClient, groupId: String, topics: [String], configuration: Configuration = Configuration()) {
        self.client = client
        self.groupId = groupId
        self.topics = topics
        self.configuration = configuration
    }

    /// The partitions assigned in the current generation, sorted.
    public var assignment: [TopicPartition] { positions.keys.sorted() }
    /// The current generation id (-1 before the first join).
    public var generation: Int32 { generationId }
    /// This member's id ("" before the first join).
    public var member: String { memberId }

    /// One step: (re-)join if needed, heartbeat if due, then one Fetch of the assigned partitions.
    /// Returns the records fetched, in partition then offset order, and moves the positions past them.
    public func poll(maxWaitMs: Int32 = 500) async throws(WeirClientError) -> [ConsumerRecord] {
        if needsJoin { try await join() }
        if NIODeadline.now() - lastHeartbeat >= .milliseconds(configuration.heartbeatIntervalMs) {
            try await heartbeat()
            if needsJoin { return [] }
        }
        guard !positions.isEmpty else {
            // Nothing assigned: wait like a Fetch would, so callers' loops do not spin.
            try? await Task.sleep(for: .milliseconds(Int64(maxWaitMs)))
            return []
        }
        let fetched = try await client.fetch(offsets: positions.map { ($0.key, $0.value) }, maxWaitMs: maxWaitMs)
        var records: [ConsumerRecord] = []
        for partition in fetched.sorted(by: { TopicPartition($0.topic, $0.partition) < TopicPartition($1.topic, $1.partition) }) {
            let tp = TopicPartition(partition.topic, partition.partition)
            guard positions[tp] != nil else { continue }
            switch partition.errorCode {
            case .none:
                records.append(contentsOf: partition.records)
                positions[tp] = partition.nextOffset
            case .offsetOutOfRange:
                positions[tp] = try await resetOffset(tp)
            case .notLeaderOrFollower, .leaderNotAvailable, .unknownTopicOrPartition, .fencedLeaderEpoch, .unknownLeaderEpoch:
                continue  // metadata was dropped by the client; the next poll looks the leader up again
            default:
                throw .kafka(partition.errorCode, "cannot fetch \(tp)")
            }
        }
        return records
    }

    /// Commits the current positions (the next offset to read) of the assigned partitions that moved.
    /// A commit refused because the group is rebalancing marks the consumer for a re-join and returns false.
    @discardableResult
    public func commit() async throws(WeirClientError) -> Bool {
        guard let coordinator, generationId >= 0 else { return false }
        let changed = positions.filter { committed[$0.key] != $0.value }
        guard !changed.isEmpty else { return true }
        do {
            try await client.commitOffsets(group: groupId, generationId: generationId, memberId: memberId, offsets: changed, coordinator: coordinator)
        } catch let error where Self.meansRejoin(error.code) {
            needsJoin = true
            return false
        }
        for (tp, offset) in changed { committed[tp] = offset }
        return true
    }

    /// Moves the position of an assigned partition (ignored for a partition not assigned).
    public func seek(_ tp: TopicPartition, to offset: Int64) {
        guard positions[tp] != nil else { return }
        positions[tp] = offset
    }

    /// Leaves the group (LeaveGroup) and closes the coordinator connection. Commit first if wanted.
    public func close() async {
        if let coordinator {
            if !memberId.isEmpty {
                _ = try? await coordinator.send(LeaveGroupRequest(groupId: groupId, memberId: memberId), timeout: .seconds(5))
            }
            await coordinator.close()
        }
        coordinator = nil
        memberId = ""
        generationId = -1
        positions = [:]
        needsJoin = true
    }

    // MARK: Protocol steps

    private static func meansRejoin(_ code: KafkaErrorCode?) -> Bool {
        guard let code else { return false }
        return code == .rebalanceInProgress || code == .illegalGeneration || code == .unknownMemberId
    }

    private func coordinatorConnection() async throws(WeirClientError) -> BrokerConnection {
        if let coordinator { return coordinator }
        let address = try await client.findCoordinator(group: groupId)
        let connection = try await client.dedicatedConnection(to: address)
        coordinator = connection
        return connection
    }

    private func dropCoordinator() async {
        if let coordinator { await coordinator.close() }
        coordinator = nil
    }

    private func heartbeat() async throws(WeirClientError) {
        let coordinator = try await coordinatorConnection()
        let response = try await coordinator.send(HeartbeatRequest(groupId: groupId, generationId: generationId, memberId: memberId))
        lastHeartbeat = .now()
        switch response.errorCode {
        case .none:
            return
        case .rebalanceInProgress, .illegalGeneration, .unknownMemberId:
            // Eager protocol: commit what was consumed before giving the partitions up.
            if response.errorCode == .rebalanceInProgress { _ = try? await commit() }
            if response.errorCode == .unknownMemberId { memberId = "" }
            needsJoin = true
        case .notCoordinator, .coordinatorNotAvailable:
            await dropCoordinator()
            needsJoin = true
        default:
            throw .kafka(response.errorCode, "heartbeat of group \(groupId)")
        }
    }

    private func join() async throws(WeirClientError) {
        let subscription = ConsumerProtocol.Subscription(topics: topics).encoded()
        var lastError: WeirClientError?
        for _ in 0..<configuration.maxJoinAttempts {
            let coordinator = try await coordinatorConnection()
            let joinRequest = JoinGroupRequest(
                groupId: groupId, sessionTimeoutMs: configuration.sessionTimeoutMs, rebalanceTimeoutMs: configuration.rebalanceTimeoutMs,
                memberId: memberId, groupInstanceId: nil, protocolType: ConsumerProtocol.protocolType,
                protocols: [.init(name: "range", metadata: subscription)])
            let joinTimeout = TimeAmount.milliseconds(Int64(configuration.rebalanceTimeoutMs)) + coordinator.requestTimeout
            let joined = try await coordinator.send(joinRequest, timeout: joinTimeout)
            switch joined.errorCode {
            case .none:
                break
            case .memberIdRequired:
                memberId = joined.memberId
                continue
            case .unknownMemberId:
                memberId = ""
                continue
            case .rebalanceInProgress:
                continue
            case .notCoordinator, .coordinatorNotAvailable, .coordinatorLoadInProgress:
                lastError = .kafka(joined.errorCode, "cannot join group \(groupId)")
                await dropCoordinator()
                try? await Task.sleep(for: .milliseconds(200))
                continue
            default:
                throw .kafka(joined.errorCode, "cannot join group \(groupId)")
            }
            memberId = joined.memberId
            generationId = joined.generationId

            var assignments: [SyncGroupRequest.Assignment] = []
            if joined.leader == joined.memberId {
                assignments = try await assign(members: joined.members)
            }
            let synced = try await coordinator.send(
                SyncGroupRequest(groupId: groupId, generationId: generationId, memberId: memberId, assignments: assignments),
                timeout: joinTimeout)
            switch synced.errorCode {
            case .none:
                break
            case .rebalanceInProgress, .illegalGeneration:
                continue
            case .unknownMemberId:
                memberId = ""
                continue
            default:
                throw .kafka(synced.errorCode, "cannot sync group \(groupId)")
            }
            let assignment: ConsumerProtocol.Assignment
            do {
                assignment = try ConsumerProtocol.Assignment(decoding: synced.assignment)
            } catch {
                throw .protocolError(coordinator.address, "cannot decode the assignment of group \(groupId): \(error)")
            }
            try await startPositions(for: assignment, coordinator: coordinator)
            needsJoin = false
            lastHeartbeat = .now()
            return
        }
        throw lastError ?? .kafka(.rebalanceInProgress, "cannot join group \(groupId) after \(configuration.maxJoinAttempts) attempts")
    }

    /// The leader's part: the range assignment over every partition of the members' topics.
    private func assign(members: [JoinGroupResponse.Member]) async throws(WeirClientError) -> [SyncGroupRequest.Assignment] {
        var subscriptions: [String: ConsumerProtocol.Subscription] = [:]
        for member in members {
            do {
                subscriptions[member.memberId] = try ConsumerProtocol.Subscription(decoding: member.metadata)
            } catch {
                throw .protocolError(client.bootstrap.address, "cannot decode the subscription of member \(member.memberId): \(error)")
            }
        }
        var allTopics = Set<String>()
        for subscription in subscriptions.values { allTopics.formUnion(subscription.topics) }
        let metadata = try await client.metadata(topics: allTopics.sorted())
        var counts: [String: Int32] = [:]
        for topic in metadata.topics where topic.errorCode == .none { counts[topic.name] = Int32(topic.partitions.count) }
        let plan = ConsumerProtocol.rangeAssign(subscriptions: subscriptions, partitionCounts: counts)
        return plan.keys.sorted().map { SyncGroupRequest.Assignment(memberId: $0, assignment: plan[$0]!.encoded()) }
    }

    private func startPositions(for assignment: ConsumerProtocol.Assignment, coordinator: BrokerConnection) async throws(WeirClientError) {
        let partitions = assignment.partitions.flatMap { topic, list in list.map { TopicPartition(topic, $0) } }.sorted()
        positions = [:]
        committed = [:]
        guard !partitions.isEmpty else { return }
        let offsets = try await client.fetchCommittedOffsets(group: groupId, partitions: partitions, coordinator: coordinator)
        for tp in partitions {
            if let offset = offsets[tp], offset >= 0 {
                positions[tp] = offset
                committed[tp] = offset
            } else {
                positions[tp] = try await resetOffset(tp)
            }
        }
    }

    private func resetOffset(_ tp: TopicPartition) async throws(WeirClientError) -> Int64 {
        let spec = configuration.resetToEarliest ? OffsetSpec.earliest : OffsetSpec.latest
        let offsets = try await client.listOffsets(tp.topic, partitions: [tp.partition], timestamp: spec)
        return offsets[tp.partition] ?? 0
    }
}
