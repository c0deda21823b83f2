import Foundation
import NIOCore
import NIOPosix
import WeirReplication
import WeirStorage

/// Weir's operator requests (`weir status`, `weir promote`), on the Kafka port under the private API key
/// `weirAdmin`: the body is a JSON object `{"op": "status"}` or `{"op": "promote", "force": false}`, the
/// response body (after the correlation id) is a JSON object. Kafka clients never send this key.
public struct AdminRequest: Codable, Sendable {
    public var op: String
    public var force: Bool?
    /// `auto-create`: the topic a replica was asked about (a replica forwards Kafka's auto-creation).
    public var topic: String?
    public init(op: String, force: Bool? = nil, topic: String? = nil) {
        self.op = op
        self.force = force
        self.topic = topic
    }
}

/// `weir promote`'s answer: `result` is "promoted" (with the new epoch) or "refused" (with the reason).
public struct PromoteAnswer: Codable, Sendable {
    public var result: String
    public var epoch: Int32?
    public var reason: String?
}

public struct AdminErrorAnswer: Codable, Sendable {
    public var error: String
}

extension Broker {
    static func adminJSON<T: Encodable>(_ value: T) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let bytes: [UInt8] = (try? encoder.encode(value)).map { Array($0) } ?? Array("{}".utf8)
        return ByteBuffer(bytes: bytes)
    }

    func handleAdmin(_ body: ByteBuffer, on eventLoop: any EventLoop) -> EventLoopFuture<ByteBuffer> {
        let encoded = { @Sendable (value: any Encodable) -> ByteBuffer in Self.adminJSON(value) }
        let request: AdminRequest
        do {
            request = try JSONDecoder().decode(AdminRequest.self, from: Data(body.readableBytesView))
        } catch {
            return eventLoop.makeSucceededFuture(encoded(AdminErrorAnswer(error: "malformed admin request: \(error)")))
        }
        switch request.op {
        case "status":
            guard let replication else {
                return eventLoop.makeSucceededFuture(encoded(singleNodeStatus()))
            }
            return replication.status().hop(to: eventLoop).map { encoded($0) }
        case "promote":
            guard let replication else {
                return eventLoop.makeSucceededFuture(encoded(PromoteAnswer(result: "refused", reason: "this broker is a single node, not part of a pair")))
            }
            return replication.promote(force: request.force ?? false).hop(to: eventLoop).map { result in
                switch result {
                case .promoted(let epoch): encoded(PromoteAnswer(result: "promoted", epoch: epoch.value))
                case .alreadyPrimary: encoded(PromoteAnswer(result: "refused", reason: "this node already is the primary"))
                case .primaryReachable:
                    encoded(PromoteAnswer(result: "refused", reason: "the primary is reachable (heard within the last second); pass --force to promote anyway"))
                case .notInSync:
                    encoded(PromoteAnswer(result: "refused", reason: "this replica may lack acknowledged records (its primary was acknowledging alone): it must catch up first"))
                case .failed(let why): encoded(PromoteAnswer(result: "refused", reason: why))
                }
            }
        case "auto-create":
            // From the replica: a client asked it for a topic that does not exist (Kafka's brokers forward
            // auto-creation to the controller). Created here, replicated back through the catalogue.
            guard let name = request.topic, configuration.autoCreateTopics, isPrimary, TopicRegistry.nameProblem(name) == nil,
                  topics.topic(name) == nil else {
                return eventLoop.makeSucceededFuture(encoded(AdminErrorAnswer(error: "not created")))
            }
            return durabilityPool.runIfActive(eventLoop: eventLoop) { () -> ByteBuffer in
                encoded(self.autoCreate(name) != nil ? PromoteAnswer(result: "created") : PromoteAnswer(result: "refused"))
            }
        default:
            return eventLoop.makeSucceededFuture(encoded(AdminErrorAnswer(error: "unknown admin op '\(request.op)' (expected status or promote)")))
        }
    }

    private func singleNodeStatus() -> ReplicationHost.Status {
        var parts: [ReplicationHost.PartitionStatus] = []
        for t in topics.allTopics {
            for p in t.partitions {
                parts.append(.init(topic: t.name, partition: p.index, logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark))
            }
        }
        return ReplicationHost.Status(
            nodeId: configuration.nodeId, role: "single", epoch: 0, leaderEpoch: "-", inSync: true, acknowledgingAlone: nil,
            allowDegraded: false, offline: nil, peer: "", peerNodeId: -1, peerConnected: false, peerSilenceMs: nil, aloneMsTotal: 0,
            partitions: parts)
    }
}
