/// One compiled OutputField. A reference type: the per-row loop over a model's outputs must not copy it.
final class OutputProgram: Sendable {
    enum Feature: Sendable {
        case predictedValue
        case probability(String?)
        case confidence(String?)
        case affinity(String?)
        case entityId
        case reasonCode(Int)
        case expression(Expr)
        /// entityId / affinity with an explicit `rank` (nearest first).
        case rankedEntityId(Int)
        case rankedAffinity(Int)
    }

    let name: String
    let slot: Int
    let feature: Feature
    let dataType: DataType?
    let isFinal: Bool
    /// Evaluate against this segment's result (MiningModel OutputField@segmentId) ...
    let segmentId: String?
    /// ... or return this output field of that segment (transformedValue/decision with segmentId).
    let segmentOutput: String?
    /// Slot set to `.boolean(true)` once this field has a value for the row.
    let declaredSlot: Int
    /// Output fields the expression references (name, declared slot): each must have a value.
    let requires: [(name: String, slot: Int)]
    let isExpression: Bool

    /// `feature` flattened for the per-row switch: switching on the enum copied (and retained) its payload.
    private enum Kind: UInt8 {
        case predictedValue, probability, confidence, affinity, entityId, reasonCode, expression, rankedEntityId,
             rankedAffinity
    }
    private let kind: Kind
    /// probability/confidence/affinity: the category (nil: the predicted one).
    private let category: String?
    /// reasonCode and ranked features: the rank.
    private let rank: Int
    private let expression: Expr?

    init(name: String, slot: Int, feature: Feature, dataType: DataType?, isFinal: Bool, segmentId: String? = nil,
         segmentOutput: String? = nil, declaredSlot: Int = -1, requires: [(name: String, slot: Int)] = []) {
        self.name = name
        self.slot = slot
        self.feature = feature
        self.dataType = dataType
        self.isFinal = isFinal
        self.segmentId = segmentId
        self.segmentOutput = segmentOutput
        self.declaredSlot = declaredSlot
        self.requires = requires
        if case .expression = feature, segmentId == nil { isExpression = true } else { isExpression = false }
        var category: String? = nil, rank = 0, expression: Expr? = nil
        switch feature {
        case .predictedValue: kind = .predictedValue
        case .probability(let c): kind = .probability; category = c
        case .confidence(let c): kind = .confidence; category = c
        case .affinity(let c): kind = .affinity; category = c
        case .entityId: kind = .entityId
        case .reasonCode(let r): kind = .reasonCode; rank = r
        case .expression(let e): kind = .expression; expression = e
        case .rankedEntityId(let r): kind = .rankedEntityId; rank = r
        case .rankedAffinity(let r): kind = .rankedAffinity; rank = r
        }
        self.category = category
        self.rank = rank
        self.expression = expression
    }

    func eval(_ p: Prediction, _ row: inout Row) throws(RowRejection) -> Value {
        if let segmentId {
            guard let record = p.segmentResults[segmentId] else { return .missing }
            if let name = segmentOutput {
                let v = record.outputs[name] ?? .missing
                return dataType.map { $0.cast(v) } ?? v
            }
            return try evalFeature(record.prediction, &row)
        }
        return try evalFeature(p, &row)
    }

    /// The feature against prediction `p` (ignoring `segmentId`).
    private func evalFeature(_ p: Prediction, _ row: inout Row) throws(RowRejection) -> Value {
        let v: Value
        switch kind {
        case .predictedValue: v = p.value
        case .probability:
            if p.value.isMissing && p.probabilities.isEmpty { v = .missing }
            else if let category { v = .number(p.probability(of: category) ?? 0) }
            else { v = .number(p.probability(of: p.value.key) ?? 0) }
        case .confidence:
            if let cat = category, let cs = p.confidences {
                // A category the model gave no confidence (e.g. no rule for it fired) has confidence 0.
                v = p.value.isMissing ? .missing : .number(p.categories.firstIndex(of: cat).map { cs[$0] } ?? 0)
            } else if let c = p.confidence, category == nil || category == p.value.key { v = .number(c) }
            else if let cs = p.confidences, let i = p.categories.firstIndex(of: category ?? p.value.key) { v = .number(cs[i]) }
            else { v = .missing }
        case .affinity:
            if let category { v = p.affinity(of: category).map(Value.number) ?? .missing }
            else { v = p.affinity.map(Value.number) ?? .missing }
        case .entityId: v = p.entityId
        case .reasonCode:
            v = rank >= 1 && rank <= p.reasonCodes.count ? .string(p.reasonCodes[rank - 1]) : .missing
        case .expression: v = expression!.eval(&row)
        case .rankedEntityId:
            if rank >= 1 && rank <= p.rankedIds.count { v = p.rankedIds[rank - 1] }
            else if rank == 1 && p.rankedIds.isEmpty { v = p.entityId }
            else { v = .missing }
        case .rankedAffinity:
            if rank >= 1 && rank <= p.rankedAffinities.count { v = .number(p.rankedAffinities[rank - 1]) }
            else if rank == 1 && p.rankedAffinities.isEmpty { v = p.affinity.map(Value.number) ?? .missing }
            else { v = .missing }
        }
        guard let dataType else { return v }
        // The common cases inline: a double that is a number, text that is text (what `cast` returns for them).
        switch (dataType, v) {
        case (.double, .number), (.string, .string): return v
        default: return dataType.cast(v)
        }
    }
}

