/// A RuleSetModel: every SimpleRule (CompoundRules flattened, their predicates folded into a guard) is
/// tested in document order; the selection method turns the fired rules into a prediction.
struct RuleSetModelCore: ModelCore {
    enum Criterion: String, Sendable { case firstHit, weightedSum, weightedMax }

    struct Rule: Sendable {
        /// Root step in `predicates`.
        var predicate: Int32
        /// Index into `scores`.
        var score: Int
        var weight: Double
        var confidence: Double
        /// The rule's id, or its 1-based position among all SimpleRules when it has none.
        var id: String
    }

    /// A CompoundRule: when its predicate is not true, rules `firstRule..<endRule` are not tested.
    struct Guard: Sendable {
        /// Root step in `predicates`.
        var predicate: Int32
        var firstRule: Int
        var endRule: Int
    }

    var predicates: PredicateProgram
    var rules: [Rule]
    var guards: [Guard]
    var scores: [Value]
    /// `scores[i].key`.
    var scoreKeys: [String]
    /// `[scoreKeys[i]]` per score and `[rules[i].confidence]` per rule.
    var singleCategory: [[String]]
    var singleConfidence: [[Double]]
    var criterion: Criterion
    var defaultScore: Value
    var defaultConfidence: Double?
    /// `makeDefaultPrediction()`, made at load.
    var defaultPrediction: Prediction? = nil

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        let n = scores.count
        // Per score, on the stack: its first fired rule (then its heaviest), weight total and value, and the
        // scores in order of their first firing rule, as JPMML keys them. Fired rules are taken in rule order.
        // The closures return plain parts: a `Prediction` built or captured inside was copied out per row.
        let (winner, winnerRule, categories, confidences) = withUnsafeTemporaryAllocation(
            of: Int.self, capacity: 2 * n + 1
        ) { ints -> (Int, Int, [String], [Double]) in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * n + 1) { doubles -> (Int, Int, [String], [Double]) in
                let best = ints.baseAddress!, order = best + n
                let total = doubles.baseAddress!, value = total + n
                best.initialize(repeating: -1, count: n)
                total.initialize(repeating: 0, count: 2 * n)
                var orderCount = 0
                var firedCount = 0
                var guardIndex = 0
                var blockedUntil = 0
                // Every predicate on one evaluator of this row.
                predicates.withEvaluator(row) { e in
                    var i = 0
                    while i < rules.count {
                        // Enter (or skip) every CompoundRule that starts at this rule, outermost first.
                        while guardIndex < guards.count && guards[guardIndex].firstRule == i {
                            let g = guardIndex
                            guardIndex += 1
                            if i < blockedUntil { continue }
                            if e.eval(guards[g].predicate) != true { blockedUntil = guards[g].endRule }
                        }
                        if i >= blockedUntil, e.eval(rules[i].predicate) == true {
                            firedCount += 1
                            let s = rules[i].score
                            if best[s] < 0 {
                                order[orderCount] = s
                                orderCount += 1
                                best[s] = i
                                if criterion == .firstHit { value[s] = rules[i].confidence }
                            } else if criterion != .firstHit, rules[best[s]].weight < rules[i].weight {
                                best[s] = i
                            }
                            total[s] += rules[i].weight
                        }
                        i += 1
                    }
                }
                if firedCount == 0 { return (-1, -1, [], []) }
                var winner = -1
                for k in 0..<orderCount {
                    let s = order[k]
                    switch criterion {
                    case .firstHit: break
                    case .weightedSum: value[s] = total[s] / Double(firedCount)
                    case .weightedMax: value[s] = rules[best[s]].confidence
                    }
                    if criterion == .firstHit {
                        if winner < 0 { winner = s }
                    } else if winner < 0 || value[s] > value[winner] {
                        winner = s
                    }
                }
                if orderCount == 1 && criterion != .weightedSum {
                    // One score fired: its category and its rule's confidence as arrays made at load.
                    return (winner, best[winner], singleCategory[winner], singleConfidence[best[winner]])
                }
                return (winner, best[winner], (0..<orderCount).map { scoreKeys[order[$0]] },
                        (0..<orderCount).map { value[order[$0]] })
            }
        }
        if winner >= 0 {
            var p = Prediction()
            p.value = scores[winner]
            p.entityId = .string(rules[winnerRule].id)
            p.categories = categories
            p.confidences = confidences
            return p
        }
        guard let defaultPrediction else {
            throw RowRejection(message: "no rule fired and the RuleSet has no defaultScore and defaultConfidence")
        }
        return defaultPrediction
    }

    /// What no rule firing gives: defaultScore with defaultConfidence (nil when either is absent).
    func makeDefaultPrediction() -> Prediction? {
        guard !defaultScore.isMissing, let defaultConfidence else { return nil }
        var p = Prediction()
        p.value = defaultScore
        p.categories = [defaultScore.key]
        p.confidences = [defaultConfidence]
        return p
    }
}

