/// NearestNeighborModel: the k training instances nearest to the row (ties keep training order) vote
/// (classification), are averaged (regression), or are only reported (clustering, by instance id).
struct NearestNeighborCore: ModelCore {
    enum Scoring: String, Sendable {
        case majorityVote, weightedMajorityVote, average, weightedAverage, median
    }

    var measure: ComparisonMeasure
    /// KNN input values per instance, in KNNInput order.
    var instances: [[Value]]
    var ids: [Value]
    /// Target value per instance (empty for clustering).
    var targets: [Value]
    var k: Int
    var function: MiningFunction
    var scoring: Scoring
    var threshold: Double
    /// Training-data count per target key (categorical tie-break).
    var trainingCounts: [String: Int]
    var numericTarget: Bool
    /// The instances for `ComparisonMeasure.numericDistances` (nil: the general path only).
    var numericInstances: [Double]? = nil

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        let numeric = numericInstances.flatMap { measure.numericDistances(row, $0, count: instances.count) }
        let xs = numeric == nil ? measure.inputs(row) : []
        let adjustment = numeric != nil || measure.isSimilarity ? 1 : measure.adjustment(xs)
        var topD = [Double](repeating: 0, count: k)
        var topI = [Int](repeating: 0, count: k)
        var count = 0
        for i in instances.indices {
            let d: Double
            if let numeric { d = numeric[i] } else { d = try measure.measure(xs, instances[i], adjustment: adjustment) }
            if count == k && !measure.closer(d, topD[k - 1]) { continue }
            var pos = count == k ? k - 1 : count
            while pos > 0 && measure.closer(d, topD[pos - 1]) { pos -= 1 }
            var j = count == k ? k - 1 : count
            while j > pos { topD[j] = topD[j - 1]; topI[j] = topI[j - 1]; j -= 1 }
            topD[pos] = d
            topI[pos] = i
            if count < k { count += 1 }
        }
        var p = Prediction()
        p.rankedIds = topI.prefix(count).map { ids[$0] }
        p.rankedAffinities = Array(topD.prefix(count))
        p.entityId = p.rankedIds.first ?? .missing
        p.affinity = p.rankedAffinities.first
        switch function {
        case .classification: p.value = try vote(topD, topI, count)
        case .regression: p.value = try average(topD, topI, count)
        default: break
        }
        return p
    }

    private func weight(_ d: Double) -> Double { 1 / (d + threshold) }

    private func vote(_ ds: [Double], _ idx: [Int], _ n: Int) throws(RowRejection) -> Value {
        var keys: [String] = []
        var votes: [Double] = []
        for r in 0..<n {
            let t = targets[idx[r]]
            if t.isMissing { throw RowRejection(message: "training instance \(idx[r] + 1) has no target value") }
            let w = scoring == .weightedMajorityVote ? weight(ds[r]) : 1
            if let i = keys.firstIndex(of: t.key) { votes[i] += w } else { keys.append(t.key); votes.append(w) }
        }
        guard let top = votes.max() else { return .missing }
        var winners = keys.indices.filter { votes[$0] == top }.map { keys[$0] }
        if winners.count > 1 {
            // Ties: the category with more training cases, then the smallest value.
            let most = winners.map { trainingCounts[$0] ?? 0 }.max() ?? 0
            winners = winners.filter { (trainingCounts[$0] ?? 0) == most }
            if winners.count > 1 {
                winners.sort { a, b in
                    if numericTarget, let x = Double(a), let y = Double(b) { return x < y }
                    return a < b
                }
            }
        }
        return .string(winners[0])
    }

    private func average(_ ds: [Double], _ idx: [Int], _ n: Int) throws(RowRejection) -> Value {
        var ys: [Double] = []
        for r in 0..<n {
            guard let y = targets[idx[r]].double else {
                throw RowRejection(message: "training instance \(idx[r] + 1) has no numeric target value")
            }
            ys.append(y)
        }
        if ys.isEmpty { return .missing }
        switch scoring {
        case .weightedAverage:
            var s = 0.0, w = 0.0
            for r in 0..<n { let wr = weight(ds[r]); s += wr * ys[r]; w += wr }
            return .number(s / w)
        case .median:
            let v = ys.sorted()
            let m = v.count
            return .number(m % 2 == 1 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2)
        default:
            return .number(ys.reduce(0, +) / Double(ys.count))
        }
    }
}

