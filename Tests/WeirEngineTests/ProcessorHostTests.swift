import Foundation
import NIOCore
import Testing
import WeirBroker
import WeirClient
import WeirEngine
import WeirStreams

/// The processor host inside a real broker: raw events produced by a Kafka client, decisions read back by one.
@Suite(.serialized) struct ProcessorHostTests {
    @Test(.timeLimit(.minutes(2))) func ingScenarioInTheBrokerWithALiveDeploymentAndARejectedOne() async throws {
        let f = try await EngineFixture()
        let client = f.client, control = f.control

        var count = 0
        for step in FraudExample.beforeV2() {
            try await Scenario.produce(client, step)
            count += 1
            _ = try await Scenario.waitFor(control, "decisions", count: count)
        }
        // A broken version is rejected with its reasons on the status topic; v1 keeps running.
        var broken = Scenario.v2
        broken.version = "3"
        broken.pmml = Array("<PMML>not a model".utf8)
        let rejected = try await control.deploy(broken)
        #expect(rejected.outcome == .rejected)
        #expect(rejected.error?.contains("PMML") == true, "\(rejected.error ?? "")")

        let accepted = try await control.deploy(Scenario.v2)
        #expect(accepted.outcome == .accepted)
        #expect(accepted.activations == [Activation(topic: "payments", partition: 0, offset: 5)])
        // The same version with other content is refused.
        var clash = Scenario.v2
        clash.features += "\n"
        #expect(try await control.deploy(clash).outcome == .rejected)

        for step in FraudExample.afterV2() {
            try await Scenario.produce(client, step)
            count += 1
            _ = try await Scenario.waitFor(control, "decisions", count: count)
        }
        let decisions = try Scenario.decisions(try await control.readAll("decisions"))
        #expect(decisions.count == FraudExample.expected.count)
        #expect(decisions.map { $0.key ?? "" } == FraudExample.expected.map(\.0))
        #expect(decisions.map(\.outcome.rawValue) == FraudExample.expected.map(\.1))
        #expect(decisions.map(\.modelVersion) == FraudExample.expected.map(\.2))
        #expect(decisions.map(\.input.offset) == Array(0..<7))
        #expect(decisions[5].features.first { $0.0 == "sum_1h" }?.1 == .number(3250))

        // Inactive: nothing is processed. Active again (a restart or promotion): no duplicate, no gap.
        await f.stopHost()
        try await Scenario.produce(client, FraudExample.mobile(account: "NL03", euros: 10, to: "NL-X", minute: 55))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await control.readAll("decisions").count == 7)
        try await f.startNewHost()
        let all = try Scenario.decisions(try await Scenario.waitFor(control, "decisions", count: 8))
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await control.readAll("decisions").count == 8)
        #expect(all.map(\.input.offset) == Array(0..<8))
        #expect(all[7].modelVersion == "2" && all[7].key == "NL03")

        // Rollback to v1 at the next offset.
        let back = try await control.rollback(model: "fraud")
        #expect(back.outcome == .accepted && back.version == "1")
        try await Scenario.produce(client, FraudExample.mobile(account: "NL01", euros: 400, to: "NL-MULE6", minute: 56))
        let last = try Scenario.decisions(try await Scenario.waitFor(control, "decisions", count: 9))
        #expect(last[8].modelVersion == "1" && last[8].outcome == .allow)

        await f.stop()
    }

    @Test(.timeLimit(.minutes(2))) func badEventsGoToTheDeadLetterTopicsWithTheirReason() async throws {
        let f = try await EngineFixture()
        let client = f.client, control = f.control
        try await client.produce(topic: "mobile.payments", partition: 0, records: [ProducerRecord(key: "x", value: "not json")])
        try await client.produce(topic: "mobile.payments", partition: 0, records: [ProducerRecord(key: "y", value: #"{"acct":"NL01","amount_eur":"lots","to":{"iban":"X"},"created_at":"2026-11-23T11:00:00Z"}"#)])
        try await Scenario.produce(client, FraudExample.mobile(account: "NL01", euros: 5, to: "NL-X", minute: 1))
        let dead = try await Scenario.waitFor(control, "payments.dead-letter", count: 2)
        let reasons = dead.map { String(decoding: $0.value!.readableBytesView, as: UTF8.self) }
        #expect(reasons[0].contains("\"offset\":0"), "\(reasons[0])")
        #expect(reasons[1].contains("lots") && reasons[1].contains("amount"), "\(reasons[1])")
        let decisions = try Scenario.decisions(try await Scenario.waitFor(control, "decisions", count: 1))
        #expect(decisions.count == 1 && decisions[0].key == "NL01" && decisions[0].input.offset == 0)
        await f.stop()
    }

    @Test(.timeLimit(.minutes(2))) func aBrokerRestartKeepsExactlyOneDecisionPerEvent() async throws {
        let first = try await EngineTestBroker.start()
        defer { first.removeData() }
        var host = ProcessorHost(log: BrokerProcessorLog(broker: first.broker), configuration: try Scenario.configuration(), logger: Scenario.logger)
        await host.setActive(true)
        var client = try await KafkaClient.connect(broker: first.address)
        var control = ModelControl(client: client)
        // Produce many payments without waiting, stop mid-stream.
        for i in 0..<60 {
            try await Scenario.produce(client, FraudExample.mobile(account: "NL\(i % 7)", euros: Double(10 + i), to: "B\(i % 5)", minute: Int64(i)))
        }
        try await Task.sleep(for: .milliseconds(50))
        await host.setActive(false)
        await client.close()
        await first.stop()

        let second = try await EngineTestBroker.start(directory: first.directory)
        host = ProcessorHost(log: BrokerProcessorLog(broker: second.broker), configuration: try Scenario.configuration(), logger: Scenario.logger)
        await host.setActive(true)
        client = try await KafkaClient.connect(broker: second.address)
        control = ModelControl(client: client)
        let decisions = try Scenario.decisions(try await Scenario.waitFor(control, "decisions", count: 60))
        try await Task.sleep(for: .milliseconds(300))
        let final = try Scenario.decisions(try await control.readAll("decisions"))
        #expect(final.count == 60)
        #expect(decisions.map(\.input.offset) == Array(0..<60))
        await host.setActive(false)
        await client.close()
        await second.stop()
    }
}
