/// AnomalyDetectionModel (PMML 4.4): an inner model whose result is turned into an anomaly score.
/// - iforest: the inner model returns the average path length E(h(x)); score = 2^(-E / c(n)) with
///   c(n) = 2 H(n-1) - 2 (n-1) / n, H(i) = ln(i) + 0.5772156649, n = sampleDataSize.
/// - ocsvm: the inner support vector machine's decision value.
/// - clusterMeanDist: distance to the nearest cluster divided by that cluster's mean distance.
struct AnomalyDetectionCore: ModelCore {
    enum Algorithm: Sendable {
        case iforest(normalizer: Double)
        case ocsvm
        case clusterMeanDist([Double])
    }

    var algorithm: Algorithm
    var inner: CompiledModel

    /// Average path length of an unsuccessful binary search tree search over n points.
    static func averagePathLength(_ n: Double) -> Double {
        if n > 2 { return 2 * (LibM.log(n - 1) + 0.5772156649) - 2 * (n - 1) / n }
        if n == 2 { return 1 }
        return 0
    }

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        let r = try inner.evaluate(&row)
        var p = Prediction()
        switch algorithm {
        case .iforest(let c):
            guard let e = r.value.double else { return .missing }
            p.value = .number(LibM.pow(2, -e / c))
        case .ocsvm:
            guard let v = r.value.double else { return .missing }
            p.value = .number(v)
        case .clusterMeanDist(let means):
            guard let i = r.clusterIndex, let d = r.affinity, i < means.count else { return .missing }
            p.value = .number(d / means[i])
        }
        return p
    }
}

extension Compiler {
    func compileAnomalyDetectionModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        guard c.function == .regression else {
            throw unsupported(e, "AnomalyDetectionModel functionName \"\(c.function.rawValue)\" (must be regression)")
        }
        let type = try required(e, "algorithmType")
        guard let innerEl = e.children.first(where: { Self.modelNames.contains($0.name) }) else {
            throw error(e, "AnomalyDetectionModel without an inner model")
        }
        let algorithm: AnomalyDetectionCore.Algorithm
        switch type {
        case "iforest":
            guard let s = e.attr("sampleDataSize"), let n = parseNumber(s), n >= 1 else {
                throw error(e, "iforest AnomalyDetectionModel needs a positive sampleDataSize")
            }
            let cn = AnomalyDetectionCore.averagePathLength(n)
            if !(cn > 0) { throw error(e, "sampleDataSize \(s) gives no path length normalisation") }
            algorithm = .iforest(normalizer: cn)
        case "ocsvm":
            guard innerEl.name == "SupportVectorMachineModel" else {
                throw error(innerEl, "ocsvm AnomalyDetectionModel needs a SupportVectorMachineModel, found \(innerEl.name)")
            }
            algorithm = .ocsvm
        case "clusterMeanDist":
            guard innerEl.name == "ClusteringModel" else {
                throw error(innerEl, "clusterMeanDist AnomalyDetectionModel needs a ClusteringModel, found \(innerEl.name)")
            }
            guard let mcd = e.child("MeanClusterDistances"), let a = mcd.child("Array") else {
                throw error(e, "clusterMeanDist AnomalyDetectionModel without MeanClusterDistances")
            }
            let means = try parseArray(a.text).map { (s) throws(PMMLError) -> Double in
                guard let d = parseNumber(s) else { throw error(a, "\"\(s)\" is not a number") }
                return d
            }
            let clusters = innerEl.all("Cluster").count
            if means.count != clusters { throw error(mcd, "\(means.count) mean distances for \(clusters) clusters") }
            algorithm = .clusterMeanDist(means)
        default:
            throw unsupported(e, "algorithmType \"\(type)\"")
        }
        let inner = try compileModel(innerEl, parent: c.scope, export: nil, topLevel: false, inheritedFloat: c.floatMath)
        if case .iforest = algorithm, inner.function != .regression {
            throw error(innerEl, "iforest inner model must be a regression model")
        }
        return AnomalyDetectionCore(algorithm: algorithm, inner: inner)
    }
}
