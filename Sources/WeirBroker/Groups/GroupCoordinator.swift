import Logging
import NIOCore
import WeirProtocol
import WeirStorage

/// Who sent a group request: DescribeGroups reports these per member.
public struct GroupClient: Sendable, Hashable {
    public var clientId: String
    public var clientHost: String
    public init(clientId: String, clientHost: String) {
        self.clientId = clientId
        self.clientHost = clientHost
    }
}

/// Classic consumer-group coordinator (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and committed offsets.
/// PLACEHOLDER: the interface the broker calls; the implementation replaces these bodies.
public actor GroupCoordinator {
    let offsetsLog: PartitionLog
    let clock: @Sendable () -> Int64
    let logger: Logger

    /// `offsetsLog` is the single partition of the internal compacted topic `__consumer_offsets`;
    /// committed offsets and group metadata are replayed from it here.
    public init(offsetsLog: PartitionLog, clock: @escaping @Sendable () -> Int64, logger: Logger) throws(StorageError) {
        self.offsetsLog = offsetsLog
        self.clock = clock
        self.logger = logger
    }

    /// Expires sessions and ends rebalances whose timeout passed; the server calls this about every 100 ms.
    public func tick() {}

    public func joinGroup(_ r: JoinGroupRequest, version: Int16, client: GroupClient) async -> JoinGroupResponse {
        JoinGroupResponse(errorCode: .coordinatorNotAvailable)
    }
    public func syncGroup(_ r: SyncGroupRequest, version: Int16) async -> SyncGroupResponse {
        SyncGroupResponse(errorCode: .coordinatorNotAvailable)
    }
    public func heartbeat(_ r: HeartbeatRequest, version: Int16) -> HeartbeatResponse {
        HeartbeatResponse(errorCode: .coordinatorNotAvailable)
    }
    public func leaveGroup(_ r: LeaveGroupRequest, version: Int16) -> LeaveGroupResponse {
        LeaveGroupResponse(errorCode: .coordinatorNotAvailable)
    }
    /// Durable before it returns (fsynced in the offsets log).
    public func offsetCommit(_ r: OffsetCommitRequest, version: Int16) async -> OffsetCommitResponse {
        OffsetCommitResponse()
    }
    public func offsetFetch(_ r: OffsetFetchRequest, version: Int16) -> OffsetFetchResponse {
        OffsetFetchResponse(errorCode: .coordinatorNotAvailable)
    }
    public func describeGroups(_ r: DescribeGroupsRequest, version: Int16) -> DescribeGroupsResponse {
        DescribeGroupsResponse()
    }
    public func listGroups(_ r: ListGroupsRequest, version: Int16) -> ListGroupsResponse {
        ListGroupsResponse()
    }
    public func deleteGroups(_ r: DeleteGroupsRequest, version: Int16) async -> DeleteGroupsResponse {
        DeleteGroupsResponse()
    }
    /// Committed offsets for the consumer-lag metric: (group, topic, partition, offset).
    public func committedOffsets() -> [(group: String, topic: String, partition: Int32, offset: Int64)] { [] }
    /// Drops committed offsets of a deleted topic.
    public func topicDeleted(_ name: String) async {}
}
