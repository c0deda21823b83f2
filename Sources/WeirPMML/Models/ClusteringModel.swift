/// A center-based ClusteringModel: the winning cluster is the nearest center (smallest distance or largest
/// similarity; the first in document order on ties). Affinities are the per-cluster distances/similarities.
struct ClusteringModelCore: ModelCore {
    struct Cluster: Sendable {
        var id: String
        var center: [Value]
    }

    var measure: ComparisonMeasure
    var clusters: [Cluster]
    /// `clusters.map(\.id)`.
    var ids: [String]
    /// The centers for `ComparisonMeasure.numericDistances` (nil: the general path only).
    var numericCenters: [Double]? = nil

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var values: [Double]
        if let numericCenters, let ds = measure.numericDistances(row, numericCenters, count: clusters.count) {
            values = ds
        } else {
            let xs = measure.inputs(row)
            let adjustment = measure.isSimilarity ? 1 : measure.adjustment(xs)
            values = []
            values.reserveCapacity(clusters.count)
            for c in clusters { values.append(try measure.measure(xs, c.center, adjustment: adjustment)) }
        }
        var p = Prediction()
        var best = -1
        var bestValue = 0.0
        for (i, d) in values.enumerated() where best < 0 || measure.closer(d, bestValue) { best = i; bestValue = d }
        guard best >= 0, !bestValue.isNaN else { return .missing }
        p.setAffinities(keys: ids, values: values)
        p.value = .string(clusters[best].id)
        p.entityId = p.value
        p.affinity = bestValue
        p.clusterIndex = best
        return p
    }
}

extension Compiler {
    func compileClusteringModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        guard c.function == .clustering else { throw unsupported(e, "ClusteringModel functionName \"\(c.function.rawValue)\"") }
        let modelClass = try required(e, "modelClass")
        guard modelClass == "centerBased" else { throw unsupported(e, "ClusteringModel modelClass \"\(modelClass)\"") }
        if let cf = e.child("CenterFields") { throw unsupported(cf, "element CenterFields (use ClusteringField)") }
        guard let cm = e.child("ComparisonMeasure") else { throw error(e, "ClusteringModel without ComparisonMeasure") }
        let (metric, defaultCompare) = try compileMetric(cm)
        if !["absDiff", "delta", "equal"].contains(defaultCompare) {
            throw unsupported(cm, "ComparisonMeasure compareFunction \"\(defaultCompare)\" (only per ClusteringField)")
        }
        var fields: [ComparisonMeasure.Field] = []
        var types: [DataType] = []
        for f in e.all("ClusteringField") {
            let info = try field(f, try required(f, "field"), in: c.scope)
            switch f.attr("isCenterField") ?? "true" {
            case "true": break
            case "false": continue
            case let other: throw error(f, "isCenterField \"\(other)\" is not a boolean")
            }
            let compare = try compileCompare(f, f.attr("compareFunction"), defaultCompare, info,
                                             comparisons: f.child("Comparisons"))
            fields.append(.init(slot: info.slot, weight: try double(f, "fieldWeight") ?? 1, compare: compare,
                                missingWeight: 1))
            types.append(info.dataType)
        }
        if fields.isEmpty { throw error(e, "ClusteringModel without center ClusteringField") }
        if let mvw = e.child("MissingValueWeights") {
            guard let a = mvw.child("Array") else { throw error(mvw, "MissingValueWeights without Array") }
            let ws = try referenceValues(a, types: [DataType](repeating: .double, count: fields.count))
            for i in fields.indices { fields[i].missingWeight = ws[i].double ?? 1 }
        }
        var clusters: [ClusteringModelCore.Cluster] = []
        for (i, cl) in e.all("Cluster").enumerated() {
            guard let a = cl.child("Array") else { throw error(cl, "Cluster without a center Array") }
            clusters.append(.init(id: cl.attr("id") ?? String(i + 1), center: try referenceValues(a, types: types)))
        }
        if clusters.isEmpty { throw error(e, "ClusteringModel without Cluster") }
        if let n = e.attr("numberOfClusters"), Int(n) != clusters.count {
            throw error(e, "numberOfClusters=\"\(n)\" but \(clusters.count) Cluster elements")
        }
        var core = ClusteringModelCore(measure: ComparisonMeasure(metric: metric, fields: fields), clusters: clusters,
                                       ids: clusters.map(\.id))
        core.numericCenters = core.measure.numericReferences(clusters.map(\.center))
        return core
    }
}
