import Foundation
import NIOCore
import Testing
import WeirBroker
import WeirProtocol
import WeirRecords
import WeirReplication
import WeirStorage
import WeirTestSupport

/// Two in-process brokers run as a pair on 127.0.0.1 (ports picked at run time): synchronous replication,
/// client steering, failover and fencing, replicated topic catalogue and consumer offsets, degraded mode.
@Suite(.serialized)
struct PairTests {
    /// Node 1 (initially primary) and node 2 (initially replica) with their data directories and ports.
    final class Pair: @unchecked Sendable {  // test-only: fields mutated by the test's own task only
        var nodes: [Int32: TestBroker] = [:]
        let ports: [Int32: Int]
        let dirs: [Int32: String]
        let configure: @Sendable (inout BrokerConfiguration) -> Void

        init(configure: @escaping @Sendable (inout BrokerConfiguration) -> Void = { _ in }) throws {
            ports = [1: try freePort(), 2: try freePort()]
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("weir-pair-\(UUID().uuidString)").path
            dirs = [1: base + "/n1", 2: base + "/n2"]
            self.configure = configure
        }

        func start(_ id: Int32) async throws {
            let peer: Int32 = id == 1 ? 2 : 1
            let ports = self.ports
            let configure = self.configure
            nodes[id] = try await TestBroker.start(directory: dirs[id], port: ports[id]!) { c in
                c.nodeId = id
                c.advertisedPort = Int32(ports[id]!)
                var pair = PairConfiguration(initialRole: id == 1 ? .primary : .replica, peerHost: "127.0.0.1", peerPort: ports[peer]!, peerNodeId: peer)
                pair.ackTimeoutMs = 2_000
                c.pair = pair
                configure(&c)
            }
        }

        func stop(_ id: Int32) async {
            await nodes[id]?.stop()
            nodes[id] = nil
        }

        func stopAll() async {
            for id in Array(nodes.keys) { await stop(id) }
            for dir in dirs.values { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        }

        func broker(_ id: Int32) -> Broker { nodes[id]!.broker }
        func client(_ id: Int32) throws -> WireClient { try WireClient(port: ports[id]!) }
    }

    /// A blocking request/response on a thread of its own: the test must not hold one of the two
    /// cooperative-pool threads the in-process brokers' group coordinators need meanwhile.
    func call<R: KafkaRequestBody, S: KafkaResponseBody>(_ c: WireClient, _ request: R, version: Int16, as: S.Type) async throws -> S {
        try await onDedicatedThread { try c.call(request, version: version, as: S.self) }
    }

    /// Polls `condition` every 20 ms until it holds (bounded by `seconds`).
    func eventually(_ what: String, seconds: Double = 15, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestError("timed out waiting for: \(what)")
    }

    func produce(_ c: WireClient, topic: String, _ values: [String], acks: Int16 = -1) async throws -> ProduceResponse.TopicResponse.PartitionResponse {
        let r = try await call(c, produceRequest(topic: topic, batch: try makeBatch(values), acks: acks), version: 7, as: ProduceResponse.self)
        return r.responses[0].partitionResponses[0]
    }

    func fetchAll(_ c: WireClient, topic: String) async throws -> [(offset: Int64, key: String?, value: String?)] {
        var out: [(offset: Int64, key: String?, value: String?)] = []
        var offset: Int64 = 0
        for _ in 0..<1000 {
            let r = try await call(c, fetchRequest(topic: topic, offset: offset), version: 11, as: FetchResponse.self)
            let part = r.responses[0].partitions[0]
            let got = try values(in: part.records).filter { $0.offset >= offset }
            if got.isEmpty { break }
            out += got
            offset = got.last!.offset + 1
        }
        return out
    }

    func createTopic(_ c: WireClient, _ name: String, partitions: Int32 = 1) async throws -> KafkaErrorCode {
        try await call(c, CreateTopicsRequest(topics: [.init(name: name, numPartitions: partitions, replicationFactor: 2)], timeoutMs: 5000), version: 4, as: CreateTopicsResponse.self).topics[0].errorCode
    }

