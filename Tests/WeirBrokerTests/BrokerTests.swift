import Foundation
import Logging
import NIOCore
import Testing
@testable import WeirBroker
import WeirProtocol
import WeirRecords
import WeirStorage

@Suite(.serialized) struct BrokerTests {
    @Test func produceThenFetchEveryCodecInOrder() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        var expected: [String] = []
        for (round, codec) in [CompressionCodec.none, .gzip, .lz4].enumerated() {
            let vs = (0..<50).map { "r\(round)-\($0)" }
            let answer = try await c.callAsync(produceRequest(topic: "orders", batch: try makeBatch(vs, keys: vs, codec: codec)), version: 7, as: ProduceResponse.self)
            let p = try #require(answer.responses.first?.partitionResponses.first)
            #expect(p.errorCode == .none)
            #expect(p.baseOffset == Int64(round * 50))
            expected += vs
        }
        let fetched = try await c.callAsync(fetchRequest(topic: "orders", offset: 0), version: 11, as: FetchResponse.self)
        let part = try #require(fetched.responses.first?.partitions.first)
        #expect(part.errorCode == .none)
        #expect(part.highWatermark == 150)
        let got = try values(in: part.records)
        #expect(got.map(\.value) == expected)
        #expect(got.map(\.offset) == Array(0..<150))
        #expect(got.map(\.key) == expected)
        await tb.stop()
    }

    @Test func responseMaxBytesIsHonouredPastTheFirstPartition() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        _ = try c.call(CreateTopicsRequest(topics: [.init(name: "mb", numPartitions: 3, replicationFactor: 1)]), version: 4, as: CreateTopicsResponse.self)
        let value = String(repeating: "v", count: 600)
        for partition: Int32 in 0..<3 {
            let answer = try await c.callAsync(produceRequest(topic: "mb", partition: partition, batch: try makeBatch([value, value])), version: 7, as: ProduceResponse.self)
            #expect(answer.responses[0].partitionResponses[0].errorCode == .none)
        }
        // Each partition holds one batch of ~1.3 KB; the response may carry 2 KB: the first batch is served
        // whole even though it exceeds the partition limit (KIP-74), the others would push the response past
        // max_bytes and come back empty.
        var request = FetchRequest(maxWaitMs: 0, minBytes: 1, maxBytes: 2000, topics: [
            .init(topic: "mb", partitions: (0..<3).map { .init(partition: $0, fetchOffset: 0, partitionMaxBytes: 1000) })
        ])
        var fetched = try await c.callAsync(request, version: 11, as: FetchResponse.self)
        var sizes = fetched.responses[0].partitions.map { $0.records?.readableBytes ?? 0 }
        #expect(sizes[0] > 1000 && sizes[0] < 2000)
        #expect(sizes[1] == 0 && sizes[2] == 0)
        #expect(try values(in: fetched.responses[0].partitions[0].records).count == 2)
        // With room for everything, every partition answers its batch.
        request.maxBytes = 1 << 20
        request.topics[0].partitions = (0..<3).map { .init(partition: $0, fetchOffset: 0, partitionMaxBytes: 1 << 20) }
        fetched = try await c.callAsync(request, version: 11, as: FetchResponse.self)
        sizes = fetched.responses[0].partitions.map { $0.records?.readableBytes ?? 0 }
        #expect(sizes.allSatisfy { $0 > 1000 })
        await tb.stop()
    }

    @Test func dataAndOffsetsSurviveRestart() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        do {
            let c = try WireClient(port: tb.port)
            _ = try await c.callAsync(produceRequest(topic: "t", batch: try makeBatch(["a", "b", "c"])), version: 7, as: ProduceResponse.self)
        }
        await tb.stop()
        let again = try await TestBroker.start(directory: tb.directory)
        let c = try WireClient(port: again.port)
        let fetched = try await c.callAsync(fetchRequest(topic: "t", offset: 0), version: 11, as: FetchResponse.self)
        #expect(try values(in: fetched.responses[0].partitions[0].records).map(\.value) == ["a", "b", "c"])
        let next = try await c.callAsync(produceRequest(topic: "t", batch: try makeBatch(["d"])), version: 7, as: ProduceResponse.self)
        #expect(next.responses[0].partitionResponses[0].baseOffset == 3)
        await again.stop()
    }

    @Test func idempotentProducerDuplicatesAndGaps() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        let pid = try await c.callAsync(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60000), version: 1, as: InitProducerIdResponse.self)
        #expect(pid.errorCode == .none)
        #expect(pid.producerId >= 0)
        let first = try makeBatch(["a", "b"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 0)
        let r1 = try await c.callAsync(produceRequest(topic: "idem", batch: first), version: 7, as: ProduceResponse.self)
        #expect(r1.responses[0].partitionResponses[0].baseOffset == 0)
        // The same batch again (a retry): answered with the original offset, not appended twice.
        let r2 = try await c.callAsync(produceRequest(topic: "idem", batch: first), version: 7, as: ProduceResponse.self)
        #expect(r2.responses[0].partitionResponses[0].errorCode == .none)
        #expect(r2.responses[0].partitionResponses[0].baseOffset == 0)
        // A gap in sequence numbers is refused.
        let gap = try makeBatch(["z"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 5)
        let r3 = try await c.callAsync(produceRequest(topic: "idem", batch: gap), version: 7, as: ProduceResponse.self)
        #expect(r3.responses[0].partitionResponses[0].errorCode == .outOfOrderSequenceNumber)
        // The next in-order batch is accepted.
        let next = try makeBatch(["c"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 2)
        let r4 = try await c.callAsync(produceRequest(topic: "idem", batch: next), version: 7, as: ProduceResponse.self)
        #expect(r4.responses[0].partitionResponses[0].baseOffset == 2)
        let fetched = try await c.callAsync(fetchRequest(topic: "idem", offset: 0), version: 11, as: FetchResponse.self)
        #expect(try values(in: fetched.responses[0].partitions[0].records).map(\.value) == ["a", "b", "c"])
        await tb.stop()

        // Producer state is rebuilt from the log after a restart: the retry is still a duplicate.
        let again = try await TestBroker.start(directory: tb.directory)
        let c2 = try WireClient(port: again.port)
        let r5 = try await c2.callAsync(produceRequest(topic: "idem", batch: next), version: 7, as: ProduceResponse.self)
        #expect(r5.responses[0].partitionResponses[0].baseOffset == 2)
        let fetched2 = try await c2.callAsync(fetchRequest(topic: "idem", offset: 0), version: 11, as: FetchResponse.self)
        #expect(try values(in: fetched2.responses[0].partitions[0].records).count == 3)
        // A fresh id is never one handed out before the restart.
        let pid2 = try await c2.callAsync(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60000), version: 1, as: InitProducerIdResponse.self)
        #expect(pid2.producerId > pid.producerId)
        await again.stop()
    }

    @Test func badBatchesGetTheirKafkaErrorAndNothingIsWritten() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        var corrupt = try makeBatch(["x", "y"])
        let at = corrupt.readerIndex + corrupt.readableBytes - 1
        corrupt.setInteger(corrupt.getInteger(at: at, as: UInt8.self)! ^ 0xFF, at: at)
        let r1 = try await c.callAsync(produceRequest(topic: "bad", batch: corrupt), version: 7, as: ProduceResponse.self)
        #expect(r1.responses[0].partitionResponses[0].errorCode == .corruptMessage)
        let truncated = try makeBatch(["x", "y"]).getSlice(at: 0, length: 40)!
        let r2 = try await c.callAsync(produceRequest(topic: "bad", batch: truncated), version: 7, as: ProduceResponse.self)
        #expect(r2.responses[0].partitionResponses[0].errorCode == .corruptMessage)
        let r3 = try await c.callAsync(produceRequest(topic: "bad/../name", batch: try makeBatch(["x"])), version: 7, as: ProduceResponse.self)
        #expect(r3.responses[0].partitionResponses[0].errorCode == .invalidTopicException)
        let r4 = try await c.callAsync(produceRequest(topic: "bad", partition: 7, batch: try makeBatch(["x"])), version: 7, as: ProduceResponse.self)
        #expect(r4.responses[0].partitionResponses[0].errorCode == .unknownTopicOrPartition)
        let r5 = try await c.callAsync(produceRequest(topic: "bad", batch: try makeBatch(["x"]), acks: 2), version: 7, as: ProduceResponse.self)
        #expect(r5.responses[0].partitionResponses[0].errorCode == .invalidRequiredAcks)
        // Oversize for the topic's max.message.bytes.
        let create = CreateTopicsRequest(topics: [.init(name: "small", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "max.message.bytes", value: "200")])])
        #expect(try await c.callAsync(create, version: 4, as: CreateTopicsResponse.self).topics[0].errorCode == .none)
        let big = try makeBatch([String(repeating: "v", count: 500)])
        let r6 = try await c.callAsync(produceRequest(topic: "small", batch: big), version: 7, as: ProduceResponse.self)
        #expect(r6.responses[0].partitionResponses[0].errorCode == .messageTooLarge)
        let end = try await c.callAsync(ListOffsetsRequest(topics: [.init(name: "bad", partitions: [.init(partitionIndex: 0, timestamp: -1)]), .init(name: "small", partitions: [.init(partitionIndex: 0, timestamp: -1)])]), version: 5, as: ListOffsetsResponse.self)
        #expect(end.topics.map { $0.partitions[0].offset } == [0, 0])
        await tb.stop()
    }

    @Test func malformedFramesCloseOnlyTheirConnection() async throws {
        let tb = try await TestBroker.start { $0.maxFrameBytes = 1 << 20 }
        defer { tb.removeData() }
        let healthy = try WireClient(port: tb.port)
        _ = try await healthy.callAsync(produceRequest(topic: "ok", batch: try makeBatch(["1"])), version: 7, as: ProduceResponse.self)

        let oversize = try WireClient(port: tb.port)
        try oversize.sendRaw([0x10, 0x00, 0x00, 0x00])  // 256 MiB frame size
        #expect(oversize.isClosedByPeer())

        let unknownKey = try WireClient(port: tb.port)
        try unknownKey.sendRaw([0, 0, 0, 10, 0x7F, 0x00, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF])
        #expect(unknownKey.isClosedByPeer())

        let garbage = try WireClient(port: tb.port)
        try garbage.sendRaw([0, 0, 0, 3, 0, 0, 0])  // header cut short
        #expect(garbage.isClosedByPeer())

        // Produce v2 (message format v1) is not served: the connection closes.
        let old = try WireClient(port: tb.port)
        _ = try old.send(produceRequest(topic: "ok", batch: try makeBatch(["1"])), version: 2)
        #expect(old.isClosedByPeer())

        // A newer ApiVersions than advertised gets UNSUPPORTED_VERSION with the ranges, at v0.
        let newer = try WireClient(port: tb.port)
        let id = try newer.send(ApiVersionsRequest(), version: 99)
        let frame = try #require(try newer.readFrame())
        let (header, body) = try ApiVersionsResponse.decodeFrame(frame, version: 0)
        #expect(header.correlationId == id)
        #expect(body.errorCode == .unsupportedVersion)
        #expect(body.apiKeys.contains { $0.apiKey == ApiKey.produce.rawValue })

        // The healthy connection is untouched.
        let r = try await healthy.callAsync(produceRequest(topic: "ok", batch: try makeBatch(["2"])), version: 7, as: ProduceResponse.self)
        #expect(r.responses[0].partitionResponses[0].baseOffset == 1)
        await tb.stop()
    }

    @Test func longPollFetchWakesOnProduceAndTimesOut() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let producer = try WireClient(port: tb.port)
        _ = try await producer.callAsync(produceRequest(topic: "lp", batch: try makeBatch(["a"])), version: 7, as: ProduceResponse.self)
        let consumer = try WireClient(port: tb.port)
        // Nothing beyond offset 1: waits about max_wait_ms, answers empty.
        let started = Date()
        let empty = try await consumer.callAsync(fetchRequest(topic: "lp", offset: 1, maxWaitMs: 300), version: 11, as: FetchResponse.self)
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.25 && waited < 5)
        #expect(try values(in: empty.responses[0].partitions[0].records).isEmpty)
        // A long poll is woken by a produce well before its 10 s maximum.
        _ = try consumer.send(fetchRequest(topic: "lp", offset: 1, maxWaitMs: 10_000), version: 11)
        try await Task.sleep(for: .milliseconds(100))
        let produceStart = Date()
        _ = try await producer.callAsync(produceRequest(topic: "lp", batch: try makeBatch(["b"])), version: 7, as: ProduceResponse.self)
        let frame = try #require(try consumer.readFrame())
        #expect(Date().timeIntervalSince(produceStart) < 5)
        let woken = try FetchResponse.decodeFrame(frame, version: 11).body
        #expect(try values(in: woken.responses[0].partitions[0].records).map(\.value) == ["b"])
        // Out of range.
        let oor = try await consumer.callAsync(fetchRequest(topic: "lp", offset: 99), version: 11, as: FetchResponse.self)
        #expect(oor.responses[0].partitions[0].errorCode == .offsetOutOfRange)
        await tb.stop()
    }

    @Test func listOffsetsByTimestamp() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        _ = try await c.callAsync(produceRequest(topic: "ts", batch: try makeBatch(["a", "b", "c"], timestamp: 1000)), version: 7, as: ProduceResponse.self)
        _ = try await c.callAsync(produceRequest(topic: "ts", batch: try makeBatch(["d", "e"], timestamp: 2000)), version: 7, as: ProduceResponse.self)
        func lookup(_ ts: Int64) throws -> (Int64, Int64) {
            let r = try c.call(ListOffsetsRequest(topics: [.init(name: "ts", partitions: [.init(partitionIndex: 0, timestamp: ts)])]), version: 5, as: ListOffsetsResponse.self)
            return (r.topics[0].partitions[0].offset, r.topics[0].partitions[0].timestamp)
        }
        #expect(try lookup(-2).0 == 0)
        #expect(try lookup(-1).0 == 5)
        #expect(try lookup(1001) == (1, 1001))
        #expect(try lookup(1500) == (3, 2000))
        #expect(try lookup(2001) == (4, 2001))
        #expect(try lookup(9999).0 == -1)
        await tb.stop()
    }

    @Test func topicAdministration() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        let created = try await c.callAsync(CreateTopicsRequest(topics: [
            .init(name: "payments", numPartitions: 3, replicationFactor: 1, configs: [.init(name: "cleanup.policy", value: "compact")]),
            .init(name: "bad name!", numPartitions: 1, replicationFactor: 1),
            .init(name: "weird-config", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "no.such.config", value: "1")]),
            .init(name: "zero", numPartitions: 0, replicationFactor: 1),
        ]), version: 4, as: CreateTopicsResponse.self)
        #expect(created.topics.map(\.errorCode) == [.none, .invalidTopicException, .invalidConfig, .invalidPartitions])
        let again = try await c.callAsync(CreateTopicsRequest(topics: [.init(name: "payments", numPartitions: 3, replicationFactor: 1)]), version: 4, as: CreateTopicsResponse.self)
        #expect(again.topics[0].errorCode == .topicAlreadyExists)

        let meta = try await c.callAsync(MetadataRequest(topics: [.init(name: "payments")]), version: 8, as: MetadataResponse.self)
        #expect(meta.topics[0].partitions.count == 3)
        #expect(meta.brokers.first?.port == Int32(9092) || meta.brokers.first != nil)

        // Compacted topic: records without keys are refused.
        let keyless = try await c.callAsync(produceRequest(topic: "payments", batch: try makeBatch(["v"])), version: 7, as: ProduceResponse.self)
        #expect(keyless.responses[0].partitionResponses[0].errorCode != .none)

        // Describe, alter (incremental), describe.
        let describe = DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: "payments", configurationKeys: ["cleanup.policy", "retention.ms"])])
        let d1 = try await c.callAsync(describe, version: 2, as: DescribeConfigsResponse.self)
        #expect(d1.results[0].configs.first { $0.name == "cleanup.policy" }?.value == "compact")
        let alter = IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "payments", configs: [
            .init(name: "retention.ms", configOperation: 0, value: "60000"),
            .init(name: "cleanup.policy", configOperation: 2, value: "delete"),
        ])])
        #expect(try await c.callAsync(alter, version: 0, as: IncrementalAlterConfigsResponse.self).responses[0].errorCode == .none)
        let d2 = try await c.callAsync(describe, version: 2, as: DescribeConfigsResponse.self)
        #expect(d2.results[0].configs.first { $0.name == "retention.ms" }?.value == "60000")
        #expect(d2.results[0].configs.first { $0.name == "cleanup.policy" }?.value == "compact,delete")
        let badAlter = IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "payments", configs: [.init(name: "retention.ms", configOperation: 0, value: "soon")])])
        #expect(try await c.callAsync(badAlter, version: 0, as: IncrementalAlterConfigsResponse.self).responses[0].errorCode == .invalidConfig)

        // Partitions only grow.
        let grow = try await c.callAsync(CreatePartitionsRequest(topics: [.init(name: "payments", count: 5)]), version: 1, as: CreatePartitionsResponse.self)
        #expect(grow.results[0].errorCode == .none)
        let shrink = try await c.callAsync(CreatePartitionsRequest(topics: [.init(name: "payments", count: 2)]), version: 1, as: CreatePartitionsResponse.self)
        #expect(shrink.results[0].errorCode == .invalidPartitions)

        // Configs and partition count survive a restart.
        await tb.stop()
        let restarted = try await TestBroker.start(directory: tb.directory)
        let c2 = try WireClient(port: restarted.port)
        let meta2 = try await c2.callAsync(MetadataRequest(topics: [.init(name: "payments")]), version: 8, as: MetadataResponse.self)
        #expect(meta2.topics[0].partitions.count == 5)
        let d3 = try await c2.callAsync(describe, version: 2, as: DescribeConfigsResponse.self)
        #expect(d3.results[0].configs.first { $0.name == "retention.ms" }?.value == "60000")

        let deleted = try await c2.callAsync(DeleteTopicsRequest(topicNames: ["payments", "never-was"], timeoutMs: 1000), version: 3, as: DeleteTopicsResponse.self)
        #expect(deleted.responses.map(\.errorCode) == [.none, .unknownTopicOrPartition])
        let meta3 = try await c2.callAsync(MetadataRequest(topics: nil), version: 8, as: MetadataResponse.self)
        #expect(!meta3.topics.contains { $0.name == "payments" })
        await restarted.stop()
    }

    @Test func metadataAutoCreationFollowsTheClientAndBrokerSettings() async throws {
        let tb = try await TestBroker.start { $0.defaultPartitions = 2 }
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        let noCreate = try await c.callAsync(MetadataRequest(topics: [.init(name: "later")], allowAutoTopicCreation: false), version: 8, as: MetadataResponse.self)
        #expect(noCreate.topics[0].errorCode == .unknownTopicOrPartition)
        let create = try await c.callAsync(MetadataRequest(topics: [.init(name: "later")], allowAutoTopicCreation: true), version: 8, as: MetadataResponse.self)
        #expect(create.topics[0].errorCode == .none)
        #expect(create.topics[0].partitions.count == 2)
        await tb.stop()

        let off = try await TestBroker.start { $0.autoCreateTopics = false }
        defer { off.removeData() }
        let c2 = try WireClient(port: off.port)
        let refused = try await c2.callAsync(MetadataRequest(topics: [.init(name: "x")], allowAutoTopicCreation: true), version: 8, as: MetadataResponse.self)
        #expect(refused.topics[0].errorCode == .unknownTopicOrPartition)
        await off.stop()
    }

    @Test func metricsEndpointServesPrometheusText() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        _ = try await c.callAsync(produceRequest(topic: "m", batch: try makeBatch(["a"])), version: 7, as: ProduceResponse.self)
        await tb.broker.refreshGauges()
        let port = try #require(tb.server.boundMetricsPort)
        let text = try httpGet(port: port, path: "/metrics")
        #expect(text.hasPrefix("HTTP/1.0 200"))
        #expect(text.contains("weir_requests_total{api=\"Produce\",version=\"7\"} 1"))
        #expect(text.contains("weir_request_duration_seconds_bucket{api=\"Produce\""))
        #expect(text.contains("weir_log_end_offset{topic=\"m\",partition=\"0\"} 1"))
        #expect(text.contains("weir_fsync_wait_seconds_count"))
        #expect(text.contains("weir_group_commit_batches_bucket{le=\"1.0\"} 1"))
        #expect(text.contains("weir_connections 1"))
        await tb.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        // 200 requests sent before reading any answer (more than the per-connection in-flight limit):
        // produce, metadata and fetch mixed, so some complete later than others internally.
        var ids: [Int32] = []
        var kinds: [Int] = []
        for i in 0..<200 {
            switch i % 3 {
            case 0: ids.append(try c.send(produceRequest(topic: "pipe", batch: try makeBatch(["v\(i)"])), version: 7))
            case 1: ids.append(try c.send(MetadataRequest(topics: [.init(name: "pipe")]), version: 8))
            default: ids.append(try c.send(fetchRequest(topic: "pipe", offset: 0, maxWaitMs: 5), version: 11))
            }
            kinds.append(i % 3)
        }
        var produced: [Int64] = []
        for (id, kind) in zip(ids, kinds) {
            let frame = try #require(try c.readFrame())
            switch kind {
            case 0:
                let (h, body) = try ProduceResponse.decodeFrame(frame, version: 7)
                #expect(h.correlationId == id)
                produced.append(body.responses[0].partitionResponses[0].baseOffset)
            case 1: #expect(try MetadataResponse.decodeFrame(frame, version: 8).header.correlationId == id)
            default: #expect(try FetchResponse.decodeFrame(frame, version: 11).header.correlationId == id)
            }
        }
        #expect(produced == Array(0..<Int64(produced.count)))
        await tb.stop()
    }

    @Test func topicCatalogueIsTheMetadataLog() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        _ = try await c.callAsync(CreateTopicsRequest(topics: [.init(name: "a", numPartitions: 2, replicationFactor: 1), .init(name: "b", numPartitions: 1, replicationFactor: 1)]), version: 4, as: CreateTopicsResponse.self)
        _ = try await c.callAsync(DeleteTopicsRequest(topicNames: ["a"], timeoutMs: 1000), version: 3, as: DeleteTopicsResponse.self)
        await tb.stop()
        // A deletion recorded in the log but interrupted before the directory went (a crash): finished on start.
        let metadata = try MetadataLog(dataDirectory: tb.directory, disk: POSIXDisk(), logger: Logger(label: "test"))
        try metadata.record(topic: "b", state: nil)
        try metadata.log.close()
        #expect(FileManager.default.fileExists(atPath: tb.directory + "/topics/b"))
        // A topic directory the log does not know (older layout) is adopted, not lost.
        try FileManager.default.createDirectory(atPath: tb.directory + "/topics/legacy/0", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tb.directory + "/topics/legacy/2", withIntermediateDirectories: true)

        let again = try await TestBroker.start(directory: tb.directory)
        let names = again.broker.topics.allTopics.map(\.name)
        #expect(names == ["legacy"])
        #expect(again.broker.topics.topic("legacy")?.partitions.count == 3)
        #expect(!FileManager.default.fileExists(atPath: tb.directory + "/topics/a"))
        #expect(!FileManager.default.fileExists(atPath: tb.directory + "/topics/b"))
        await again.stop()
    }

    @Test func offsetCommitThroughTheBroker() async throws {
        let tb = try await TestBroker.start()
        defer { tb.removeData() }
        let c = try WireClient(port: tb.port)
        _ = try await c.callAsync(CreateTopicsRequest(topics: [.init(name: "known", numPartitions: 2, replicationFactor: 1)]), version: 4, as: CreateTopicsResponse.self)
        let commit = OffsetCommitRequest(groupId: "standalone", generationId: -1, memberId: "", topics: [
            .init(name: "known", partitions: [.init(partitionIndex: 1, committedOffset: 42, committedMetadata: "m")]),
            .init(name: "missing", partitions: [.init(partitionIndex: 0, committedOffset: 7)]),
        ])
        let answer = try await c.callAsync(commit, version: 7, as: OffsetCommitResponse.self)
        let byTopic = Dictionary(uniqueKeysWithValues: answer.topics.map { ($0.name, $0.partitions.map(\.errorCode)) })
        #expect(byTopic["known"] == [.none])
        #expect(byTopic["missing"] == [.unknownTopicOrPartition])
        let fetched = try await c.callAsync(OffsetFetchRequest(groupId: "standalone", topics: [.init(name: "known", partitionIndexes: [0, 1])]), version: 5, as: OffsetFetchResponse.self)
        #expect(fetched.topics.first?.partitions.map(\.committedOffset) == [-1, 42])
        await tb.stop()
    }
}
