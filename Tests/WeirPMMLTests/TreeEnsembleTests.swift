import Testing
@testable import WeirPMML

/// The tree-ensemble fast path (flat node arrays, precomputed node results) must give exactly what the
/// general segment-by-segment path gives. Random ensembles over every aggregation method, missing value
/// strategy and missing prediction treatment are scored both ways: once as they are, and once with every
/// segment predicate written as `or(True, False)`, which is always true but keeps the general path.
@Suite struct TreeEnsembleTests {
    /// A small deterministic generator (SplitMix64).
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }
    }

    static let numeric: [(String, Double)] = [("a", 100), ("b", 10), ("n", 5)]
    static let categorical: [(String, [String])] = [("ch", ["app", "web", "atm"]), ("co", ["NL", "DE", "RO", "US"])]

    static func dataFields(classes: [String], classType: String, numericType: String) -> String {
        var s = classes.isEmpty
            ? "<DataField name=\"t\" optype=\"continuous\" dataType=\"double\"/>"
            : "<DataField name=\"t\" optype=\"categorical\" dataType=\"\(classType)\">"
                + classes.map { "<Value value=\"\($0)\"/>" }.joined() + "</DataField>"
        s += "<DataField name=\"a\" optype=\"continuous\" dataType=\"\(numericType)\"/>"
        s += "<DataField name=\"b\" optype=\"continuous\" dataType=\"double\"/>"
        s += "<DataField name=\"n\" optype=\"continuous\" dataType=\"integer\"/>"
        s += "<DataField name=\"ch\" optype=\"categorical\" dataType=\"string\"/>"
        s += "<DataField name=\"co\" optype=\"categorical\" dataType=\"string\"/>"
        return s
    }

    static func predicate(_ r: inout Random) -> String {
        let k = r.unit()
        if k < 0.55 {
            let (f, hi) = r.pick(numeric)
            let op = r.unit() < 0.2
                ? r.pick(["lessThan", "lessOrEqual", "greaterThan", "greaterOrEqual", "equal", "notEqual"])
                : r.pick(["lessOrEqual", "greaterThan"])
            let v = r.unit() < 0.5 ? (r.unit() * hi).rounded() : (r.unit() * hi * 100).rounded() / 100
            return "<SimplePredicate field=\"\(f)\" operator=\"\(op)\" value=\"\(v)\"/>"
        }
        if k < 0.75 {
            let (f, vs) = r.pick(categorical)
            return "<SimplePredicate field=\"\(f)\" operator=\"\(r.pick(["equal", "notEqual"]))\" value=\"\(r.pick(vs))\"/>"
        }
        if k < 0.85 {
            let (f, vs) = r.pick(categorical)
            return "<SimpleSetPredicate field=\"\(f)\" booleanOperator=\"\(r.pick(["isIn", "isNotIn"]))\">"
                + "<Array type=\"string\">\(r.pick(vs)) \(r.pick(vs))</Array></SimpleSetPredicate>"
        }
        if k < 0.9 {
            let (f, _) = r.pick(numeric)
            return "<SimplePredicate field=\"\(f)\" operator=\"\(r.pick(["isMissing", "isNotMissing"]))\"/>"
        }
        return "<CompoundPredicate booleanOperator=\"\(r.pick(["and", "or", "surrogate", "xor"]))\">"
            + predicate(&r) + predicate(&r) + "</CompoundPredicate>"
    }

    static func node(_ r: inout Random, depth: Int, classes: [String], strategy: String, id: inout Int,
                     root: Bool = false) -> (id: String, xml: String) {
        id += 1
        let me = "n\(id)"
        let p = root ? "<True/>" : predicate(&r)
        var kids: [(id: String, xml: String)] = []
        if depth > 0 && r.unit() > 0.15 {
            for _ in 0..<r.pick([2, 2, 3]) { kids.append(node(&r, depth: depth - 1, classes: classes, strategy: strategy, id: &id)) }
        }
        var attrs = " id=\"\(me)\""
        if strategy == "defaultChild", !kids.isEmpty { attrs += " defaultChild=\"\(r.pick(kids).id)\"" }
        var body = ""
        if classes.isEmpty {
            if r.unit() < 0.95 || kids.isEmpty { attrs += " score=\"\((r.unit() * 4 - 2 + 1e-7).description)\"" }
        } else {
            let counts = classes.map { _ in r.int(20) }
            let total = counts.reduce(0, +)
            if r.unit() < 0.9 {
                if r.unit() < 0.9 { attrs += " score=\"\(r.pick(classes))\"" }
                if total > 0 {
                    body = zip(classes, counts).map { "<ScoreDistribution value=\"\($0)\" recordCount=\"\($1)\"/>" }.joined()
                }
            } else if r.unit() < 0.7 {
                attrs += " score=\"\(r.pick(classes))\""
            }
        }
        return (me, "<Node\(attrs)>\(p)\(body)\(kids.map(\.xml).joined())</Node>")
    }

    static func document(seed: UInt64, classes: [String], method: String, treatment: String, float: Bool,
                         generalPath: Bool) -> String {
        var r = Random(state: seed)
        let function = classes.isEmpty ? "regression" : "classification"
        let fields = ["a", "b", "n", "ch", "co"].map { "<MiningField name=\"\($0)\" invalidValueTreatment=\"asIs\"/>" }.joined()
        var segments = ""
        for i in 0..<r.pick([1, 4, 7]) {
            let strategy = r.pick(["none", "nullPrediction", "lastPrediction", "defaultChild"])
            let noTrue = r.pick(["returnNullPrediction", "returnLastPrediction"])
            var id = 0
            let root = node(&r, depth: r.pick([2, 3, 4]), classes: classes, strategy: strategy, id: &id, root: true).xml
            let weight = r.pick(["0.5", "1", "2", "3"])
            let guardXML = generalPath ? "<CompoundPredicate booleanOperator=\"or\"><True/><False/></CompoundPredicate>" : "<True/>"
            segments += "<Segment id=\"\(i + 1)\" weight=\"\(weight)\">\(guardXML)"
                + "<TreeModel functionName=\"\(function)\" missingValueStrategy=\"\(strategy)\" noTrueChildStrategy=\"\(noTrue)\">"
                + "<MiningSchema>\(fields)</MiningSchema>\(root)</TreeModel></Segment>"
        }
        let threshold = r.pick(["", " missingThreshold=\"0.3\"", " missingThreshold=\"0.6\""])
        let outputs = classes.map {
            "<OutputField name=\"p(\($0))\" optype=\"continuous\" dataType=\"double\" feature=\"probability\" value=\"\($0)\"/>"
        }.joined()
        return PMMLTest.document(
            dataFields(classes: classes, classType: classes == ["0", "1"] ? "integer" : "string",
                       numericType: r.pick(["double", "float"])),
            """
            <MiningModel functionName="\(function)"\(float ? " x-mathContext=\"float\"" : "")>
              <MiningSchema><MiningField name="t" usageType="target"/>\(fields)</MiningSchema>
              <Output>\(outputs)</Output>
              <Segmentation multipleModelMethod="\(method)" missingPredictionTreatment="\(treatment)"\(threshold)>\(segments)</Segmentation>
            </MiningModel>
            """)
    }

    static func rows(_ count: Int) -> [[String?]] {
        var r = Random(state: 99)
        return (0..<count).map { _ in
            [
                r.unit() < 0.15 ? nil : String((r.unit() * 100 * 100).rounded() / 100),
                r.unit() < 0.15 ? nil : String((r.unit() * 10 * 100).rounded() / 100),
                r.unit() < 0.15 ? nil : String(r.int(6)),
                r.unit() < 0.15 ? nil : r.pick(["app", "web", "atm", "kiosk"]),
                r.unit() < 0.15 ? nil : r.pick(["NL", "DE", "RO", "US", "XX"]),
            ]
        }
    }

    static func same(_ a: Result<[Value], RowRejection>, _ b: Result<[Value], RowRejection>) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { u, v in
                if case .number(let p) = u, case .number(let q) = v { return p.bitPattern == q.bitPattern || (p.isNaN && q.isNaN) }
                return u == v
            }
        case (.failure, .failure): return true
        default: return false
        }
    }

    func check(classes: [String], methods: [String], float: Bool = false) throws {
        let inputs = Self.rows(300)
        var seed: UInt64 = float ? 1000 : 1
        for method in methods {
            for treatment in ["continue", "skipSegment", "returnMissing"] {
                for _ in 0..<4 {
                    seed += 1
                    let fast = try PMMLTest.load(Self.document(seed: seed, classes: classes, method: method, treatment: treatment,
                                                               float: float, generalPath: false))
                    let general = try PMMLTest.load(Self.document(seed: seed, classes: classes, method: method,
                                                                  treatment: treatment, float: float, generalPath: true))
                    for row in inputs {
                        let a = fast.score(row), b = general.score(row)
                        #expect(Self.same(a, b), "\(method) \(treatment) seed \(seed) row \(row): \(a) vs \(b)")
                    }
                }
            }
        }
    }

    @Test func regressionEnsemblesMatchTheGeneralPath() throws {
        try check(classes: [], methods: ["sum", "weightedSum", "average", "weightedAverage", "median", "weightedMedian", "max"])
        try check(classes: [], methods: ["sum", "weightedSum", "average", "weightedAverage"], float: true)
    }

    @Test func classificationEnsemblesMatchTheGeneralPath() throws {
        let methods = ["majorityVote", "weightedMajorityVote", "average", "weightedAverage", "sum", "max", "median"]
        try check(classes: ["0", "1"], methods: methods)
        try check(classes: ["low", "mid", "high"], methods: methods)
    }

    /// The fast path is taken for plain trees, and not when a segment predicate is not the literal True.
    @Test func fastPathIsTakenForPlainTrees() throws {
        let doc = Self.document(seed: 7, classes: [], method: "sum", treatment: "continue", float: false, generalPath: false)
        let model = try PMMLTest.load(doc)
        guard let mining = model.model.core as? MiningModelCore else { Issue.record("not a MiningModel"); return }
        #expect(mining.trees != nil)
        let general = try PMMLTest.load(
            Self.document(seed: 7, classes: [], method: "sum", treatment: "continue", float: false, generalPath: true))
        #expect((general.model.core as? MiningModelCore)?.trees == nil)
    }
}
