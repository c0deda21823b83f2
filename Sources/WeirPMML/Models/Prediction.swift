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
    var affinity: Double? = nil
    /// Index of the winning cluster in document order (ClusteringModel).
    var clusterIndex: Int? = nil
    /// The results only some model families give, out of line: copying or destroying a prediction (several
    /// times per row) touches one reference for all of them, nil for most models.
    private var details: Details? = nil

    /// A reference type with value semantics: shared between copies, copied before a write when shared.
    final class Details: @unchecked Sendable {
        /// Affinity per entity: `affinityKeys[i]` has `affinityValues[i]` (the keys are usually the model's own
        /// array, shared: no dictionary is built per row).
        var affinityKeys: [String] = []
        var affinityValues: [Double] = []
        var reasonCodes: [String] = []
        var rankedIds: [Value] = []
        var rankedAffinities: [Double] = []
        var segmentResults: [String: SegmentRecord] = [:]

        func copy() -> Details {
            let d = Details()
            d.affinityKeys = affinityKeys
            d.affinityValues = affinityValues
            d.reasonCodes = reasonCodes
            d.rankedIds = rankedIds
            d.rankedAffinities = rankedAffinities
            d.segmentResults = segmentResults
            return d
        }
    }

    private mutating func writableDetails() -> Details {
        if details == nil {
            details = Details()
        } else if !isKnownUniquelyReferenced(&details!) {
            details = details!.copy()
        }
        return details!
    }

    /// Sets the affinity of each entity `keys[i]` to `values[i]` (same count).
    mutating func setAffinities(keys: [String], values: [Double]) {
        let d = writableDetails()
        d.affinityKeys = keys
        d.affinityValues = values
    }

    /// The affinity of entity `key`; of the last one when keys repeat (as a dictionary filled in order keeps).
    func affinity(of key: String) -> Double? {
        guard let d = details, let i = d.affinityKeys.lastIndex(of: key) else { return nil }
        return d.affinityValues[i]
    }
    var reasonCodes: [String] {
        get { details?.reasonCodes ?? [] }
        set { writableDetails().reasonCodes = newValue }
    }
    /// Entities ranked nearest first (NearestNeighborModel neighbours) and their affinities.
    var rankedIds: [Value] {
        get { details?.rankedIds ?? [] }
        set { writableDetails().rankedIds = newValue }
    }
    var rankedAffinities: [Double] {
        get { details?.rankedAffinities ?? [] }
        set { writableDetails().rankedAffinities = newValue }
    }
    /// Results of the segments that ran, by segment id (MiningModel with segmentId outputs or selectAll).
    var segmentResults: [String: SegmentRecord] {
        get { details?.segmentResults ?? [:] }
        set { writableDetails().segmentResults = newValue }
    }

    /// No result at all: the model's output fields are then missing and undeclared (JPMML skips them, and
    /// an expression that references one rejects the row).
    var isEmptyResult: Bool {
        value.isMissing && entityId.isMissing
            && (details.map { $0.rankedIds.isEmpty && $0.affinityKeys.isEmpty && $0.segmentResults.isEmpty } ?? true)
    }

    static let missing = Prediction()

    func probability(of category: String) -> Double? {
        for i in categories.indices where sameText(categories[i], category) { return probabilities[i] }
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
