#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WeirPMML
import WeirStreams

/// Decisions per second of the scoring processor (JSON parse, keyed windows, 100-tree random forest, decision JSON)
/// on one core, next to the model alone on the same feature vectors. Options: `--events N` (default 200000),
/// `--trees N` (default 100), `--depth N` (default 6).
enum StreamsBenchmark {
    static func run(_ args: [String]) throws {
        var events = 200_000, trees = 100, depth = 6
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--events": events = Int(args[i + 1]) ?? events; i += 2
            case "--trees": trees = Int(args[i + 1]) ?? trees; i += 2
            case "--depth": depth = Int(args[i + 1]) ?? depth; i += 2
            default: throw BenchError("unknown option \(args[i])")
            }
        }
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