    func status(_ broker: Broker) async throws -> ReplicationHost.Status { try await broker.replication!.status().get() }

    /// Starts a fresh pair, waits until it is synchronous, runs `body`, and stops and removes it on every path.
    func withPair(configure: @escaping @Sendable (inout BrokerConfiguration) -> Void = { _ in }, _ body: (Pair) async throws -> Void) async throws {
        let pair = try Pair(configure: configure)
        do {
            try await pair.start(1)
            try await pair.start(2)
            try await waitSynchronous(pair)
            try await body(pair)
        } catch {
            await pair.stopAll()
            throw error
        }
        await pair.stopAll()
    }

    /// A fresh pair acknowledges writes once the replica is connected and fetching: before that (a loaded
    /// machine can take seconds to start the second node) they would wait out the replication timeout.
    func waitSynchronous(_ pair: Pair) async throws {
        try await eventually("pair synchronous") {
            let p = try await status(pair.broker(1)), r = try await status(pair.broker(2))
            return p.role == "primary" && p.acknowledgingAlone == nil && (p.peerSilenceMs ?? .max) < 500 && r.inSync
        }
    }

    /// Both nodes' logs of `topic`-0 hold the same bytes.
    func sameBytes(_ pair: Pair, _ topic: String) throws -> Bool {
        guard let a = pair.broker(1).topics.partition(topic, 0)?.log, let b = pair.broker(2).topics.partition(topic, 0)?.log else { return false }
        guard a.logEndOffset == b.logEndOffset else { return false }
        return try a.read(from: a.logStartOffset, maxBytes: 64 << 20) == b.read(from: b.logStartOffset, maxBytes: 64 << 20)
    }

    @Test func acknowledgedWritesAreOnBothNodesAndTheReplicaSteersClients() async throws {
        try await withPair { pair in
            let a = try pair.client(1)
            #expect(try await createTopic(a, "payments") == .none)
            for i in 0..<20 {
                let answer = try await produce(a, topic: "payments", ["p\(i)-a", "p\(i)-b"])
                #expect(answer.errorCode == .none)
                #expect(answer.baseOffset == Int64(i * 2))
            }
            // Acknowledged means durable on both: the replica's log already holds every acknowledged record.
            let replicaLog = try #require(pair.broker(2).topics.partition("payments", 0)?.log)
            #expect(replicaLog.durableOffset >= 40)
            try await eventually("replica high watermark") { pair.broker(2).topics.partition("payments", 0)?.highWatermark == 40 }
            #expect(try sameBytes(pair, "payments"))

            // Follower fetching: the replica serves the same records at the same offsets.
            let b = try pair.client(2)
            let read = try await fetchAll(b, topic: "payments")
            #expect(read.count == 40)
            #expect(read.map(\.offset) == Array(0..<40))
            #expect(read[3].value == "p1-b")

            // Writes and administration on the replica are steered to the primary.
            #expect(try await produce(b, topic: "payments", ["nope"]).errorCode == .notLeaderOrFollower)
            #expect(try await createTopic(b, "other") == .notController)
            let commit = try await call(b, OffsetCommitRequest(groupId: "g", topics: [.init(name: "payments", partitions: [.init(partitionIndex: 0, committedOffset: 5)])]), version: 7, as: OffsetCommitResponse.self)
            #expect(commit.topics[0].partitions[0].errorCode == .notCoordinator)
            let meta = try await call(b, MetadataRequest(topics: [.init(name: "payments")]), version: 8, as: MetadataResponse.self)
            #expect(meta.brokers.map(\.nodeId).sorted() == [1, 2])
            #expect(meta.controllerId == 1)
            #expect(meta.topics[0].partitions[0].leaderId == 1)
            #expect(meta.topics[0].partitions[0].isrNodes.sorted() == [1, 2])
            let coordinator = try await call(b, FindCoordinatorRequest(key: "g", keyType: 0), version: 2, as: FindCoordinatorResponse.self)
            #expect(coordinator.nodeId == 1)
            #expect(coordinator.port == Int32(pair.ports[1]!))
        }
    }

