import Foundation
import NIOCore
import NIOPosix
import Testing
import WeirBroker
import WeirClient
import WeirProtocol
import WeirRecords

@Suite struct ClientUnitTests {
    @Test func brokerAddressParsing() throws {
        #expect(try BrokerAddress(parsing: "127.0.0.1:9093") == BrokerAddress(host: "127.0.0.1", port: 9093))
        #expect(try BrokerAddress(parsing: "broker1") == BrokerAddress(host: "broker1", port: 9092))
        #expect(try BrokerAddress(parsing: "[::1]:19092") == BrokerAddress(host: "::1", port: 19092))
        #expect(try BrokerAddress(parsing: "[::1]:19092").description == "[::1]:19092")
        for bad in ["", ":9092", "host:port", "host:0", "host:70000", "[::1", "[::1]x"] {
            #expect(throws: WeirClientError.self, "\(bad)") { try BrokerAddress(parsing: bad) }
        }
    }

    /// Kafka's own test vectors (UtilsTest.testMurmur2), as signed ints.
    @Test func murmur2MatchesKafka() {
        #expect(Partitioner.murmur2(Array("21".utf8)) == -973_932_308)
        #expect(Partitioner.murmur2(Array("foobar".utf8)) == -790_332_482)
        #expect(Partitioner.murmur2(Array("a-little-bit-long-string".utf8)) == -985_981_536)
        #expect(Partitioner.murmur2(Array("abc".utf8)) == 479_470_107)
        #expect(Partitioner.murmur2([UInt8]()) == 275_646_681)
        #expect(Partitioner.partition(forKey: ByteBuffer(string: "21"), partitionCount: 7) == Int32((-973_932_308 & 0x7fff_ffff) % 7))
    }

    @Test func consumerProtocolRoundTrips() throws {
        let subscription = ConsumerProtocol.Subscription(topics: ["a", "b"], userData: ByteBuffer(bytes: [1, 2]))
        #expect(try ConsumerProtocol.Subscription(decoding: subscription.encoded()) == subscription)
        // Version 0 layout, byte for byte: version, topics, null user data.
        let plain = ConsumerProtocol.Subscription(topics: ["t"]).encoded()
        #expect(Array(plain.readableBytesView) == [0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0xff, 0xff, 0xff, 0xff])

        let assignment = ConsumerProtocol.Assignment(partitions: ["t": [0, 2], "u": [1]])
        #expect(try ConsumerProtocol.Assignment(decoding: assignment.encoded()) == assignment)
        #expect(try ConsumerProtocol.Assignment(decoding: ByteBuffer()).partitions.isEmpty)
        // A newer version with trailing fields still reads.
        var v1 = assignment.encoded()
        v1.setInteger(Int16(1), at: v1.readerIndex)
        v1.writeBytes([0, 0, 0, 7])
        #expect(try ConsumerProtocol.Assignment(decoding: v1).partitions == assignment.partitions)
        #expect(throws: ProtocolDecodingError.self) { try ConsumerProtocol.Assignment(decoding: ByteBuffer(bytes: [0, 0, 0, 0, 0, 9])) }
    }

    @Test func rangeAssignorCoversEveryPartitionOnce() {
        let subscriptions: [String: ConsumerProtocol.Subscription] = [
            "m-b": .init(topics: ["t", "u"]), "m-a": .init(topics: ["t"]), "m-c": .init(topics: ["t", "u"]),
        ]
        let plan = ConsumerProtocol.rangeAssign(subscriptions: subscriptions, partitionCounts: ["t": 7, "u": 1])
        // Kafka's RangeAssignor: members sorted by id; the first 7 % 3 = 1 gets one extra.
        #expect(plan["m-a"]?.partitions["t"] == [0, 1, 2])
        #expect(plan["m-b"]?.partitions["t"] == [3, 4])
        #expect(plan["m-c"]?.partitions["t"] == [5, 6])
        #expect(plan["m-b"]?.partitions["u"] == [0])
        #expect(plan["m-c"]?.partitions["u"] == nil)
        #expect(plan["m-a"]?.partitions["u"] == nil)
        let empty = ConsumerProtocol.rangeAssign(subscriptions: ["x": .init(topics: ["none"])], partitionCounts: [:])
        #expect(empty["x"]?.partitions.isEmpty == true)
    }
}

