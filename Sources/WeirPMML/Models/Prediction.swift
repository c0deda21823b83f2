/// What one segment of a MiningModel produced: its result and its output field values by name.
struct SegmentRecord: Sendable {
    var prediction: Prediction
    var outputs: [String: Value]
}

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
    /// Results of the segments that ran, by segment id (MiningModel with segmentId outputs or selectAll).
    var segmentResults: [String: SegmentRecord] = [:]

    /// No result at all: the model's output fields are then missing and undeclared (JPMML skips them, and
    /// an expression that references one rejects the row).
    var isEmptyResult: Bool {
        value.isMissing && entityId.isMissing && rankedIds.isEmpty && affinities.isEmpty && segmentResults.isEmpty
    }

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

/// Index of the largest value the way JPMML ranks results (Java's `Double.compare`: NaN above every number);
/// the first of equal values wins. -1 for an empty array.
func winningIndex(_ values: [Double]) -> Int {
    var best = -1
    for i in values.indices where best < 0 || ranksAbove(values[i], values[best]) { best = i }
    return best
}

/// `a > b` under Java's `Double.compare` ordering, where NaN is greater than any number.
@inline(__always)
func ranksAbove(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN { return !b.isNaN }
    if b.isNaN { return false }
    return a > b
}
