/// A TreeModel compiled to a flat node array (children are contiguous index ranges).
struct TreeModelCore: ModelCore {
    enum MissingStrategy: String, Sendable {
        case none, nullPrediction, lastPrediction, defaultChild
    }

    struct Node: Sendable {
        var predicate: Predicate
        var firstChild: Int
        var childCount: Int
        var defaultChild: Int
        var score: Value
        var id: Value
        /// Range into `probabilities` / `confidences` (classification).
        var distStart: Int
        var hasDistribution: Bool
    }

    var nodes: [Node]
    var categories: [String]
    var probabilities: [Double]
    var confidences: [Double]?
    var missingStrategy: MissingStrategy
    var returnLastOnNoTrueChild: Bool
    var penalty: Double
    var classification: Bool

    /// The same tree with plain-data nodes for the walk (no reference counting per node visited).
    var flat: FlatTree

    init(nodes: [Node], categories: [String], probabilities: [Double], confidences: [Double]?,
         missingStrategy: MissingStrategy, returnLastOnNoTrueChild: Bool, penalty: Double, classification: Bool) {
        self.nodes = nodes
        self.categories = categories
        self.probabilities = probabilities
        self.confidences = confidences
        self.missingStrategy = missingStrategy
        self.returnLastOnNoTrueChild = returnLastOnNoTrueChild
        self.penalty = penalty
        self.classification = classification
        self.flat = FlatTree(nodes: nodes, missingStrategy: missingStrategy, returnLastOnNoTrueChild: returnLastOnNoTrueChild)
        self.nodePredictions = nodes.indices.map { prediction(at: $0, missing: 0) }
    }

    /// `prediction(at: i, missing: 0)` of every node, computed at load (scoring then allocates nothing).
    var nodePredictions: [Prediction] = []

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        let (leaf, missing) = flat.findLeaf(row)
        if leaf < 0 { return .missing }
        return missing == 0 ? nodePredictions[leaf] : prediction(at: leaf, missing: missing)
    }

    /// The prediction of node `index` reached after `missing` missing values.
    func prediction(at index: Int, missing: Int) -> Prediction {
        let node = nodes[index]
        var p = Prediction()
        p.value = node.score
        p.entityId = node.id
        if classification {
            p.categories = categories
            if node.hasDistribution {
                let n = categories.count
                p.probabilities = Array(probabilities[node.distStart..<node.distStart + n])
                if p.value.isMissing, let best = p.probabilities.indices.max(by: { p.probabilities[$0] < p.probabilities[$1] }) {
                    p.value = .string(categories[best])
                }
                let factor = missing == 0 ? 1 : LibM.pow(penalty, Double(missing))
                if let confidences {
                    p.confidences = confidences[node.distStart..<node.distStart + n].map { $0 * factor }
                } else if let i = categories.firstIndex(of: p.value.key) {
                    p.confidence = p.probabilities[i] * factor
                }
            } else if !p.value.isMissing {
                p.probabilities = categories.map { $0 == p.value.key ? 1 : 0 }
            }
            if p.value.isMissing { return .missing }
        }
        return p
    }
}

/// A tree's structure and predicates as plain data: numeric and text comparisons inline, anything else
/// (compound, set predicates) through a `PredicateProgram`.
struct FlatTree: Sendable {
    struct Node: Sendable {
        /// 0 true, 1 false, 2 numeric comparison, 3 text comparison, 4 general predicate
        var kind: UInt8
        var op: CompareOp
        var scoreMissing: Bool
        var slot: Int32
        /// Index into `texts` (kind 3) or the root step in `predicates` (kind 4).
        var aux: Int32
        var firstChild: Int32
        var childCount: Int32
        var defaultChild: Int32
        var value: Double
    }

    var nodes: [Node]
    var texts: [String]
    var predicates: PredicateProgram
    var missingStrategy: TreeModelCore.MissingStrategy
    var returnLastOnNoTrueChild: Bool

