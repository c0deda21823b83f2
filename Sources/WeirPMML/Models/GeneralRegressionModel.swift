#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One row of the PPMatrix: the value a parameter multiplies, the product of its factor and covariate cells.
struct ParameterPredictorRow: Sendable {
    enum Cell: Sendable {
        /// 1 when the factor equals `key`, else 0.
        case indicator(slot: Int, key: String)
        /// Contrast matrix entry: row of the factor's value, column `column` (nil: the matrix leaves it undefined).
        case contrast(slot: Int, categories: [String], matrix: [[Double?]], column: Int)
        case covariate(slot: Int, exponent: Double)
    }

    var factors: [Cell]
    var covariates: [Cell]

    /// nil when an input needed is missing. A factor value outside its contrast categories, or a contrast
    /// entry the matrix does not define, rejects the row (as JPMML does).
    func evaluate(_ row: Row) throws(RowRejection) -> Double? {
        var product = 1.0
        for f in factors {
            switch f {
            case .indicator(let slot, let key):
                let v = row[slot]
                if v.isMissing { return nil }
                if v.key != key { product *= 0 }
            case .contrast(let slot, let categories, let matrix, let column):
                let v = row[slot]
                if v.isMissing { return nil }
                guard let r = categories.firstIndex(of: v.key) else {
                    throw RowRejection(message: "value \"\(v.key)\" is not a Category of its contrast matrix")
                }
                guard r < matrix.count, column < matrix[r].count, let entry = matrix[r][column] else {
                    throw RowRejection(message: "contrast matrix has no element at row \(r + 1), column \(column + 1)")
                }
                product *= entry
            case .covariate: break
            }
        }
        if product == 0 { return product }
        for c in covariates {
            guard case .covariate(let slot, let exponent) = c else { continue }
            guard let x = row[slot].double else { return nil }
            product *= exponent == 1 ? x : LibM.pow(x, exponent)
        }
        return product
    }
}

/// beta * row summed over the ParamMatrix cells of one equation; a cell without a PPMatrix row is an intercept.
struct GeneralRegressionEquation: Sendable {
    struct Term: Sendable { var beta: Double; var row: ParameterPredictorRow? }
    var terms: [Term]

    func evaluate(_ row: Row) throws(RowRejection) -> Double? {
        var y = 0.0
        for t in terms {
            if let r = t.row {
                guard let x = try r.evaluate(row) else { return nil }
                y += t.beta * x
            } else {
                y += t.beta
            }
        }
        return y
    }
}

enum GeneralRegressionLink: Sendable {
    case cloglog, identity, log, logc, logit, loglog, probit, cauchit
    case negbin(Double)
    case oddspower(Double)
    case power(Double)

    /// The inverse link: linear predictor to mean.
    func inverse(_ x: Double) -> Double {
        switch self {
        case .cloglog: return 1 - LibM.exp(-LibM.exp(x))
        case .identity: return x
        case .log: return LibM.exp(x)
        case .logc: return 1 - LibM.exp(x)
        case .logit: return 1 / (1 + LibM.exp(-x))
        case .loglog: return LibM.exp(-LibM.exp(-x))
        case .probit: return 0.5 * LibM.erfc(-x / 2.0.squareRoot())
        case .cauchit: return 0.5 + (1 / Double.pi) * LibM.atan(x)
        case .negbin(let k): return 1 / (k * (LibM.exp(-x) - 1))
        case .oddspower(let p): return p != 0 ? 1 / (1 + LibM.pow(1 + p * x, -(1 / p))) : 1 / (1 + LibM.exp(-x))
        case .power(let p): return p != 0 ? LibM.pow(x, 1 / p) : LibM.exp(x)
        }
    }
}

struct GeneralRegressionCore: ModelCore {
    enum Kind: Sendable {
        case linear
        case generalizedLinear(GeneralRegressionLink)
        case multinomialLogistic
        case ordinalMultinomial(GeneralRegressionLink)
        case cox(CoxBaseline)
    }

    /// offset or trials: a constant, or a field that must not be missing.
    enum Operand: Sendable {
        case constant(Double)
        case field(Int, name: String)
    }

    struct CoxBaseline: Sendable {
        struct Table: Sendable {
            var maxTime: Double
            /// Sorted by time.
            var times: [Double]
            var cumHazards: [Double]
        }
        var endTimeSlot: Int
        var endTimeName: String
        var strataSlot: Int?
        var strataName: String
        var table: Table?
        var strata: [String: Table]
        /// Sum of beta * referencePoint; nil when a parameter is not in the ParameterList.
        var referencePoint: Double?
    }

