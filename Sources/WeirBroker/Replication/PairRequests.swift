import WeirProtocol

extension Broker {
    /// A replica serves reads (Metadata, Fetch up to the replicated high watermark, ListOffsets,
    /// DescribeConfigs, ApiVersions, InitProducerId from its own id space) and steers everything else to
    /// the primary with Kafka's error codes: NOT_LEADER_OR_FOLLOWER for produce, NOT_COORDINATOR for group
    /// requests, NOT_CONTROLLER for topic administration. Nil: the replica handles the request.
    func refusalOnReplica(_ request: KafkaRequest) -> KafkaResponse? {
        switch request {
        case .apiVersions, .metadata, .fetch, .listOffsets, .describeConfigs, .initProducerId, .findCoordinator:
            return nil
        case .produce(let r):
            return .produce(ProduceResponse(responses: r.topicData.map { t in
                .init(name: t.name, partitionResponses: t.partitionData.map { .init(index: $0.index, errorCode: .notLeaderOrFollower) })
            }))
        case .joinGroup(let r):
            return .joinGroup(GroupCoordinator.joinError(r.memberId, .notCoordinator))
        case .syncGroup:
            return .syncGroup(SyncGroupResponse(errorCode: .notCoordinator))
        case .heartbeat:
            return .heartbeat(HeartbeatResponse(errorCode: .notCoordinator))
        case .leaveGroup:
            return .leaveGroup(LeaveGroupResponse(errorCode: .notCoordinator))
        case .offsetCommit(let r):
            return .offsetCommit(OffsetCommitResponse(topics: r.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: .notCoordinator) })
            }))
        case .offsetFetch(let r):
            // v2+ read the top-level error; older versions the per-partition one.
            return .offsetFetch(OffsetFetchResponse(topics: (r.topics ?? []).map { t in
                .init(name: t.name, partitions: t.partitionIndexes.map { .init(partitionIndex: $0, errorCode: .notCoordinator) })
            }, errorCode: .notCoordinator))
        case .describeGroups(let r):
            return .describeGroups(DescribeGroupsResponse(groups: r.groups.map { .init(errorCode: .notCoordinator, groupId: $0) }))
        case .listGroups:
            return .listGroups(ListGroupsResponse(errorCode: .notCoordinator))
        case .deleteGroups(let r):
            return .deleteGroups(DeleteGroupsResponse(results: r.groupsNames.map { .init(groupId: $0, errorCode: .notCoordinator) }))
        case .createTopics(let r):
            return .createTopics(CreateTopicsResponse(topics: r.topics.map {
                .init(name: $0.name, errorCode: .notController, errorMessage: "this node is the replica; send topic administration to the primary")
            }))
        case .deleteTopics(let r):
            return .deleteTopics(DeleteTopicsResponse(responses: r.topicNames.map { .init(name: $0, errorCode: .notController) }))
        case .deleteRecords(let r):
            return .deleteRecords(DeleteRecordsResponse(topics: r.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: .notLeaderOrFollower) })
            }))
        case .createPartitions(let r):
            return .createPartitions(CreatePartitionsResponse(results: r.topics.map {
                .init(name: $0.name, errorCode: .notController, errorMessage: "this node is the replica")
            }))
        case .alterConfigs(let r):
            return .alterConfigs(AlterConfigsResponse(responses: r.resources.map {
                .init(errorCode: .notController, errorMessage: "this node is the replica", resourceType: $0.resourceType, resourceName: $0.resourceName)
            }))
        case .incrementalAlterConfigs(let r):
            return .incrementalAlterConfigs(IncrementalAlterConfigsResponse(responses: r.resources.map {
                .init(errorCode: .notController, errorMessage: "this node is the replica", resourceType: $0.resourceType, resourceName: $0.resourceName)
            }))
        }
    }
}

extension KafkaRequest {
    /// Whether handling this request may write the topic catalogue (explicitly, or by auto-creating a
    /// topic): in a pair that waits for replication, so it runs off the event loop.
    func changesCatalogue(autoCreate: Bool, topics: TopicRegistry) -> Bool {
        switch self {
        case .createTopics, .deleteTopics, .createPartitions, .alterConfigs, .incrementalAlterConfigs:
            return true
        case .metadata(let r):
            return autoCreate && (r.topics ?? []).contains { topics.topic($0.name) == nil }
        case .produce(let r):
            return autoCreate && r.topicData.contains { topics.topic($0.name) == nil }
        default:
            return false
        }
    }
}
