#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// MiningField preparation for one field. A reference type: the per-row loop over a model's fields must not
/// copy (and retain every collection of) the field's spec.
final class FieldPreparation: Sendable {
    let source: Int
    let target: Int
    let name: String
    let spec: DataFieldSpec?
    let replacement: Value
    let missingReturnsInvalid: Bool
    let invalid: InvalidTreatment
    let invalidReplacement: Value
    let outliers: Outliers
    let low: Double?
    let high: Double?

    init(source: Int, target: Int, name: String, spec: DataFieldSpec?, replacement: Value, missingReturnsInvalid: Bool,
         invalid: InvalidTreatment, invalidReplacement: Value, outliers: Outliers, low: Double?, high: Double?) {
        self.source = source
        self.target = target
        self.name = name
        self.spec = spec
        self.replacement = replacement
        self.missingReturnsInvalid = missingReturnsInvalid
        self.invalid = invalid
        self.invalidReplacement = invalidReplacement
        self.outliers = outliers
        self.low = low
        self.high = high
    }

    enum InvalidTreatment: String, Sendable { case returnInvalid, asMissing, asIs, asValue }

    func apply(_ row: inout Row) throws(RowRejection) {
        var v = row[source]
        if !v.isMissing, let spec {
            if !spec.isValid(v) {
                switch invalid {
                case .returnInvalid:
                    throw RowRejection(message: "Field \"\(name)\" cannot accept invalid value \"\(v.key)\"")
                case .asMissing: v = .missing
                case .asValue: v = invalidReplacement
                case .asIs: break
                }
            } else if outliers != .asIs, let d = v.double {
                if let low, d < low { v = outliers == .asExtremeValues ? .number(low) : .missing }
                else if let high, d > high { v = outliers == .asExtremeValues ? .number(high) : .missing }
            }
        }
        if v.isMissing {
            if !replacement.isMissing { v = replacement }
            else if missingReturnsInvalid { throw RowRejection(message: "Field \"\(name)\" is missing") }
        }
        row[target] = v
    }
}

/// A reference type (set up by the compiler, read-only afterwards): reading it per row must not copy it.
final class TargetSpec: @unchecked Sendable {
    var factor: Double = 1
    var constant: Double = 0
    var min: Double?
    var max: Double?
    var castInteger: String?
    /// Classification: TargetValue priorProbability, the result when the model has none (JPMML).
    var priorCategories: [String] = []
    var priorProbabilities: [Double] = []

    func apply(_ v: Double, float: Bool) -> Double {
        var x = v
        if let min { x = Swift.max(x, min) }
        if let max { x = Swift.min(x, max) }
        if float {
            x = Double(Float(x) * Float(factor) + Float(constant))
        } else {
            x = x * factor + constant
        }
        switch castInteger {
        case "round": x = x.rounded(.toNearestOrAwayFromZero)
        case "ceiling": x = x.rounded(.up)
        case "floor": x = x.rounded(.down)
        default: break
        }
        return x
    }
}

/// A model with its schema, transformations, core, targets and outputs.
/// A reference type so that scoring never copies it (ensembles hold hundreds); the compiler finishes it
/// (derived steps, target slot, requirements) before the model is published, it is read-only afterwards.
final class CompiledModel: @unchecked Sendable {
    // `let`: scoring reads these in place (a `var` existential `core` was copied out, with every array of
    // the model core retained and released, per row).
    let function: MiningFunction
    let preparations: [FieldPreparation]
    var derived: [(Int, Expr)]
    let core: any ModelCore
    let target: TargetSpec?
    let floatMath: Bool
    let outputs: [OutputProgram]
    var targetSlot: Int?

    init(function: MiningFunction, preparations: [FieldPreparation], derived: [(Int, Expr)], core: any ModelCore,
         target: TargetSpec?, floatMath: Bool, outputs: [OutputProgram], targetSlot: Int?) {
        self.function = function
        self.preparations = preparations
        self.derived = derived
        self.core = core
        self.target = target
        self.floatMath = floatMath
        self.outputs = outputs
        self.targetSlot = targetSlot
    }
    /// Declared-slots of other models' output fields this model reads (modelChain): all must have values.
    var requires: [(name: String, slot: Int)] = []

    /// The MiningField treatments of this model's inputs (for the top-level model: what `PMMLModel.prepare`
    /// does once per prepared row).
    func prepareInputs(_ row: inout Row) throws(RowRejection) {
        for p in preparations { try p.apply(&row) }
    }

    /// Output field values for prediction `p`.
    private func writeOutputs(_ p: Prediction, _ row: inout Row) throws(RowRejection) {
        // Without a result, fields that read the result are missing and stay undeclared; expression
        // fields are still evaluated, and one that references an undeclared field rejects the row (JPMML).
        let empty = p.isEmptyResult
        for o in outputs {
            if empty && !o.isExpression {
                row[o.slot] = .missing
                continue
            }
            if let id = o.segmentId, p.segmentResults[id] == nil {
                row[o.slot] = .missing
                continue
            }
            for r in o.requires where row[r.slot] != .boolean(true) {
                throw RowRejection(message: "Output field \"\(o.name)\" references \"\(r.name)\", which has no value")
            }
            row[o.slot] = try o.eval(p, &row)
            if o.declaredSlot >= 0 { row[o.declaredSlot] = .boolean(true) }
        }
    }

    /// Applies the Targets: classification priors when the core gave no result, regression rescaling.
    @inline(__always)
    private func adjust(_ p: inout Prediction) {
        if function == .classification, p.value.isMissing, let target, !target.priorCategories.isEmpty {
            p = Prediction()
            p.categories = target.priorCategories
            p.probabilities = target.priorProbabilities
            p.value = .string(target.priorCategories[winningIndex(target.priorProbabilities)])
        }
        if let target, function == .regression, let d = p.value.double {
            p.value = .number(target.apply(d, float: floatMath))
        }
    }

    /// `inputsPrepared`: `prepareInputs` already ran on `row` (prepared rows of the top-level model).
    func evaluate(_ row: inout Row, inputsPrepared: Bool = false) throws(RowRejection) -> Prediction {
        for r in requires where row[r.slot] != .boolean(true) {
            throw RowRejection(message: "Field \"\(r.name)\" is not defined (no prediction upstream)")
        }
        if !inputsPrepared { try prepareInputs(&row) }
        if !derived.isEmpty {
            // In place: iterating the array itself copies (and retains) every step's expression.
            derived.withUnsafeBufferPointer { steps in
                for i in steps.indices { row[steps[i].0] = steps[i].1.eval(&row) }
            }
        }
        var p = try core.predict(&row)
        adjust(&p)
        if let targetSlot { row[targetSlot] = p.value }
        // In a function of its own: with the outputs loop here, `p` was copied into the result and the local
        // destroyed, per row, instead of moved.
        if !outputs.isEmpty { try writeOutputs(p, &row) }
        return p
    }
}
