import NIOCore
import WeirProtocol

// Generated: random instances that set exactly the fields present in a version.

extension ProduceRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 3 { s.transactionalId = r.nstr() }
        s.acks = r.i16()
        s.timeoutMs = r.i32()
        s.topicData = r.array { r in ProduceRequest.TopicData.sample(v, &r) }
        return s
    }
}

extension ProduceRequest.TopicData {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitionData = r.array { r in ProduceRequest.TopicData.PartitionData.sample(v, &r) }
        return s
    }
}

extension ProduceRequest.TopicData.PartitionData {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.index = r.i32()
        s.records = r.records()
        return s
    }
}

extension ProduceResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.responses = r.array { r in ProduceResponse.TopicResponse.sample(v, &r) }
        if v >= 1 { s.throttleTimeMs = r.i32() }
        return s
    }
}

extension ProduceResponse.TopicResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitionResponses = r.array { r in ProduceResponse.TopicResponse.PartitionResponse.sample(v, &r) }
        return s
    }
}

extension ProduceResponse.TopicResponse.PartitionResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.index = r.i32()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.baseOffset = r.i64()
        if v >= 2 { s.logAppendTimeMs = r.i64() }
        if v >= 5 { s.logStartOffset = r.i64() }
        return s
    }
}

extension FetchRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.replicaId = r.i32()
        s.maxWaitMs = r.i32()
        s.minBytes = r.i32()
        if v >= 3 { s.maxBytes = r.i32() }
        if v >= 4 { s.isolationLevel = r.i8() }
        if v >= 7 { s.sessionId = r.i32() }
        if v >= 7 { s.sessionEpoch = r.i32() }
        s.topics = r.array { r in FetchRequest.FetchTopic.sample(v, &r) }
        if v >= 7 { s.forgottenTopicsData = r.array { r in FetchRequest.ForgottenTopic.sample(v, &r) } }
        if v >= 11 { s.rackId = r.str() }
        return s
    }
}

extension FetchRequest.FetchTopic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topic = r.str()
        s.partitions = r.array { r in FetchRequest.FetchTopic.FetchPartition.sample(v, &r) }
        return s
    }
}

extension FetchRequest.FetchTopic.FetchPartition {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partition = r.i32()
        if v >= 9 { s.currentLeaderEpoch = r.i32() }
        s.fetchOffset = r.i64()
        if v >= 5 { s.logStartOffset = r.i64() }
        s.partitionMaxBytes = r.i32()
        return s
    }
}

extension FetchRequest.ForgottenTopic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topic = r.str()
        s.partitions = r.array { r in r.i32() }
        return s
    }
}

extension FetchResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        if v >= 7 { s.errorCode = KafkaErrorCode(rawValue: r.i16()) }
        if v >= 7 { s.sessionId = r.i32() }
        s.responses = r.array { r in FetchResponse.FetchableTopicResponse.sample(v, &r) }
        return s
    }
}

extension FetchResponse.FetchableTopicResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topic = r.str()
        s.partitions = r.array { r in FetchResponse.FetchableTopicResponse.PartitionData.sample(v, &r) }
        return s
    }
}

extension FetchResponse.FetchableTopicResponse.PartitionData {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partitionIndex = r.i32()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.highWatermark = r.i64()
        if v >= 4 { s.lastStableOffset = r.i64() }
        if v >= 5 { s.logStartOffset = r.i64() }
        if v >= 4 { s.abortedTransactions = r.nullableArray { r in FetchResponse.FetchableTopicResponse.PartitionData.AbortedTransaction.sample(v, &r) } }
        if v >= 11 { s.preferredReadReplica = r.i32() }
        s.records = r.records()
        return s
    }
}

extension FetchResponse.FetchableTopicResponse.PartitionData.AbortedTransaction {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.producerId = r.i64()
        s.firstOffset = r.i64()
        return s
    }
}

extension ListOffsetsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.replicaId = r.i32()
        if v >= 2 { s.isolationLevel = r.i8() }
        s.topics = r.array { r in ListOffsetsRequest.Topic.sample(v, &r) }
        return s
    }
}

extension ListOffsetsRequest.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitions = r.array { r in ListOffsetsRequest.Topic.Partition.sample(v, &r) }
        return s
    }
}

