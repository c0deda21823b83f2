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
        /// `predicate`, evaluated.
        let test: PredicateProgram
        let weight: Double
        let model: CompiledModel

        /// Whether the segment's predicate is true for `row`.
        func selects(_ row: Row) -> Bool { test.eval(0, row) == true }

        init(id: String, predicate: Predicate, weight: Double, model: CompiledModel) {
            self.id = id
            self.predicate = predicate
            self.test = PredicateProgram(predicate)
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
    /// Set by the compiler when the segmentation is a plain tree ensemble (see `TreeEnsemble`).
    var trees: TreeEnsemble? = nil

    private func record(_ s: Segment, _ p: Prediction, _ row: Row, into out: inout [String: SegmentRecord]) {
        var outputs: [String: Value] = [:]
        for o in s.model.outputs { outputs[o.name] = row[o.slot] }
        out[s.id] = SegmentRecord(prediction: p, outputs: outputs)
    }

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var records: [String: SegmentRecord] = [:]
        switch method {
        case .selectFirst:
            for s in segments where s.selects(row) {
                var p = try s.model.evaluate(&row)
                if recordSegments { record(s, p, row, into: &records); p.segmentResults = records }
                p.entityId = .string(s.id)  // the selected segment, also when it has no prediction
                return p
            }
            return .missing
        case .modelChain:
            var last = Prediction.missing
            var lastId: String?
            for s in segments where s.selects(row) {
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
            for s in segments where s.selects(row) {
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
        if let trees { return predictTrees(trees, row) }
        var fired: [(Segment, Prediction)] = []
        fired.reserveCapacity(segments.count)
        for s in segments where s.selects(row) {
            let p = try s.model.evaluate(&row)
            if recordSegments { record(s, p, row, into: &records) }
            fired.append((s, p))
        }
        if fired.isEmpty { return .missing }
        let voting = method == .majorityVote || method == .weightedMajorityVote
        var results: [(Prediction, Double)] = []
        results.reserveCapacity(fired.count)
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
        var out: Prediction
        if classification {
            var cats = categories
            if cats.isEmpty {
                for (p, _) in results { for c in p.categories where !cats.contains(c) { cats.append(c) } }
            }
            var votes = Votes()
            for (p, w) in results { votes.append(p, weight: w, categories: cats, needsProbabilities: !voting) }
            out = combineClasses(cats, votes)
        } else {
            out = Prediction()
            out.value = combineValues(results.map { $0.0.value.double ?? .nan }, results.map(\.1))
        }
        if recordSegments { out.segmentResults = records }
        return out
    }

    /// What aggregation needs of each segment result that takes part (classification), flattened.
    struct Votes {
        var weights: [Double] = []
        /// -1: missing value, -2: a value that is not one of the categories, else the category index.
        var states: [Int] = []
        /// `categories.count` per result: its probability of each category (0 when it has none).
        var probabilities: [Double] = []
        /// Its probability of its own predicted value.
        var ownProbability: [Double] = []

        /// `needsProbabilities`: only the methods that combine probabilities read them (a voting segment's
        /// result may have categories without probabilities).
        mutating func append(_ p: Prediction, weight: Double, categories cats: [String], needsProbabilities: Bool) {
            weights.append(weight)
            states.append(p.value.isMissing ? -1 : (cats.firstIndex(of: p.value.key) ?? -2))
            if needsProbabilities {
                for c in cats { probabilities.append(p.probability(of: c) ?? 0) }
                ownProbability.append(p.probability(of: p.value.key) ?? 0)
            }
        }
    }

    /// A Segmentation of plain TreeModels (every segment `True`, no transformations, targets or outputs of
    /// their own), aggregated by value or class: each tree's node results are precomputed, scoring walks the
    /// flat node arrays and combines exactly as the general path does.
    struct TreeEnsemble: Sendable {
        /// Every tree's nodes in one set of arrays (no per-tree reference counting while scoring).
        var forest: FlatTree
        /// Per tree: its root node in `forest` (node indices index the per-node arrays below), strategies.
        var roots: [Int]
        var strategies: [TreeModelCore.MissingStrategy]
        var returnLast: [Bool]
        var weights: [Double]
        var totalWeight: Double
        /// Per node: the tree's prediction there is missing.
        var missing: [Bool]
        /// Per node (by value): the predicted value as a number (NaN when not numeric).
        var values: [Double]
        /// Per node (by class): see `Votes`.
        var states: [Int]
        var probabilities: [Double]
        var ownProbability: [Double]
    }

    /// The ensemble form of this segmentation, when it qualifies.
    func treeEnsemble() -> TreeEnsemble? {
        switch method {
        case .selectFirst, .selectAll, .modelChain: return nil
        default: break
        }
        if recordSegments || segments.isEmpty || (classification && categories.isEmpty) { return nil }
        var e = TreeEnsemble(
            forest: FlatTree(nodes: [], missingStrategy: .none, returnLastOnNoTrueChild: false), roots: [],
            strategies: [], returnLast: [], weights: [], totalWeight: 0, missing: [], values: [], states: [],
            probabilities: [], ownProbability: [])
        var probe = Votes()
        let voting = method == .majorityVote || method == .weightedMajorityVote
        for s in segments {
            guard case .alwaysTrue = s.predicate else { return nil }
            let m = s.model
            guard let tree = m.core as? TreeModelCore, m.requires.isEmpty, m.preparations.isEmpty, m.derived.isEmpty,
                  m.outputs.isEmpty, m.target == nil else { return nil }
            e.roots.append(e.forest.append(tree.flat))
            e.strategies.append(tree.missingStrategy)
            e.returnLast.append(tree.returnLastOnNoTrueChild)
            e.weights.append(s.weight)
            for i in tree.nodes.indices {
                let p = tree.prediction(at: i, missing: 0)
                e.missing.append(p.value.isMissing)
                e.values.append(p.value.double ?? .nan)
                if classification {
                    probe.append(p, weight: s.weight, categories: categories, needsProbabilities: !voting)
                }
            }
        }
        e.totalWeight = segments.reduce(0.0) { $0 + $1.weight }
        e.states = probe.states
        e.probabilities = probe.probabilities
        e.ownProbability = probe.ownProbability
        return e
    }

    private func predictTrees(_ e: TreeEnsemble, _ row: Row) -> Prediction {
        let voting = method == .majorityVote || method == .weightedMajorityVote
        let k = categories.count
        var missingWeight = 0.0
        var votes = Votes()
        var xs: [Double] = []
        var ws: [Double] = []
        if classification {
            votes.weights.reserveCapacity(e.roots.count)
            votes.states.reserveCapacity(e.roots.count)
            votes.probabilities.reserveCapacity(e.roots.count * k)
            votes.ownProbability.reserveCapacity(e.roots.count)
        } else {
            xs.reserveCapacity(e.roots.count)
            ws.reserveCapacity(e.roots.count)
        }
        for t in e.roots.indices {
            let g = e.forest.findLeaf(root: e.roots[t], missingStrategy: e.strategies[t],
                                      returnLastOnNoTrueChild: e.returnLast[t], row).index
            let w = e.weights[t]
            if g < 0 || e.missing[g] {
                switch missingTreatment {
                case .returnMissing: return .missing
                case .continue where !voting: return .missing
                case .continue, .skipSegment:
                    missingWeight += w
                    if missingWeight / e.totalWeight > missingThreshold { return .missing }
                    if missingTreatment == .continue {
                        // A missing vote (only voting methods get here), as `Votes.append` records it.
                        votes.weights.append(w)
                        votes.states.append(-1)
                    }
                }
                continue
            }
            if classification {
                votes.weights.append(w)
                votes.states.append(e.states[g])
                if !voting {
                    for i in 0..<k { votes.probabilities.append(e.probabilities[g * k + i]) }
                    votes.ownProbability.append(e.ownProbability[g])
                }
            } else {
                xs.append(e.values[g])
                ws.append(w)
            }
        }
        if classification {
            if votes.weights.isEmpty { return .missing }
            return combineClasses(categories, votes)
        }
        if xs.isEmpty { return .missing }
        var out = Prediction()
        out.value = combineValues(xs, ws)
        return out
    }

    private func combineValues(_ xs: [Double], _ ws: [Double]) -> Value {
        switch method {
        case .sum:
            if floatMath {
                var s: Float = 0
                for x in xs { s += Float(x) }
                return .number(Double(s))
            }
            return .number(xs.reduce(0, +))
        case .weightedSum:
            if floatMath {
                var s: Float = 0
                for (x, w) in zip(xs, ws) { s += Float(x) * Float(w) }
                return .number(Double(s))
            }
            var s = 0.0
            for (x, w) in zip(xs, ws) { s += x * w }
            return .number(s)
        case .weightedMedian:
            // Sorted by value; the first whose cumulative weight reaches half the total.
            let entries = zip(xs, ws).enumerated().sorted { a, b in
                a.element.0 != b.element.0 ? a.element.0 < b.element.0 : a.offset < b.offset
            }.map(\.element)
            let half = 0.5 * entries.reduce(0) { $0 + $1.1 }
            var cumulative = 0.0
            for (x, w) in entries {
                cumulative += w
                if cumulative >= half { return .number(x) }
            }
            return .missing
        case .average:
            if floatMath {
                var s: Float = 0
                for x in xs { s += Float(x) }
                return .number(Double(s / Float(xs.count)))
            }
            return .number(xs.reduce(0, +) / Double(xs.count))
        case .weightedAverage:
            if floatMath {
                var s: Float = 0, w: Float = 0
                for (x, r) in zip(xs, ws) { s += Float(x) * Float(r); w += Float(r) }
                return .number(Double(s / w))
            }
            var s = 0.0, w = 0.0
            for (x, r) in zip(xs, ws) { s += x * r; w += r }
            return .number(s / w)
        case .median:
            let v = xs.sorted()
            let n = v.count
            return .number(n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2)
        case .max:
            return .number(xs.max() ?? .nan)
        default:
            return .missing
        }
    }

    private func combineClasses(_ cats: [String], _ v: Votes) -> Prediction {
        let k = cats.count
        let n = v.weights.count
        var out = Prediction()
        out.categories = cats
        var probs = [Double](repeating: 0, count: k)
        // Votes: equal totals go to the category voted for first (JPMML keeps votes in arrival order).
        var voteOrder: [Int] = []
        switch method {
        case .majorityVote, .weightedMajorityVote:
            var total = 0.0
            var missingTotal = 0.0
            for r in 0..<n {
                let weight = method == .majorityVote ? 1 : v.weights[r]
                let state = v.states[r]
                if state == -1 {
                    missingTotal += weight
                    if !voteOrder.contains(-1) { voteOrder.append(-1) }
                    continue
                }
                if state >= 0 {
                    probs[state] += weight
                    if !voteOrder.contains(state) { voteOrder.append(state) }
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
            for r in 0..<n {
                let weight = method == .weightedAverage ? v.weights[r] : 1
                for i in 0..<k { probs[i] += weight * v.probabilities[r * k + i] }
                total += weight
            }
            if method != .sum { for i in probs.indices { probs[i] /= total } }
        case .max:
            var bestP = -1.0
            var best = -1
            for r in 0..<n {
                let pv = v.ownProbability[r]
                if pv > bestP { bestP = pv; best = r }
            }
            if best >= 0 { for i in 0..<k { probs[i] = v.probabilities[best * k + i] } }
        case .median:
            for i in 0..<k {
                let vs = (0..<n).map { v.probabilities[$0 * k + i] }.sorted()
                let m = vs.count
                probs[i] = m % 2 == 1 ? vs[m / 2] : (vs[m / 2 - 1] + vs[m / 2]) / 2
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
        var core = MiningModelCore(method: method, segments: segments, classification: c.function == .classification,
                                   floatMath: c.floatMath, categories: c.categories, missingTreatment: missingTreatment,
                                   missingThreshold: missingThreshold, recordSegments: recordSegments)
        core.trees = core.treeEnsemble()
        return core
    }
}