    var kind: Kind
    /// Classification: one equation per category but the last (in `categories` order). Otherwise one.
    var equations: [GeneralRegressionEquation]
    var categories: [String]
    var classification: Bool
    var offset: Operand?
    var trials: Operand?

    private func value(_ n: Operand?, _ row: Row, integer: Bool = false) throws(RowRejection) -> Double? {
        switch n {
        case nil: return nil
        case .constant(let d)?: return d
        case .field(let slot, let name)?:
            guard let d = row[slot].double else { throw RowRejection(message: "Field \"\(name)\" is missing") }
            return integer ? d.rounded(.towardZero) : d
        }
    }

    private func link(_ y: Double, _ l: GeneralRegressionLink, _ row: Row) throws(RowRejection) -> Double {
        var x = y
        if let o = try value(offset, row) { x += o }
        var mu = l.inverse(x)
        if let t = try value(trials, row, integer: true) { mu *= t }
        return mu
    }

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var p = Prediction()
        if !classification {
            switch kind {
            case .cox(let baseline):
                return try cox(baseline, row)
            case .generalizedLinear(let l):
                guard let y = try equations[0].evaluate(row) else { return .missing }
                p.value = .number(try link(y, l, row))
            default:
                guard let y = try equations[0].evaluate(row) else { return .missing }
                p.value = .number(y)
            }
            return p
        }
        let n = categories.count
        var probs = [Double](repeating: 0, count: n)
        var previous: Double? = nil
        for i in 0..<n {
            if i < n - 1 {
                guard let y = try equations[i].evaluate(row) else { return .missing }
                switch kind {
                case .generalizedLinear(let l):
                    probs[i] = try link(y, l, row)
                    previous = probs[i]
                case .multinomialLogistic:
                    probs[i] = LibM.exp(y)
                case .ordinalMultinomial(let l):
                    var x = y
                    if let o = try value(offset, row) { x += o }
                    let cumulative = l.inverse(x)
                    probs[i] = cumulative - (previous ?? 0)
                    previous = cumulative
                default:
                    return .missing
                }
            } else {
                switch kind {
                case .generalizedLinear: probs[i] = 1 - (previous ?? 0)
                case .multinomialLogistic: probs[i] = 1
                case .ordinalMultinomial: probs[i] = 1 - (previous ?? 0)
                default: return .missing
                }
            }
        }
        if case .multinomialLogistic = kind {
            let sum = probs.reduce(0, +)
            for i in probs.indices { probs[i] /= sum }
        }
        let best = winningIndex(probs)
        p.categories = categories
        p.probabilities = probs
        p.value = .string(categories[best])
        return p
    }

    private func cox(_ b: CoxBaseline, _ row: Row) throws(RowRejection) -> Prediction {
        let table: CoxBaseline.Table
        if let strataSlot = b.strataSlot {
            let v = row[strataSlot]
            if v.isMissing { throw RowRejection(message: "Field \"\(b.strataName)\" is missing") }
            guard let t = b.strata[v.key] else { return .missing }
            table = t
        } else {
            guard let t = b.table else { return .missing }
            table = t
        }
        guard let time = row[b.endTimeSlot].double else {
            throw RowRejection(message: "Field \"\(b.endTimeName)\" is missing")
        }
        var p = Prediction()
        if time > table.maxTime { return .missing }
        guard let first = table.times.first, time >= first else {
            p.value = .number(0)
            return p
        }
        var i = 0
        while i + 1 < table.times.count && table.times[i + 1] <= time { i += 1 }
        guard let r = try equations[0].evaluate(row), let s = b.referencePoint else { return .missing }
        p.value = .number(LibM.exp(r - s) * table.cumHazards[i])
        return p
    }
}