extension ListOffsetsRequest.Topic.Partition {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partitionIndex = r.i32()
        if v >= 4 { s.currentLeaderEpoch = r.i32() }
        s.timestamp = r.i64()
        return s
    }
}

extension ListOffsetsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 2 { s.throttleTimeMs = r.i32() }
        s.topics = r.array { r in ListOffsetsResponse.Topic.sample(v, &r) }
        return s
    }
}

extension ListOffsetsResponse.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitions = r.array { r in ListOffsetsResponse.Topic.Partition.sample(v, &r) }
        return s
    }
}

extension ListOffsetsResponse.Topic.Partition {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partitionIndex = r.i32()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        if v >= 1 { s.timestamp = r.i64() }
        if v >= 1 { s.offset = r.i64() }
        if v >= 4 { s.leaderEpoch = r.i32() }
        return s
    }
}

extension MetadataRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topics = (v >= 1 ? r.nullableArray { r in MetadataRequest.Topic.sample(v, &r) } : r.array { r in MetadataRequest.Topic.sample(v, &r) })
        if v >= 4 { s.allowAutoTopicCreation = r.bool() }
        if v >= 8 { s.includeClusterAuthorizedOperations = r.bool() }
        if v >= 8 { s.includeTopicAuthorizedOperations = r.bool() }
        return s
    }
}

extension MetadataRequest.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        return s
    }
}

extension MetadataResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 3 { s.throttleTimeMs = r.i32() }
        s.brokers = r.array { r in MetadataResponse.Broker.sample(v, &r) }
        if v >= 2 { s.clusterId = r.nstr() }
        if v >= 1 { s.controllerId = r.i32() }
        s.topics = r.array { r in MetadataResponse.Topic.sample(v, &r) }
        if v >= 8 { s.clusterAuthorizedOperations = r.i32() }
        return s
    }
}

extension MetadataResponse.Broker {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.nodeId = r.i32()
        s.host = r.str()
        s.port = r.i32()
        if v >= 1 { s.rack = r.nstr() }
        return s
    }
}

extension MetadataResponse.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.name = r.str()
        if v >= 1 { s.isInternal = r.bool() }
        s.partitions = r.array { r in MetadataResponse.Topic.Partition.sample(v, &r) }
        if v >= 8 { s.topicAuthorizedOperations = r.i32() }
        return s
    }
}

extension MetadataResponse.Topic.Partition {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.partitionIndex = r.i32()
        s.leaderId = r.i32()
        if v >= 7 { s.leaderEpoch = r.i32() }
        s.replicaNodes = r.array { r in r.i32() }
        s.isrNodes = r.array { r in r.i32() }
        if v >= 5 { s.offlineReplicas = r.array { r in r.i32() } }
        return s
    }
}

extension OffsetCommitRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        if v >= 1 { s.generationId = r.i32() }
        if v >= 1 { s.memberId = r.str() }
        if v >= 7 { s.groupInstanceId = r.nstr() }
        if v >= 2 && v <= 4 { s.retentionTimeMs = r.i64() }
        s.topics = r.array { r in OffsetCommitRequest.Topic.sample(v, &r) }
        return s
    }
}

extension OffsetCommitRequest.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitions = r.array { r in OffsetCommitRequest.Topic.Partition.sample(v, &r) }
        return s
    }
}

extension OffsetCommitRequest.Topic.Partition {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partitionIndex = r.i32()
        s.committedOffset = r.i64()
        if v >= 6 { s.committedLeaderEpoch = r.i32() }
        s.committedMetadata = r.nstr()
        return s
    }
}

extension OffsetCommitResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 3 { s.throttleTimeMs = r.i32() }
        s.topics = r.array { r in OffsetCommitResponse.Topic.sample(v, &r) }
        return s
    }
}

extension OffsetCommitResponse.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitions = r.array { r in OffsetCommitResponse.Topic.Partition.sample(v, &r) }
        return s
    }
}

extension OffsetCommitResponse.Topic.Partition {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partitionIndex = r.i32()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        return s
    }
}

extension OffsetFetchRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        s.topics = (v >= 2 ? r.nullableArray { r in OffsetFetchRequest.Topic.sample(v, &r) } : r.array { r in OffsetFetchRequest.Topic.sample(v, &r) })
        return s
    }
}

extension OffsetFetchRequest.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitionIndexes = r.array { r in r.i32() }
        return s
    }
}

