/// A compiled ComparisonMeasure with its per-field compare functions (ClusteringModel, NearestNeighborModel).
///
/// Distances: inner_i = fieldWeight_i * c_i(x_i, y_i)^innerPower, summed (or max for chebychev), scaled by the
/// missing-value adjustment (sum of all missingValueWeights / sum over non-missing fields), then raised to
/// 1/outerPower. Similarities (binary measures) count the 0/1 agreement table a11, a10, a01, a00.
struct ComparisonMeasure: Sendable {
    enum Metric: Sendable {
        case euclidean, squaredEuclidean, chebychev, cityBlock
        case minkowski(Double)
        case simpleMatching, jaccard, tanimoto
        case binarySimilarity(c: (Double, Double, Double, Double), d: (Double, Double, Double, Double))

        var isSimilarity: Bool {
            switch self {
            case .simpleMatching, .jaccard, .tanimoto, .binarySimilarity: return true
            default: return false
            }
        }
    }

    enum Compare: Sendable {
        case absDiff
        case gaussSim(Double)
        case delta
        case equal
        /// Matrix over the field's valid values (in DataDictionary order).
        case table(keys: [String], matrix: [Double])
    }

    struct Field: Sendable {
        var slot: Int
        var weight: Double
        var compare: Compare
        var missingWeight: Double
    }

    var metric: Metric
    var fields: [Field]
    /// The measure's kind: distance (smaller is closer) or similarity (larger is closer).
    var isSimilarity: Bool { metric.isSimilarity }

    /// Reads the inputs of one row: nil for a missing value.
    func inputs(_ row: Row) -> [Value?] {
        fields.map { row[$0.slot].isMissing ? nil : row[$0.slot] }
    }

    /// Missing-value adjustment factor for one row's inputs.
    func adjustment(_ xs: [Value?]) -> Double {
        var total = 0.0, present = 0.0
        for (i, f) in fields.enumerated() {
            total += f.missingWeight
            if xs[i] != nil { present += f.missingWeight }
        }
        return total / present
    }

    /// The value of the compare function for one field.
    private func compare(_ f: Field, _ x: Value, _ y: Value) throws(RowRejection) -> Double {
        switch f.compare {
        case .absDiff:
            guard let a = x.double, let b = y.double else { throw RowRejection(message: "non-numeric value in a distance") }
            return abs(a - b)
        case .gaussSim(let s):
            guard let a = x.double, let b = y.double else { throw RowRejection(message: "non-numeric value in a distance") }
            let z = a - b
            return LibM.exp(-LibM.log(2) * (z * z) / (s * s))
        case .delta:
            return Self.same(x, y) ? 0 : 1
        case .equal:
            return Self.same(x, y) ? 1 : 0
        case .table(let keys, let matrix):
            guard let i = keys.firstIndex(of: x.key), let j = keys.firstIndex(of: y.key) else {
                throw RowRejection(message: "value \"\(x.key)\" is not in the comparison table")
            }
            return matrix[i * keys.count + j]
        }
    }

    private static func same(_ x: Value, _ y: Value) -> Bool {
        if case .number(let a) = x, case .number(let b) = y { return a == b }
        return x.key == y.key
    }

    /// The power each field's compare value is raised to (distances).
    private var innerPower: Double {
        switch metric {
        case .euclidean, .squaredEuclidean: return 2
        case .chebychev, .cityBlock: return 1
        case .minkowski(let p): return p
        default: return 1
        }
    }

    /// One field's weighted term of a distance.
    @inline(__always)
    private static func term(_ c: Double, weight: Double, inner: Double) -> Double {
        if inner == 2 { return weight * (c * c) }
        if inner == 1 { return weight * c }
        return weight * LibM.pow(c, inner)
    }

    /// The distance from the summed (or largest, chebychev) terms and the missing-value adjustment.
    @inline(__always)
    private func outer(sum: Double, maxTerm: Double, adjustment: Double) -> Double {
        switch metric {
        case .euclidean: return (sum * adjustment).squareRoot()
        case .squaredEuclidean, .cityBlock: return sum * adjustment
        case .chebychev: return maxTerm * adjustment
        case .minkowski(let p): return LibM.pow(sum * adjustment, 1 / p)
        default: return .nan
        }
    }

    /// Distance between a row's inputs and a reference vector (same field order).
    func distance(_ xs: [Value?], _ ys: [Value], adjustment: Double) throws(RowRejection) -> Double {
        let inner = innerPower
        var sum = 0.0
        var maxTerm = -Double.infinity
        for (i, f) in fields.enumerated() {
            guard let x = xs[i] else { continue }
            let c = try compare(f, x, ys[i])
            let term = Self.term(c, weight: f.weight, inner: inner)
            sum += term
            if term > maxTerm { maxTerm = term }
        }
        return outer(sum: sum, maxTerm: maxTerm, adjustment: adjustment)
    }