extension Compiler {
    func compileGeneralRegressionModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        let modelType = try required(e, "modelType")
        let classification: Bool
        switch c.function {
        case .classification: classification = true
        case .regression: classification = false
        default: throw unsupported(e, "GeneralRegressionModel functionName \"\(c.function.rawValue)\"")
        }
        // Parameters, factors, covariates.
        guard let parameterList = e.child("ParameterList") else { throw error(e, "GeneralRegressionModel without ParameterList") }
        var referencePoints: [String: Double] = [:]
        for p in parameterList.all("Parameter") {
            referencePoints[try required(p, "name")] = try double(p, "referencePoint") ?? 0
        }
        struct FactorSpec { var field: FieldInfo; var contrast: (categories: [String], matrix: [[Double?]])? }
        var factors: [String: FactorSpec] = [:]
        var covariates: [String: FieldInfo] = [:]
        for list in ["FactorList", "CovariateList"] {
            guard let l = e.child(list) else { continue }
            for pr in l.all("Predictor") {
                let name = try required(pr, "name")
                let f = try field(pr, name, in: c.scope)
                if list == "CovariateList" {
                    covariates[name] = f
                    continue
                }
                var contrast: (categories: [String], matrix: [[Double?]])?
                if let m = pr.child("Matrix") {
                    guard let cats = pr.child("Categories") else {
                        throw error(pr, "Predictor with a contrast Matrix but without Categories")
                    }
                    var keys: [String] = []
                    for cat in cats.all("Category") {
                        let v = try required(cat, "value")
                        keys.append((f.dataType.parse(text: v) ?? .string(v)).key)
                    }
                    contrast = (keys, try compileMatrix(m))
                }
                factors[name] = FactorSpec(field: f, contrast: contrast)
            }
        }

        // PPMatrix: target category (nil = all) -> parameter -> row.
        var ppMatrix: [String?: [String: ParameterPredictorRow]] = [:]
        guard let ppm = e.child("PPMatrix") else { throw error(e, "GeneralRegressionModel without PPMatrix") }
        for cell in ppm.all("PPCell") {
            let predictor = try required(cell, "predictorName")
            let parameter = try required(cell, "parameterName")
            let text = try required(cell, "value")
            let category = cell.attr("targetCategory").map { (c.targetType?.parse(text: $0) ?? .string($0)).key }
            var row = ppMatrix[category, default: [:]][parameter] ?? ParameterPredictorRow(factors: [], covariates: [])
            if let f = factors[predictor] {
                let key = (f.field.dataType.parse(text: text) ?? .string(text)).key
                if let contrast = f.contrast {
                    guard let column = contrast.categories.firstIndex(of: key) else {
                        throw error(cell, "value \"\(text)\" is not a Category of factor \(predictor)")
                    }
                    row.factors.append(.contrast(slot: f.field.slot, categories: contrast.categories,
                                                 matrix: contrast.matrix, column: column))
                } else {
                    row.factors.append(.indicator(slot: f.field.slot, key: key))
                }
            } else if let f = covariates[predictor] {
                guard let exponent = parseNumber(text) else { throw error(cell, "covariate exponent \"\(text)\" is not a number") }
                row.covariates.append(.covariate(slot: f.slot, exponent: exponent))
            } else {
                throw error(cell, "predictorName \"\(predictor)\" is neither in FactorList nor in CovariateList")
            }
            ppMatrix[category, default: [:]][parameter] = row
        }

        // ParamMatrix: target category (nil = all) -> cells in document order.
        var paramMatrix: [String?: [(parameter: String, beta: Double)]] = [:]
        guard let pm = e.child("ParamMatrix") else { throw error(e, "GeneralRegressionModel without ParamMatrix") }
        for cell in pm.all("PCell") {
            let category = cell.attr("targetCategory").map { (c.targetType?.parse(text: $0) ?? .string($0)).key }
            paramMatrix[category, default: []].append((try required(cell, "parameterName"), try requiredDouble(cell, "beta")))
        }

