/// A RuleSetModel: every SimpleRule (CompoundRules flattened, their predicates folded into a guard) is
/// tested in document order; the selection method turns the fired rules into a prediction.
struct RuleSetModelCore: ModelCore {
    enum Criterion: String, Sendable { case firstHit, weightedSum, weightedMax }

    struct Rule: Sendable {
        var predicate: Predicate
        /// Index into `scores`.
        var score: Int
        var weight: Double
        var confidence: Double
        /// The rule's id, or its 1-based position among all SimpleRules when it has none.
        var id: String
    }

    /// A CompoundRule: when its predicate is not true, rules `firstRule..<endRule` are not tested.
    struct Guard: Sendable {
        var predicate: Predicate
        var firstRule: Int
        var endRule: Int
    }

    var rules: [Rule]
    var guards: [Guard]
    var scores: [Value]
    var criterion: Criterion
    var defaultScore: Value
    var defaultConfidence: Double?

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var fired: [Int] = []
        var guardIndex = 0
        var blockedUntil = 0
        var i = 0
        while i < rules.count {
            // Enter (or skip) every CompoundRule that starts at this rule, outermost first.
            while guardIndex < guards.count && guards[guardIndex].firstRule == i {
                let g = guards[guardIndex]
                guardIndex += 1
                if i < blockedUntil { continue }
                if g.predicate.eval(row) != true { blockedUntil = g.endRule }
            }
            if i >= blockedUntil, rules[i].predicate.eval(row) == true { fired.append(i) }
            i += 1
        }
        var p = Prediction()
        if fired.isEmpty {
            guard !defaultScore.isMissing, let defaultConfidence else {
                throw RowRejection(message: "no rule fired and the RuleSet has no defaultScore and defaultConfidence")
            }
            p.value = defaultScore
            p.categories = [defaultScore.key]
            p.confidences = [defaultConfidence]
            return p
        }
        // Scores in order of their first firing rule, as JPMML keys them.
        var order: [Int] = []
        var total = [Double](repeating: 0, count: scores.count)
        var best = [Int](repeating: -1, count: scores.count)
        var value = [Double](repeating: 0, count: scores.count)
        for r in fired {
            let rule = rules[r]
            let s = rule.score
            if best[s] < 0 {
                order.append(s)
                best[s] = r
                if criterion == .firstHit { value[s] = rule.confidence }
            } else if criterion != .firstHit, rules[best[s]].weight < rule.weight {
                best[s] = r
            }
            total[s] += rule.weight
        }
        var winner = -1
        for s in order {
            switch criterion {
            case .firstHit: break
            case .weightedSum: value[s] = total[s] / Double(fired.count)
            case .weightedMax: value[s] = rules[best[s]].confidence
            }
            if criterion == .firstHit {
                if winner < 0 { winner = s }
            } else if winner < 0 || value[s] > value[winner] {
                winner = s
            }
        }
        p.value = scores[winner]
        p.entityId = .string(rules[best[winner]].id)
        p.categories = order.map { scores[$0].key }
        p.confidences = order.map { value[$0] }
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
                        predicate: try firstPredicate(r, c.scope), score: s, weight: try double(r, "weight") ?? 1,
                        confidence: try double(r, "confidence") ?? 1, id: r.attr("id") ?? String(rules.count + 1)))
                case "CompoundRule":
                    let g = guards.count
                    guards.append(.init(predicate: try firstPredicate(r, c.scope), firstRule: rules.count, endRule: 0))
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
        return RuleSetModelCore(
            rules: rules, guards: guards, scores: scores, criterion: criterion,
            defaultScore: set.attr("defaultScore").map(category) ?? .missing,
            defaultConfidence: try double(set, "defaultConfidence"))
    }
}