    init(nodes src: [TreeModelCore.Node], missingStrategy: TreeModelCore.MissingStrategy, returnLastOnNoTrueChild: Bool) {
        var nodes: [Node] = []
        var texts: [String] = []
        var predicates = PredicateProgram()
        nodes.reserveCapacity(src.count)
        for n in src {
            var f = Node(kind: 4, op: .equal, scoreMissing: n.score.isMissing, slot: 0, aux: 0,
                         firstChild: Int32(n.firstChild), childCount: Int32(n.childCount),
                         defaultChild: Int32(n.defaultChild), value: 0)
            switch n.predicate {
            case .alwaysTrue: f.kind = 0
            case .alwaysFalse: f.kind = 1
            case .numeric(let slot, let op, let value):
                f.kind = 2; f.slot = Int32(slot); f.op = op; f.value = value
            case .text(let slot, let op, let value):
                f.kind = 3; f.slot = Int32(slot); f.op = op; f.aux = Int32(texts.count)
                texts.append(value)
            default:
                f.aux = predicates.add(n.predicate)
            }
            nodes.append(f)
        }
        self.nodes = nodes
        self.texts = texts
        self.predicates = predicates
        self.missingStrategy = missingStrategy
        self.returnLastOnNoTrueChild = returnLastOnNoTrueChild
    }

    /// Appends another tree's nodes (its indices shifted) and returns the index of its root.
    mutating func append(_ other: FlatTree) -> Int {
        let base = Int32(nodes.count), textBase = Int32(texts.count)
        let predicateBase = predicates.append(other.predicates)
        for var n in other.nodes {
            n.firstChild += base
            if n.defaultChild >= 0 { n.defaultChild += base }
            if n.kind == 3 { n.aux += textBase } else if n.kind == 4 { n.aux += predicateBase }
            nodes.append(n)
        }
        texts += other.texts
        return Int(base)
    }

    /// The predicate of node `i` (kinds 2 and 3 as `PredicateProgram.eval` does them).
    @inline(__always)
    func test(_ i: Int, _ row: Row) -> Bool? {
        let n = nodes[i]
        switch n.kind {
        case 0: return true
        case 1: return false
        case 2:
            let x: Double
            switch row[Int(n.slot)] {
            case .number(let d): x = d
            case .missing: return nil
            case .boolean(let b): x = b ? 1 : 0
            case .string(let s):
                guard let d = Double(s) else { return nil }
                x = d
            }
            return n.op.test(x, n.value)
        case 3:
            switch row[Int(n.slot)] {
            case .missing: return nil
            case .string(let s): return n.op.test(s, texts[Int(n.aux)])
            case let v: return n.op.test(v.key, texts[Int(n.aux)])
            }
        default:
            return predicates.eval(n.aux, row)
        }
    }

    /// The node the walk ends at (-1: no prediction) and the number of missing values met on the way.
    func findLeaf(_ row: Row) -> (index: Int, missing: Int) {
        findLeaf(root: 0, missingStrategy: missingStrategy, returnLastOnNoTrueChild: returnLastOnNoTrueChild, row)
    }