    /// Binary similarity between a row's inputs and a reference vector; every value must be 0 or 1.
    func similarity(_ xs: [Value?], _ ys: [Value]) throws(RowRejection) -> Double {
        var a11 = 0.0, a10 = 0.0, a01 = 0.0, a00 = 0.0
        for i in fields.indices {
            guard let x = xs[i]?.double, x == 0 || x == 1 else {
                throw RowRejection(message: "binary similarity needs 0/1 inputs")
            }
            guard let y = ys[i].double, y == 0 || y == 1 else {
                throw RowRejection(message: "binary similarity needs 0/1 reference values")
            }
            switch (x == 1, y == 1) {
            case (true, true): a11 += 1
            case (true, false): a10 += 1
            case (false, true): a01 += 1
            case (false, false): a00 += 1
            }
        }
        switch metric {
        case .simpleMatching: return (a11 + a00) / (a11 + a10 + a01 + a00)
        case .jaccard: return a11 / (a11 + a10 + a01)
        case .tanimoto: return (a11 + a00) / (a11 + 2 * (a10 + a01) + a00)
        case .binarySimilarity(let c, let d):
            return (c.0 * a11 + c.1 * a10 + c.2 * a01 + c.3 * a00) / (d.0 * a11 + d.1 * a10 + d.2 * a01 + d.3 * a00)
        default: return .nan
        }
    }

    /// Reference vectors as numbers, flattened (vector v's field i at `v * fields.count + i`), for
    /// `numericDistances`: nil unless the measure is a distance whose compare functions are all numeric
    /// (absDiff, gaussSim, delta, equal) and every reference value is a number.
    func numericReferences(_ vectors: [[Value]]) -> [Double]? {
        if isSimilarity { return nil }
        for f in fields { if case .table = f.compare { return nil } }
        var out: [Double] = []
        out.reserveCapacity(vectors.count * fields.count)
        for v in vectors {
            for x in v {
                guard case .number(let d) = x else { return nil }
                out.append(d)
            }
        }
        return out
    }

    /// The distances from a row to `count` reference vectors made by `numericReferences`: the same operations,
    /// in the same order, as `distance`, on plain numbers. nil when an input holds text or a boolean (the
    /// caller then takes the general path).
    func numericDistances(_ row: Row, _ references: [Double], count: Int) -> [Double]? {
        let n = fields.count
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { x -> [Double]? in
            withUnsafeTemporaryAllocation(of: Bool.self, capacity: n) { present -> [Double]? in
                var total = 0.0, weightPresent = 0.0
                for i in 0..<n {
                    let f = fields[i]
                    total += f.missingWeight
                    switch row[f.slot] {
                    case .number(let d):
                        x[i] = d
                        present[i] = true
                        weightPresent += f.missingWeight
                    case .missing: present[i] = false
                    default: return nil
                    }
                }
                let adjustment = total / weightPresent
                let inner = innerPower
                return references.withUnsafeBufferPointer { refs in
                    fields.withUnsafeBufferPointer { fs in
                        [Double](unsafeUninitializedCapacity: count) { out, initialized in
                            for v in 0..<count {
                                let y = refs.baseAddress! + v * n
                                var sum = 0.0
                                var maxTerm = -Double.infinity
                                for i in 0..<n where present[i] {
                                    let c: Double
                                    switch fs[i].compare {
                                    case .absDiff: c = abs(x[i] - y[i])
                                    case .gaussSim(let s):
                                        let z = x[i] - y[i]
                                        c = LibM.exp(-LibM.log(2) * (z * z) / (s * s))
                                    case .delta: c = x[i] == y[i] ? 0 : 1
                                    case .equal: c = x[i] == y[i] ? 1 : 0
                                    case .table: c = .nan  // excluded by numericReferences
                                    }
                                    let term = Self.term(c, weight: fs[i].weight, inner: inner)
                                    sum += term
                                    if term > maxTerm { maxTerm = term }
                                }
                                out[v] = outer(sum: sum, maxTerm: maxTerm, adjustment: adjustment)
                            }
                            initialized = count
                        }
                    }
                }
            }
        }
    }

    /// Distance or similarity, whichever the measure is.
    func measure(_ xs: [Value?], _ ys: [Value], adjustment: Double) throws(RowRejection) -> Double {
        isSimilarity ? try similarity(xs, ys) : try distance(xs, ys, adjustment: adjustment)
    }

    /// True when `a` is strictly closer than `b`.
    @inline(__always)
    func closer(_ a: Double, _ b: Double) -> Bool { isSimilarity ? a > b : a < b }
}

