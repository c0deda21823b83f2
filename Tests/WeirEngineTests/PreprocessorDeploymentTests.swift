import Foundation
import NIOCore
import Testing
import WeirBroker
import WeirClient
@testable import WeirEngine
import WeirRecords
import WeirStreams

/// Preprocessor versions deployed through the control topic while the host runs.
@Suite(.serialized) struct PreprocessorDeploymentTests {
    static func card(account: String, cents: Int, merchant: String, minute m: Int64) -> ProducerRecord {
        let e = FraudExample.card(account: account, cents: cents, merchant: merchant, minute: m)[0]
        return ProducerRecord(key: ByteBuffer(string: e.key), value: ByteBuffer(string: e.value), timestamp: e.timestamp)
    }

    static func version(_ r: ConsumerRecord) -> String? {
        r.headers.first { $0.key == Provenance.versionHeader }?.value.map { String(buffer: $0) }
    }

    @Test(.timeLimit(.minutes(2))) func aNewVersionAddsASourceAtAnExactOffsetAndSurvivesARestart() async throws {
        let f = try await EngineFixture()
        let client = f.client, control = f.control

        try await Scenario.produce(client, FraudExample.mobile(account: "NL01", euros: 10, to: "NL-A", minute: 1))
        _ = try await Scenario.waitFor(control, "payments", count: 1)

        // A definition with a mistake is rejected with the field and line; v1 keeps running.
        let broken = PreprocessorRequest(name: "payments", version: "2", definition: FraudExample.preprocessorV2.replacingOccurrences(of: "epoch_seconds", with: "fortnights"))
        let rejected = try await control.deploy(broken)
        #expect(rejected.outcome == .rejected)
        #expect(rejected.error?.contains("payments-2.yaml:") == true && rejected.error?.contains("format") == true, "\(rejected.error ?? "")")
        // A preprocessor may not take a model's name.
        let clash = try await control.deploy(PreprocessorRequest(name: "fraud", version: "9", definition: FraudExample.preprocessorV2))
        #expect(clash.outcome == .rejected && clash.error?.contains("model") == true, "\(clash.error ?? "")")

        // Card payments produced before v2 are not read: v2 starts at the end of the topic it adds.
        try await client.createTopic("card.payments", partitions: 1)
        try await client.produce(topic: "card.payments", partition: 0, records: [Self.card(account: "NL09", cents: 100, merchant: "EARLY", minute: 2)])
        let accepted = try await control.deploy(PreprocessorRequest(name: "payments", version: "2", definition: FraudExample.preprocessorV2))
        #expect(accepted.outcome == .accepted, "\(accepted.error ?? "")")
        #expect(accepted.activations.contains(Activation(topic: "mobile.payments", partition: 0, offset: 1)))
        #expect(accepted.activations.contains(Activation(topic: "card.payments", partition: 0, offset: 1)))

        try await client.produce(topic: "card.payments", partition: 0, records: [Self.card(account: "NL02", cents: 12_345, merchant: "SHOP", minute: 3)])
        try await Scenario.produce(client, FraudExample.mobile(account: "NL01", euros: 20, to: "NL-B", minute: 4))
        var payments = try await Scenario.waitFor(control, "payments", count: 3)
        #expect(payments.map(Self.version) == ["payments@1", "payments@2", "payments@2"])
        let cardEvent = try #require(payments.first { String(buffer: $0.value!).contains("NL02") })
        let business = try JSONParser.parse(Array(cardEvent.value!.readableBytesView))
        #expect(business["amount"] == .number(123.45) && business["channel"] == .string("card") && business["beneficiary"] == .string("SHOP"))
        // The model decides the card payment like any other business event.
        let decisions = try Scenario.decisions(try await Scenario.waitFor(control, "decisions", count: 3))
        #expect(decisions.map { $0.key ?? "" }.sorted() == ["NL01", "NL01", "NL02"])

        // A restart re-applies v2 from the control and status topics: no duplicate, and card payments still flow.
        try await f.restartHost()
        try await client.produce(topic: "card.payments", partition: 0, records: [Self.card(account: "NL03", cents: 500, merchant: "CAFE", minute: 5)])
        payments = try await Scenario.waitFor(control, "payments", count: 4)
        try await Task.sleep(for: .milliseconds(300))
        payments = try await control.readAll("payments")
        #expect(payments.count == 4)
        #expect(Self.version(payments[3]) == "payments@2")
        #expect(payments.filter { String(buffer: $0.value!).contains("EARLY") }.isEmpty)

        // Rolling back to v1 stops reading card payments from the next offset; mobile payments go on.
        let back = try await control.rollback(model: "payments", to: "1")
        #expect(back.outcome == .accepted, "\(back.error ?? "")")
        #expect(back.activations.contains(Activation(topic: "card.payments", partition: 0, offset: 3)))
        try await client.produce(topic: "card.payments", partition: 0, records: [Self.card(account: "NL04", cents: 700, merchant: "LATE", minute: 6)])
        try await Scenario.produce(client, FraudExample.mobile(account: "NL01", euros: 30, to: "NL-C", minute: 7))
        payments = try await Scenario.waitFor(control, "payments", count: 5)
        try await Task.sleep(for: .milliseconds(300))
        payments = try await control.readAll("payments")
        #expect(payments.count == 5)
        #expect(Self.version(payments[4]) == "payments@1")
        #expect(String(buffer: payments[4].value!).contains("NL-C"))

        await f.stop()
    }

