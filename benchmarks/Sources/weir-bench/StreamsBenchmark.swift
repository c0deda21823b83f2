#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import WeirEngine
import WeirPMML
import WeirRecords
import WeirStreams

/// Decisions per second of the scoring processor (JSON parse, keyed windows, 100-tree random forest, decision JSON)
/// on one core, next to the model alone on the same feature vectors. Options: `--events N` (default 200000),
/// `--trees N` (default 100), `--depth N` (default 6). `--ing`: the in-broker pipeline of the ING example instead
/// (preprocessor, then features + PMML v1), per stage, with the record batches the host builds and reads.
enum StreamsBenchmark {
    static func run(_ args: [String]) throws {
        var events = 200_000, trees = 100, depth = 6, ing = false
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--events": events = Int(args[i + 1]) ?? events; i += 2
            case "--trees": trees = Int(args[i + 1]) ?? trees; i += 2
            case "--depth": depth = Int(args[i + 1]) ?? depth; i += 2
            case "--ing": ing = true; i += 1
            default: throw BenchError("unknown option \(args[i])")
            }
        }
        if ing { return try runING(events: events) }
        let features = ["amount", "new_beneficiary", "count_1h", "sum_1h", "max_24h", "since_prev", "devices_1h"]
        let pmml = randomForest(fields: features, trees: trees, depth: depth)
        let yaml = """
            version: 1
            name: bench
            input: payments
            output: decisions
            event_time: timestamp
            lateness: 1m
            decision_key: account
            keys: { account: account, beneficiary: beneficiary, device: device }
            features:
              amount: { field: amount }
              new_beneficiary: { aggregate: first_time, key: [account, beneficiary], window: { sliding: 24h } }
              count_1h: { aggregate: count, key: account, window: { sliding: 1h } }
              sum_1h: { aggregate: sum, field: amount, key: account, window: { sliding: 1h } }
              max_24h: { aggregate: max, field: amount, key: account, window: { tumbling: 24h } }
              since_prev: { aggregate: time_since_previous, key: account, default: -1 }
              devices_1h: { aggregate: distinct_count, field: account, key: device, window: { sliding: 1h } }
            model:
              inputs: { \(features.map { "\($0): \($0)" }.joined(separator: ", ")) }
              score: risk
            decision: { review: 0.5, block: 0.8 }
            """
        let deployment = try Deployment.compile(model: "bench", version: "1", pmml: Array(pmml.utf8), features: yaml)
        var rng = LCG(seed: 42)
        let t0: Int64 = 1_795_431_600_000
        let inputs: [InputRecord] = (0..<events).map { n in
            let account = "NL\(rng.next() % 20_000)"
            let json = #"{"account":"\#(account)","amount":\#(Double(rng.next() % 200_000) / 100),"beneficiary":"B\#(rng.next() % 50)","device":"D\#(rng.next() % 30_000)","timestamp":\#(t0 + Int64(n) * 20)}"#
            return InputRecord(topic: "payments", partition: 0, offset: Int64(n), timestamp: t0 + Int64(n) * 20, key: Array(account.utf8), value: Array(json.utf8))
        }
        print("Streams: decisions/s, one core: \(events) JSON events, 20,000 accounts, 7 features, \(trees)-tree random forest (depth \(depth))")
        var processor = FeatureScoringProcessor(deployment: deployment)
        var outputs: [OutputRecord] = []
        outputs.reserveCapacity(4)
        var blocked = 0
        let start = Date(), startCPU = cpuSeconds()
        for input in inputs {
            outputs.removeAll(keepingCapacity: true)
            processor.process(input, into: &outputs)
            if outputs.count == 1, outputs[0].value?.count ?? 0 > 0 { blocked &+= 1 }
        }
        let seconds = Date().timeIntervalSince(start), cpu = cpuSeconds() - startCPU
        print("  scoring processor: \(Int(Double(events) / cpu)) decisions/s of CPU time (\(String(format: "%.2f", cpu * 1e6 / Double(events))) µs each), \(Int(Double(events) / seconds)) per wall-clock second")
        let model = deployment.pmml
        let row: [String?] = features.indices.map { "\($0 * 37 % 11)" }
        let modelStart = Date(), modelCPU = cpuSeconds()
        var sink = 0
        for _ in 0..<events {
            if case .success(let r) = model.score(row) { sink &+= r.count }
        }
        let modelSeconds = Date().timeIntervalSince(modelStart), modelCPUSeconds = cpuSeconds() - modelCPU
        print("  model alone:       \(Int(Double(events) / modelCPUSeconds)) scores/s of CPU time (\(String(format: "%.2f", modelCPUSeconds * 1e6 / Double(events))) µs each), \(Int(Double(events) / modelSeconds)) per wall-clock second  [\(sink % 2 + blocked % 1)]")
        print("  state: \(processor.state.keyCount) keys, \(processor.state.entryCount) window entries")
    }

    /// The ING example's two processors over mobile payments shaped like benchmarks/engine/latency.py's (20,000
    /// accounts, 5,000 beneficiaries), each stage timed in CPU time of this thread: decode of the input batches,
    /// processing, encode of the output batches (as the host appends them, up to 2,000 records a batch).
    static func runING(events: Int) throws {
        let pre = try PreprocessorDefinition.parse(yaml: FraudExample.preprocessor, file: "preprocessor.yaml")
        let v1 = try Deployment.compile(model: "fraud", version: "1", pmml: Array(FraudExample.pmmlV1.utf8), features: FraudExample.featuresV1)
        var rng = LCG(seed: 7)
        let raw: [OutputRecord] = (0..<events).map { n in
            let t = FraudExample.t0 + Int64(n) * 10
            let json = #"{"acct": "A\#(rng.next() % 20_000)-x", "amount_eur": \#(rng.next() % 2000 + 1), "to": {"iban": "B\#(rng.next() % 5000)"}, "created_at": "\#(iso(t))", "device_id": "d\#(rng.next() % 30_000)"}"#
            return OutputRecord(topic: "mobile.payments", key: nil, value: Array(json.utf8), timestamp: t)
        }
        print("Streams, ING example (preprocessor + features + PMML v1), one core: \(events) mobile payments, 20,000 accounts")
        var preDriver = ProcessorDriver(processor: PreprocessorProcessor(definition: pre, version: "payments@1"), inputTopic: "mobile.payments", inputPartition: 0)
        var scoreDriver = ProcessorDriver(processor: FeatureScoringProcessor(deployment: v1), inputTopic: "payments", inputPartition: 0)
        var cost = [String: Double]()
        func timed<R>(_ stage: String, _ body: () throws -> R) rethrows -> R {
            let c = cpuSeconds()
            defer { cost[stage, default: 0] += cpuSeconds() - c }
            return try body()
        }
        let inBatches = try timed("encode input batches") { try batches(raw, base: 0) }
        var business: [OutputRecord] = []
        for b in inBatches {
            let records = try timed("decode batches") { try decode(b, topic: "mobile.payments") }
            try timed("preprocessor") { for r in records { business += try preDriver.process(r) } }
        }
        let midBatches = try timed("encode output batches") { try batches(business, base: 0) }
        var decisions = 0
        var out: [OutputRecord] = []
        for b in midBatches {
            let records = try timed("decode batches") { try decode(b, topic: "payments") }
            try timed("features + model v1") { for r in records { out += try scoreDriver.process(r) } }
            decisions += out.count
            _ = try timed("encode output batches") { try batches(out, base: 0) }
            out.removeAll(keepingCapacity: true)
        }
        cost["encode input batches"] = nil  // the producer's work
        let total = cost.values.reduce(0, +)
        for (stage, c) in cost.sorted(by: { $0.value > $1.value }) {
            print("  \(stage.padding(toLength: 22, withPad: " ", startingAt: 0)) \(String(format: "%6.2f", c * 1e6 / Double(events))) µs/event")
        }
        print("  all stages: \(Int(Double(decisions) / total)) decisions/s of CPU time (\(String(format: "%.2f", total * 1e6 / Double(events))) µs each), \(decisions) decisions")
    }

    /// Record batches of up to 2,000 records, built as the host builds them; offsets from `base`.
    static func batches(_ records: [OutputRecord], base: Int64) throws -> [ByteBuffer] {
        var out: [ByteBuffer] = []
        var offset = base
        for start in stride(from: 0, to: records.count, by: 2000) {
            var batch = try buildBatch(Array(records[start..<min(records.count, start + 2000)]))
            batch.assign(baseOffset: offset, partitionLeaderEpoch: 0)
            offset += Int64(min(records.count, start + 2000) - start)
            out.append(batch.bytes)
        }
        return out
    }

    /// The host's read of its inputs: no headers.
    static func decode(_ bytes: ByteBuffer, topic: String) throws -> [InputRecord] {
        try decodeBatches(bytes, topic: topic, partition: 0, from: 0, headers: false).records
    }

    static func iso(_ t: Int64) -> String {
        let s = t / 1000 % 86_400
        func pad(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "2026-11-23T\(pad(s / 3600)):\(pad(s / 60 % 60)):\(pad(s % 60))Z"
    }

    /// CPU time of this thread: on a shared machine wall-clock rates mostly measure the neighbours.
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A regression random forest: `trees` TreeModels of depth `depth` with random splits, averaged.
    static func randomForest(fields: [String], trees: Int, depth: Int) -> String {
        var rng = LCG(seed: 7)
        func node(_ level: Int) -> String {
            if level == depth { return "" }
            let f = fields[Int(rng.next() % UInt64(fields.count))]
            let v = Double(rng.next() % 1000) / 10
            let left = Double(rng.next() % 100) / 100, right = Double(rng.next() % 100) / 100
            return """
                <Node score="\(left)"><SimplePredicate field="\(f)" operator="lessOrEqual" value="\(v)"/>\(node(level + 1))</Node>\
                <Node score="\(right)"><SimplePredicate field="\(f)" operator="greaterThan" value="\(v)"/>\(node(level + 1))</Node>
                """
        }
        let schema = "<MiningSchema>" + fields.map { "<MiningField name=\"\($0)\"/>" }.joined() + "<MiningField name=\"risk\" usageType=\"target\"/></MiningSchema>"
        let segments = (0..<trees).map { i in
            """
            <Segment id="t\(i)"><True/><TreeModel functionName="regression">\(schema)\
            <Node score="0.5"><True/>\(node(0))</Node></TreeModel></Segment>
            """
        }.joined(separator: "\n")
        let dd = (fields + ["risk"]).map { "<DataField name=\"\($0)\" optype=\"continuous\" dataType=\"double\"/>" }.joined()
        return """
            <PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/><DataDictionary>\(dd)</DataDictionary>
            <MiningModel functionName="regression">\(schema)<Segmentation multipleModelMethod="average">
            \(segments)
            </Segmentation></MiningModel></PMML>
            """
    }

    struct LCG {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
    }
}