@Suite struct ClientConnectionTests {
    @Test func connectionRefusedNamesTheBroker() async throws {
        let port = try await ClientTestBroker.freePort()  // nothing listens there any more
        do {
            _ = try await KafkaClient.connect(broker: "127.0.0.1:\(port)")
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.description == "cannot connect to broker 127.0.0.1:\(port): connection refused")
            #expect(error.isConnectFailure)
        }
    }

    /// A peer that accepts and never answers: the handshake times out with a message naming the request.
    @Test func silentBrokerTimesOut() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { _ in MultiThreadedEventLoopGroup.singleton.any().makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        do {
            _ = try await BrokerConnection.connect(to: BrokerAddress(host: "127.0.0.1", port: port), requestTimeout: .milliseconds(200))
            Issue.record("a silent peer completed the handshake")
        } catch {
            #expect(error.isTimeout)
            #expect(error.description == "no answer from broker 127.0.0.1:\(port) to ApiVersions v3 within 200 ms")
        }
        try await server.close()
    }

    /// A peer that closes the connection at once: "closed the connection", not a hang.
    @Test func closingBrokerIsReported() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.close() }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        do {
            _ = try await BrokerConnection.connect(to: BrokerAddress(host: "127.0.0.1", port: port), requestTimeout: .seconds(10))
            Issue.record("a closing peer completed the handshake")
        } catch {
            #expect(error.description.contains("broker 127.0.0.1:\(port) closed the connection"), "\(error)")
        }
        try await server.close()
    }
}

@Suite(.serialized) struct ClientBrokerTests {
    @Test func negotiatesTheAdvertisedVersions() async throws {
        try await withClientAndBroker { client, _ in
            let connection = client.bootstrap
            #expect(connection.brokerVersions[.produce] == 0...7)
            let versions = try [
                connection.version(for: .produce), connection.version(for: .fetch), connection.version(for: .metadata),
                connection.version(for: .joinGroup, cap: 3),
            ]
            #expect(versions == [7, 11, 8, 3])
        }
    }