extension OffsetFetchResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 3 { s.throttleTimeMs = r.i32() }
        s.topics = r.array { r in OffsetFetchResponse.Topic.sample(v, &r) }
        if v >= 2 { s.errorCode = KafkaErrorCode(rawValue: r.i16()) }
        return s
    }
}

extension OffsetFetchResponse.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.partitions = r.array { r in OffsetFetchResponse.Topic.Partition.sample(v, &r) }
        return s
    }
}

extension OffsetFetchResponse.Topic.Partition {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partitionIndex = r.i32()
        s.committedOffset = r.i64()
        if v >= 5 { s.committedLeaderEpoch = r.i32() }
        s.metadata = r.nstr()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        return s
    }
}

extension FindCoordinatorRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.key = r.str()
        if v >= 1 { s.keyType = r.i8() }
        return s
    }
}

extension FindCoordinatorResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        if v >= 1 { s.errorMessage = r.nstr() }
        s.nodeId = r.i32()
        s.host = r.str()
        s.port = r.i32()
        return s
    }
}

extension JoinGroupRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        s.sessionTimeoutMs = r.i32()
        if v >= 1 { s.rebalanceTimeoutMs = r.i32() }
        s.memberId = r.str()
        if v >= 5 { s.groupInstanceId = r.nstr() }
        s.protocolType = r.str()
        s.protocols = r.array { r in JoinGroupRequest.JoinGroupProtocol.sample(v, &r) }
        return s
    }
}

extension JoinGroupRequest.JoinGroupProtocol {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.metadata = r.bytes()
        return s
    }
}

extension JoinGroupResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 2 { s.throttleTimeMs = r.i32() }
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.generationId = r.i32()
        s.protocolName = r.str()
        s.leader = r.str()
        s.memberId = r.str()
        s.members = r.array { r in JoinGroupResponse.Member.sample(v, &r) }
        return s
    }
}

extension JoinGroupResponse.Member {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.memberId = r.str()
        if v >= 5 { s.groupInstanceId = r.nstr() }
        s.metadata = r.bytes()
        return s
    }
}

extension HeartbeatRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        s.generationId = r.i32()
        s.memberId = r.str()
        if v >= 3 { s.groupInstanceId = r.nstr() }
        return s
    }
}

extension HeartbeatResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        return s
    }
}

extension LeaveGroupRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        s.memberId = r.str()
        return s
    }
}

extension LeaveGroupResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        return s
    }
}

extension SyncGroupRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        s.generationId = r.i32()
        s.memberId = r.str()
        if v >= 3 { s.groupInstanceId = r.nstr() }
        s.assignments = r.array { r in SyncGroupRequest.Assignment.sample(v, &r) }
        return s
    }
}

extension SyncGroupRequest.Assignment {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.memberId = r.str()
        s.assignment = r.bytes()
        return s
    }
}

extension SyncGroupResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.assignment = r.bytes()
        return s
    }
}

extension DescribeGroupsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groups = r.array { r in r.str() }
        if v >= 3 { s.includeAuthorizedOperations = r.bool() }
        return s
    }
}

extension DescribeGroupsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        s.groups = r.array { r in DescribeGroupsResponse.Group.sample(v, &r) }
        return s
    }
}

extension DescribeGroupsResponse.Group {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.groupId = r.str()
        s.groupState = r.str()
        s.protocolType = r.str()
        s.protocolData = r.str()
        s.members = r.array { r in DescribeGroupsResponse.Group.Member.sample(v, &r) }
        if v >= 3 { s.authorizedOperations = r.i32() }
        return s
    }
}

extension DescribeGroupsResponse.Group.Member {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.memberId = r.str()
        if v >= 4 { s.groupInstanceId = r.nstr() }
        s.clientId = r.str()
        s.clientHost = r.str()
        s.memberMetadata = r.bytes()
        s.memberAssignment = r.bytes()
        return s
    }
}

extension ListGroupsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        let s = Self()
        return s
    }
}

extension ListGroupsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.groups = r.array { r in ListGroupsResponse.Group.sample(v, &r) }
        return s
    }
}

extension ListGroupsResponse.Group {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        s.protocolType = r.str()
        return s
    }
}

extension ApiVersionsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 3 { s.clientSoftwareName = r.str() }
        if v >= 3 { s.clientSoftwareVersion = r.str() }
        return s
    }
}