    @Test(.timeLimit(.minutes(2))) func aNewPreprocessorStartsAtTheEndOfItsSources() async throws {
        let f = try await EngineFixture()
        let client = f.client, control = f.control
        try await client.createTopic("atm.withdrawals", partitions: 1)
        try await client.produce(topic: "atm.withdrawals", partition: 0, records: [ProducerRecord(value: ByteBuffer(string: #"{"acct":"OLD","eur":1}"#))])
        let definition = """
            version: 1
            output: withdrawals
            dead_letter: withdrawals.dead-letter
            key: account
            sources:
              atm.withdrawals:
                fields:
                  account: { path: acct, required: true }
                  amount: { path: eur, type: number, required: true }

            """
        // The first version must start at the end of its sources.
        let early = try await control.deploy(PreprocessorRequest(name: "atm", version: "1", definition: definition, activation: .offset(0)))
        #expect(early.outcome == .rejected && early.error?.contains("activate_at") == true)
        let accepted = try await control.deploy(PreprocessorRequest(name: "atm", version: "1", definition: definition))
        #expect(accepted.outcome == .accepted && accepted.activations == [Activation(topic: "atm.withdrawals", partition: 0, offset: 1)])
        try await client.produce(topic: "atm.withdrawals", partition: 0, records: [ProducerRecord(value: ByteBuffer(string: #"{"acct":"NL05","eur":200}"#))])
        try await client.produce(topic: "atm.withdrawals", partition: 0, records: [ProducerRecord(value: ByteBuffer(string: #"{"eur":200}"#))])
        let out = try await Scenario.waitFor(control, "withdrawals", count: 1)
        #expect(out.count == 1 && String(buffer: out[0].value!).contains("NL05") && String(buffer: out[0].key!) == "NL05")
        let dead = try await Scenario.waitFor(control, "withdrawals.dead-letter", count: 1)
        #expect(String(buffer: dead[0].value!).contains("account"))
        await f.stop()
    }

    /// Web sessions open when a version is replaced: kept by a version aggregating by the same session field,
    /// dead-lettered (with the reason) by one that does not aggregate that topic.
    @Test func openSessionsCarryOverOrGoToTheDeadLetterTopic() throws {
        let v1 = try PreprocessorDefinition.parse(yaml: FraudExample.preprocessor, file: "v1.yaml")
        let v2 = try PreprocessorDefinition.parse(yaml: FraudExample.preprocessor.replacingOccurrences(of: "channel: { const: web }", with: "channel: { const: web2 }"), file: "v2.yaml")
        let aggregation = "    aggregate:\n      session: session.id\n      complete_when: { field: type, equals: payment_confirm }\n      timeout: 10m\n"
        #expect(FraudExample.preprocessor.contains(aggregation))
        let v3 = try PreprocessorDefinition.parse(yaml: FraudExample.preprocessor.replacingOccurrences(of: aggregation, with: ""), file: "v3.yaml")
        let clicks = FraudExample.web(session: "s1", account: "NL01", cents: 5000, to: "NL-F", minute: 1)
            + FraudExample.web(session: "s2", account: "NL02", cents: 7000, to: "NL-G", minute: 2)
        let records = clicks.enumerated().map { i, e in
            InputRecord(topic: e.topic, partition: 0, offset: Int64(i), timestamp: e.timestamp, key: Array(e.key.utf8), value: Array(e.value.utf8))
        }
        func run(_ next: PreprocessorDefinition) -> [OutputRecord] {
            // s1's first three clicks under v1, the rest under `next` (switch at offset 2).
            var p = VersionedPreprocessor(stages: [
                .init(processor: PreprocessorProcessor(definition: v1, version: "pre@1"), at: 0),
                .init(processor: PreprocessorProcessor(definition: next, version: "pre@next"), at: 2),
            ], resumeAt: 0)
            var out: [OutputRecord] = []
            for r in records { p.process(r, into: &out) }
            return out
        }
        let kept = run(v2)
        #expect(kept.filter { $0.topic == "payments" }.count == 2, "\(kept.map { String(decoding: $0.value ?? [], as: UTF8.self) })")
        let s1 = try #require(kept.first { $0.topic == "payments" })
        #expect(String(decoding: s1.value!, as: UTF8.self).contains("web2") && String(decoding: s1.value!, as: UTF8.self).contains("NL01"))

        let dropped = run(v3)
        let dead = dropped.filter { $0.topic == "payments.dead-letter" }
        #expect(dead.contains { String(decoding: $0.value!, as: UTF8.self).contains("session s1 still open when pre@1 was replaced by version pre@next") },
                "\(dead.map { String(decoding: $0.value ?? [], as: UTF8.self) })")
    }
}
