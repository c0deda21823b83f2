import NIOCore
import Testing
import WeirBroker
import WeirClient
import WeirProtocol
import WeirRecords

/// The client's idempotent producer against the broker: one producer id, consecutive sequences per partition
/// even with concurrent callers, and a resent batch stored once.
@Suite(.serialized) struct IdempotentProducerTests {
    @Test func concurrentWritesGetConsecutiveSequencesAndAResendIsStoredOnce() async throws {
        try await withClientAndBroker { client, _ in
            try await client.createTopic("out", partitions: 2)
            let producer = IdempotentProducer(client: client)
            // 20 callers at once over two partitions: writes to one partition are serialized, none is refused.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        let records = (0..<(i % 3 + 1)).map { j in ProducerRecord(key: nil, value: ByteBuffer(string: "\(i)-\(j)")) }
                        try await producer.produce(topic: "out", partition: Int32(i % 2), records: records)
                    }
                }
                try await group.waitForAll()
            }
            let latest = try await client.listOffsets("out", partitions: [0, 1], timestamp: OffsetSpec.latest)
            let want0 = (0..<20).filter { $0 % 2 == 0 }.map { $0 % 3 + 1 }.reduce(0, +)
            let want1 = (0..<20).filter { $0 % 2 == 1 }.map { $0 % 3 + 1 }.reduce(0, +)
            #expect(latest == [0: Int64(want0), 1: Int64(want1)])

            // The broker holds this producer's sequence at want0 on partition 0: the last batch again (what a
            // retry after a lost answer sends) is a duplicate, answered with its original offset; a gap is refused.
            let identity = try #require(await producer.producerId)
            let last = try await producer.produce(topic: "out", partition: 0, records: [ProducerRecord(value: ByteBuffer(string: "last"))])
            #expect(last == Int64(want0))
            func batch(sequence: Int32) throws -> ByteBuffer {
                var b = RecordBatchBuilder(producerId: identity.id, producerEpoch: identity.epoch, baseSequence: sequence)
                b.append(key: nil, value: ByteBuffer(string: "last"), timestamp: 1, headers: [])
                return try b.build().bytes
            }
            let resent = try await client.produce(topic: "out", partition: 0, batch: try batch(sequence: Int32(want0)))
            #expect(resent == Int64(want0))
            #expect(try await client.listOffsets("out", partitions: [0], timestamp: OffsetSpec.latest) == [0: Int64(want0 + 1)])
            await #expect(throws: WeirClientError.self) {
                try await client.produce(topic: "out", partition: 0, batch: try batch(sequence: Int32(want0 + 5)))
            }
            // The producer goes on where it was.
            #expect(try await producer.produce(topic: "out", partition: 0, records: [ProducerRecord(value: ByteBuffer(string: "next"))]) == Int64(want0 + 1))
        }
    }
}
