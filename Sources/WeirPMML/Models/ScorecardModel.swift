/// A Scorecard: initialScore plus, per Characteristic, the partial score of its first matching Attribute;
/// optionally ranks reason codes by how far each characteristic scored from its baseline.
struct ScorecardCore: ModelCore {
    /// Plain data (iterating attributes per row retains nothing).
    struct Attribute: Sendable {
        /// Root step in `predicates`.
        var predicate: Int32
        /// The partialScore, or (when `expression` >= 0) the index of its ComplexPartialScore in `expressions`.
        var constant: Double
        var expression: Int
        /// Index into `reasonCodes` (the attribute's own code, else its characteristic's); -1 when none.
        var reasonCode: Int
    }

    /// Its attributes are `attributes[start..<end]`.
    struct Characteristic: Sendable {
        var start: Int
        var end: Int
        var baseline: Double
    }

    enum ReasonCodeAlgorithm: String, Sendable { case pointsAbove, pointsBelow }

    var predicates: PredicateProgram
    var initialScore: Double
    var characteristics: [Characteristic]
    var attributes: [Attribute]
    var expressions: [Expr]
    /// Per characteristic, its name (for rejection messages).
    var names: [String]
    var useReasonCodes: Bool
    var algorithm: ReasonCodeAlgorithm
    var reasonCodes: [String]

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        let n = characteristics.count
        // First the predicates, all on one evaluator: per characteristic, its first matching attribute (-1 for
        // none; the scan stops at the first characteristic without one, which rejects the row).
        return try withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { (buffer) throws(RowRejection) -> Prediction in
            let first = buffer.baseAddress!
            let unmatched: Int = predicates.withEvaluator(row) { e in
                characteristics.withUnsafeBufferPointer { chs in
                    attributes.withUnsafeBufferPointer { attrs in
                        for c in 0..<n {
                            first[c] = -1
                            for a in chs[c].start..<chs[c].end where e.eval(attrs[a].predicate) == true {
                                first[c] = a
                                break
                            }
                            if first[c] < 0 { return c }
                        }
                        return n
                    }
                }
            }
            return try score(first, unmatched, &row)
        }
    }

    /// The scores of the first `unmatched` characteristics, whose first matching attributes are `matched[c]`.
    private func score(_ matched: UnsafeMutablePointer<Int>, _ unmatched: Int, _ row: inout Row) throws(RowRejection) -> Prediction {
        let n = characteristics.count
        // Then the scores in characteristic order: a missing ComplexPartialScore rejects the row where the
        // one-pass scan would have, before a later characteristic without a match.
        var score = initialScore
        var points = [Double](repeating: 0, count: useReasonCodes ? reasonCodes.count : 0)
        var seen = [Bool](repeating: false, count: points.count)
        var order: [Int] = []
        for c in 0..<unmatched {
            let a = attributes[matched[c]]
            var partial = a.constant
            if a.expression >= 0 {
                // JPMML refuses the row when a ComplexPartialScore is missing.
                guard let d = expressions[a.expression].eval(&row).double else {
                    throw RowRejection(message: "ComplexPartialScore of Characteristic \"\(names[c])\" is missing")
                }
                partial = d
            }
            score += partial
            if useReasonCodes {
                let r = a.reasonCode
                points[r] += algorithm == .pointsBelow ? characteristics[c].baseline - partial : partial - characteristics[c].baseline
                if !seen[r] { seen[r] = true; order.append(r) }
            }
        }
        if unmatched < n {
            throw RowRejection(message: "no Attribute of Characteristic \"\(names[unmatched])\" matches")
        }
        var p = Prediction()
        p.value = .number(score)
        if useReasonCodes {
            // Codes with non-negative summed points, largest first; ties keep first-use order.
            let ranked = order.filter { points[$0] >= 0 }.enumerated().sorted { a, b in
                points[a.element] != points[b.element] ? points[a.element] > points[b.element] : a.offset < b.offset
            }
            p.reasonCodes = ranked.map { reasonCodes[$0.element] }
        }
        return p
    }
}