        func rows(for category: String?) throws(PMMLError) -> [String: ParameterPredictorRow] {
            if ppMatrix.isEmpty { return [:] }
            if let category, let r = ppMatrix[category] { return r }
            guard let r = ppMatrix[nil] else { throw error(ppm, "PPMatrix has no cells for target category \(category ?? "(any)")") }
            return r
        }
        func equation(_ cells: [(parameter: String, beta: Double)], _ rows: [String: ParameterPredictorRow])
            -> GeneralRegressionEquation
        {
            GeneralRegressionEquation(terms: cells.map { .init(beta: $0.beta, row: rows[$0.parameter]) })
        }
        func linkFunction(_ attribute: String) throws(PMMLError) -> GeneralRegressionLink {
            let name = try required(e, attribute)
            let distParameter = try double(e, "distParameter")
            let linkParameter = try double(e, "linkParameter")
            switch name {
            case "cloglog": return .cloglog
            case "identity": return .identity
            case "log": return .log
            case "logc": return .logc
            case "logit": return .logit
            case "loglog": return .loglog
            case "probit": return .probit
            case "cauchit" where attribute == "cumulativeLink": return .cauchit
            case "negbin" where attribute == "linkFunction":
                guard let distParameter else { throw error(e, "linkFunction=\"negbin\" needs distParameter") }
                return .negbin(distParameter)
            case "oddspower" where attribute == "linkFunction":
                guard let linkParameter else { throw error(e, "linkFunction=\"oddspower\" needs linkParameter") }
                return .oddspower(linkParameter)
            case "power" where attribute == "linkFunction":
                guard let linkParameter else { throw error(e, "linkFunction=\"power\" needs linkParameter") }
                return .power(linkParameter)
            default: throw unsupported(e, "\(attribute) \"\(name)\"")
            }
        }
        func number(_ variable: String, _ constant: String) throws(PMMLError) -> GeneralRegressionCore.Operand? {
            if let name = e.attr(variable) { return .field(try field(e, name, in: c.scope).slot, name: name) }
            return try double(e, constant).map { .constant($0) }
        }

        let kind: GeneralRegressionCore.Kind
        switch modelType {
        case "regression", "generalLinear": kind = .linear
        case "generalizedLinear": kind = .generalizedLinear(try linkFunction("linkFunction"))
        case "multinomialLogistic": kind = .multinomialLogistic
        case "ordinalMultinomial": kind = .ordinalMultinomial(try linkFunction("cumulativeLink"))
        case "CoxRegression": kind = .cox(try compileCoxBaseline(e, c, paramMatrix[nil] ?? [], referencePoints))
        default: throw unsupported(e, "modelType \"\(modelType)\"")
        }