extension ApiVersionsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.apiKeys = r.array { r in ApiVersionsResponse.ApiVersion.sample(v, &r) }
        if v >= 1 { s.throttleTimeMs = r.i32() }
        return s
    }
}

extension ApiVersionsResponse.ApiVersion {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.apiKey = r.i16()
        s.minVersion = r.i16()
        s.maxVersion = r.i16()
        return s
    }
}

extension CreateTopicsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topics = r.array { r in CreateTopicsRequest.Topic.sample(v, &r) }
        s.timeoutMs = r.i32()
        if v >= 1 { s.validateOnly = r.bool() }
        return s
    }
}

extension CreateTopicsRequest.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.numPartitions = r.i32()
        s.replicationFactor = r.i16()
        s.assignments = r.array { r in CreateTopicsRequest.Topic.Assignment.sample(v, &r) }
        s.configs = r.array { r in CreateTopicsRequest.Topic.Config.sample(v, &r) }
        return s
    }
}

extension CreateTopicsRequest.Topic.Assignment {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.partitionIndex = r.i32()
        s.brokerIds = r.array { r in r.i32() }
        return s
    }
}

extension CreateTopicsRequest.Topic.Config {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.value = r.nstr()
        return s
    }
}

extension CreateTopicsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 2 { s.throttleTimeMs = r.i32() }
        s.topics = r.array { r in CreateTopicsResponse.Topic.sample(v, &r) }
        return s
    }
}

extension CreateTopicsResponse.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        if v >= 1 { s.errorMessage = r.nstr() }
        return s
    }
}

extension DeleteTopicsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topicNames = r.array { r in r.str() }
        s.timeoutMs = r.i32()
        return s
    }
}

extension DeleteTopicsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        if v >= 1 { s.throttleTimeMs = r.i32() }
        s.responses = r.array { r in DeleteTopicsResponse.Result.sample(v, &r) }
        return s
    }
}

extension DeleteTopicsResponse.Result {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        return s
    }
}

extension DeleteRecordsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topics = r.array { r in
            Topic(name: r.str(), partitions: r.array { r in Topic.Partition(partitionIndex: r.i32(), offset: r.i64()) })
        }
        s.timeoutMs = r.i32()
        return s
    }
}

extension DeleteRecordsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.throttleTimeMs = r.i32()
        s.topics = r.array { r in
            Topic(name: r.str(), partitions: r.array { r in
                Topic.Partition(partitionIndex: r.i32(), lowWatermark: r.i64(), errorCode: KafkaErrorCode(rawValue: r.i16()))
            })
        }
        return s
    }
}

extension InitProducerIdRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.transactionalId = r.nstr()
        s.transactionTimeoutMs = r.i32()
        return s
    }
}

extension InitProducerIdResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.throttleTimeMs = r.i32()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.producerId = r.i64()
        s.producerEpoch = r.i16()
        return s
    }
}

extension DescribeConfigsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.resources = r.array { r in DescribeConfigsRequest.Resource.sample(v, &r) }
        if v >= 1 { s.includeSynonyms = r.bool() }
        return s
    }
}

extension DescribeConfigsRequest.Resource {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.resourceType = r.i8()
        s.resourceName = r.str()
        s.configurationKeys = r.nullableArray { r in r.str() }
        return s
    }
}

extension DescribeConfigsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.throttleTimeMs = r.i32()
        s.results = r.array { r in DescribeConfigsResponse.Result.sample(v, &r) }
        return s
    }
}

extension DescribeConfigsResponse.Result {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.errorMessage = r.nstr()
        s.resourceType = r.i8()
        s.resourceName = r.str()
        s.configs = r.array { r in DescribeConfigsResponse.Result.Config.sample(v, &r) }
        return s
    }
}

extension DescribeConfigsResponse.Result.Config {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.value = r.nstr()
        s.readOnly = r.bool()
        if v >= 1 { s.configSource = r.i8() }
        s.isSensitive = r.bool()
        if v >= 1 { s.synonyms = r.array { r in DescribeConfigsResponse.Result.Config.Synonym.sample(v, &r) } }
        return s
    }
}

extension DescribeConfigsResponse.Result.Config.Synonym {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.value = r.nstr()
        s.source = r.i8()
        return s
    }
}

extension AlterConfigsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.resources = r.array { r in AlterConfigsRequest.Resource.sample(v, &r) }
        s.validateOnly = r.bool()
        return s
    }
}