    @Test func withoutTheReplicaWritesFailWithNotEnoughReplicasAndNothingBecomesVisible() async throws {
        try await withPair { pair in
            let a = try pair.client(1)
            #expect(try await produce(a, topic: "orders", ["one"]).errorCode == .none)
            await pair.stop(2)
            let started = ContinuousClock.now
            let failed = try await produce(a, topic: "orders", ["two"])
            #expect(failed.errorCode == .notEnoughReplicasAfterAppend)  // written here, not replicated: outcome unknown
            #expect(ContinuousClock.now - started >= .milliseconds(1_900))  // the bounded wait (2 s in this test)

            // The unreplicated record is not visible to consumers: the high watermark stayed.
            let latest = try await call(a, ListOffsetsRequest(topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0, timestamp: -1)])]), version: 5, as: ListOffsetsResponse.self)
            #expect(latest.topics[0].partitions[0].offset == 1)
            #expect(try await fetchAll(a, topic: "orders").map(\.value) == ["one"])

            // The replica comes back, catches up, and writes are acknowledged again.
            try await pair.start(2)
            try await eventually("acknowledged again") { try await produce(a, topic: "orders", ["three"]).errorCode == .none }
            try await eventually("replica caught up") { try sameBytes(pair, "orders") }
        }
    }

    @Test func failoverPromotesTheReplicaAndTheOldPrimaryRejoinsAsReplica() async throws {
        try await withPair { pair in
            let a = try pair.client(1)
            // An idempotent producer: its state must carry over to the new primary.
            let pid = try await call(a, InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60000), version: 1, as: InitProducerIdResponse.self)
            #expect(pid.errorCode == .none)
            let first = try makeBatch(["i0", "i1"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 0)
            let r1 = try await call(a, produceRequest(topic: "ledger", batch: first), version: 7, as: ProduceResponse.self).responses[0].partitionResponses[0]
            #expect(r1.errorCode == .none)
            for i in 0..<10 { #expect(try await produce(a, topic: "ledger", ["a\(i)"]).errorCode == .none) }
            let acknowledged = try await fetchAll(a, topic: "ledger")
            #expect(acknowledged.count == 12)

            await pair.stop(1)  // the primary is lost
            let b = try pair.client(2)
            #expect(try await produce(b, topic: "ledger", ["refused"]).errorCode == .notLeaderOrFollower)
            var promoted: PromotionResult?
            try await eventually("promotion accepted") {
                promoted = try await pair.broker(2).replication!.promote(force: false).get()
                if case .promoted = promoted { return true }
                return false
            }
            guard case .promoted(let epoch) = promoted else { throw TestError("not promoted") }
            #expect(epoch > Epoch(1))

            // The new primary holds every acknowledged record and takes writes (acknowledging alone).
            #expect(try await fetchAll(b, topic: "ledger").map(\.value) == acknowledged.map(\.value))
            #expect(try await produce(b, topic: "ledger", ["b0"]).errorCode == .none)
            // The idempotent producer's retry of its first batch is a duplicate; its next sequence appends.
            let retry = try await call(b, produceRequest(topic: "ledger", batch: first), version: 7, as: ProduceResponse.self).responses[0].partitionResponses[0]
            #expect(retry.errorCode == .none)
            #expect(retry.baseOffset == r1.baseOffset)
            let next = try makeBatch(["i2"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 2)
            #expect(try await call(b, produceRequest(topic: "ledger", batch: next), version: 7, as: ProduceResponse.self).responses[0].partitionResponses[0].errorCode == .none)
            #expect(try await status(pair.broker(2)).acknowledgingAlone != nil)

            // The old primary restarts with its old flags: it learns the newer epoch, steps down, catches up.
            try await pair.start(1)
            try await eventually("old primary stepped down") { try await status(pair.broker(1)).role == "replica" }
            try await eventually("pair synchronous again") { try await status(pair.broker(2)).acknowledgingAlone == nil }
            try await eventually("logs identical") { try sameBytes(pair, "ledger") }
            let a2 = try pair.client(1)
            #expect(try await produce(a2, topic: "ledger", ["stale"]).errorCode == .notLeaderOrFollower)
            let meta = try await call(a2, MetadataRequest(topics: [.init(name: "ledger")]), version: 8, as: MetadataResponse.self)
            #expect(meta.topics[0].partitions[0].leaderId == 2)
            #expect(meta.topics[0].partitions[0].leaderEpoch > 1 << 16)
            // Synchronous again: an acknowledged write on the new primary is on the old one too.
            #expect(try await produce(b, topic: "ledger", ["b1"]).errorCode == .none)
            #expect(pair.broker(1).topics.partition("ledger", 0)!.log.durableOffset == pair.broker(2).topics.partition("ledger", 0)!.log.logEndOffset)
            let audit = try String(contentsOfFile: pair.dirs[2]! + "/replication-audit.log", encoding: .utf8)
            #expect(audit.contains("promoted"))
            #expect(audit.contains("synchronous"))
        }
    }

    /// A sequence error from a primary whose replica has gone silent (possibly a stale primary: a frozen
    /// process resuming) steers the idempotent producer to refresh its metadata instead of failing it fatally.
    @Test func aSilentReplicaTurnsSequenceErrorsIntoSteering() async throws {
        try await withPair { pair in
            let a = try pair.client(1)
            let pid = try await call(a, InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60000), version: 1, as: InitProducerIdResponse.self)
            func send(_ sequence: Int32) async throws -> KafkaErrorCode {
                let batch = try makeBatch(["s\(sequence)"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: sequence)
                return try await call(a, produceRequest(topic: "seq", batch: batch), version: 7, as: ProduceResponse.self).responses[0].partitionResponses[0].errorCode
            }
            #expect(try await send(0) == .none)
            #expect(try await send(5) == .outOfOrderSequenceNumber)  // the replica is there: a real sequence error
            await pair.stop(2)
            try await Task.sleep(for: .milliseconds(Int(PairConfiguration(initialRole: .primary, peerHost: "", peerPort: 0, peerNodeId: 2).primaryLossMs) + 300))
            #expect(try await send(5) == .notLeaderOrFollower)
        }
    }

    @Test func topicChangesAndCommittedOffsetsReplicate() async throws {
        try await withPair { pair in
            let a = try pair.client(1)
            #expect(try await createTopic(a, "keep", partitions: 2) == .none)
            #expect(try await createTopic(a, "drop") == .none)
            #expect(try await produce(a, topic: "keep", ["k0", "k1", "k2"]).errorCode == .none)
            let grow = try await call(a, CreatePartitionsRequest(topics: [.init(name: "keep", count: 3)], timeoutMs: 5000), version: 1, as: CreatePartitionsResponse.self)
            #expect(grow.results[0].errorCode == .none)
            let alter = try await call(a, IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "keep", configs: [.init(name: "retention.ms", configOperation: 0, value: "3600000")])]), version: 0, as: IncrementalAlterConfigsResponse.self)
            #expect(alter.responses[0].errorCode == .none)
            let del = try await call(a, DeleteTopicsRequest(topicNames: ["drop"], timeoutMs: 5000), version: 3, as: DeleteTopicsResponse.self)
            #expect(del.responses[0].errorCode == .none)
            // DeleteRecords on the primary (the replica refuses it); beyond the high watermark is out of range.
            let deleteFirst = DeleteRecordsRequest(topics: [.init(name: "keep", partitions: [.init(partitionIndex: 0, offset: 1)])], timeoutMs: 5000)
            #expect(try await call(try pair.client(2), deleteFirst, version: 1, as: DeleteRecordsResponse.self).topics[0].partitions[0].errorCode == .notLeaderOrFollower)
            let deleted = try await call(a, deleteFirst, version: 1, as: DeleteRecordsResponse.self).topics[0].partitions[0]
            #expect(deleted.errorCode == .none && deleted.lowWatermark == 1)
            let tooFar = DeleteRecordsRequest(topics: [.init(name: "keep", partitions: [.init(partitionIndex: 0, offset: 4)])], timeoutMs: 5000)
            #expect(try await call(a, tooFar, version: 1, as: DeleteRecordsResponse.self).topics[0].partitions[0].errorCode == .offsetOutOfRange)
            let commit = try await call(a, OffsetCommitRequest(groupId: "settlement", topics: [.init(name: "keep", partitions: [.init(partitionIndex: 0, committedOffset: 2)])]), version: 7, as: OffsetCommitResponse.self)
            #expect(commit.topics[0].partitions[0].errorCode == .none)

            let replica = pair.broker(2)
            try await eventually("catalogue applied on the replica") {
                replica.topics.topic("keep")?.partitions.count == 3 && replica.topics.topic("drop") == nil
                    && replica.topics.topic("keep")?.config.overrides["retention.ms"] == "3600000"
            }
            #expect(!FileManager.default.fileExists(atPath: pair.dirs[2]! + "/topics/drop"))
            // The replica follows the primary's log start: a promotion does not bring deleted records back.
            try await eventually("log start followed on the replica") { replica.topics.partition("keep", 0)?.log.logStartOffset == 1 }

            // After a failover the committed offset is there, served by the new primary's coordinator.
            await pair.stop(1)
            try await eventually("promotion accepted") {
                if case .promoted = try await replica.replication!.promote(force: false).get() { return true }
                return false
            }
            let b = try pair.client(2)
            try await eventually("offset fetched from the new primary") {
                let fetched = try await call(b, OffsetFetchRequest(groupId: "settlement", topics: [.init(name: "keep", partitionIndexes: [0])]), version: 5, as: OffsetFetchResponse.self)
                return fetched.errorCode == .none && fetched.topics.first?.partitions.first?.committedOffset == 2
            }
            let below = try await call(b, fetchRequest(topic: "keep", offset: 0), version: 11, as: FetchResponse.self).responses[0].partitions[0]
            #expect(below.errorCode == .offsetOutOfRange && below.logStartOffset == 1)
            let kept = try await call(b, fetchRequest(topic: "keep", offset: 1), version: 11, as: FetchResponse.self).responses[0].partitions[0]
            #expect(try values(in: kept.records).filter { $0.offset >= 1 }.map(\.value) == ["k1", "k2"])
        }
    }

    @Test func degradedModeAcknowledgesAloneAndAuditsIt() async throws {
        try await withPair(configure: { c in c.pair?.allowDegraded = true }) { pair in
            let a = try pair.client(1)
            #expect(try await produce(a, topic: "events", ["e0"]).errorCode == .none)
            await pair.stop(2)
            // Once the replica counts as lost (1 s), the primary acknowledges alone, loudly.
            try await eventually("acknowledged alone") { try await produce(a, topic: "events", ["e1"]).errorCode == .none }
            let s = try await status(pair.broker(1))
            #expect(s.acknowledgingAlone != nil)
            #expect(s.allowDegraded)
            let metadata = try await call(a, MetadataRequest(topics: [.init(name: "events")]), version: 8, as: MetadataResponse.self)
            #expect(metadata.topics[0].partitions[0].isrNodes == [1])
            try await pair.start(2)
            try await eventually("synchronous again") { try await status(pair.broker(1)).acknowledgingAlone == nil }
            try await eventually("replica caught up") { try sameBytes(pair, "events") }
            #expect(try await status(pair.broker(1)).aloneMsTotal > 0)
            let audit = try String(contentsOfFile: pair.dirs[1]! + "/replication-audit.log", encoding: .utf8)
            #expect(audit.contains("acknowledgingAlone"))
            #expect(audit.contains("operatorDegraded"))
        }
    }
}
