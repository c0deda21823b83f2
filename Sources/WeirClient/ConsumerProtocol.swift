import NIOCore
import WeirProtocol

/// The embedded consumer protocol (docs/kafka-wire-protocol.md §7.3): what members put in JoinGroup's
/// `protocols[].metadata` and the leader in SyncGroup's `assignments[].assignment`. Opaque to the broker.
/// Each starts with an int16 version and a non-flexible struct; readers ignore trailing bytes, because newer
/// versions only append fields.
public enum ConsumerProtocol {
    /// JoinGroup `protocol_type` of consumers.
    public static let protocolType = "consumer"

    /// ConsumerProtocolSubscription v0: `version int16 (0)`, `topics [string]`, `user_data bytes (nullable)`.
    public struct Subscription: Hashable, Sendable {
        public var topics: [String]
        public var userData: ByteBuffer?

        public init(topics: [String], userData: ByteBuffer? = nil) {
            self.topics = topics
            self.userData = userData
        }

        public func encoded() -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writeI16(0)
            buffer.writeI32(Int32(topics.count))
            for topic in topics { buffer.writeStr(topic, flexible: false) }
            buffer.writeNullableBytesField(userData, flexible: false)
            return buffer
        }

        /// Reads any version (v1+ fields after `user_data` are ignored).
        public init(decoding bytes: ByteBuffer) throws(ProtocolDecodingError) {
            var buffer = bytes
            let version = try buffer.readI16()
            guard version >= 0 else { throw ProtocolDecodingError(.invalidLength, "subscription version \(version)") }
            topics = try buffer.readArray(flexible: false) { (b: inout ByteBuffer) throws(ProtocolDecodingError) in try b.readStr(flexible: false) }
            userData = buffer.readableBytes > 0 ? try buffer.readNullableBytesField(flexible: false) : nil
        }
    }

    /// ConsumerProtocolAssignment v0: `version int16 (0)`, `assigned_partitions [topic string, partitions
    /// [int32]]`, `user_data bytes (nullable)`.
    public struct Assignment: Hashable, Sendable {
        /// Partitions per topic, each list ascending.
        public var partitions: [String: [Int32]]
        public var userData: ByteBuffer?

        public init(partitions: [String: [Int32]], userData: ByteBuffer? = nil) {
            self.partitions = partitions
            self.userData = userData
        }

        public func encoded() -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writeI16(0)
            let topics = partitions.keys.sorted()
            buffer.writeI32(Int32(topics.count))
            for topic in topics {
                buffer.writeStr(topic, flexible: false)
                let list = partitions[topic] ?? []
                buffer.writeI32(Int32(list.count))
                for partition in list { buffer.writeI32(partition) }
            }
            buffer.writeNullableBytesField(userData, flexible: false)
            return buffer
        }

        /// Reads any version. An empty buffer is an empty assignment (what Kafka sends a member that the
        /// leader left out).
        public init(decoding bytes: ByteBuffer) throws(ProtocolDecodingError) {
            var buffer = bytes
            guard buffer.readableBytes > 0 else {
                self.init(partitions: [:])
                return
            }
            let version = try buffer.readI16()
            guard version >= 0 else { throw ProtocolDecodingError(.invalidLength, "assignment version \(version)") }
            let pairs = try buffer.readArray(flexible: false) { (b: inout ByteBuffer) throws(ProtocolDecodingError) -> (String, [Int32]) in
                let topic = try b.readStr(flexible: false)
                let list = try b.readArray(flexible: false) { (c: inout ByteBuffer) throws(ProtocolDecodingError) in try c.readI32() }
                return (topic, list)
            }
            var partitions: [String: [Int32]] = [:]
            for (topic, list) in pairs { partitions[topic, default: []].append(contentsOf: list) }
            let userData = buffer.readableBytes > 0 ? try buffer.readNullableBytesField(flexible: false) : nil
            self.init(partitions: partitions.mapValues { $0.sorted() }, userData: userData)
        }
    }

    /// The "range" assignor (Kafka's RangeAssignor): per topic, the members subscribed to it, sorted by member
    /// id, each take a contiguous range of the sorted partitions; the first `partitions % members` get one more.
    /// Every member appears in the result, with an empty assignment if it gets nothing.
    public static func rangeAssign(
        subscriptions: [String: Subscription],
        partitionCounts: [String: Int32]
    ) -> [String: Assignment] {
        var result: [String: [String: [Int32]]] = [:]
        for member in subscriptions.keys { result[member] = [:] }
        var topics = Set<String>()
        for subscription in subscriptions.values { topics.formUnion(subscription.topics) }
        for topic in topics.sorted() {
            guard let count = partitionCounts[topic], count > 0 else { continue }
            let members = subscriptions.filter { $0.value.topics.contains(topic) }.keys.sorted()
            guard !members.isEmpty else { continue }
            let perMember = Int(count) / members.count
            let extra = Int(count) % members.count
            var next = 0
            for (index, member) in members.enumerated() {
                let size = perMember + (index < extra ? 1 : 0)
                if size > 0 {
                    result[member]?[topic] = (next..<(next + size)).map { Int32($0) }
                }
                next += size
            }
        }
        return result.mapValues { Assignment(partitions: $0) }
    }
}