    @Test func topicAdminRoundTrip() async throws {
        try await withClientAndBroker { client, _ in
            try await client.createTopic("orders", partitions: 3, configs: [("retention.ms", "3600000")])
            let metadata = try await client.metadata(topics: nil)
            #expect(metadata.topic("orders")?.partitions.map(\.partition) == [0, 1, 2])
            #expect(metadata.brokers.count == 1)

            do throws(WeirClientError) {
                try await client.createTopic("orders", partitions: 1)
                Issue.record("created a topic twice")
            } catch {
                #expect(error.code == .topicAlreadyExists)
                #expect(error.description.hasPrefix("cannot create topic orders: TOPIC_ALREADY_EXISTS (36)"))
            }

            let configs = try await client.describeTopicConfigs("orders")
            #expect(configs.first { $0.name == "retention.ms" }?.value == "3600000")
            #expect(configs.first { $0.name == "retention.ms" }?.sourceName == "topic")

            try await client.alterTopicConfigs("orders", [("segment.ms", "60000"), ("retention.ms", nil)])
            let altered = try await client.describeTopicConfigs("orders")
            #expect(altered.first { $0.name == "segment.ms" }?.value == "60000")
            #expect(altered.first { $0.name == "retention.ms" }?.sourceName == "default")

            try await client.createPartitions("orders", totalCount: 5)
            #expect(try await client.topicMetadata("orders").partitions.count == 5)

            try await client.deleteTopic("orders")
            do throws(WeirClientError) {
                _ = try await client.topicMetadata("orders")
                Issue.record("a deleted topic is still there")
            } catch {
                #expect(error.code == .unknownTopicOrPartition)
                #expect(error.description == "topic orders: UNKNOWN_TOPIC_OR_PARTITION (3)")
            }
        }
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .lz4])
    func produceAndFetchEveryRecord(codec: CompressionCodec) async throws {
        try await withClientAndBroker { client, _ in
            try await client.createTopic("t", partitions: 2)
            var expected: [Int32: [ProducerRecord]] = [:]
            for batch in 0..<4 {
                for partition: Int32 in 0..<2 {
                    let records = (0..<250).map { i in
                        ProducerRecord(key: "k\(batch)-\(i)", value: "value \(batch) \(i) \(codec)", headers: [("i", "\(i)"), ("null", nil)], timestamp: 1_700_000_000_000 + Int64(i))
                    }
                    let base = try await client.produce(topic: "t", partition: partition, records: records, codec: codec)
                    #expect(base == Int64(batch * 250))
                    expected[partition, default: []].append(contentsOf: records)
                }
            }
            let latest = try await client.listOffsets("t", partitions: [0, 1], timestamp: OffsetSpec.latest)
            #expect(latest == [0: 1000, 1: 1000])
            let byTime = try await client.listOffsets("t", partitions: [0], timestamp: 1_700_000_000_000 + 249)
            #expect(byTime == [0: 249])

            // Fetch from the middle of a batch: records before the fetch offset are skipped.
            var positions: [Int32: Int64] = [0: 0, 1: 100]
            var consumed: [Int32: [ConsumerRecord]] = [:]
            for _ in 0..<50 where positions.values.contains(where: { $0 < 1000 }) {
                let fetched = try await client.fetch(topic: "t", offsets: positions, maxWaitMs: 100, partitionMaxBytes: 16 << 10)
                for p in fetched {
                    #expect(p.errorCode == .none)
                    #expect(p.highWatermark == 1000)
                    consumed[p.partition, default: []].append(contentsOf: p.records)
                    positions[p.partition] = p.nextOffset
                }
            }
            for partition: Int32 in 0..<2 {
                let want = expected[partition]!.dropFirst(partition == 1 ? 100 : 0)
                let got = consumed[partition] ?? []
                #expect(got.count == want.count)
                for (g, (w, offset)) in zip(got, zip(want, Int64(partition == 1 ? 100 : 0)...)) {
                    #expect(g.offset == offset)
                    #expect(g.key == w.key && g.value == w.value && g.headers == w.headers && g.timestamp == w.timestamp)
                }
            }
        }
    }

    @Test func produceErrorsNameTheKafkaError() async throws {
        try await withClientAndBroker { client, _ in
            try await client.createTopic("t", partitions: 1)
            // A batch in a codec Weir does not accept (snappy attribute on a plain region).
            var builder = RecordBatchBuilder(codec: .none)
            builder.append(key: "k", value: "v", timestamp: 1)
            let batch = try builder.build()
            var header = batch.header
            header.attributes = .withCodec(CompressionCodec.snappy.rawValue)
            let snappy = try RecordBatchBuilder.assemble(header: header, recordsRegion: batch.recordsRegion)
            do throws(WeirClientError) {
                try await client.produce(topic: "t", partition: 0, batch: snappy.bytes)
                Issue.record("a snappy batch was accepted")
            } catch {
                #expect(error.code == .unsupportedCompressionType)
                #expect(error.description == "cannot produce to t-0: UNSUPPORTED_COMPRESSION_TYPE (76)")
            }
            do throws(WeirClientError) {
                try await client.produce(topic: "nope", partition: 0, records: [ProducerRecord(key: nil, value: "x")])
                Issue.record("produced to a missing topic")
            } catch {
                #expect(error.code == .unknownTopicOrPartition)
            }
        }
    }

    /// Many requests in flight on one connection at once: each answer reaches its own caller.
    @Test func concurrentRequestsAreMatchedByCorrelationId() async throws {
        try await withClientAndBroker { client, _ in
            for i in 0..<5 { try await client.createTopic("topic-\(i)", partitions: Int32(i + 1)) }
            let connection = client.bootstrap
            try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for n in 0..<200 {
                    group.addTask {
                        let name = "topic-\(n % 5)"
                        let response = try await connection.send(MetadataRequest(topics: [.init(name: name)], allowAutoTopicCreation: false))
                        return (n % 5, response.topics.first { $0.name == name }?.partitions.count ?? -1)
                    }
                }
                for try await (index, count) in group {
                    #expect(count == index + 1)
                }
            }
        }
    }

    /// A long-poll Fetch waits for data and wakes when a record arrives.
    @Test func longPollFetchWakesOnProduce() async throws {
        try await withClientAndBroker { client, _ in
            try await client.createTopic("lp", partitions: 1)
            let start = ContinuousClock.now
            async let fetched = client.fetch(topic: "lp", offsets: [0: 0], maxWaitMs: 5000)
            try await Task.sleep(for: .milliseconds(200))
            try await client.produce(topic: "lp", partition: 0, records: [ProducerRecord(key: "k", value: "woke")])
            let result = try await fetched
            #expect(result.first?.records.map(\.valueString) == ["woke"])
            #expect(ContinuousClock.now - start < .seconds(4))
        }
    }
}
