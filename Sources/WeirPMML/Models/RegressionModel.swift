#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Normalization: String, Sendable {
    case none, softmax, simplemax, logit, probit, cloglog, loglog, cauchit, exp

    func link(_ y: Double) -> Double {
        switch self {
        case .logit: return 1 / (1 + LibM.exp(-y))
        case .probit: return 0.5 * LibM.erfc(-y / 2.0.squareRoot())
        case .cloglog: return 1 - LibM.exp(-LibM.exp(y))
        case .loglog: return LibM.exp(-LibM.exp(-y))
        case .cauchit: return 0.5 + LibM.atan(y) / Double.pi
        case .exp: return LibM.exp(y)
        case .none, .softmax, .simplemax: return y
        }
    }

    /// The inverse link in JPMML's float math context (its float exp, see `FloatMath`).
    func linkFloat(_ y: Float) -> Float {
        switch self {
        case .logit: return FloatMath.inverseLogit(y)
        case .exp: return FloatMath.exp(y)
        case .cloglog: return 1 - FloatMath.exp(-FloatMath.exp(y))
        case .loglog: return FloatMath.exp(-FloatMath.exp(-y))
        case .cauchit: return 0.5 + 0.31830987 * Float(LibM.atan(Double(y)))
        case .probit: return Float(link(Double(y)))
        case .none, .softmax, .simplemax: return y
        }
    }
}

/// One RegressionTable: intercept + numeric, categorical and interaction terms.
struct RegressionTable: Sendable {
    struct Numeric: Sendable { var slot: Int; var exponent: Double; var coefficient: Double }
    struct Categorical: Sendable { var slot: Int; var key: KeyMatch; var coefficient: Double }
    struct Term: Sendable { var slots: [Int]; var coefficient: Double }

    var intercept: Double
    var numeric: [Numeric]
    var categorical: [Categorical]
    var terms: [Term]
    var category: String

    /// nil when a numeric input is missing. Terms are summed in JPMML's order (numeric, categorical,
    /// interaction terms, then the intercept), in float arithmetic under the float math context.
    func evaluate(_ row: Row, float: Bool) -> Double? {
        if float {
            var y: Float = 0
            for n in numeric {
                guard let x = row[n.slot].double else { return nil }
                let xf = n.exponent == 1 ? Float(x) : FloatMath.pow(Float(x), Float(n.exponent))
                y += Float(n.coefficient) * xf
            }
            for c in categorical where c.key.matches(row[c.slot]) { y += Float(c.coefficient) }
            for t in terms {
                var p = Float(t.coefficient)
                for s in t.slots { guard let x = row[s].double else { return nil }; p *= Float(x) }
                y += p
            }
            y += Float(intercept)
            return Double(y)
        }
        var y = 0.0
        for n in numeric {
            guard let x = row[n.slot].double else { return nil }
            y += n.coefficient * (n.exponent == 1 ? x : LibM.pow(x, n.exponent))
        }
        for c in categorical {
            if c.key.matches(row[c.slot]) { y += c.coefficient }
        }
        for t in terms {
            var p = t.coefficient
            for s in t.slots { guard let x = row[s].double else { return nil }; p *= x }
            y += p
        }
        return y + intercept
    }
}

