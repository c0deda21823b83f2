import NIOCore

/// A decoded request body, one case per API Weir serves.
public enum KafkaRequest: Sendable, Hashable {
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case metadata(MetadataRequest)
    case offsetCommit(OffsetCommitRequest)
    case offsetFetch(OffsetFetchRequest)
    case findCoordinator(FindCoordinatorRequest)
    case joinGroup(JoinGroupRequest)
    case heartbeat(HeartbeatRequest)
    case leaveGroup(LeaveGroupRequest)
    case syncGroup(SyncGroupRequest)
    case describeGroups(DescribeGroupsRequest)
    case listGroups(ListGroupsRequest)
    case apiVersions(ApiVersionsRequest)
    case createTopics(CreateTopicsRequest)
    case deleteTopics(DeleteTopicsRequest)
    case deleteRecords(DeleteRecordsRequest)
    case initProducerId(InitProducerIdRequest)
    case describeConfigs(DescribeConfigsRequest)
    case alterConfigs(AlterConfigsRequest)
    case createPartitions(CreatePartitionsRequest)
    case deleteGroups(DeleteGroupsRequest)
    case incrementalAlterConfigs(IncrementalAlterConfigsRequest)

    /// The API key of this request.
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

    /// Decodes the body that follows `header` in a request frame. `body` must start right after the header.
    /// Throws `ProtocolDecodingError` with kind `.unknownApiKey`, `.unsupportedVersion` or a malformed-input kind.
    public static func decode(header: RequestHeader, body: inout ByteBuffer) throws(ProtocolDecodingError) -> KafkaRequest {
        let v = header.apiVersion
        guard let range = KafkaVersions.decodable[header.apiKey] else {
            throw ProtocolDecodingError(.unknownApiKey, "api key \(header.apiKey.rawValue)")
        }
        guard range.contains(v) else {
            throw ProtocolDecodingError(.unsupportedVersion, "\(header.apiKey) v\(v)")
        }
        switch header.apiKey {
        case .produce: return .produce(try ProduceRequest(from: &body, version: v))
        case .fetch: return .fetch(try FetchRequest(from: &body, version: v))
        case .listOffsets: return .listOffsets(try ListOffsetsRequest(from: &body, version: v))
        case .metadata: return .metadata(try MetadataRequest(from: &body, version: v))
        case .offsetCommit: return .offsetCommit(try OffsetCommitRequest(from: &body, version: v))
        case .offsetFetch: return .offsetFetch(try OffsetFetchRequest(from: &body, version: v))
        case .findCoordinator: return .findCoordinator(try FindCoordinatorRequest(from: &body, version: v))
        case .joinGroup: return .joinGroup(try JoinGroupRequest(from: &body, version: v))
        case .heartbeat: return .heartbeat(try HeartbeatRequest(from: &body, version: v))
        case .leaveGroup: return .leaveGroup(try LeaveGroupRequest(from: &body, version: v))
        case .syncGroup: return .syncGroup(try SyncGroupRequest(from: &body, version: v))
        case .describeGroups: return .describeGroups(try DescribeGroupsRequest(from: &body, version: v))
        case .listGroups: return .listGroups(try ListGroupsRequest(from: &body, version: v))
        case .apiVersions: return .apiVersions(try ApiVersionsRequest(from: &body, version: v))
        case .createTopics: return .createTopics(try CreateTopicsRequest(from: &body, version: v))
        case .deleteTopics: return .deleteTopics(try DeleteTopicsRequest(from: &body, version: v))
        case .deleteRecords: return .deleteRecords(try DeleteRecordsRequest(from: &body, version: v))
        case .initProducerId: return .initProducerId(try InitProducerIdRequest(from: &body, version: v))
        case .describeConfigs: return .describeConfigs(try DescribeConfigsRequest(from: &body, version: v))
        case .alterConfigs: return .alterConfigs(try AlterConfigsRequest(from: &body, version: v))
        case .createPartitions: return .createPartitions(try CreatePartitionsRequest(from: &body, version: v))
        case .deleteGroups: return .deleteGroups(try DeleteGroupsRequest(from: &body, version: v))
        case .incrementalAlterConfigs: return .incrementalAlterConfigs(try IncrementalAlterConfigsRequest(from: &body, version: v))
        default: throw ProtocolDecodingError(.unknownApiKey, "api key \(header.apiKey.rawValue)")
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
}

extension ApiKey {
    /// Produce (key 0).
    public static let produce = ApiKey(rawValue: 0)
    /// Fetch (key 1).
    public static let fetch = ApiKey(rawValue: 1)
    /// ListOffsets (key 2).
    public static let listOffsets = ApiKey(rawValue: 2)
    /// Metadata (key 3).
    public static let metadata = ApiKey(rawValue: 3)
    /// OffsetCommit (key 8).
    public static let offsetCommit = ApiKey(rawValue: 8)
    /// OffsetFetch (key 9).
    public static let offsetFetch = ApiKey(rawValue: 9)
    /// FindCoordinator (key 10).
    public static let findCoordinator = ApiKey(rawValue: 10)
    /// JoinGroup (key 11).
    public static let joinGroup = ApiKey(rawValue: 11)
    /// Heartbeat (key 12).
    public static let heartbeat = ApiKey(rawValue: 12)
    /// LeaveGroup (key 13).
    public static let leaveGroup = ApiKey(rawValue: 13)
    /// SyncGroup (key 14).
    public static let syncGroup = ApiKey(rawValue: 14)
    /// DescribeGroups (key 15).
    public static let describeGroups = ApiKey(rawValue: 15)
    /// ListGroups (key 16).
    public static let listGroups = ApiKey(rawValue: 16)
    /// ApiVersions (key 18).
    public static let apiVersions = ApiKey(rawValue: 18)
    /// CreateTopics (key 19).
    public static let createTopics = ApiKey(rawValue: 19)
    /// DeleteTopics (key 20).
    public static let deleteTopics = ApiKey(rawValue: 20)
    /// DeleteRecords (key 21).
    public static let deleteRecords = ApiKey(rawValue: 21)
    /// InitProducerId (key 22).
    public static let initProducerId = ApiKey(rawValue: 22)
    /// DescribeConfigs (key 32).
    public static let describeConfigs = ApiKey(rawValue: 32)
    /// AlterConfigs (key 33).
    public static let alterConfigs = ApiKey(rawValue: 33)
    /// CreatePartitions (key 37).
    public static let createPartitions = ApiKey(rawValue: 37)
    /// DeleteGroups (key 42).
    public static let deleteGroups = ApiKey(rawValue: 42)
    /// IncrementalAlterConfigs (key 44).
    public static let incrementalAlterConfigs = ApiKey(rawValue: 44)

    /// First flexible version of each known API (KIP-482); nil for unknown keys.
    public var firstFlexibleVersion: Int16? {
        switch self {
        case .produce: 9
        case .fetch: 12
        case .listOffsets: 6
        case .metadata: 9
        case .offsetCommit: 8
        case .offsetFetch: 6
        case .findCoordinator: 3
        case .joinGroup: 6
        case .heartbeat: 4
        case .leaveGroup: 4
        case .syncGroup: 4
        case .describeGroups: 5
        case .listGroups: 3
        case .apiVersions: 3
        case .createTopics: 5
        case .deleteTopics: 4
        case .deleteRecords: 2
        case .initProducerId: 2
        case .describeConfigs: 4
        case .alterConfigs: 2
        case .createPartitions: 2
        case .deleteGroups: 2
        case .incrementalAlterConfigs: 1
        default: nil
        }
    }

    /// Human-readable name.
    public var name: String {
        switch self {
        case .produce: "Produce"
        case .fetch: "Fetch"
        case .listOffsets: "ListOffsets"
        case .metadata: "Metadata"
        case .offsetCommit: "OffsetCommit"
        case .offsetFetch: "OffsetFetch"
        case .findCoordinator: "FindCoordinator"
        case .joinGroup: "JoinGroup"
        case .heartbeat: "Heartbeat"
        case .leaveGroup: "LeaveGroup"
        case .syncGroup: "SyncGroup"
        case .describeGroups: "DescribeGroups"
        case .listGroups: "ListGroups"
        case .apiVersions: "ApiVersions"
        case .createTopics: "CreateTopics"
        case .deleteTopics: "DeleteTopics"
        case .deleteRecords: "DeleteRecords"
        case .initProducerId: "InitProducerId"
        case .describeConfigs: "DescribeConfigs"
        case .alterConfigs: "AlterConfigs"
        case .createPartitions: "CreatePartitions"
        case .deleteGroups: "DeleteGroups"
        case .incrementalAlterConfigs: "IncrementalAlterConfigs"
        default: "ApiKey(\(rawValue))"
        }
    }
}

extension KafkaVersions {
    /// Versions `KafkaRequest.decode` accepts for each API (what the codec implements).
    public static let decodable: [ApiKey: ClosedRange<Int16>] = [
        .produce: 3...7,
        .fetch: 4...11,
        .listOffsets: 1...5,
        .metadata: 0...8,
        .offsetCommit: 2...7,
        .offsetFetch: 1...5,
        .findCoordinator: 0...2,
        .joinGroup: 0...5,
        .heartbeat: 0...3,
        .leaveGroup: 0...2,
        .syncGroup: 0...3,
        .describeGroups: 0...4,
        .listGroups: 0...2,
        .apiVersions: 0...3,
        .createTopics: 2...4,
        .deleteTopics: 1...3,
        .deleteRecords: 0...1,
        .initProducerId: 0...1,
        .describeConfigs: 1...2,
        .alterConfigs: 0...1,
        .createPartitions: 0...1,
        .deleteGroups: 0...1,
        .incrementalAlterConfigs: 0...0,
    ]
}