extension Compiler {
    func compileNearestNeighborModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        switch c.function {
        case .classification, .regression, .clustering: break
        default: throw unsupported(e, "NearestNeighborModel functionName \"\(c.function.rawValue)\"")
        }
        guard let kText = e.attr("numberOfNeighbors"), let k = Int(kText), k >= 1 else {
            throw error(e, "NearestNeighborModel needs a positive numberOfNeighbors")
        }
        let scoringName = c.function == .classification
            ? (e.attr("categoricalScoringMethod") ?? "majorityVote")
            : (e.attr("continuousScoringMethod") ?? "average")
        guard let scoring = NearestNeighborCore.Scoring(rawValue: scoringName),
              c.function != .classification || scoring == .majorityVote || scoring == .weightedMajorityVote,
              c.function == .classification || [.average, .weightedAverage, .median].contains(scoring)
        else { throw unsupported(e, "scoring method \"\(scoringName)\"") }
        guard let cm = e.child("ComparisonMeasure") else { throw error(e, "NearestNeighborModel without ComparisonMeasure") }
        let (metric, defaultCompare) = try compileMetric(cm)
        if metric.isSimilarity && (scoring == .weightedMajorityVote || scoring == .weightedAverage) {
            throw unsupported(e, "weighted scoring with a similarity measure")
        }
        guard let ti = e.child("TrainingInstances") else { throw error(e, "NearestNeighborModel without TrainingInstances") }
        if let tl = ti.child("TableLocator") { throw unsupported(tl, "element TableLocator") }
        guard let table = ti.child("InlineTable") else { throw error(ti, "TrainingInstances without InlineTable") }
        guard let ifs = ti.child("InstanceFields") else { throw error(ti, "TrainingInstances without InstanceFields") }
        var columnOf: [String: String] = [:]
        for f in ifs.all("InstanceField") {
            let name = try required(f, "field")
            columnOf[name] = localName(f.attr("column") ?? name)
        }
        var rows: [[String: String]] = []
        for r in table.all("row") {
            var cells: [String: String] = [:]
            for cell in r.children { cells[localName(cell.name)] = cell.text.trimmingWhitespace() }
            rows.append(cells)
        }
        if let rc = ti.attr("recordCount"), Int(rc) != rows.count {
            throw error(ti, "recordCount=\"\(rc)\" but \(rows.count) rows")
        }
        if rows.count < k { throw error(e, "numberOfNeighbors=\(k) but only \(rows.count) training instances") }
        guard let inputsEl = e.child("KNNInputs") else { throw error(e, "NearestNeighborModel without KNNInputs") }
        var fields: [ComparisonMeasure.Field] = []
        var columns: [(String, DataType, XElement)] = []
        for ki in inputsEl.all("KNNInput") {
            let name = try required(ki, "field")
            let info = try field(ki, name, in: c.scope)
            guard let col = columnOf[name] else {
                throw unsupported(ki, "KNNInput \"\(name)\" that is not an InstanceField (derived training values)")
            }
            let compare = try compileCompare(ki, ki.attr("compareFunction"), defaultCompare, info, comparisons: nil)
            fields.append(.init(slot: info.slot, weight: try double(ki, "fieldWeight") ?? 1, compare: compare, missingWeight: 1))
            columns.append((col, info.dataType, ki))
        }
        if fields.isEmpty { throw error(inputsEl, "KNNInputs without KNNInput") }
        var instances: [[Value]] = []
        for (n, cells) in rows.enumerated() {
            var vs: [Value] = []
            for (col, type, ki) in columns {
                guard let text = cells[col], !text.isEmpty, let v = type.parse(text: text) else {
                    throw error(ki, "training instance \(n + 1) has no valid value in column \(col)")
                }
                vs.append(type.isNumeric || type == .boolean ? v : .string(v.key))
            }
            instances.append(vs)
        }
        var ids: [Value] = (1...rows.count).map { .string(String($0)) }
        if let idVar = e.attr("instanceIdVariable") {
            guard let col = columnOf[idVar] else { throw error(e, "instanceIdVariable \"\(idVar)\" is not an InstanceField") }
            ids = rows.map { $0[col].map(Value.string) ?? .missing }
        } else if c.function == .clustering {
            throw error(e, "clustering NearestNeighborModel needs instanceIdVariable")
        }
        var targets: [Value] = []
        var counts: [String: Int] = [:]
        var numericTarget = false
        if c.function != .clustering {
            let mfs = e.child("MiningSchema")?.all("MiningField") ?? []
            guard let targetName = mfs.first(where: { ["target", "predicted"].contains($0.attr("usageType") ?? "") })?.attr("name") else {
                throw error(e, "NearestNeighborModel without a target MiningField")
            }
            guard let col = columnOf[targetName] else { throw error(ifs, "target \"\(targetName)\" is not an InstanceField") }
            let type = c.targetType ?? .string
            numericTarget = type.isNumeric
            for cells in rows {
                let t = cells[col].flatMap { $0.isEmpty ? nil : (type.parse(text: $0) ?? .string($0)) } ?? .missing
                targets.append(c.function == .classification && !t.isMissing ? .string(t.key) : t)
                if !t.isMissing { counts[t.key, default: 0] += 1 }
            }
        }
        var core = NearestNeighborCore(
            measure: ComparisonMeasure(metric: metric, fields: fields), instances: instances, ids: ids, targets: targets,
            k: k, function: c.function, scoring: scoring, threshold: try double(e, "threshold") ?? 0.001,
            trainingCounts: counts, numericTarget: numericTarget)
        core.numericInstances = core.measure.numericReferences(instances)
        return core
    }
}