extension Compiler {
    /// Compiles Output; fields are registered in `scope` (visible to later outputs and, for segments, later segments).
    func compileOutput(_ out: XElement?, _ scope: Scope, exportTo export: Scope?) throws(PMMLError) -> [OutputProgram] {
        guard let out else { return [] }
        var programs: [OutputProgram] = []
        for o in out.children where o.name == "OutputField" {
            let name = try required(o, "name")
            let featureName = o.attr("feature") ?? "predictedValue"
            let feature: OutputProgram.Feature
            var requires: [(name: String, slot: Int)] = []
            switch featureName {
            case "predictedValue", "predictedDisplayValue": feature = .predictedValue
            case "probability": feature = .probability(o.attr("value"))
            case "confidence": feature = .confidence(o.attr("value"))
            case "affinity", "entityAffinity", "clusterAffinity":
                if let r = o.attr("rank"), o.attr("value") == nil {
                    guard let rank = Int(r), rank >= 1 else { throw error(o, "rank \"\(r)\" is not a positive integer") }
                    feature = .rankedAffinity(rank)
                } else {
                    feature = .affinity(o.attr("value"))
                }
            case "entityId", "clusterId":
                if let r = o.attr("rank") {
                    guard let rank = Int(r), rank >= 1 else { throw error(o, "rank \"\(r)\" is not a positive integer") }
                    feature = .rankedEntityId(rank)
                } else {
                    feature = .entityId
                }
            case "reasonCode": feature = .reasonCode(Int(o.attr("rank") ?? "1") ?? 1)
            case "transformedValue", "decision":
                if o.attr("segmentId") != nil {
                    // The named output field of the segment; no expression of its own.
                    feature = .predictedValue
                    break
                }
                guard let ex = o.children.first(where: { Self.expressionNames.contains($0.name) }) else {
                    throw error(o, "OutputField \(featureName) without an expression")
                }
                feature = .expression(try compileExpression(ex, scope))
                requires = referencedOutputs(ex, scope)
            default: throw unsupported(o, "OutputField feature \"\(featureName)\"")
            }
            var segmentOutput: String?
            if o.attr("segmentId") != nil, featureName == "transformedValue" || featureName == "decision" {
                segmentOutput = try required(o, "value")
            }
            let dt = try dataType(o)
            let slot = newSlot()
            let declared = newSlot()
            let info = FieldInfo(name: name, slot: slot, dataType: dt ?? .double, opType: try opType(o) ?? .continuous,
                                 dataField: nil, declaredSlot: declared)
            scope.fields[name] = info
            export?.fields[name] = info
            programs.append(OutputProgram(name: name, slot: slot, feature: feature, dataType: dt,
                                          isFinal: o.attr("isFinalResult") != "false", segmentId: o.attr("segmentId"),
                                          segmentOutput: segmentOutput, declaredSlot: declared, requires: requires))
        }
        return programs
    }

    /// Output fields (with their declared slots) that an expression refers to through FieldRef.
    func referencedOutputs(_ e: XElement, _ scope: Scope) -> [(name: String, slot: Int)] {
        var out: [(name: String, slot: Int)] = []
        var stack = [e]
        while let x = stack.popLast() {
            if x.name == "FieldRef" || x.name == "NormContinuous" || x.name == "NormDiscrete" || x.name == "Discretize"
                || x.name == "FieldColumnPair", let f = x.attr("field"), let d = scope.lookup(f)?.declaredSlot,
                !out.contains(where: { $0.slot == d }) {
                out.append((f, d))
            }
            stack.append(contentsOf: x.children)
        }
        return out
    }
}