extension Compiler {
    func compileRuleSetModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        guard c.function == .classification else { throw unsupported(e, "RuleSetModel functionName \"\(c.function.rawValue)\"") }
        guard let set = e.child("RuleSet") else { throw error(e, "RuleSetModel without RuleSet") }
        guard let method = set.child("RuleSelectionMethod") else { throw error(set, "RuleSet without RuleSelectionMethod") }
        let name = try required(method, "criterion")
        guard let criterion = RuleSetModelCore.Criterion(rawValue: name) else {
            throw unsupported(method, "RuleSelectionMethod criterion \"\(name)\"")
        }
        var scores: [Value] = []
        var scoreIndex: [String: Int] = [:]
        func category(_ text: String) -> Value {
            .string((c.targetType?.parse(text: text) ?? .string(text)).key)
        }
        var predicates = PredicateProgram()
        var rules: [RuleSetModelCore.Rule] = []
        var guards: [RuleSetModelCore.Guard] = []
        func collect(_ parent: XElement) throws(PMMLError) {
            for r in parent.children {
                switch r.name {
                case "SimpleRule":
                    let score = category(try required(r, "score"))
                    let s: Int
                    if let known = scoreIndex[score.key] { s = known } else {
                        s = scores.count
                        scoreIndex[score.key] = s
                        scores.append(score)
                    }
                    // A rule's ScoreDistributions document its training records; JPMML scores without them.
                    rules.append(.init(
                        predicate: predicates.add(try firstPredicate(r, c.scope)), score: s, weight: try double(r, "weight") ?? 1,
                        confidence: try double(r, "confidence") ?? 1, id: r.attr("id") ?? String(rules.count + 1)))
                case "CompoundRule":
                    let g = guards.count
                    guards.append(.init(predicate: predicates.add(try firstPredicate(r, c.scope)), firstRule: rules.count, endRule: 0))
                    try collect(r)
                    guards[g].endRule = rules.count
                case "Extension", "RuleSelectionMethod", "ScoreDistribution": continue
                default:
                    if Self.predicateNames.contains(r.name) && parent.name == "CompoundRule" { continue }
                    throw unsupported(r, "element \(r.name) in \(parent.name)")
                }
            }
        }
        try collect(set)
        // A CompoundRule with no SimpleRule inside guards nothing.
        guards.removeAll { $0.firstRule == $0.endRule }
        var core = RuleSetModelCore(
            predicates: predicates, rules: rules, guards: guards, scores: scores, scoreKeys: scores.map(\.key),
            singleCategory: scores.map { [$0.key] }, singleConfidence: rules.map { [$0.confidence] }, criterion: criterion,
            defaultScore: set.attr("defaultScore").map(category) ?? .missing,
            defaultConfidence: try double(set, "defaultConfidence"))
        core.defaultPrediction = core.makeDefaultPrediction()
        return core
    }
}