struct RegressionModelCore: ModelCore {
    var tables: [RegressionTable]
    var normalization: Normalization
    var classification: Bool
    var floatMath: Bool
    var categories: [String]
    /// `tables.map(\.category)`, made at load.
    var tableCategories: [String]
    /// Two tables, the second without predictors and with intercept 0.
    var binarySoftmaxAsLogit = false

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var p = Prediction()
        if !classification {
            guard let y = tables[0].evaluate(row, float: floatMath) else { return .missing }
            p.value = .number(floatMath ? Double(normalization.linkFloat(Float(y))) : normalization.link(y))
            return p
        }
        // The table results on the stack: per row only the probabilities are allocated.
        let result: [Double]? = withUnsafeTemporaryAllocation(of: Double.self, capacity: tables.count) { ys -> [Double]? in
            for (i, t) in tables.enumerated() {
                guard let y = t.evaluate(row, float: floatMath) else { return nil }
                ys[i] = y
            }
            var probs = [Double](repeating: 0, count: ys.count)
            var method = normalization
            // JPMML: a binary softmax whose second table is empty (intercept 0) is evaluated as a logit.
            if method == .softmax && binarySoftmaxAsLogit && ys.count == 2 { method = .logit }
            switch method {
            case .softmax where floatMath:
                // Float context: max subtracted, float exp, float sum, float division.
                var m = Float(ys[0])
                for y in ys.dropFirst() where Float(y) > m { m = Float(y) }
                var es = [Float](repeating: 0, count: ys.count)
                var sum: Float = 0
                for (i, y) in ys.enumerated() { es[i] = FloatMath.exp(Float(y) - m); sum += es[i] }
                for i in es.indices { probs[i] = Double(es[i] / sum) }
            case .softmax:
                let m = ys.max() ?? 0
                var sum = 0.0
                for (i, y) in ys.enumerated() { probs[i] = LibM.exp(y - m); sum += probs[i] }
                for i in probs.indices { probs[i] = round(probs[i] / sum) }
            case .simplemax:
                let sum = ys.reduce(0, +)
                for i in probs.indices { probs[i] = round(ys[i] / sum) }
            case .none:
                if ys.count == 2 {
                    probs[0] = round(ys[0]); probs[1] = round(1 - probs[0])
                } else {
                    var rest = 1.0
                    for i in 0..<(ys.count - 1) { probs[i] = ys[i]; rest -= ys[i] }
                    probs[ys.count - 1] = rest
                }
            default:
                if ys.count == 2 && floatMath {
                    let p0 = method.linkFloat(Float(ys[0]))
                    probs[0] = Double(p0)
                    probs[1] = Double(Float(1) - p0)
                } else if ys.count == 2 {
                    probs[0] = round(method.link(ys[0]))
                    probs[1] = round(1 - probs[0])
                } else {
                    var rest = 1.0
                    for i in 0..<(ys.count - 1) { probs[i] = round(normalization.link(ys[i])); rest -= probs[i] }
                    probs[ys.count - 1] = rest
                }
            }
            return probs
        }
        guard let probs = result else { return .missing }
        p.categories = tableCategories
        p.probabilities = probs
        var best = 0
        for i in probs.indices where probs[i] > probs[best] { best = i }
        p.value = .string(p.categories[best])
        return p
    }

    @inline(__always)
    private func round(_ x: Double) -> Double { floatMath ? Double(Float(x)) : x }
}

extension Compiler {
    func compileRegressionModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        let nm = e.attr("normalizationMethod") ?? "none"
        guard let norm = Normalization(rawValue: nm) else { throw unsupported(e, "normalizationMethod \"\(nm)\"") }
        var tables: [RegressionTable] = []
        for t in e.all("RegressionTable") {
            tables.append(try compileRegressionTable(t, c))
        }
        if tables.isEmpty { throw error(e, "RegressionModel without RegressionTable") }
        var core = RegressionModelCore(tables: tables, normalization: norm, classification: c.function == .classification,
                                       floatMath: c.floatMath, categories: c.categories,
                                       tableCategories: tables.map(\.category))
        if tables.count == 2, let second = tables.last, second.numeric.isEmpty, second.categorical.isEmpty,
           second.terms.isEmpty, second.intercept == 0 {
            core.binarySoftmaxAsLogit = true
        }
        return core
    }

    func compileRegressionTable(_ t: XElement, _ c: ModelContext) throws(PMMLError) -> RegressionTable {
        var table = RegressionTable(intercept: try double(t, "intercept") ?? 0, numeric: [], categorical: [], terms: [],
                                    category: t.attr("targetCategory").map { (c.targetType?.parse(text: $0) ?? .string($0)).key } ?? "")
        for p in t.children {
            switch p.name {
            case "NumericPredictor":
                let f = try field(p, try required(p, "name"), in: c.scope)
                table.numeric.append(.init(slot: f.slot, exponent: try double(p, "exponent") ?? 1,
                                           coefficient: try requiredDouble(p, "coefficient")))
            case "CategoricalPredictor":
                let f = try field(p, try required(p, "name"), in: c.scope)
                let v = try required(p, "value")
                table.categorical.append(.init(slot: f.slot, key: KeyMatch((f.dataType.parse(text: v) ?? .string(v)).key),
                                               coefficient: try requiredDouble(p, "coefficient")))
            case "PredictorTerm":
                var slots: [Int] = []
                for r in p.all("FieldRef") { slots.append(try field(r, try required(r, "field"), in: c.scope).slot) }
                table.terms.append(.init(slots: slots, coefficient: try requiredDouble(p, "coefficient")))
            case "Extension": break
            default: throw unsupported(p, "element \(p.name) in RegressionTable")
            }
        }
        return table
    }
}