extension AlterConfigsRequest.Resource {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.resourceType = r.i8()
        s.resourceName = r.str()
        s.configs = r.array { r in AlterConfigsRequest.Resource.Config.sample(v, &r) }
        return s
    }
}

extension AlterConfigsRequest.Resource.Config {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.value = r.nstr()
        return s
    }
}

extension AlterConfigsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.throttleTimeMs = r.i32()
        s.responses = r.array { r in AlterConfigsResponse.Result.sample(v, &r) }
        return s
    }
}

extension AlterConfigsResponse.Result {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.errorMessage = r.nstr()
        s.resourceType = r.i8()
        s.resourceName = r.str()
        return s
    }
}

extension CreatePartitionsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.topics = r.array { r in CreatePartitionsRequest.Topic.sample(v, &r) }
        s.timeoutMs = r.i32()
        s.validateOnly = r.bool()
        return s
    }
}

extension CreatePartitionsRequest.Topic {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.count = r.i32()
        s.assignments = r.nullableArray { r in CreatePartitionsRequest.Topic.Assignment.sample(v, &r) }
        return s
    }
}

extension CreatePartitionsRequest.Topic.Assignment {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.brokerIds = r.array { r in r.i32() }
        return s
    }
}

extension CreatePartitionsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.throttleTimeMs = r.i32()
        s.results = r.array { r in CreatePartitionsResponse.Result.sample(v, &r) }
        return s
    }
}

extension CreatePartitionsResponse.Result {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.errorMessage = r.nstr()
        return s
    }
}

extension DeleteGroupsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupsNames = r.array { r in r.str() }
        return s
    }
}

extension DeleteGroupsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.throttleTimeMs = r.i32()
        s.results = r.array { r in DeleteGroupsResponse.Result.sample(v, &r) }
        return s
    }
}

extension DeleteGroupsResponse.Result {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.groupId = r.str()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        return s
    }
}

extension IncrementalAlterConfigsRequest {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.resources = r.array { r in IncrementalAlterConfigsRequest.Resource.sample(v, &r) }
        s.validateOnly = r.bool()
        return s
    }
}

extension IncrementalAlterConfigsRequest.Resource {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.resourceType = r.i8()
        s.resourceName = r.str()
        s.configs = r.array { r in IncrementalAlterConfigsRequest.Resource.Config.sample(v, &r) }
        return s
    }
}

extension IncrementalAlterConfigsRequest.Resource.Config {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.name = r.str()
        s.configOperation = r.i8()
        s.value = r.nstr()
        return s
    }
}

extension IncrementalAlterConfigsResponse {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.throttleTimeMs = r.i32()
        s.responses = r.array { r in IncrementalAlterConfigsResponse.Result.sample(v, &r) }
        return s
    }
}

extension IncrementalAlterConfigsResponse.Result {
    static func sample(_ v: Int16, _ r: inout SplitMix64) -> Self {
        var s = Self()
        s.errorCode = KafkaErrorCode(rawValue: r.i16())
        s.errorMessage = r.nstr()
        s.resourceType = r.i8()
        s.resourceName = r.str()
        return s
    }
}

