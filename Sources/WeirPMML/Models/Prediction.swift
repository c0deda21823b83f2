/// The result of one model on one row.
struct Prediction: Sendable {
    var value: Value = .missing
    /// Class probabilities (classification) in category order.
    var categories: [String] = []
    var probabilities: [Double] = []
    var confidences: [Double]? = nil
    var confidence: Double? = nil
    var entityId: Value = .missing
    var affinities: [String: Double] = [:]
    var affinity: Double? = nil
    var reasonCodes: [String] = []
    /// Entities ranked nearest first (NearestNeighborModel neighbours) and their affinities.
    var rankedIds: [Value] = []
    var rankedAffinities: [Double] = []
    /// Index of the winning cluster in document order (ClusteringModel).
    var clusterIndex: Int? = nil

    static let missing = Prediction()

    func probability(of category: String) -> Double? {
        if let i = categories.firstIndex(of: category) { return probabilities[i] }
        if let d = Double(category) {
            for (i, c) in categories.enumerated() where Double(c) == d { return probabilities[i] }
        }
        return nil
    }
}

/// A model family's scoring core. Evaluated once per row; hot loops inside use flat arrays.
protocol ModelCore: Sendable {
    func predict(_ row: inout Row) throws(RowRejection) -> Prediction
}

enum MiningFunction: String, Sendable {
    case classification, regression, clustering
    case associationRules, sequences, timeSeries, mixed
}
