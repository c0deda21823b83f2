import NIOCore

/// The key of a record in the offsets log (`__consumer_offsets`), in Kafka's own schema:
/// `int16 version` then, for versions 0–1, a committed offset's `group, topic, partition`,
/// and for version 2 a group's metadata `group`. Compaction keeps the latest value per key.
enum OffsetsLogKey: Hashable, Sendable {
    case offset(group: String, topic: String, partition: Int32)
    case groupMetadata(group: String)

    static let offsetKeyVersion: Int16 = 1
    static let groupMetadataKeyVersion: Int16 = 2

    func encoded() -> ByteBuffer {
        var b = ByteBuffer()
        switch self {
        case .offset(let group, let topic, let partition):
            b.writeInteger(Self.offsetKeyVersion)
            b.writeOffsetsLogString(group)
            b.writeOffsetsLogString(topic)
            b.writeInteger(partition)
        case .groupMetadata(let group):
            b.writeInteger(Self.groupMetadataKeyVersion)
            b.writeOffsetsLogString(group)
        }
        return b
    }

    /// nil for an unknown key version or a malformed key (the record is skipped on replay).
    init?(decoding buffer: ByteBuffer) {
        var b = buffer
        guard let version: Int16 = b.readInteger() else { return nil }
        switch version {
        case 0, 1:
            guard let group = b.readOffsetsLogString(), let topic = b.readOffsetsLogString(),
                let partition: Int32 = b.readInteger()
            else { return nil }
            self = .offset(group: group, topic: topic, partition: partition)
        case 2:
            guard let group = b.readOffsetsLogString() else { return nil }
            self = .groupMetadata(group: group)
        default:
            return nil
        }
    }
}

/// A committed offset: Kafka's OffsetCommitValue v3 (`offset, leader_epoch, metadata, commit_timestamp`).
struct CommittedOffset: Hashable, Sendable {
    var offset: Int64
    var leaderEpoch: Int32
    var metadata: String
    var commitTimestampMs: Int64

    static let valueVersion: Int16 = 3

    func encoded() -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(Self.valueVersion)
        b.writeInteger(offset)
        b.writeInteger(leaderEpoch)
        b.writeOffsetsLogString(metadata)
        b.writeInteger(commitTimestampMs)
        return b
    }

    /// Reads value versions 0–3 (v1–2 carry an expire timestamp, v0 and v3 do not; only v3 has the epoch).
    init?(decoding buffer: ByteBuffer) {
        var b = buffer
        guard let version: Int16 = b.readInteger(), (0...3).contains(version),
            let offset: Int64 = b.readInteger()
        else { return nil }
        var epoch: Int32 = -1
        if version >= 3 {
            guard let e: Int32 = b.readInteger() else { return nil }
            epoch = e
        }
        guard let metadata = b.readOffsetsLogString(), let timestamp: Int64 = b.readInteger() else { return nil }
        self.init(offset: offset, leaderEpoch: epoch, metadata: metadata, commitTimestampMs: timestamp)
    }

    init(offset: Int64, leaderEpoch: Int32, metadata: String, commitTimestampMs: Int64) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestampMs = commitTimestampMs
    }
}

/// A group's membership as of its last completed rebalance: Kafka's GroupMetadataValue v3.
struct GroupMetadataValue: Hashable, Sendable {
    struct Member: Hashable, Sendable {
        var memberId: String
        var groupInstanceId: String?
        var clientId: String
        var clientHost: String
        var rebalanceTimeoutMs: Int32
        var sessionTimeoutMs: Int32
        /// The member's metadata for the chosen protocol (the consumer subscription).
        var subscription: ByteBuffer
        var assignment: ByteBuffer
    }
    var protocolType: String
    var generationId: Int32
    var protocolName: String?
    var leaderId: String?
    var currentStateTimestampMs: Int64
    var members: [Member]

    static let valueVersion: Int16 = 3