/// One entry per API: how to build samples and wrap them in `KafkaRequest`.
let apiCases: [APICase] = [
    APICase(
        key: .produce, versions: 3...7,
        request: { v, r in AnyBody(ProduceRequest.sample(v, &r)) },
        response: { v, r in AnyBody(ProduceResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.produce(ProduceRequest.sample(v, &r)) }
    ),
    APICase(
        key: .fetch, versions: 4...11,
        request: { v, r in AnyBody(FetchRequest.sample(v, &r)) },
        response: { v, r in AnyBody(FetchResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.fetch(FetchRequest.sample(v, &r)) }
    ),
    APICase(
        key: .listOffsets, versions: 1...5,
        request: { v, r in AnyBody(ListOffsetsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(ListOffsetsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.listOffsets(ListOffsetsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .metadata, versions: 0...8,
        request: { v, r in AnyBody(MetadataRequest.sample(v, &r)) },
        response: { v, r in AnyBody(MetadataResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.metadata(MetadataRequest.sample(v, &r)) }
    ),
    APICase(
        key: .offsetCommit, versions: 2...7,
        request: { v, r in AnyBody(OffsetCommitRequest.sample(v, &r)) },
        response: { v, r in AnyBody(OffsetCommitResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.offsetCommit(OffsetCommitRequest.sample(v, &r)) }
    ),
    APICase(
        key: .offsetFetch, versions: 1...5,
        request: { v, r in AnyBody(OffsetFetchRequest.sample(v, &r)) },
        response: { v, r in AnyBody(OffsetFetchResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.offsetFetch(OffsetFetchRequest.sample(v, &r)) }
    ),
    APICase(
        key: .findCoordinator, versions: 0...2,
        request: { v, r in AnyBody(FindCoordinatorRequest.sample(v, &r)) },
        response: { v, r in AnyBody(FindCoordinatorResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.findCoordinator(FindCoordinatorRequest.sample(v, &r)) }
    ),
    APICase(
        key: .joinGroup, versions: 0...5,
        request: { v, r in AnyBody(JoinGroupRequest.sample(v, &r)) },
        response: { v, r in AnyBody(JoinGroupResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.joinGroup(JoinGroupRequest.sample(v, &r)) }
    ),
    APICase(
        key: .heartbeat, versions: 0...3,
        request: { v, r in AnyBody(HeartbeatRequest.sample(v, &r)) },
        response: { v, r in AnyBody(HeartbeatResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.heartbeat(HeartbeatRequest.sample(v, &r)) }
    ),
    APICase(
        key: .leaveGroup, versions: 0...2,
        request: { v, r in AnyBody(LeaveGroupRequest.sample(v, &r)) },
        response: { v, r in AnyBody(LeaveGroupResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.leaveGroup(LeaveGroupRequest.sample(v, &r)) }
    ),
    APICase(
        key: .syncGroup, versions: 0...3,
        request: { v, r in AnyBody(SyncGroupRequest.sample(v, &r)) },
        response: { v, r in AnyBody(SyncGroupResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.syncGroup(SyncGroupRequest.sample(v, &r)) }
    ),
    APICase(
        key: .describeGroups, versions: 0...4,
        request: { v, r in AnyBody(DescribeGroupsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(DescribeGroupsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.describeGroups(DescribeGroupsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .listGroups, versions: 0...2,
        request: { v, r in AnyBody(ListGroupsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(ListGroupsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.listGroups(ListGroupsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .apiVersions, versions: 0...3,
        request: { v, r in AnyBody(ApiVersionsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(ApiVersionsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.apiVersions(ApiVersionsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .createTopics, versions: 2...4,
        request: { v, r in AnyBody(CreateTopicsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(CreateTopicsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.createTopics(CreateTopicsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .deleteTopics, versions: 1...3,
        request: { v, r in AnyBody(DeleteTopicsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(DeleteTopicsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.deleteTopics(DeleteTopicsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .deleteRecords, versions: 0...1,
        request: { v, r in AnyBody(DeleteRecordsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(DeleteRecordsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.deleteRecords(DeleteRecordsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .initProducerId, versions: 0...1,
        request: { v, r in AnyBody(InitProducerIdRequest.sample(v, &r)) },
        response: { v, r in AnyBody(InitProducerIdResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.initProducerId(InitProducerIdRequest.sample(v, &r)) }
    ),
    APICase(
        key: .describeConfigs, versions: 1...2,
        request: { v, r in AnyBody(DescribeConfigsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(DescribeConfigsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.describeConfigs(DescribeConfigsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .alterConfigs, versions: 0...1,
        request: { v, r in AnyBody(AlterConfigsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(AlterConfigsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.alterConfigs(AlterConfigsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .createPartitions, versions: 0...1,
        request: { v, r in AnyBody(CreatePartitionsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(CreatePartitionsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.createPartitions(CreatePartitionsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .deleteGroups, versions: 0...1,
        request: { v, r in AnyBody(DeleteGroupsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(DeleteGroupsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.deleteGroups(DeleteGroupsRequest.sample(v, &r)) }
    ),
    APICase(
        key: .incrementalAlterConfigs, versions: 0...0,
        request: { v, r in AnyBody(IncrementalAlterConfigsRequest.sample(v, &r)) },
        response: { v, r in AnyBody(IncrementalAlterConfigsResponse.sample(v, &r)) },
        wrap: { v, r in KafkaRequest.incrementalAlterConfigs(IncrementalAlterConfigsRequest.sample(v, &r)) }
    ),
]
