import Testing
@testable import WeirStreams

/// The ING scenario end to end on an in-memory log: two source schemas → preprocessor → business events →
/// features + PMML v1 → decisions; v2 deployed at an exact offset without restart; crashes at every step.
@Suite struct FraudScenarioTests {
    static let t0: Int64 = 1_795_431_600_000  // 2026-11-23T11:00:00Z
    static let minute: Int64 = 60_000

    static func iso(_ minutes: Int64) -> String {
        let s = (t0 / 1000 + minutes * 60) % 86_400
        return "2026-11-23T\(pad(s / 3600)):\(pad(s / 60 % 60)):\(pad(s % 60))Z"
    }

    static func pad(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }

    static func mobile(_ log: inout InMemoryLog, account: String, euros: Double, to: String, minute: Int64) {
        log.append("mobile.payments", value: #"{"acct":"\#(account)","amount_eur":\#(euros),"to":{"iban":"\#(to)"},"created_at":"\#(iso(minute))","device_id":"phone-1"}"#,
                   timestamp: t0 + minute * Self.minute)
    }

    static func web(_ log: inout InMemoryLog, session: String, account: String, cents: Int, to: String, minute: Int64) {
        let t = t0 + minute * Self.minute
        log.append("web.events", value: #"{"type":"payment_start","session":{"id":"\#(session)","account":"\#(account)"},"ts":\#(t)}"#, timestamp: t)
        log.append("web.events", value: #"{"type":"page_view","session":{"id":"\#(session)"},"ts":\#(t + 5000)}"#, timestamp: t + 5000)
        log.append("web.events", value: #"{"type":"payment_details","session":{"id":"\#(session)"},"details":{"amount_cents":\#(cents),"iban":"\#(to)"},"ts":\#(t + 10000)}"#, timestamp: t + 10000)
        log.append("web.events", value: #"{"type":"payment_confirm","session":{"id":"\#(session)"},"ts":\#(t + 30000)}"#, timestamp: t + 30000)
    }

    /// Raw events of both applications, preprocessed (one driver per source partition) into `payments`.
    static func businessEvents() throws -> InMemoryLog {
        var raw = InMemoryLog()
        var order: [(String, Int)] = []  // arrival order across the source topics
        func mark(_ topic: String, _ before: Int) { for i in before..<raw.records(topic).count { order.append((topic, i)) } }
        var n = 0
        n = raw.records("web.events").count; web(&raw, session: "s1", account: "NL01", cents: 5000, to: "NL-FRIEND", minute: 20); mark("web.events", n)
        for (euros, mule, minute) in [(1000.0, "NL-MULE1", Int64(30)), (1000, "NL-MULE2", 35), (400, "NL-MULE3", 40), (400, "NL-MULE4", 45),
                                      (400, "NL-MULE5", 50)] {
            n = raw.records("mobile.payments").count; mobile(&raw, account: "NL01", euros: euros, to: mule, minute: minute); mark("mobile.payments", n)
        }
        n = raw.records("web.events").count; web(&raw, session: "s2", account: "NL02", cents: 2000, to: "NL-SHOP", minute: 52); mark("web.events", n)

        let definition = try PreprocessorDefinition.parse(yaml: PMMLFixtures.preprocessor, file: "pre.yaml")
        var drivers = [
            "web.events": ProcessorDriver(processor: PreprocessorProcessor(definition: definition, version: "pre@1"), inputTopic: "web.events", inputPartition: 0),
            "mobile.payments": ProcessorDriver(processor: PreprocessorProcessor(definition: definition, version: "pre@1"), inputTopic: "mobile.payments", inputPartition: 0),
        ]
        var out = InMemoryLog()
        for (topic, i) in order { out.append(try drivers[topic]!.process(raw.records(topic)[i])) }
        #expect(out.records("payments.dead-letter").isEmpty)
        return out
    }

    static let deployAt: Int64 = 5

    /// A host running the scoring processor over `payments`; `crashAfter` steps it stops as a crash would (the log
    /// and the last persisted snapshot survive). Returns false when it crashed.
    struct Host {
        var log: InMemoryLog
        var snapshot: StateSnapshot?
        var steps = 0
        let v1: Deployment
        let v2: Deployment

        struct Crash: Error {}

        mutating func step(_ crashAfter: Int?) throws {
            steps += 1
            if let crashAfter, steps > crashAfter { throw Crash() }
        }

        mutating func run(crashAfter: Int?) throws -> Bool {
            let answered = ["decisions": log.lastAnswered(in: "decisions", input: "payments") ?? -1,
                            "decisions.dead-letter": log.lastAnswered(in: "decisions.dead-letter", input: "payments") ?? -1]
            var driver = try ProcessorDriver(restoring: snapshot, processor: FeatureScoringProcessor(deployment: v1, catalog: [v2]),
                                             inputTopic: "payments", inputPartition: 0, answered: answered)
            do {
                for record in log.records("payments") where record.offset >= driver.nextOffset {
                    if driver.nextOffset == deployAt {
                        // The control record ("activate v2 at the next offset", resolved to 5) is durable: re-applied after a restart.
                        let history = log.records("payments")
                        try driver.withProcessor { try $0.ensureStaged(v2, activateAt: deployAt, history: history) }
                        try step(crashAfter)
                    }
                    let outputs = try driver.process(record)
                    for topic in ["decisions", "decisions.dead-letter"] {
                        let part = outputs.filter { $0.topic == topic }
                        if part.isEmpty { continue }
                        log.append(part)
                        try step(crashAfter)
                    }
                    if driver.nextOffset % 2 == 0 {
                        snapshot = try StateSnapshot(decoding: driver.snapshot().encoded())
                        try step(crashAfter)
                    }
                }
            } catch is Crash {
                return false
            }
            return true
        }
    }

    static func makeHost() throws -> Host {
        var log = try businessEvents()
        // A malformed business event: goes to the dead-letter output, not undecided and not silently lost.
        log.append("payments", value: "garbage", timestamp: t0 + 53 * minute)
        return Host(log: log, v1: try PMMLFixtures.deployment("1"), v2: try PMMLFixtures.deployment("2"))
    }

    @Test func thiefIsBlockedByV1ThenByV2AfterTheSwitchToSmallAmounts() throws {
        var host = try Self.makeHost()
        #expect(try host.run(crashAfter: nil))
        let payments = host.log.records("payments")
        #expect(payments.count == 8)
        let decisions = try host.log.decisions("decisions")
        #expect(decisions.map(\.input.offset) == Array(0..<7))
        #expect(decisions.map(\.outcome) == [.allow, .block, .block, .allow, .allow, .block, .allow])
        #expect(decisions.map(\.modelVersion) == ["1", "1", "1", "1", "1", "2", "2"])
        #expect(decisions.allSatisfy { $0.model == "fraud" })
        #expect(decisions.map(\.key) == ["NL01", "NL01", "NL01", "NL01", "NL01", "NL01", "NL02"])
        // v1 features of the first stolen transfer; v2's sum over the last hour includes the back-filled history.
        #expect(decisions[1].features.map(\.0) == ["amount", "new_beneficiary", "count_1h"])
        #expect(decisions[1].features.map(\.1) == [.number(1000), .number(1), .number(2)])
        #expect(decisions[5].features.first { $0.0 == "sum_1h" }?.1 == .number(3250))
        #expect(decisions[5].score == 0.9)
        // Every decision names the input it answers and the version in its headers.
        let headers = host.log.records("decisions").map { Provenance(headers: $0.headers) }
        #expect(headers.map { $0?.version } == ["fraud@1", "fraud@1", "fraud@1", "fraud@1", "fraud@1", "fraud@2", "fraud@2"])
        let dead = host.log.records("decisions.dead-letter")
        #expect(dead.count == 1 && Provenance(headers: dead[0].headers)?.offset == 7)
    }

    @Test func withoutBackfillV2WouldNotSeeTheHistory() throws {
        var host = try Self.makeHost()
        #expect(try host.run(crashAfter: nil))
        var p = FeatureScoringProcessor(deployment: try PMMLFixtures.deployment("2"))
        var out: [OutputRecord] = []
        p.process(host.log.records("payments")[5], into: &out)
        #expect(try Decision(json: out[0].value!).outcome == .allow)
    }

    @Test func exactlyOneDecisionPerEventAcrossACrashAtEveryStep() throws {
        var reference = try Self.makeHost()
        #expect(try reference.run(crashAfter: nil))
        let totalSteps = reference.steps
        #expect(totalSteps > 10)
        for crash in 0..<totalSteps {
            var host = try Self.makeHost()
            #expect(try host.run(crashAfter: crash) == false)
            // A second crash during recovery, then a clean run.
            host.steps = 0
            _ = try host.run(crashAfter: 3)
            host.steps = 0
            #expect(try host.run(crashAfter: nil))
            #expect(host.log.values("decisions") == reference.log.values("decisions"), "crash after step \(crash)")
            #expect(host.log.values("decisions.dead-letter") == reference.log.values("decisions.dead-letter"), "crash after step \(crash)")
        }
    }

    /// The preprocessor's open sessions survive in its snapshot: crashing anywhere still yields each business
    /// event and each dead letter exactly once.
    @Test func preprocessorIsExactlyOnceAcrossACrashAtEveryStep() throws {
        var source = InMemoryLog()
        Self.web(&source, session: "s1", account: "NL01", cents: 5000, to: "NL-FRIEND", minute: 0)
        source.append("web.events", value: "not json", timestamp: Self.t0 + 2 * Self.minute)
        source.append("web.events", value: #"{"type":"payment_start","session":{"id":"s9","account":"NL09"},"ts":1}"#, timestamp: Self.t0 + 3 * Self.minute)
        Self.web(&source, session: "s2", account: "NL02", cents: 700, to: "NL-SHOP", minute: 20)  // s9 times out here
        let definition = try PreprocessorDefinition.parse(yaml: PMMLFixtures.preprocessor, file: "pre.yaml")
        let topics = ["payments", "payments.dead-letter"]

        func run(_ log: inout InMemoryLog, _ snapshot: inout StateSnapshot?, crashAfter: Int?) throws -> (Bool, Int) {
            var steps = 0
            var answered: [String: Int64] = [:]
            for t in topics { answered[t] = log.lastAnswered(in: t, input: "web.events") ?? -1 }
            var driver = try ProcessorDriver(restoring: snapshot, processor: PreprocessorProcessor(definition: definition, version: "pre@1"),
                                             inputTopic: "web.events", inputPartition: 0, answered: answered)
            for record in source.records("web.events") where record.offset >= driver.nextOffset {
                let outputs = try driver.process(record)
                for t in topics {
                    let part = outputs.filter { $0.topic == t }
                    if part.isEmpty { continue }
                    log.append(part)
                    steps += 1
                    if let crashAfter, steps > crashAfter { return (false, steps) }
                }
                if driver.nextOffset % 3 == 0 {
                    snapshot = try driver.snapshot()
                    steps += 1
                    if let crashAfter, steps > crashAfter { return (false, steps) }
                }
            }
            return (true, steps)
        }

        var reference = InMemoryLog()
        var none: StateSnapshot?
        let (done, total) = try run(&reference, &none, crashAfter: nil)
        #expect(done)
        #expect(reference.records("payments").count == 2)
        #expect(reference.records("payments.dead-letter").count == 2)  // the bad event and the timed-out session
        for crash in 0..<total {
            var log = InMemoryLog()
            var snapshot: StateSnapshot?
            #expect(try run(&log, &snapshot, crashAfter: crash).0 == false)
            #expect(try run(&log, &snapshot, crashAfter: nil).0)
            for t in topics { #expect(log.values(t) == reference.values(t), "crash after step \(crash), topic \(t)") }
        }
    }

    @Test func aDecisionIsEncodedAsItsJSONTree() {
        let input = Provenance(topic: "pay\"ments", partition: 2, offset: 9_007_199_254, version: "fraud@1")
        let decisions = [
            Decision(key: "NL01", eventTime: 1_795_431_600_000, score: 0.25, outcome: .allow, model: "fraud", modelVersion: "1", input: input,
                     features: [("amount", .number(400.5)), ("new", .number(1)), ("dev", .text("é\n")), ("gone", .missing)],
                     reasonCodes: ["R1", "R\\2"], late: false, error: nil),
            Decision(key: nil, eventTime: -5, score: nil, outcome: .review, model: "m", modelVersion: "v", input: input, features: [],
                     reasonCodes: [], late: true, error: "the model gave no score"),
            Decision(key: "", eventTime: 0, score: .infinity, outcome: .block, model: "", modelVersion: "", input: input,
                     features: [("x", .number(1e20))], reasonCodes: [], late: false, error: nil),
        ]
        for d in decisions { #expect(d.encoded == JSONWriter.encode(d.json), "\(String(decoding: d.encoded, as: UTF8.self))") }
    }

    @Test func lastAnsweredOffsetIgnoresOtherInputs() {
        let mine = Provenance(topic: "payments", partition: 0, offset: 4, version: "v").headers
        let other = Provenance(topic: "payments", partition: 1, offset: 9, version: "v").headers
        #expect(Provenance.lastAnsweredOffset(inputTopic: "payments", inputPartition: 0, newestFirst: [other, [], mine]) == 4)
        #expect(Provenance.lastAnsweredOffset(inputTopic: "payments", inputPartition: 0, newestFirst: [other]) == nil)
    }
}