extension Compiler {
    func compileScorecard(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        guard c.function == .regression else { throw unsupported(e, "Scorecard functionName \"\(c.function.rawValue)\"") }
        let useReasonCodes: Bool
        switch e.attr("useReasonCodes") ?? "true" {
        case "true", "1": useReasonCodes = true
        case "false", "0": useReasonCodes = false
        case let other: throw error(e, "useReasonCodes=\"\(other)\" is not a boolean")
        }
        let algorithmName = e.attr("reasonCodeAlgorithm") ?? "pointsBelow"
        guard let algorithm = ScorecardCore.ReasonCodeAlgorithm(rawValue: algorithmName) else {
            throw unsupported(e, "reasonCodeAlgorithm \"\(algorithmName)\"")
        }
        let baselineMethod = e.attr("baselineMethod") ?? "other"
        guard ["max", "min", "mean", "neutral", "other"].contains(baselineMethod) else {
            throw unsupported(e, "baselineMethod \"\(baselineMethod)\"")
        }
        // baselineMethod only documents how the baseline scores were derived; the scores themselves are given.
        let modelBaseline = try double(e, "baselineScore")
        guard let list = e.child("Characteristics") else { throw error(e, "Scorecard without Characteristics") }
        var reasonCodes: [String] = []
        var codeIndex: [String: Int] = [:]
        var characteristics: [ScorecardCore.Characteristic] = []
        var attributes: [ScorecardCore.Attribute] = []
        var expressions: [Expr] = []
        var names: [String] = []
        var predicates = PredicateProgram()
        for ch in list.children {
            guard ch.name == "Characteristic" else {
                if ch.name == "Extension" { continue }
                throw unsupported(ch, "element \(ch.name) in Characteristics")
            }
            let baseline = try double(ch, "baselineScore") ?? modelBaseline
            if useReasonCodes && baseline == nil {
                throw error(ch, "useReasonCodes=\"true\" needs a baselineScore on the Characteristic or the Scorecard")
            }
            let start = attributes.count
            for a in ch.children {
                guard a.name == "Attribute" else {
                    if a.name == "Extension" { continue }
                    throw unsupported(a, "element \(a.name) in Characteristic")
                }
                let predicate = predicates.add(try firstPredicate(a, c.scope))
                var constant = 0.0, expression = -1
                if let complex = a.child("ComplexPartialScore") {
                    guard let ex = complex.children.first(where: { Self.expressionNames.contains($0.name) }) else {
                        throw error(complex, "ComplexPartialScore without an expression")
                    }
                    expression = expressions.count
                    expressions.append(try compileExpression(ex, c.scope))
                } else if let d = try double(a, "partialScore") {
                    constant = d
                } else {
                    throw error(a, "Attribute without partialScore or ComplexPartialScore")
                }
                var code = -1
                if useReasonCodes {
                    guard let name = a.attr("reasonCode") ?? ch.attr("reasonCode") else {
                        throw error(a, "useReasonCodes=\"true\" needs a reasonCode on the Attribute or its Characteristic")
                    }
                    if let known = codeIndex[name] { code = known } else {
                        code = reasonCodes.count
                        codeIndex[name] = code
                        reasonCodes.append(name)
                    }
                }
                attributes.append(.init(predicate: predicate, constant: constant, expression: expression, reasonCode: code))
            }
            if attributes.count == start { throw error(ch, "Characteristic without Attribute") }
            names.append(ch.attr("name") ?? "#\(characteristics.count + 1)")
            characteristics.append(.init(start: start, end: attributes.count, baseline: baseline ?? 0))
        }
        if characteristics.isEmpty { throw error(list, "Characteristics without Characteristic") }
        return ScorecardCore(predicates: predicates, initialScore: try double(e, "initialScore") ?? 0,
                             characteristics: characteristics, attributes: attributes, expressions: expressions, names: names,
                             useReasonCodes: useReasonCodes, algorithm: algorithm, reasonCodes: reasonCodes)
    }
}
