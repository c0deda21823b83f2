/// MiningModel with a Segmentation.
struct MiningModelCore: ModelCore {
    enum Method: String, Sendable {
        case sum, average, weightedAverage, median, max, majorityVote, weightedMajorityVote
        case selectFirst, modelChain
    }

    struct Segment: Sendable {
        var predicate: Predicate
        var weight: Double
        var model: CompiledModel
    }

    var method: Method
    var segments: [Segment]
    var classification: Bool
    var floatMath: Bool
    var categories: [String]
    var skipMissing: Bool
    /// missingPredictionTreatment="continue" on a vote: a missing prediction is a vote for "missing", which
    /// makes the result missing when it wins (JPMML); averages still return missing.
    var missingVotes: Bool = false

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        switch method {
        case .selectFirst:
            for s in segments where s.predicate.eval(row) == true { return try s.model.evaluate(&row) }
            return .missing
        case .modelChain:
            var last = Prediction.missing
            for s in segments where s.predicate.eval(row) == true { last = try s.model.evaluate(&row) }
            return last
        default: break
        }
        var results: [(Prediction, Double)] = []
        for s in segments where s.predicate.eval(row) == true {
            let p = try s.model.evaluate(&row)
            if p.value.isMissing {
                if skipMissing { continue }
                if missingVotes && (method == .majorityVote || method == .weightedMajorityVote) {
                    results.append((p, s.weight))
                    continue
                }
                return .missing
            }
            results.append((p, s.weight))
        }
        if results.isEmpty { return .missing }
        return classification ? combineClasses(results) : combineValues(results)
    }

    private func combineValues(_ rs: [(Prediction, Double)]) -> Prediction {
        let xs = rs.map { $0.0.value.double ?? .nan }
        var out = Prediction()
        switch method {
        case .sum:
            if floatMath {
                var s: Float = 0
                for x in xs { s += Float(x) }
                out.value = .number(Double(s))
            } else {
                out.value = .number(xs.reduce(0, +))
            }
        case .average:
            if floatMath {
                var s: Float = 0
                for x in xs { s += Float(x) }
                out.value = .number(Double(s / Float(xs.count)))
            } else {
                out.value = .number(xs.reduce(0, +) / Double(xs.count))
            }
        case .weightedAverage:
            var s = 0.0, w = 0.0
            for (x, r) in zip(xs, rs) { s += x * r.1; w += r.1 }
            out.value = .number(s / w)
        case .median:
            let v = xs.sorted()
            let n = v.count
            out.value = .number(n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2)
        case .max:
            out.value = .number(xs.max() ?? .nan)
        default:
            out.value = .missing
        }
        return out
    }

    private func combineClasses(_ rs: [(Prediction, Double)]) -> Prediction {
        var cats = categories
        if cats.isEmpty {
            for (p, _) in rs { for c in p.categories where !cats.contains(c) { cats.append(c) } }
        }
        var out = Prediction()
        out.categories = cats
        var probs = [Double](repeating: 0, count: cats.count)
        // Votes: equal totals go to the category voted for first (JPMML keeps votes in arrival order).
        var voteOrder: [Int] = []
        switch method {
        case .majorityVote, .weightedMajorityVote:
            var total = 0.0
            var missingTotal = 0.0
            for (p, w) in rs {
                let weight = method == .majorityVote ? 1 : w
                if p.value.isMissing {
                    missingTotal += weight
                    if !voteOrder.contains(-1) { voteOrder.append(-1) }
                    continue
                }
                if let i = cats.firstIndex(of: p.value.key) {
                    probs[i] += weight
                    if !voteOrder.contains(i) { voteOrder.append(i) }
                }
                total += weight
            }
            // A "missing" vote that wins (first of equals) makes the result missing.
            if let m = voteOrder.firstIndex(of: -1) {
                let beaten = voteOrder.enumerated().contains { k, i in
                    i >= 0 && (probs[i] > missingTotal || (probs[i] == missingTotal && k < m))
                }
                if !beaten { return .missing }
                voteOrder.remove(at: m)
            }
            for i in probs.indices { probs[i] /= total }
        case .average, .weightedAverage, .sum:
            var total = 0.0
            for (p, w) in rs {
                let weight = method == .weightedAverage ? w : 1
                for (i, c) in cats.enumerated() { probs[i] += weight * (p.probability(of: c) ?? 0) }
                total += weight
            }
            if method != .sum { for i in probs.indices { probs[i] /= total } }
        case .max:
            var bestP = -1.0
            var best: Prediction?
            for (p, _) in rs {
                let pv = p.probability(of: p.value.key) ?? 0
                if pv > bestP { bestP = pv; best = p }
            }
            if let best { for (i, c) in cats.enumerated() { probs[i] = best.probability(of: c) ?? 0 } }
        case .median:
            for (i, c) in cats.enumerated() {
                let v = rs.map { $0.0.probability(of: c) ?? 0 }.sorted()
                let n = v.count
                probs[i] = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
            }
        default: break
        }
        out.probabilities = probs
        var best = winningIndex(probs)
        if let first = voteOrder.first {
            best = first
            for i in voteOrder where ranksAbove(probs[i], probs[best]) { best = i }
        }
        out.value = cats.isEmpty ? .missing : .string(cats[best])
        return out
    }
}

extension Compiler {
    func compileMiningModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        guard let seg = e.child("Segmentation") else { throw error(e, "MiningModel without Segmentation") }
        let m = try required(seg, "multipleModelMethod")
        guard let method = MiningModelCore.Method(rawValue: m) else { throw unsupported(seg, "multipleModelMethod \"\(m)\"") }
        let mpt = seg.attr("missingPredictionTreatment") ?? "continue"
        guard ["continue", "returnMissing", "skipSegment"].contains(mpt) else {
            throw unsupported(seg, "missingPredictionTreatment \"\(mpt)\"")
        }
        var segments: [MiningModelCore.Segment] = []
        for s in seg.all("Segment") {
            let predicate = try firstPredicate(s, c.scope)
            guard let modelEl = s.children.first(where: { Self.modelNames.contains($0.name) }) else {
                throw error(s, "Segment without a model")
            }
            let model = try compileModel(modelEl, parent: c.scope, export: c.scope, topLevel: false,
                                         inheritedFloat: c.floatMath)
            segments.append(.init(predicate: predicate, weight: try double(s, "weight") ?? 1, model: model))
        }
        return MiningModelCore(method: method, segments: segments, classification: c.function == .classification,
                               floatMath: c.floatMath, categories: c.categories, skipMissing: mpt == "skipSegment",
                               missingVotes: mpt == "continue")
    }
}