    func encoded() -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(Self.valueVersion)
        b.writeOffsetsLogString(protocolType)
        b.writeInteger(generationId)
        b.writeOffsetsLogNullableString(protocolName)
        b.writeOffsetsLogNullableString(leaderId)
        b.writeInteger(currentStateTimestampMs)
        b.writeInteger(Int32(members.count))
        for m in members {
            b.writeOffsetsLogString(m.memberId)
            b.writeOffsetsLogNullableString(m.groupInstanceId)
            b.writeOffsetsLogString(m.clientId)
            b.writeOffsetsLogString(m.clientHost)
            b.writeInteger(m.rebalanceTimeoutMs)
            b.writeInteger(m.sessionTimeoutMs)
            b.writeOffsetsLogBytes(m.subscription)
            b.writeOffsetsLogBytes(m.assignment)
        }
        return b
    }

    /// Reads value versions 0–3 (v1 adds rebalance_timeout, v2 current_state_timestamp, v3 group_instance_id).
    init?(decoding buffer: ByteBuffer) {
        var b = buffer
        guard let version: Int16 = b.readInteger(), (0...3).contains(version),
            let protocolType = b.readOffsetsLogString(), let generation: Int32 = b.readInteger(),
            let protocolName = b.readOffsetsLogNullableString(), let leader = b.readOffsetsLogNullableString()
        else { return nil }
        var stateTimestamp: Int64 = -1
        if version >= 2 {
            guard let t: Int64 = b.readInteger() else { return nil }
            stateTimestamp = t
        }
        guard let count: Int32 = b.readInteger(), count >= 0 else { return nil }
        var members: [Member] = []
        for _ in 0..<count {
            guard let memberId = b.readOffsetsLogString() else { return nil }
            var instanceId: String?? = .some(nil)
            if version >= 3 { instanceId = b.readOffsetsLogNullableString() }
            guard let instance = instanceId, let clientId = b.readOffsetsLogString(),
                let clientHost = b.readOffsetsLogString()
            else { return nil }
            var rebalanceTimeout: Int32? = nil
            if version >= 1 {
                guard let t: Int32 = b.readInteger() else { return nil }
                rebalanceTimeout = t
            }
            guard let sessionTimeout: Int32 = b.readInteger(), let subscription = b.readOffsetsLogBytes(),
                let assignment = b.readOffsetsLogBytes()
            else { return nil }
            members.append(
                Member(
                    memberId: memberId, groupInstanceId: instance, clientId: clientId, clientHost: clientHost,
                    rebalanceTimeoutMs: rebalanceTimeout ?? sessionTimeout, sessionTimeoutMs: sessionTimeout,
                    subscription: subscription, assignment: assignment))
        }
        self.init(
            protocolType: protocolType, generationId: generation, protocolName: protocolName, leaderId: leader,
            currentStateTimestampMs: stateTimestamp, members: members)
    }

    init(protocolType: String, generationId: Int32, protocolName: String?, leaderId: String?, currentStateTimestampMs: Int64, members: [Member]) {
        self.protocolType = protocolType
        self.generationId = generationId
        self.protocolName = protocolName
        self.leaderId = leaderId
        self.currentStateTimestampMs = currentStateTimestampMs
        self.members = members
    }
}

// Kafka's non-flexible primitives: int16-length strings (−1 = null), int32-length bytes.
extension ByteBuffer {
    fileprivate mutating func writeOffsetsLogString(_ s: String) {
        let bytes = Array(s.utf8)
        writeInteger(Int16(truncatingIfNeeded: bytes.count))
        writeBytes(bytes)
    }

    fileprivate mutating func writeOffsetsLogNullableString(_ s: String?) {
        if let s { writeOffsetsLogString(s) } else { writeInteger(Int16(-1)) }
    }

    fileprivate mutating func writeOffsetsLogBytes(_ bytes: ByteBuffer) {
        writeInteger(Int32(bytes.readableBytes))
        writeImmutableBuffer(bytes)
    }

    fileprivate mutating func readOffsetsLogString() -> String? {
        guard let length: Int16 = readInteger(), length >= 0 else { return nil }
        return readString(length: Int(length))
    }

    /// `.some(nil)` for a null string, nil when malformed.
    fileprivate mutating func readOffsetsLogNullableString() -> String?? {
        guard let length: Int16 = readInteger() else { return nil }
        if length == -1 { return .some(nil) }
        guard length >= 0, let s = readString(length: Int(length)) else { return nil }
        return .some(s)
    }

    fileprivate mutating func readOffsetsLogBytes() -> ByteBuffer? {
        guard let length: Int32 = readInteger(), length >= 0 else { return nil }
        return readSlice(length: Int(length))
    }
}
