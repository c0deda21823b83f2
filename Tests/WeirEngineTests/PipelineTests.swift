import Foundation
import Synchronization
import Testing
import WeirBroker
import WeirClient
import WeirEngine
import WeirStreams

/// The host loop's pipelining: round n + 1 is read and processed while round n's appends become durable.
@Suite(.serialized) struct PipelineTests {
    /// A partition going offline mid-stream while rounds are in flight: appends to the output topics become durable
    /// slowly, and from the third one on they are refused (without entering the log) until the host recovers, each
    /// refusal noticed only later. Snapshots still succeed; one taken over a refused round would skip its inputs
    /// on recovery (a gap). Each event must still get exactly one business event and one decision.
    @Test(.timeLimit(.minutes(2))) func anAppendFailingWhileLaterRoundsAreInFlightLeavesExactlyOneDecisionPerEvent() async throws {
        let server = try await EngineTestBroker.start()
        defer { server.removeData() }
        let log = FaultyLog(BrokerProcessorLog(broker: server.broker), faulty: ["payments", "payments.dead-letter", "decisions"], failAt: 3)
        var config = try Scenario.configuration()
        config.snapshotEvery = 1
        let host = ProcessorHost(log: log, configuration: config, logger: Scenario.logger)
        await host.setActive(true)
        let client = try await KafkaClient.connect(broker: server.address)
        let control = ModelControl(client: client)
        let n = 120
        for i in 0..<n {
            try await Scenario.produce(client, FraudExample.mobile(account: "NL\(i % 9)", euros: Double(5 + i), to: "B\(i % 4)", minute: Int64(i)))
        }
        let decisions = try Scenario.decisions(try await Scenario.waitFor(control, "decisions", count: n))
        try await Task.sleep(for: .milliseconds(300))
        #expect(log.refused > 0, "the fault never happened")
        #expect(log.recoveries >= 2, "the host did not recover after the refused appends")
        #expect(try await control.readAll("decisions").count == n)
        #expect(decisions.map(\.input.offset) == (0..<n).map(Int64.init))
        let business = try await control.readAll("payments")
        #expect(business.map { Provenance(recordHeaders: $0.headers)?.offset } == (0..<n).map { Int64($0) })
        await host.setActive(false)
        await client.close()
        await server.stop()
    }
}

/// The rounds' reads leave the input headers out and nothing else.
@Suite(.serialized) struct BrokerReadTests {
    @Test(.timeLimit(.minutes(1))) func readInputsIsReadWithoutHeaders() async throws {
        let server = try await EngineTestBroker.start()
        defer { server.removeData() }
        let log = BrokerProcessorLog(broker: server.broker)
        _ = try await log.ensureTopic("in", partitions: 1, configs: [])
        let records = (0..<5).map { i in
            OutputRecord(topic: "in", key: i == 2 ? nil : Array("k\(i)".utf8), value: Array("v\(i)".utf8), timestamp: 1_000 - Int64(i),
                         headers: Provenance(topic: "raw", partition: 0, offset: Int64(i), version: "p@1").headers)
        }
        try await log.append([OutputBatch(topic: "in", partition: 0, records: Array(records[..<3])), OutputBatch(topic: "in", partition: 0, records: Array(records[3...]))])
        let full = try await log.read("in", 0, from: 1, maxBytes: 1 << 20)
        let inputs = try await log.readInputs("in", 0, from: 1, maxBytes: 1 << 20)
        #expect(full.records.count == 4 && full.records.allSatisfy { $0.headers.count == 4 })
        #expect(inputs.next == full.next && inputs.end == full.end)
        var stripped = full.records
        for i in stripped.indices { stripped[i].headers = [] }
        #expect(inputs.records == stripped)
        await server.stop()
    }
}

/// A broker log whose appends to `faulty` topics become durable 5 ms late and, from the `failAt`-th on, are
/// refused without entering the log (noticed 40 ms later), until the host recovers (its next `ensureTopic`):
/// the broker's contract for a refused append (later ones to that partition are refused too).
final class FaultyLog: ProcessorLog {
    let inner: BrokerProcessorLog
    let faulty: Set<String>
    let failAt: Int
    private let state = Mutex((appends: 0, refusing: false, refused: 0, recoveries: 0))

    init(_ inner: BrokerProcessorLog, faulty: Set<String>, failAt: Int) {
        self.inner = inner
        self.faulty = faulty
        self.failAt = failAt
    }

    var refused: Int { state.withLock { $0.refused } }
    var recoveries: Int { state.withLock { $0.recoveries } }

    func partitionCount(_ topic: String) async throws -> Int32? { try await inner.partitionCount(topic) }
    func ensureTopic(_ topic: String, partitions: Int32, configs: [(String, String)]) async throws -> Int32 {
        state.withLock { s in
            if s.refusing { s.refusing = false; s.appends = Int.min / 2 }  // one fault per test
            if configs.contains(where: { $0.0 == "retention.ms" }) && topic.hasSuffix("control") { s.recoveries += 1 }
        }
        return try await inner.ensureTopic(topic, partitions: partitions, configs: configs)
    }
    func read(_ topic: String, _ partition: Int32, from offset: Int64, maxBytes: Int) async throws -> LogRead {
        try await inner.read(topic, partition, from: offset, maxBytes: maxBytes)
    }
    func bounds(_ topic: String, _ partition: Int32) async throws -> (start: Int64, end: Int64) { try await inner.bounds(topic, partition) }
    func append(_ batches: [OutputBatch]) async throws { try await beginAppend(batches).durable() }
    func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], timeoutMs: Int) async {
        await inner.waitForData(positions, timeoutMs: timeoutMs)
    }
    func waitForData(_ positions: [(topic: String, partition: Int32, offset: Int64)], orDurable append: PendingAppend?, timeoutMs: Int) async {
        await inner.waitForData(positions, orDurable: append, timeoutMs: timeoutMs)
    }

    func beginAppend(_ batches: [OutputBatch]) async throws -> PendingAppend {
        let touches = batches.contains { faulty.contains($0.topic) }
        let refuse = touches && state.withLock { s -> Bool in
            s.appends += 1
            if s.appends == failAt { s.refusing = true }
            if s.refusing { s.refused += 1 }
            return s.refusing
        }
        let pending = PendingAppend()
        if refuse {
            Task {
                try? await Task.sleep(for: .milliseconds(40))
                pending.complete(.failure(EngineError("partition offline (test)")))
            }
            return pending
        }
        let real = try await inner.beginAppend(batches)
        guard touches else { return real }
        Task {
            try? await Task.sleep(for: .milliseconds(5))
            do { try await real.durable(); pending.complete(.success(())) } catch { pending.complete(.failure(error)) }
        }
        return pending
    }
}