extension Compiler {
    /// Compiles a ComparisonMeasure element's metric and its default compare function.
    func compileMetric(_ cm: XElement) throws(PMMLError) -> (ComparisonMeasure.Metric, String) {
        let kind = try required(cm, "kind")
        guard kind == "distance" || kind == "similarity" else { throw unsupported(cm, "ComparisonMeasure kind \"\(kind)\"") }
        guard let m = cm.children.first(where: { $0.name != "Extension" }) else {
            throw error(cm, "ComparisonMeasure without a measure")
        }
        let metric: ComparisonMeasure.Metric
        switch m.name {
        case "euclidean": metric = .euclidean
        case "squaredEuclidean": metric = .squaredEuclidean
        case "chebychev": metric = .chebychev
        case "cityBlock": metric = .cityBlock
        case "minkowski":
            let p = try requiredDouble(m, "p-parameter")
            if !(p > 0) { throw error(m, "minkowski p-parameter must be positive") }
            metric = .minkowski(p)
        case "simpleMatching": metric = .simpleMatching
        case "jaccard": metric = .jaccard
        case "tanimoto": metric = .tanimoto
        case "binarySimilarity":
            var v: [Double] = []
            for k in ["c11", "c10", "c01", "c00", "d11", "d10", "d01", "d00"] {
                v.append(try requiredDouble(m, k + "-parameter"))
            }
            metric = .binarySimilarity(c: (v[0], v[1], v[2], v[3]), d: (v[4], v[5], v[6], v[7]))
        default: throw unsupported(m, "comparison measure \(m.name)")
        }
        if metric.isSimilarity != (kind == "similarity") {
            throw error(cm, "measure \(m.name) does not match kind \"\(kind)\"")
        }
        return (metric, cm.attr("compareFunction") ?? "absDiff")
    }

    /// One field's compare function: its own `compareFunction` or the measure's default.
    func compileCompare(_ e: XElement, _ own: String?, _ fallback: String, _ info: FieldInfo,
                        comparisons: XElement?) throws(PMMLError) -> ComparisonMeasure.Compare {
        let name = own ?? fallback
        switch name {
        case "absDiff": return .absDiff
        case "delta": return .delta
        case "equal": return .equal
        case "gaussSim":
            guard let s = try double(e, "similarityScale") else {
                throw error(e, "compareFunction gaussSim needs similarityScale")
            }
            return .gaussSim(s)
        case "table":
            guard let comparisons, let matrix = comparisons.child("Matrix") else {
                throw error(e, "compareFunction table needs a Comparisons Matrix")
            }
            guard let keys = info.dataField?.orderedValues, !keys.isEmpty else {
                throw error(e, "compareFunction table needs a field with listed valid values")
            }
            return .table(keys: keys, matrix: try compileMatrix(matrix, size: keys.count))
        default: throw unsupported(e, "compareFunction \"\(name)\"")
        }
    }

    /// A square Matrix (kinds any, symmetric, diagonal; Array rows or MatCell) as a dense row-major array.
    func compileMatrix(_ m: XElement, size n: Int) throws(PMMLError) -> [Double] {
        let kind = m.attr("kind") ?? "any"
        let diagDefault = try double(m, "diagDefault")
        let offDefault = try double(m, "offDiagDefault")
        var out = [Double?](repeating: nil, count: n * n)
        let rows = m.all("Array")
        for (i, a) in rows.enumerated() {
            let vs = try parseArray(a.text).map { (s) throws(PMMLError) -> Double in
                guard let d = parseNumber(s) else { throw error(a, "\"\(s)\" is not a number") }
                return d
            }
            switch kind {
            case "diagonal":
                if vs.count != n { throw error(a, "diagonal Matrix needs \(n) values") }
                for k in 0..<n { out[k * n + k] = vs[k] }
            case "symmetric":
                if i >= n || vs.count != i + 1 { throw error(a, "symmetric Matrix row \(i + 1) needs \(i + 1) values") }
                for j in 0...i { out[i * n + j] = vs[j]; out[j * n + i] = vs[j] }
            case "any":
                if i >= n || vs.count != n { throw error(a, "Matrix row \(i + 1) needs \(n) values") }
                for j in 0..<n { out[i * n + j] = vs[j] }
            default: throw unsupported(m, "Matrix kind \"\(kind)\"")
            }
        }
        for c in m.all("MatCell") {
            guard let r = Int(try required(c, "row")), let col = Int(try required(c, "col")),
                  r >= 1, r <= n, col >= 1, col <= n, let v = parseNumber(c.text.trimmingWhitespace())
            else { throw error(c, "MatCell outside the \(n)x\(n) matrix or not a number") }
            out[(r - 1) * n + (col - 1)] = v
            if kind == "symmetric" { out[(col - 1) * n + (r - 1)] = v }
        }
        var dense = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                if let v = out[i * n + j] { dense[i * n + j] = v; continue }
                guard let d = i == j ? diagDefault : offDefault else {
                    throw error(m, "Matrix has no value for cell (\(i + 1), \(j + 1))")
                }
                dense[i * n + j] = d
            }
        }
        return dense
    }

    /// A reference vector from an Array: numbers for numeric fields, strings otherwise.
    func referenceValues(_ a: XElement, types: [DataType]) throws(PMMLError) -> [Value] {
        let items = parseArray(a.text)
        if let n = a.attr("n"), Int(n) != items.count {
            throw error(a, "Array n=\"\(n)\" but \(items.count) values")
        }
        if items.count != types.count { throw error(a, "Array has \(items.count) values, expected \(types.count)") }
        var out: [Value] = []
        for (s, t) in zip(items, types) {
            if t.isNumeric || t == .boolean {
                guard let d = parseNumber(s) else { throw error(a, "\"\(s)\" is not a number") }
                out.append(.number(d))
            } else {
                out.append(.string(s))
            }
        }
        return out
    }
}
