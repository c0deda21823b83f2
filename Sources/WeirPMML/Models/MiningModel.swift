/// MiningModel with a Segmentation.
struct MiningModelCore: ModelCore {
    enum Method: String, Sendable {
        case sum, weightedSum, average, weightedAverage, median, weightedMedian, max
        case majorityVote, weightedMajorityVote
        case selectFirst, selectAll, modelChain
    }

    enum MissingTreatment: String, Sendable { case `continue`, returnMissing, skipSegment }

    /// A reference type: iterating segments per row must not copy them.
    final class Segment: Sendable {
        let id: String
        let predicate: Predicate
        let weight: Double
        let model: CompiledModel

        init(id: String, predicate: Predicate, weight: Double, model: CompiledModel) {
            self.id = id
            self.predicate = predicate
            self.weight = weight
            self.model = model
        }
    }

    var method: Method
    var segments: [Segment]
    var classification: Bool
    var floatMath: Bool
    var categories: [String]
    var missingTreatment: MissingTreatment
    var missingThreshold: Double
    /// Keep each segment's result for OutputField@segmentId (and selectAll).
    var recordSegments: Bool

    private func record(_ s: Segment, _ p: Prediction, _ row: Row, into out: inout [String: SegmentRecord]) {
        var outputs: [String: Value] = [:]
        for o in s.model.outputs { outputs[o.name] = row[o.slot] }
        out[s.id] = SegmentRecord(prediction: p, outputs: outputs)
    }

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var records: [String: SegmentRecord] = [:]
        switch method {
        case .selectFirst:
            for s in segments where s.predicate.eval(row) == true {
                var p = try s.model.evaluate(&row)
                if recordSegments { record(s, p, row, into: &records); p.segmentResults = records }
                p.entityId = .string(s.id)  // the selected segment, also when it has no prediction
                return p
            }
            return .missing
        case .modelChain:
            var last = Prediction.missing
            var lastId: String?
            for s in segments where s.predicate.eval(row) == true {
                last = try s.model.evaluate(&row)
                lastId = s.id
                if recordSegments { record(s, last, row, into: &records) }
            }
            if recordSegments { last.segmentResults = records }
            if let lastId { last.entityId = .string(lastId) }
            return last
        case .selectAll:
            // No combined prediction: the value is the list of the fired segments' values (as JPMML returns
            // it, written like a Python list), each segment's result is reachable through segmentId outputs.
            var items: [String] = []
            for s in segments where s.predicate.eval(row) == true {
                let p = try s.model.evaluate(&row)
                record(s, p, row, into: &records)
                switch p.value {
                case .missing: items.append("None")
                case .number(let d): items.append(d.description)
                case .string(let t): items.append("'" + t + "'")
                case .boolean(let b): items.append(b ? "True" : "False")
                }
            }
            var out = Prediction()
            out.segmentResults = records
            if !items.isEmpty { out.value = .string("[" + items.joined(separator: ", ") + "]") }
            return out
        default: break
        }
        var fired: [(Segment, Prediction)] = []
        for s in segments where s.predicate.eval(row) == true {
            let p = try s.model.evaluate(&row)
            if recordSegments { record(s, p, row, into: &records) }
            fired.append((s, p))
        }
        if fired.isEmpty { return .missing }
        let voting = method == .majorityVote || method == .weightedMajorityVote
        var results: [(Prediction, Double)] = []
        let totalWeight = fired.reduce(0.0) { $0 + $1.0.weight }
        var missingWeight = 0.0
        for (s, p) in fired {
            if !p.value.isMissing {
                results.append((p, s.weight))
                continue
            }
            switch missingTreatment {
            case .returnMissing: return .missing
            case .continue where !voting: return .missing
            case .continue, .skipSegment:
                missingWeight += s.weight
                if missingWeight / totalWeight > missingThreshold { return .missing }
                // "continue" on a vote: a vote for "missing" that wins makes the result missing (combineClasses).
                if missingTreatment == .continue { results.append((p, s.weight)) }
            }
        }
        if results.isEmpty { return .missing }
        var out = classification ? combineClasses(results) : combineValues(results)
        if recordSegments { out.segmentResults = records }
        return out
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
        case .weightedSum:
            if floatMath {
                var s: Float = 0
                for (x, r) in zip(xs, rs) { s += Float(x) * Float(r.1) }
                out.value = .number(Double(s))
            } else {
                var s = 0.0
                for (x, r) in zip(xs, rs) { s += x * r.1 }
                out.value = .number(s)
            }
        case .weightedMedian:
            // Sorted by value; the first whose cumulative weight reaches half the total.
            let entries = zip(xs, rs.map(\.1)).enumerated().sorted { a, b in
                a.element.0 != b.element.0 ? a.element.0 < b.element.0 : a.offset < b.offset
            }.map(\.element)
            let half = 0.5 * entries.reduce(0) { $0 + $1.1 }
            var cumulative = 0.0
            out.value = .missing
            for (x, w) in entries {
                cumulative += w
                if cumulative >= half { out.value = .number(x); break }
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
            if floatMath {
                var s: Float = 0, w: Float = 0
                for (x, r) in zip(xs, rs) { s += Float(x) * Float(r.1); w += Float(r.1) }
                out.value = .number(Double(s / w))
            } else {
                var s = 0.0, w = 0.0
                for (x, r) in zip(xs, rs) { s += x * r.1; w += r.1 }
                out.value = .number(s / w)
            }
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
            // A "missing" vote total greater than every category's makes the result missing; a tie does not
            // (JPMML 1.7.7 SegmentationlUtil.aggregateVotes compares with > after removing the missing key).
            if let m = voteOrder.firstIndex(of: -1) {
                let beaten = voteOrder.contains { i in i >= 0 && probs[i] >= missingTotal }
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
        guard let missingTreatment = MiningModelCore.MissingTreatment(rawValue: mpt) else {
            throw unsupported(seg, "missingPredictionTreatment \"\(mpt)\"")
        }
        let missingThreshold = try double(seg, "missingThreshold") ?? 1
        if !(0...1).contains(missingThreshold) { throw error(seg, "missingThreshold must be between 0 and 1") }
        if c.function == .regression, [.majorityVote, .weightedMajorityVote].contains(method) {
            throw error(seg, "multipleModelMethod \"\(m)\" needs a classification model")
        }
        var segments: [MiningModelCore.Segment] = []
        var ids = Set<String>()
        for (index, s) in seg.all("Segment").enumerated() {
            let predicate = try firstPredicate(s, c.scope)
            guard let modelEl = s.children.first(where: { Self.modelNames.contains($0.name) }) else {
                throw error(s, "Segment without a model")
            }
            let model = try compileModel(modelEl, parent: c.scope, export: c.scope, topLevel: false,
                                         inheritedFloat: c.floatMath)
            let id = s.attr("id") ?? String(index + 1)
            if !ids.insert(id).inserted { throw error(s, "duplicate Segment id \"\(id)\"") }
            let weight = try double(s, "weight") ?? 1
            if weight < 0 { throw error(s, "negative Segment weight") }
            segments.append(.init(id: id, predicate: predicate, weight: weight, model: model))
        }
        var recordSegments = method == .selectAll
        for o in e.child("Output")?.all("OutputField") ?? [] {
            // A segmentId that names no Segment just gives a missing value (PMML).
            if o.attr("segmentId") != nil { recordSegments = true }
        }
        return MiningModelCore(method: method, segments: segments, classification: c.function == .classification,
                               floatMath: c.floatMath, categories: c.categories, missingTreatment: missingTreatment,
                               missingThreshold: missingThreshold, recordSegments: recordSegments)
    }
}
