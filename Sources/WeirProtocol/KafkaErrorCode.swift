import NIOCore

/// A Kafka error code. Open: any Int16 is representable; the codes of docs §8 are named.
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public init(_ rawValue: Int16) { self.rawValue = rawValue }

    /// UNKNOWN_SERVER_ERROR (-1).
    public static let unknownServerError = KafkaErrorCode(rawValue: -1)
    /// NONE (0).
    public static let none = KafkaErrorCode(rawValue: 0)
    /// OFFSET_OUT_OF_RANGE (1).
    public static let offsetOutOfRange = KafkaErrorCode(rawValue: 1)
    /// CORRUPT_MESSAGE (2).
    public static let corruptMessage = KafkaErrorCode(rawValue: 2)
    /// UNKNOWN_TOPIC_OR_PARTITION (3).
    public static let unknownTopicOrPartition = KafkaErrorCode(rawValue: 3)
    /// LEADER_NOT_AVAILABLE (5).
    public static let leaderNotAvailable = KafkaErrorCode(rawValue: 5)
    /// NOT_LEADER_OR_FOLLOWER (6).
    public static let notLeaderOrFollower = KafkaErrorCode(rawValue: 6)
    /// REQUEST_TIMED_OUT (7).
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    /// MESSAGE_TOO_LARGE (10).
    public static let messageTooLarge = KafkaErrorCode(rawValue: 10)
    /// OFFSET_METADATA_TOO_LARGE (12).
    public static let offsetMetadataTooLarge = KafkaErrorCode(rawValue: 12)
    /// COORDINATOR_LOAD_IN_PROGRESS (14).
    public static let coordinatorLoadInProgress = KafkaErrorCode(rawValue: 14)
    /// COORDINATOR_NOT_AVAILABLE (15).
    public static let coordinatorNotAvailable = KafkaErrorCode(rawValue: 15)
    /// NOT_COORDINATOR (16).
    public static let notCoordinator = KafkaErrorCode(rawValue: 16)
    /// INVALID_TOPIC_EXCEPTION (17).
    public static let invalidTopicException = KafkaErrorCode(rawValue: 17)
    /// RECORD_LIST_TOO_LARGE (18).
    public static let recordListTooLarge = KafkaErrorCode(rawValue: 18)
    /// NOT_ENOUGH_REPLICAS (19).
    public static let notEnoughReplicas = KafkaErrorCode(rawValue: 19)
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND (20).
    public static let notEnoughReplicasAfterAppend = KafkaErrorCode(rawValue: 20)
    /// INVALID_REQUIRED_ACKS (21).
    public static let invalidRequiredAcks = KafkaErrorCode(rawValue: 21)
    /// ILLEGAL_GENERATION (22).
    public static let illegalGeneration = KafkaErrorCode(rawValue: 22)
    /// INCONSISTENT_GROUP_PROTOCOL (23).
    public static let inconsistentGroupProtocol = KafkaErrorCode(rawValue: 23)
    /// INVALID_GROUP_ID (24).
    public static let invalidGroupId = KafkaErrorCode(rawValue: 24)
    /// UNKNOWN_MEMBER_ID (25).
    public static let unknownMemberId = KafkaErrorCode(rawValue: 25)
    /// INVALID_SESSION_TIMEOUT (26).
    public static let invalidSessionTimeout = KafkaErrorCode(rawValue: 26)
    /// REBALANCE_IN_PROGRESS (27).
    public static let rebalanceInProgress = KafkaErrorCode(rawValue: 27)
    /// INVALID_COMMIT_OFFSET_SIZE (28).
    public static let invalidCommitOffsetSize = KafkaErrorCode(rawValue: 28)
    /// INVALID_TIMESTAMP (32).
    public static let invalidTimestamp = KafkaErrorCode(rawValue: 32)
    /// UNSUPPORTED_VERSION (35).
    public static let unsupportedVersion = KafkaErrorCode(rawValue: 35)
    /// TOPIC_ALREADY_EXISTS (36).
    public static let topicAlreadyExists = KafkaErrorCode(rawValue: 36)
    /// INVALID_PARTITIONS (37).
    public static let invalidPartitions = KafkaErrorCode(rawValue: 37)
    /// INVALID_REPLICATION_FACTOR (38).
    public static let invalidReplicationFactor = KafkaErrorCode(rawValue: 38)
    /// INVALID_REPLICA_ASSIGNMENT (39).
    public static let invalidReplicaAssignment = KafkaErrorCode(rawValue: 39)
    /// INVALID_CONFIG (40).
    public static let invalidConfig = KafkaErrorCode(rawValue: 40)
    /// NOT_CONTROLLER (41).
    public static let notController = KafkaErrorCode(rawValue: 41)
    /// INVALID_REQUEST (42).
    public static let invalidRequest = KafkaErrorCode(rawValue: 42)
    /// UNSUPPORTED_FOR_MESSAGE_FORMAT (43).
    public static let unsupportedForMessageFormat = KafkaErrorCode(rawValue: 43)
    /// OUT_OF_ORDER_SEQUENCE_NUMBER (45).
    public static let outOfOrderSequenceNumber = KafkaErrorCode(rawValue: 45)
    /// DUPLICATE_SEQUENCE_NUMBER (46).
    public static let duplicateSequenceNumber = KafkaErrorCode(rawValue: 46)
    /// INVALID_PRODUCER_EPOCH (47).
    public static let invalidProducerEpoch = KafkaErrorCode(rawValue: 47)
    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53).
    public static let transactionalIdAuthorizationFailed = KafkaErrorCode(rawValue: 53)
    /// KAFKA_STORAGE_ERROR (56).
    public static let kafkaStorageError = KafkaErrorCode(rawValue: 56)
    /// UNKNOWN_PRODUCER_ID (59).
    public static let unknownProducerId = KafkaErrorCode(rawValue: 59)
    /// NON_EMPTY_GROUP (68).
    public static let nonEmptyGroup = KafkaErrorCode(rawValue: 68)
    /// GROUP_ID_NOT_FOUND (69).
    public static let groupIdNotFound = KafkaErrorCode(rawValue: 69)
    /// FETCH_SESSION_ID_NOT_FOUND (70).
    public static let fetchSessionIdNotFound = KafkaErrorCode(rawValue: 70)
    /// INVALID_FETCH_SESSION_EPOCH (71).
    public static let invalidFetchSessionEpoch = KafkaErrorCode(rawValue: 71)
    /// FENCED_LEADER_EPOCH (74).
    public static let fencedLeaderEpoch = KafkaErrorCode(rawValue: 74)
    /// UNKNOWN_LEADER_EPOCH (75).
    public static let unknownLeaderEpoch = KafkaErrorCode(rawValue: 75)
    /// UNSUPPORTED_COMPRESSION_TYPE (76).
    public static let unsupportedCompressionType = KafkaErrorCode(rawValue: 76)
    /// OFFSET_NOT_AVAILABLE (78).
    public static let offsetNotAvailable = KafkaErrorCode(rawValue: 78)
    /// MEMBER_ID_REQUIRED (79).
    public static let memberIdRequired = KafkaErrorCode(rawValue: 79)
    /// GROUP_MAX_SIZE_REACHED (81).
    public static let groupMaxSizeReached = KafkaErrorCode(rawValue: 81)
    /// FENCED_INSTANCE_ID (82).
    public static let fencedInstanceId = KafkaErrorCode(rawValue: 82)
    /// INVALID_RECORD (87).
    public static let invalidRecord = KafkaErrorCode(rawValue: 87)
    /// THROTTLING_QUOTA_EXCEEDED (89).
    public static let throttlingQuotaExceeded = KafkaErrorCode(rawValue: 89)

    /// Whether clients retry this error (Kafka's RetriableException subclasses).
    public var isRetriable: Bool {
        switch self {
        case .corruptMessage, .unknownTopicOrPartition, .leaderNotAvailable, .notLeaderOrFollower, .requestTimedOut, .coordinatorLoadInProgress, .coordinatorNotAvailable, .notCoordinator, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .notController, .kafkaStorageError, .unknownProducerId, .fetchSessionIdNotFound, .invalidFetchSessionEpoch, .fencedLeaderEpoch, .unknownLeaderEpoch, .offsetNotAvailable, .throttlingQuotaExceeded: true
        default: false
        }
    }

    /// The Kafka name, e.g. "UNKNOWN_TOPIC_OR_PARTITION".
    public var name: String {
        switch self {
        case .unknownServerError: "UNKNOWN_SERVER_ERROR"
        case .none: "NONE"
        case .offsetOutOfRange: "OFFSET_OUT_OF_RANGE"
        case .corruptMessage: "CORRUPT_MESSAGE"
        case .unknownTopicOrPartition: "UNKNOWN_TOPIC_OR_PARTITION"
        case .leaderNotAvailable: "LEADER_NOT_AVAILABLE"
        case .notLeaderOrFollower: "NOT_LEADER_OR_FOLLOWER"
        case .requestTimedOut: "REQUEST_TIMED_OUT"
        case .messageTooLarge: "MESSAGE_TOO_LARGE"
        case .offsetMetadataTooLarge: "OFFSET_METADATA_TOO_LARGE"
        case .coordinatorLoadInProgress: "COORDINATOR_LOAD_IN_PROGRESS"
        case .coordinatorNotAvailable: "COORDINATOR_NOT_AVAILABLE"
        case .notCoordinator: "NOT_COORDINATOR"
        case .invalidTopicException: "INVALID_TOPIC_EXCEPTION"
        case .recordListTooLarge: "RECORD_LIST_TOO_LARGE"
        case .notEnoughReplicas: "NOT_ENOUGH_REPLICAS"
        case .notEnoughReplicasAfterAppend: "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
        case .invalidRequiredAcks: "INVALID_REQUIRED_ACKS"
        case .illegalGeneration: "ILLEGAL_GENERATION"
        case .inconsistentGroupProtocol: "INCONSISTENT_GROUP_PROTOCOL"
        case .invalidGroupId: "INVALID_GROUP_ID"
        case .unknownMemberId: "UNKNOWN_MEMBER_ID"
        case .invalidSessionTimeout: "INVALID_SESSION_TIMEOUT"
        case .rebalanceInProgress: "REBALANCE_IN_PROGRESS"
        case .invalidCommitOffsetSize: "INVALID_COMMIT_OFFSET_SIZE"
        case .invalidTimestamp: "INVALID_TIMESTAMP"
        case .unsupportedVersion: "UNSUPPORTED_VERSION"
        case .topicAlreadyExists: "TOPIC_ALREADY_EXISTS"
        case .invalidPartitions: "INVALID_PARTITIONS"
        case .invalidReplicationFactor: "INVALID_REPLICATION_FACTOR"
        case .invalidReplicaAssignment: "INVALID_REPLICA_ASSIGNMENT"
        case .invalidConfig: "INVALID_CONFIG"
        case .notController: "NOT_CONTROLLER"
        case .invalidRequest: "INVALID_REQUEST"
        case .unsupportedForMessageFormat: "UNSUPPORTED_FOR_MESSAGE_FORMAT"
        case .outOfOrderSequenceNumber: "OUT_OF_ORDER_SEQUENCE_NUMBER"
        case .duplicateSequenceNumber: "DUPLICATE_SEQUENCE_NUMBER"
        case .invalidProducerEpoch: "INVALID_PRODUCER_EPOCH"
        case .transactionalIdAuthorizationFailed: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
        case .kafkaStorageError: "KAFKA_STORAGE_ERROR"
        case .unknownProducerId: "UNKNOWN_PRODUCER_ID"
        case .nonEmptyGroup: "NON_EMPTY_GROUP"
        case .groupIdNotFound: "GROUP_ID_NOT_FOUND"
        case .fetchSessionIdNotFound: "FETCH_SESSION_ID_NOT_FOUND"
        case .invalidFetchSessionEpoch: "INVALID_FETCH_SESSION_EPOCH"
        case .fencedLeaderEpoch: "FENCED_LEADER_EPOCH"
        case .unknownLeaderEpoch: "UNKNOWN_LEADER_EPOCH"
        case .unsupportedCompressionType: "UNSUPPORTED_COMPRESSION_TYPE"
        case .offsetNotAvailable: "OFFSET_NOT_AVAILABLE"
        case .memberIdRequired: "MEMBER_ID_REQUIRED"
        case .groupMaxSizeReached: "GROUP_MAX_SIZE_REACHED"
        case .fencedInstanceId: "FENCED_INSTANCE_ID"
        case .invalidRecord: "INVALID_RECORD"
        case .throttlingQuotaExceeded: "THROTTLING_QUOTA_EXCEEDED"
        default: "ERROR_\(rawValue)"
        }
    }

    public var description: String { "\(name) (\(rawValue))" }
}

extension ByteBuffer {
    /// An int16 error code.
    public mutating func readErrorCode() throws(ProtocolDecodingError) -> KafkaErrorCode { KafkaErrorCode(rawValue: try readI16()) }
    public mutating func writeErrorCode(_ code: KafkaErrorCode) { writeI16(code.rawValue) }
}
