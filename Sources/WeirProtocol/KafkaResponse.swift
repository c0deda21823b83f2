import NIOCore

/// A response body, one case per API. Brokers can build one and encode it with its header;
/// clients can decode a frame once they know which request (key, version) the correlation id belongs to.
public enum KafkaResponse: Sendable, Hashable {
    case produce(ProduceResponse)
    case fetch(FetchResponse)
    case listOffsets(ListOffsetsResponse)
    case metadata(MetadataResponse)
    case offsetCommit(OffsetCommitResponse)
    case offsetFetch(OffsetFetchResponse)
    case findCoordinator(FindCoordinatorResponse)
    case joinGroup(JoinGroupResponse)
    case heartbeat(HeartbeatResponse)
    case leaveGroup(LeaveGroupResponse)
    case syncGroup(SyncGroupResponse)
    case describeGroups(DescribeGroupsResponse)
    case listGroups(ListGroupsResponse)
    case apiVersions(ApiVersionsResponse)
    case createTopics(CreateTopicsResponse)
    case deleteTopics(DeleteTopicsResponse)
    case deleteRecords(DeleteRecordsResponse)
    case initProducerId(InitProducerIdResponse)
    case describeConfigs(DescribeConfigsResponse)
    case alterConfigs(AlterConfigsResponse)
    case createPartitions(CreatePartitionsResponse)
    case deleteGroups(DeleteGroupsResponse)
    case incrementalAlterConfigs(IncrementalAlterConfigsResponse)

    /// The API key of this response.
    public var apiKey: ApiKey {
        switch self {
        case .produce: .produce
        case .fetch: .fetch
        case .listOffsets: .listOffsets
        case .metadata: .metadata
        case .offsetCommit: .offsetCommit
        case .offsetFetch: .offsetFetch
        case .findCoordinator: .findCoordinator
        case .joinGroup: .joinGroup
        case .heartbeat: .heartbeat
        case .leaveGroup: .leaveGroup
        case .syncGroup: .syncGroup
        case .describeGroups: .describeGroups
        case .listGroups: .listGroups
        case .apiVersions: .apiVersions
        case .createTopics: .createTopics
        case .deleteTopics: .deleteTopics
        case .deleteRecords: .deleteRecords
        case .initProducerId: .initProducerId
        case .describeConfigs: .describeConfigs
        case .alterConfigs: .alterConfigs
        case .createPartitions: .createPartitions
        case .deleteGroups: .deleteGroups
        case .incrementalAlterConfigs: .incrementalAlterConfigs
        }
    }

    /// Decodes a response body (after the response header) to a request of `apiKey` at `version`.
    public static func decode(apiKey: ApiKey, version: Int16, body: inout ByteBuffer) throws(ProtocolDecodingError) -> KafkaResponse {
        switch apiKey {
        case .produce: return .produce(try ProduceResponse(from: &body, version: version))
        case .fetch: return .fetch(try FetchResponse(from: &body, version: version))
        case .listOffsets: return .listOffsets(try ListOffsetsResponse(from: &body, version: version))
        case .metadata: return .metadata(try MetadataResponse(from: &body, version: version))
        case .offsetCommit: return .offsetCommit(try OffsetCommitResponse(from: &body, version: version))
        case .offsetFetch: return .offsetFetch(try OffsetFetchResponse(from: &body, version: version))
        case .findCoordinator: return .findCoordinator(try FindCoordinatorResponse(from: &body, version: version))
        case .joinGroup: return .joinGroup(try JoinGroupResponse(from: &body, version: version))
        case .heartbeat: return .heartbeat(try HeartbeatResponse(from: &body, version: version))
        case .leaveGroup: return .leaveGroup(try LeaveGroupResponse(from: &body, version: version))
        case .syncGroup: return .syncGroup(try SyncGroupResponse(from: &body, version: version))
        case .describeGroups: return .describeGroups(try DescribeGroupsResponse(from: &body, version: version))
        case .listGroups: return .listGroups(try ListGroupsResponse(from: &body, version: version))
        case .apiVersions: return .apiVersions(try ApiVersionsResponse(from: &body, version: version))
        case .createTopics: return .createTopics(try CreateTopicsResponse(from: &body, version: version))
        case .deleteTopics: return .deleteTopics(try DeleteTopicsResponse(from: &body, version: version))
        case .deleteRecords: return .deleteRecords(try DeleteRecordsResponse(from: &body, version: version))
        case .initProducerId: return .initProducerId(try InitProducerIdResponse(from: &body, version: version))
        case .describeConfigs: return .describeConfigs(try DescribeConfigsResponse(from: &body, version: version))
        case .alterConfigs: return .alterConfigs(try AlterConfigsResponse(from: &body, version: version))
        case .createPartitions: return .createPartitions(try CreatePartitionsResponse(from: &body, version: version))
        case .deleteGroups: return .deleteGroups(try DeleteGroupsResponse(from: &body, version: version))
        case .incrementalAlterConfigs: return .incrementalAlterConfigs(try IncrementalAlterConfigsResponse(from: &body, version: version))
        default: throw ProtocolDecodingError(.unknownApiKey, "api key \(apiKey.rawValue)")
        }
    }