    /// The walk of the tree whose root is node `root` (several trees can share the arrays, see `append`).
    func findLeaf(root: Int, missingStrategy: TreeModelCore.MissingStrategy, returnLastOnNoTrueChild: Bool,
                  _ row: Row) -> (index: Int, missing: Int) {
        guard root < nodes.count, test(root, row) == true else { return (-1, 0) }
        var node = root
        var missing = 0
        while true {
            let childCount = Int(nodes[node].childCount)
            if childCount == 0 { return (node, missing) }
            var selected = -1
            var i = Int(nodes[node].firstChild)
            let end = i + childCount
            while i < end {
                switch test(i, row) {
                case .some(true):
                    selected = i
                case .some(false):
                    break
                case nil:
                    switch missingStrategy {
                    case .none: break
                    case .nullPrediction: return (-1, missing)
                    case .lastPrediction: return nodes[node].scoreMissing ? (-1, missing) : (node, missing)
                    case .defaultChild:
                        missing += 1
                        if nodes[node].defaultChild < 0 { return (-1, missing) }
                        selected = Int(nodes[node].defaultChild)
                    }
                }
                if selected >= 0 { break }
                i += 1
            }
            if selected < 0 {
                if returnLastOnNoTrueChild && !nodes[node].scoreMissing { return (node, missing) }
                return (-1, missing)
            }
            node = selected
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Compiler {
    func compileTreeModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        let ms = e.attr("missingValueStrategy") ?? "none"
        guard let strategy = TreeModelCore.MissingStrategy(rawValue: ms) else {
            throw unsupported(e, "missingValueStrategy \"\(ms)\"")
        }
        let nts = e.attr("noTrueChildStrategy") ?? "returnNullPrediction"
        guard nts == "returnNullPrediction" || nts == "returnLastPrediction" else {
            throw unsupported(e, "noTrueChildStrategy \"\(nts)\"")
        }
        guard let root = e.child("Node") else { throw error(e, "TreeModel without Node") }
        let classification = c.function == .classification
        var categories = c.categories
        if classification && categories.isEmpty {
            // Collect from the ScoreDistributions in document order.
            var seen = Set<String>()
            var stack = [root]
            while let n = stack.popLast() {
                for sd in n.all("ScoreDistribution") {
                    if let v = sd.attr("value"), !seen.contains(v) { seen.insert(v); categories.append(v) }
                }
                stack.append(contentsOf: n.all("Node").reversed())
            }
        }
        var nodes: [TreeModelCore.Node] = []
        var probs: [Double] = []
        var confs: [Double] = []
        var anyConfidence = false
        let scoreType: DataType = classification ? .string : (c.floatMath ? .float : .double)
        // Breadth-first layout so each node's children are contiguous.
        var queue: [(XElement, Int)] = [(root, 0)]
        nodes.append(try makeNode(root, c, scoreType, categories, classification, &probs, &confs, &anyConfidence))
        var head = 0
        while head < queue.count {
            let (el, index) = queue[head]
            head += 1
            let kids = el.all("Node")
            nodes[index].firstChild = nodes.count
            nodes[index].childCount = kids.count
            let defaultId = el.attr("defaultChild")
            for k in kids {
                let ni = nodes.count
                nodes.append(try makeNode(k, c, scoreType, categories, classification, &probs, &confs, &anyConfidence))
                if let defaultId, k.attr("id") == defaultId { nodes[index].defaultChild = ni }
                queue.append((k, ni))
            }
            if strategy == .defaultChild, defaultId != nil, nodes[index].defaultChild < 0 {
                throw error(el, "defaultChild \"\(defaultId ?? "")\" names no child node")
            }
        }
        return TreeModelCore(
            nodes: nodes, categories: categories, probabilities: probs, confidences: anyConfidence ? confs : nil,
            missingStrategy: strategy, returnLastOnNoTrueChild: nts == "returnLastPrediction",
            penalty: try double(e, "missingValuePenalty") ?? 1, classification: classification)
    }

    private func makeNode(
        _ el: XElement, _ c: ModelContext, _ scoreType: DataType, _ categories: [String], _ classification: Bool,
        _ probs: inout [Double], _ confs: inout [Double], _ anyConfidence: inout Bool
    ) throws(PMMLError) -> TreeModelCore.Node {
        if el.child("Partition") != nil || el.child("Regression") != nil || el.child("DecisionTree") != nil {
            throw unsupported(el, "embedded model in Node")
        }
        let predicate = try firstPredicate(el, c.scope)
        var score: Value = .missing
        if let s = el.attr("score") {
            score = classification ? .string((c.targetType?.parse(text: s) ?? .string(s)).key) : try literal(el, s, as: scoreType)
        }
        let dists = el.all("ScoreDistribution")
        var hasDist = false
        let start = probs.count
        if classification && !dists.isEmpty {
            hasDist = true
            var counts = [Double](repeating: 0, count: categories.count)
            var explicit = [Double?](repeating: nil, count: categories.count)
            var conf = [Double](repeating: 0, count: categories.count)
            var total = 0.0
            for sd in dists {
                let v = try required(sd, "value")
                let key = (c.targetType?.parse(text: v) ?? .string(v)).key
                guard let i = categories.firstIndex(of: key) ?? categories.firstIndex(of: v) else {
                    throw error(sd, "ScoreDistribution value \"\(v)\" is not a target category")
                }
                let rc = try requiredDouble(sd, "recordCount")
                counts[i] = rc
                total += rc
                explicit[i] = try double(sd, "probability")
                if let cf = try double(sd, "confidence") { conf[i] = cf; anyConfidence = true }
            }
            for i in categories.indices {
                probs.append(explicit[i] ?? (total > 0 ? counts[i] / total : 0))
            }
            confs.append(contentsOf: conf)
        }
        let id: Value = el.attr("id").map { Value.string($0) } ?? .missing
        return TreeModelCore.Node(predicate: predicate, firstChild: 0, childCount: 0, defaultChild: -1, score: score,
                                  id: id, distStart: start, hasDistribution: hasDist)
    }
}