        var equations: [GeneralRegressionEquation] = []
        var categories: [String] = []
        switch (kind, classification) {
        case (.linear, false), (.generalizedLinear, false), (.cox, false):
            guard paramMatrix.count == 1, let cells = paramMatrix[nil] else {
                throw error(pm, "a regression ParamMatrix needs PCells without targetCategory only")
            }
            equations = [equation(cells, try rows(for: nil))]
        case (.generalizedLinear, true), (.multinomialLogistic, true), (.ordinalMultinomial, true):
            categories = c.categories
            if categories.count < 2 { throw error(e, "classification needs at least two target categories") }
            var reference = e.attr("targetReferenceCategory").map { (c.targetType?.parse(text: $0) ?? .string($0)).key }
            if reference == nil, case .ordinalMultinomial = kind {} else if reference == nil {
                let absent = categories.filter { paramMatrix[$0] == nil }
                guard absent.count == 1 else {
                    throw error(pm, "cannot tell the reference category: \(absent.count) target categories have no PCell")
                }
                reference = absent[0]
            }
            if let reference, let i = categories.firstIndex(of: reference) {
                categories.remove(at: i)
                categories.append(reference)
            }
            for category in categories.dropLast() {
                let cells: [(parameter: String, beta: Double)]
                if case .ordinalMultinomial = kind {
                    guard let intercept = paramMatrix[category], intercept.count == 1 else {
                        throw error(pm, "ordinalMultinomial needs exactly one PCell for target category \(category)")
                    }
                    guard let common = paramMatrix[nil] else {
                        throw error(pm, "ordinalMultinomial needs PCells without targetCategory")
                    }
                    cells = intercept + common
                } else if let own = paramMatrix[category] {
                    cells = own
                } else if categories.count == 2, let common = paramMatrix[nil] {
                    cells = common
                } else {
                    throw error(pm, "ParamMatrix has no PCells for target category \(category)")
                }
                equations.append(equation(cells, try rows(for: category)))
            }
        default:
            throw error(e, "modelType \"\(modelType)\" cannot do \(c.function.rawValue)")
        }
        // offset and trials enter through the (cumulative) link only, as in JPMML.
        return GeneralRegressionCore(
            kind: kind, equations: equations, categories: categories, classification: classification,
            offset: try number("offsetVariable", "offsetValue"), trials: try number("trialsVariable", "trialsValue"))
    }

    private func compileCoxBaseline(
        _ e: XElement, _ c: ModelContext, _ cells: [(parameter: String, beta: Double)], _ referencePoints: [String: Double]
    ) throws(PMMLError) -> GeneralRegressionCore.CoxBaseline {
        let endName = try required(e, "endTimeVariable")
        let end = try field(e, endName, in: c.scope)
        guard let tables = e.child("BaseCumHazardTables") else { throw error(e, "CoxRegression without BaseCumHazardTables") }
        func table(_ el: XElement) throws(PMMLError) -> GeneralRegressionCore.CoxBaseline.Table {
            var pairs: [(Double, Double)] = []
            for cell in el.all("BaselineCell") {
                pairs.append((try requiredDouble(cell, "time"), try requiredDouble(cell, "cumHazard")))
            }
            if pairs.isEmpty { throw error(el, "\(el.name) without BaselineCell") }
            pairs.sort { $0.0 < $1.0 }
            return .init(maxTime: try requiredDouble(el, "maxTime"), times: pairs.map(\.0), cumHazards: pairs.map(\.1))
        }
        var baseline = GeneralRegressionCore.CoxBaseline(
            endTimeSlot: end.slot, endTimeName: endName, strataSlot: nil, strataName: "", table: nil, strata: [:],
            referencePoint: nil)
        if let strataName = e.attr("baselineStrataVariable") {
            let f = try field(e, strataName, in: c.scope)
            baseline.strataSlot = f.slot
            baseline.strataName = strataName
            for s in tables.all("BaselineStratum") {
                let v = try required(s, "value")
                baseline.strata[(f.dataType.parse(text: v) ?? .string(v)).key] = try table(s)
            }
        } else {
            baseline.table = try table(tables)
        }
        var s = 0.0
        var known = true
        for cell in cells {
            guard let r = referencePoints[cell.parameter] else { known = false; break }
            s += cell.beta * r
        }
        baseline.referencePoint = known ? s : nil
        return baseline
    }

    /// A PMML Matrix as rows of entries; nil where the matrix defines no element (no MatCell and no default).
    func compileMatrix(_ m: XElement) throws(PMMLError) -> [[Double?]] {
        let kind = m.attr("kind") ?? "any"
        let offDiagDefault = try double(m, "offDiagDefault")
        let diagDefault = try double(m, "diagDefault")
        var rows: [[Double?]] = []
        for a in m.all("Array") {
            var r: [Double?] = []
            for s in parseArray(a.text) {
                guard let d = parseNumber(s) else { throw error(a, "matrix entry \"\(s)\" is not a number") }
                r.append(d)
            }
            rows.append(r)
        }
        switch kind {
        case "diagonal":
            guard rows.count == 1 else { throw error(m, "a diagonal Matrix needs exactly one Array") }
            let d = rows[0]
            var out = [[Double?]](repeating: [Double?](repeating: offDiagDefault, count: d.count), count: d.count)
            for i in d.indices { out[i][i] = d[i] }
            return out
        case "symmetric":
            let n = rows.count
            var out = [[Double?]](repeating: [Double?](repeating: nil, count: n), count: n)
            for i in 0..<n {
                for j in 0...i where j < rows[i].count { out[i][j] = rows[i][j]; out[j][i] = rows[i][j] }
            }
            return out
        case "any":
            if !rows.isEmpty { return rows }
            let cells = m.all("MatCell")
            var entries: [(Int, Int, Double)] = []
            for cell in cells {
                guard let r = Int(try required(cell, "row")), let col = Int(try required(cell, "col")), r >= 1, col >= 1,
                      let v = parseNumber(cell.text)
                else { throw error(cell, "MatCell needs positive row and col and a number") }
                entries.append((r, col, v))
            }
            let nRows = Int(m.attr("nbRows") ?? "") ?? entries.map(\.0).max() ?? 0
            let nCols = Int(m.attr("nbCols") ?? "") ?? entries.map(\.1).max() ?? 0
            var out = [[Double?]](repeating: [Double?](repeating: nil, count: nCols), count: nRows)
            for i in 0..<nRows {
                for j in 0..<nCols { out[i][j] = i == j ? diagDefault : offDiagDefault }
            }
            // The first MatCell for a position wins.
            for (r, col, v) in entries.reversed() where r <= nRows && col <= nCols { out[r - 1][col - 1] = v }
            return out
        default:
            throw unsupported(m, "Matrix kind \"\(kind)\"")
        }
    }
}
