#if canImport(Glibc)
import Glibc
#endif
import Foundation
import WeirPMML

/// Native PMML scoring over the conformance corpus, one thread, next to JPMML-Evaluator 1.7.7.
/// Per model: load time (median of 5 loads: read + parse + compile), records/s over pre-parsed rows
/// (every inputs.csv row prepared once: type conversion and the top-level MiningField treatments, the step
/// JPMML's `InputField.prepare` does for its benchmark's argument maps; then round-robin scoring with every
/// result materialised), and
/// per-record latency percentiles (a second pass that times each record). JPMML's figures come from
/// `--jpmml FILE` (lines written by benchmarks/jpmml/run.sh in the same session) or else the table in the
/// corpus README (measured on the development machine).
/// Options: `--corpus DIR` (default ../shared/pmml-conformance), `--seconds S` per model (default 2),
/// `--only m1,m2`, `--jpmml FILE`; `--count N`: no timing, score exactly N rows per model in
/// `scoreFixed` (for `valgrind --tool=callgrind --toggle-collect='*scoreFixed*'`: instructions per row).
enum PMMLBenchmark {
    struct JPMMLFigures {
        var rowsPerSecond: Double
        var p99Micros: Double?
        var loadMillis: Double?
        var source: String
    }

    static func run(_ args: [String]) throws {
        var corpus = "../shared/pmml-conformance"
        var seconds = 2.0
        var only: Set<String> = []
        var jpmmlFile: String?
        var count: Int?
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--corpus": corpus = args[i + 1]; i += 2
            case "--seconds": seconds = Double(args[i + 1]) ?? seconds; i += 2
            case "--only": only = Set(args[i + 1].split(separator: ",").map(String.init)); i += 2
            case "--jpmml": jpmmlFile = args[i + 1]; i += 2
            case "--count": count = Int(args[i + 1]); i += 2
            default: throw BenchError("unknown option \(args[i])")
            }
        }
        let fm = FileManager.default
        let models = try fm.contentsOfDirectory(atPath: corpus).filter {
            fm.fileExists(atPath: "\(corpus)/\($0)/model.pmml") && (only.isEmpty || only.contains($0))
        }.sorted()
        if models.isEmpty { throw BenchError("no models under \(corpus)") }
        if let count {
            for name in models {
                let model = try PMMLModel.load(path: "\(corpus)/\(name)/model.pmml")
                let rows = try prepareRows(model, "\(corpus)/\(name)/inputs.csv")
                print("\(name) rows=\(count) sink=\(scoreFixed(model, rows, count))")
            }
            return
        }
        var jpmml = readmeFigures(corpus)
        if let jpmmlFile { for (k, v) in try measuredFigures(jpmmlFile) { jpmml[k] = v } }

        print("PMML: native scorer vs JPMML-Evaluator 1.7.7, one thread, pre-parsed rows, every result materialised")
        print("corpus: \(corpus)   seconds per model: \(seconds)   JPMML figures: \(jpmmlFile.map { "measured (\($0))" } ?? "corpus README table")")
        print("")
        print(pad("model", 26) + pad("load ms", 9) + pad("weir rec/s", 12) + pad("p50 us", 8) + pad("p99 us", 8)
            + pad("JPMML rec/s", 13) + pad("JPMML p99", 10) + pad("JPMML load", 11) + "ratio")
        var ratios: [(String, Double)] = []
        for name in models {
            let path = "\(corpus)/\(name)/model.pmml"
            var loads: [Double] = []
            var model: PMMLModel?
            for _ in 0..<5 {
                let t0 = now()
                model = try PMMLModel.load(path: path)
                loads.append((now() - t0) * 1e3)
            }
            guard let model else { continue }
            let rows = try prepareRows(model, "\(corpus)/\(name)/inputs.csv")
            let r = measure(model, rows, seconds: seconds)
            let j = jpmml[name]
            let ratio = j.map { r.rowsPerSecond / $0.rowsPerSecond }
            if let ratio { ratios.append((name, ratio)) }
            print(pad(name, 26) + pad(fmt(loads.sorted()[2], 2), 9) + pad(fmt(r.rowsPerSecond), 12) + pad(fmt(r.p50, 2), 8)
                + pad(fmt(r.p99, 2), 8) + pad(j.map { fmt($0.rowsPerSecond) } ?? "-", 13)
                + pad(j?.p99Micros.map { fmt($0, 2) } ?? "-", 10) + pad(j?.loadMillis.map { fmt($0, 2) } ?? "-", 11)
                + (ratio.map { fmt($0, 1) + "x" } ?? "-") + "  [\(r.sink)]")
        }
        if !ratios.isEmpty {
            let sorted = ratios.map(\.1).sorted()
            let below = ratios.filter { $0.1 < 3 }.map(\.0)
            print("")
            print("ratio weir/JPMML: median \(fmt(sorted[sorted.count / 2], 1))x, min \(fmt(sorted[0], 1))x"
                + (below.isEmpty ? "; every model >= 3x" : "; below 3x: \(below.joined(separator: ", "))"))
        }
    }

    /// Every inputs.csv row converted to the model's input types and through its MiningField treatments once.
    static func prepareRows(_ model: PMMLModel, _ path: String) throws -> [PMMLModel.PreparedRow] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = lines.removeFirst()
        let index = model.inputFields.map { f in header.firstIndex(of: f.name) }
        return lines.map { cells in
            model.prepare(index.map { i in i.flatMap { $0 < cells.count ? cells[$0] : nil } })
        }
    }

    /// Scores `count` rows round-robin; the unit that callgrind measures.
    @inline(never)
    static func scoreFixed(_ model: PMMLModel, _ rows: [PMMLModel.PreparedRow], _ count: Int) -> Int {
        var sink = 0
        let scorer = model.scorer()
        for n in 0..<count {
            if scorer.score(rows[n % rows.count]) == nil {
                sink &+= scorer.results.count &+ (scorer.results.first?.isMissing == true ? 1 : 0)
            } else {
                sink &+= 7
            }
        }
        return sink
    }

    struct Measurement {
        var rowsPerSecond: Double
        var p50: Double
        var p99: Double
        var sink: Int
    }

    static func measure(_ model: PMMLModel, _ rows: [PMMLModel.PreparedRow], seconds: Double) -> Measurement {
        var sink = 0
        // One scorer per thread: every row's results land in its buffer (materialised Values), none dropped.
        let scorer = model.scorer()
        @inline(__always) func consume(_ r: RowRejection?) {
            if r == nil {
                sink &+= scorer.results.count &+ (scorer.results.first?.isMissing == true ? 1 : 0)
            } else {
                sink &+= 7
            }
        }
        // Warm-up.
        var i = 0
        var t0 = now()
        while now() - t0 < seconds * 0.2 {
            for _ in 0..<64 { consume(scorer.score(rows[i])); i = (i + 1) % rows.count }
        }
        // Throughput: no per-record clock reads.
        var n = 0
        t0 = now()
        var elapsed = 0.0
        while elapsed < seconds * 0.4 {
            for _ in 0..<256 { consume(scorer.score(rows[i])); i = (i + 1) % rows.count }
            n += 256
            elapsed = now() - t0
        }
        let rate = Double(n) / elapsed
        // Latency: each record timed.
        var latencies: [Double] = []
        latencies.reserveCapacity(1 << 20)
        t0 = now()
        while now() - t0 < seconds * 0.4 && latencies.count < 4_000_000 {
            for _ in 0..<64 {
                let s = now()
                consume(scorer.score(rows[i]))
                latencies.append((now() - s) * 1e6)
                i = (i + 1) % rows.count
            }
        }
        latencies.sort()
        return Measurement(rowsPerSecond: rate, p50: latencies[latencies.count / 2],
                      p99: latencies[Int(Double(latencies.count) * 0.99)], sink: sink & 0xF)
    }

    /// The throughput table of the corpus README: | model | type | KB | load ms | rows/s | us/row |
    static func readmeFigures(_ corpus: String) -> [String: JPMMLFigures] {
        guard let text = try? String(contentsOfFile: "\(corpus)/README.md", encoding: .utf8) else { return [:] }
        var out: [String: JPMMLFigures] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 6, let rate = Double(cells[4]), let load = Double(cells[3]) else { continue }
            out[cells[0]] = JPMMLFigures(rowsPerSecond: rate, p99Micros: nil, loadMillis: load, source: "README")
        }
        return out
    }

    /// Lines "model rows_per_s=N p50_us=N p99_us=N load_ms=N ..." from benchmarks/jpmml/run.sh.
    static func measuredFigures(_ path: String) throws -> [String: JPMMLFigures] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [String: JPMMLFigures] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard let name = parts.first else { continue }
            var kv: [String: Double] = [:]
            for p in parts.dropFirst() {
                let pair = p.split(separator: "=", maxSplits: 1)
                if pair.count == 2, let d = Double(pair[1]) { kv[String(pair[0])] = d }
            }
            guard let rate = kv["rows_per_s"] else { continue }
            out[String(name)] = JPMMLFigures(rowsPerSecond: rate, p99Micros: kv["p99_us"], loadMillis: kv["load_ms"],
                                             source: "measured")
        }
        return out
    }
}
