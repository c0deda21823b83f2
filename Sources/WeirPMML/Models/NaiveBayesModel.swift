#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A NaiveBayesModel: prior counts times per-input likelihoods, normalised by their sum. Likelihoods are
/// multiplied in linear space like JPMML, so when every class underflows to 0 all probabilities are NaN.
struct NaiveBayesCore: ModelCore {
    enum Distribution: Sendable {
        case gaussian(mean: Double, variance: Double)
        case poisson(mean: Double)

        func density(_ x: Double) -> Double {
            switch self {
            case .gaussian(let mean, let variance):
                let sd = variance.squareRoot()
                let z = (x - mean) / sd
                return LibM.exp(-0.5 * z * z - (LibM.log(sd) + 0.5 * LibM.log(2 * Double.pi)))
            case .poisson(let mean):
                let k = x.rounded(.towardZero)
                if k < 0 { return 0 }
                if k == 0 { return LibM.exp(-mean) }
                return LibM.exp(k * LibM.log(mean) - mean - lgamma(k + 1))
            }
        }
    }

    enum Input: Sendable {
        /// Per category (index into `categories`), the distribution of the field; nil = no statistics.
        case continuous(slot: Int, stats: [Distribution?])
        /// Value key -> count per category (nil = no count listed); `sums` are per-category totals over the values.
        case discrete(value: Expr, counts: [String: [Double?]], sums: [Double])
    }

    var categories: [String]
    var priors: [Double]
    var inputs: [Input]
    var threshold: Double

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var likelihood = priors
        for input in inputs {
            switch input {
            case .continuous(let slot, let stats):
                guard let x = row[slot].double else { continue }
                for (i, d) in stats.enumerated() {
                    guard let d else { continue }
                    let density = d.density(x)
                    likelihood[i] *= density < threshold ? threshold : density
                }
            case .discrete(let value, let counts, let sums):
                let v = value.eval(&row)
                if v.isMissing { continue }
                guard let perCategory = counts[v.key] else { continue }
                for (i, count) in perCategory.enumerated() {
                    guard let count else { continue }
                    likelihood[i] *= count == 0 ? threshold : count / sums[i]
                }
            }
        }
        let sum = likelihood.reduce(0, +)
        var p = Prediction()
        p.categories = categories
        p.probabilities = likelihood.map { $0 / sum }
        let best = winningIndex(p.probabilities)
        p.value = .string(categories[best])
        return p
    }
}

extension Compiler {
    func compileNaiveBayesModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        guard c.function == .classification else {
            throw unsupported(e, "NaiveBayesModel functionName \"\(c.function.rawValue)\"")
        }
        let threshold = try requiredDouble(e, "threshold")
        func category(_ text: String) -> String { (c.targetType?.parse(text: text) ?? .string(text)).key }
        guard let output = e.child("BayesOutput") else { throw error(e, "NaiveBayesModel without BayesOutput") }
        let outputField = try required(output, "fieldName")
        if let target = targetFieldName(e), outputField != target {
            throw error(output, "BayesOutput fieldName \"\(outputField)\" is not the target field \"\(target)\"")
        }
        guard let priorCounts = output.child("TargetValueCounts") else { throw error(output, "BayesOutput without TargetValueCounts") }
        var categories: [String] = []
        var priors: [Double] = []
        for tvc in priorCounts.all("TargetValueCount") {
            categories.append(category(try required(tvc, "value")))
            priors.append(try requiredDouble(tvc, "count"))
        }
        if categories.isEmpty { throw error(priorCounts, "TargetValueCounts without TargetValueCount") }
        func index(_ el: XElement) throws(PMMLError) -> Int {
            let v = try required(el, "value")
            guard let i = categories.firstIndex(of: category(v)) else {
                throw error(el, "target value \"\(v)\" is not in BayesOutput")
            }
            return i
        }
        guard let list = e.child("BayesInputs") else { throw error(e, "NaiveBayesModel without BayesInputs") }
        var inputs: [NaiveBayesCore.Input] = []
        // Pre-4.2 documents (R's pmml package) wrap continuous BayesInputs in an Extension.
        var bayesInputs: [XElement] = []
        for bi in list.children {
            switch bi.name {
            case "BayesInput": bayesInputs.append(bi)
            case "Extension": bayesInputs.append(contentsOf: bi.all("BayesInput"))
            default: throw unsupported(bi, "element \(bi.name) in BayesInputs")
            }
        }
        for bi in bayesInputs {
            let name = try required(bi, "fieldName")
            let f = try field(bi, name, in: c.scope)
            if let stats = bi.child("TargetValueStats") {
                var distributions = [NaiveBayesCore.Distribution?](repeating: nil, count: categories.count)
                for s in stats.all("TargetValueStat") {
                    let i = try index(s)
                    guard let d = s.children.first(where: { $0.name != "Extension" }) else {
                        throw error(s, "TargetValueStat without a distribution")
                    }
                    switch d.name {
                    case "GaussianDistribution":
                        let variance = try requiredDouble(d, "variance")
                        if !(variance > 0) { throw error(d, "variance=\"\(d.attr("variance") ?? "")\" must be positive") }
                        distributions[i] = .gaussian(mean: try requiredDouble(d, "mean"), variance: variance)
                    case "PoissonDistribution":
                        distributions[i] = .poisson(mean: try requiredDouble(d, "mean"))
                    default:
                        throw unsupported(d, "\(d.name) in a NaiveBayesModel (Gaussian and Poisson only)")
                    }
                }
                inputs.append(.continuous(slot: f.slot, stats: distributions))
                continue
            }
            var value: Expr = .field(f.slot)
            var valueType = f.dataType
            if let derived = bi.child("DerivedField") {
                guard let ex = derived.children.first(where: { Self.expressionNames.contains($0.name) }) else {
                    throw error(derived, "DerivedField without an expression")
                }
                valueType = try dataType(derived) ?? .string
                value = .cast(valueType, try compileExpression(ex, c.scope))
            }
            var counts: [String: [Double?]] = [:]
            var sums = [Double](repeating: 0, count: categories.count)
            for pc in bi.all("PairCounts") {
                let v = try required(pc, "value")
                guard let tvcs = pc.child("TargetValueCounts") else { throw error(pc, "PairCounts without TargetValueCounts") }
                var perCategory = [Double?](repeating: nil, count: categories.count)
                for tvc in tvcs.all("TargetValueCount") {
                    let i = try index(tvc)
                    let n = try requiredDouble(tvc, "count")
                    perCategory[i] = n
                    sums[i] += n
                }
                counts[(valueType.parse(text: v) ?? .string(v)).key] = perCategory
            }
            inputs.append(.discrete(value: value, counts: counts, sums: sums))
        }
        return NaiveBayesCore(categories: categories, priors: priors, inputs: inputs, threshold: threshold)
    }
}