    /// Encodes the body (without header) at `version`.
    public func encodeBody(to w: inout KafkaWriter, version: Int16) {
        switch self {
        case .produce(let r): r.encode(to: &w, version: version)
        case .fetch(let r): r.encode(to: &w, version: version)
        case .listOffsets(let r): r.encode(to: &w, version: version)
        case .metadata(let r): r.encode(to: &w, version: version)
        case .offsetCommit(let r): r.encode(to: &w, version: version)
        case .offsetFetch(let r): r.encode(to: &w, version: version)
        case .findCoordinator(let r): r.encode(to: &w, version: version)
        case .joinGroup(let r): r.encode(to: &w, version: version)
        case .heartbeat(let r): r.encode(to: &w, version: version)
        case .leaveGroup(let r): r.encode(to: &w, version: version)
        case .syncGroup(let r): r.encode(to: &w, version: version)
        case .describeGroups(let r): r.encode(to: &w, version: version)
        case .listGroups(let r): r.encode(to: &w, version: version)
        case .apiVersions(let r): r.encode(to: &w, version: version)
        case .createTopics(let r): r.encode(to: &w, version: version)
        case .deleteTopics(let r): r.encode(to: &w, version: version)
        case .deleteRecords(let r): r.encode(to: &w, version: version)
        case .initProducerId(let r): r.encode(to: &w, version: version)
        case .describeConfigs(let r): r.encode(to: &w, version: version)
        case .alterConfigs(let r): r.encode(to: &w, version: version)
        case .createPartitions(let r): r.encode(to: &w, version: version)
        case .deleteGroups(let r): r.encode(to: &w, version: version)
        case .incrementalAlterConfigs(let r): r.encode(to: &w, version: version)
        }
    }

    /// As `encodeFramePieces` (zero-copy), with Fetch records left in log files kept as file pieces for sendfile.
    public func encodeFrameIO(correlationId: Int32, version: Int16) -> [FramePiece] {
        if case .fetch(let r) = self { return r.encodeFrameIO(correlationId: correlationId, version: version) }
        return encodeFramePieces(correlationId: correlationId, version: version).map { .bytes($0) }
    }

    /// A complete frame (size, header v0/v1 by key and version, body) as pieces; see `KafkaWriter`.
    public func encodeFramePieces(correlationId: Int32, version: Int16, zeroCopyRecords: Bool = true) -> [ByteBuffer] {
        switch self {
        case .produce(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .fetch(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .listOffsets(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .metadata(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .offsetCommit(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .offsetFetch(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .findCoordinator(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .joinGroup(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .heartbeat(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .leaveGroup(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .syncGroup(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .describeGroups(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .listGroups(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .apiVersions(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .createTopics(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .deleteTopics(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .deleteRecords(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .initProducerId(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .describeConfigs(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .alterConfigs(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .createPartitions(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .deleteGroups(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        case .incrementalAlterConfigs(let r): r.encodeFramePieces(correlationId: correlationId, version: version, zeroCopyRecords: zeroCopyRecords)
        }
    }
}
