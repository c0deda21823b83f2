/// SupportVectorMachineModel. Each machine computes f(x) = sum_i alpha_i K(x, v_i) + b (SupportVectors
/// representation) or sum_j c_j x_j + b (Coefficients representation, linear kernel).
/// Regression: f(x) of the single machine. Classification one-against-one: each machine votes targetCategory
/// when f(x) < threshold, else alternateTargetCategory; ties go to the category whose first vote came earliest.
/// One-against-all: the machine with the smallest f(x) wins (largest with maxWins).
/// alternateBinaryTargetCategory: f(x) rounded must be 1 (targetCategory) or 0 (the alternate category).
struct SupportVectorMachineCore: ModelCore {
    enum Kernel: Sendable {
        case linear
        case polynomial(gamma: Double, coef0: Double, degree: Double)
        case radialBasis(gamma: Double)
        case sigmoid(gamma: Double, coef0: Double)
    }

    enum Input: Sendable {
        case numeric(Int)
        case categorical(Int, String)
    }

    enum Method: Sendable { case regression, oneAgainstOne, oneAgainstAll, binaryRounded }

    struct Machine: Sendable {
        /// Indices into `vectors` and their coefficients (SupportVectors representation).
        var vectorIndices: [Int]
        var alphas: [Double]
        /// Per-input coefficients (Coefficients representation).
        var linear: [Double]?
        var b: Double
        var target: String
        var alternate: String?
        var threshold: Double
    }

    var inputs: [Input]
    var kernel: Kernel
    /// Support vectors, row-major, `inputs.count` values each.
    var vectors: [Double]
    var machines: [Machine]
    /// `machines.map(\.target)`.
    var targets: [String]
    var method: Method
    var maxWins: Bool
    var alternateBinary: String?
    var floatMath: Bool
    /// Vectors referenced by any machine (kernel values computed once per row).
    var usedVectors: [Int]

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        let n = inputs.count
        var x = [Double](repeating: 0, count: n)
        for (j, input) in inputs.enumerated() {
            switch input {
            case .numeric(let s):
                guard let d = row[s].double else { throw RowRejection(message: "missing value in SVM vector field") }
                x[j] = floatMath ? Double(Float(d)) : d
            case .categorical(let s, let key):
                let v = row[s]
                if v.isMissing { throw RowRejection(message: "missing value in SVM vector field") }
                x[j] = v.key == key ? 1 : 0
            }
        }
        var kernelValues = [Double](repeating: 0, count: vectors.count / max(n, 1))
        // Unchecked buffers in the per-vector loops; the sums keep their order (results are bit-identical).
        x.withUnsafeBufferPointer { xb in
            vectors.withUnsafeBufferPointer { vb in
                kernelValues.withUnsafeMutableBufferPointer { kb in
                    usedVectors.withUnsafeBufferPointer { used in
                        var k = 0
                        if !floatMath {
                            // Four vectors at a time: four independent sums (each in input order, so every
                            // kernel value is bit-identical) instead of one chain of dependent additions.
                            while k + 4 <= used.count {
                                kernelValues4(xb, vb, used[k], used[k + 1], used[k + 2], used[k + 3], kb)
                                k += 4
                            }
                        }
                        while k < used.count {
                            kb[used[k]] = kernelValue(xb, vb, used[k] * n)
                            k += 1
                        }
                    }
                }
            }
        }
        var values: [Double] = []
        values.reserveCapacity(machines.count)
        for m in machines {
            var f: Double
            if floatMath {
                var s: Float = 0
                if let c = m.linear { for j in 0..<n { s += Float(c[j]) * Float(x[j]) } }
                else { for (i, v) in m.vectorIndices.enumerated() { s += Float(m.alphas[i]) * Float(kernelValues[v]) } }
                f = Double(s + Float(m.b))
            } else {
                f = 0
                if let c = m.linear { for j in 0..<n { f += c[j] * x[j] } }
                else { for (i, v) in m.vectorIndices.enumerated() { f += m.alphas[i] * kernelValues[v] } }
                f += m.b
            }
            values.append(f)
        }
        var p = Prediction()
        switch method {
        case .regression:
            p.value = .number(values[0])
        case .oneAgainstAll:
            var best = 0
            for i in values.indices.dropFirst() where maxWins ? values[i] > values[best] : values[i] < values[best] { best = i }
            p.value = .string(machines[best].target)
            p.setAffinities(keys: targets, values: values)
        case .oneAgainstOne, .binaryRounded:
            var keys: [String] = []
            var votes: [Int] = []
            for (i, m) in machines.enumerated() {
                let label: String
                if method == .binaryRounded {
                    let r = values[i].rounded(.toNearestOrAwayFromZero)
                    if r == 1 { label = m.target }
                    else if r == 0, let alt = alternateBinary { label = alt }
                    else { throw RowRejection(message: "SVM value \(values[i]) does not round to 0 or 1") }
                } else {
                    label = values[i] < m.threshold ? m.target : (m.alternate ?? m.target)
                }
                if let k = keys.firstIndex(of: label) { votes[k] += 1 } else { keys.append(label); votes.append(1) }
            }
            var best = 0
            for i in votes.indices.dropFirst() where votes[i] > votes[best] { best = i }
            p.value = .string(keys[best])
        }
        return p
    }

    /// `kernelValue` (double arithmetic) of vectors v0...v3 into `out`, the four sums interleaved.
    @inline(__always)
    private func kernelValues4(_ x: UnsafeBufferPointer<Double>, _ vectors: UnsafeBufferPointer<Double>,
                               _ v0: Int, _ v1: Int, _ v2: Int, _ v3: Int, _ out: UnsafeMutableBufferPointer<Double>) {
        let n = x.count
        let p0 = vectors.baseAddress! + v0 * n, p1 = vectors.baseAddress! + v1 * n
        let p2 = vectors.baseAddress! + v2 * n, p3 = vectors.baseAddress! + v3 * n
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        if case .radialBasis = kernel {
            for j in 0..<n {
                let xj = x[j]
                let d0 = xj - p0[j], d1 = xj - p1[j], d2 = xj - p2[j], d3 = xj - p3[j]
                s0 += d0 * d0
                s1 += d1 * d1
                s2 += d2 * d2
                s3 += d3 * d3
            }
        } else {
            for j in 0..<n {
                let xj = x[j]
                s0 += xj * p0[j]
                s1 += xj * p1[j]
                s2 += xj * p2[j]
                s3 += xj * p3[j]
            }
        }
        out[v0] = kernelOf(s0)
        out[v1] = kernelOf(s1)
        out[v2] = kernelOf(s2)
        out[v3] = kernelOf(s3)
    }

    /// The kernel value from its sum (squared distance for the radial basis, dot product otherwise), as
    /// `kernelValue` computes it.
    @inline(__always)
    private func kernelOf(_ s: Double) -> Double {
        switch kernel {
        case .radialBasis(let gamma): return LibM.exp(-s * gamma)
        case .linear: return s
        case .polynomial(let g, let c0, let deg): return LibM.pow(s * g + c0, deg)
        case .sigmoid(let g, let c0): return LibM.tanh(s * g + c0)
        }
    }

    @inline(__always)
    private func kernelValue(_ x: UnsafeBufferPointer<Double>, _ vectors: UnsafeBufferPointer<Double>, _ base: Int) -> Double {
        let n = x.count
        if floatMath {
            var s: Float = 0
            switch kernel {
            case .radialBasis(let gamma):
                for j in 0..<n { let d = Float(x[j]) - Float(vectors[base + j]); s += d * d }
                return Double(Float(LibM.exp(Double(-s * Float(gamma)))))
            default:
                for j in 0..<n { s += Float(x[j]) * Float(vectors[base + j]) }
                switch kernel {
                case .linear: return Double(s)
                case .polynomial(let g, let c0, let deg): return Double(Float(LibM.pow(Double(s * Float(g) + Float(c0)), deg)))
                case .sigmoid(let g, let c0): return Double(Float(LibM.tanh(Double(s * Float(g) + Float(c0)))))
                case .radialBasis: return .nan
                }
            }
        }
        var s = 0.0
        switch kernel {
        case .radialBasis(let gamma):
            for j in 0..<n { let d = x[j] - vectors[base + j]; s += d * d }
            return LibM.exp(-s * gamma)
        case .linear:
            for j in 0..<n { s += x[j] * vectors[base + j] }
            return s
        case .polynomial(let g, let c0, let deg):
            for j in 0..<n { s += x[j] * vectors[base + j] }
            return LibM.pow(s * g + c0, deg)
        case .sigmoid(let g, let c0):
            for j in 0..<n { s += x[j] * vectors[base + j] }
            return LibM.tanh(s * g + c0)
        }
    }
}

extension Compiler {
    func compileSupportVectorMachineModel(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        guard c.function == .classification || c.function == .regression else {
            throw unsupported(e, "SupportVectorMachineModel functionName \"\(c.function.rawValue)\"")
        }
        let representation = e.attr("svmRepresentation") ?? "SupportVectors"
        guard representation == "SupportVectors" || representation == "Coefficients" else {
            throw unsupported(e, "svmRepresentation \"\(representation)\"")
        }
        let maxWins: Bool
        switch e.attr("maxWins") ?? "false" {
        case "true": maxWins = true
        case "false": maxWins = false
        case let other: throw error(e, "maxWins \"\(other)\" is not a boolean")
        }
        let modelThreshold = try double(e, "threshold") ?? 0
        guard let kernelEl = e.children.first(where: { $0.name.hasSuffix("KernelType") }) else {
            throw error(e, "SupportVectorMachineModel without a kernel type")
        }
        let kernel: SupportVectorMachineCore.Kernel
        switch kernelEl.name {
        case "LinearKernelType": kernel = .linear
        case "PolynomialKernelType":
            kernel = .polynomial(gamma: try double(kernelEl, "gamma") ?? 1, coef0: try double(kernelEl, "coef0") ?? 1,
                                 degree: try double(kernelEl, "degree") ?? 1)
        case "RadialBasisKernelType": kernel = .radialBasis(gamma: try double(kernelEl, "gamma") ?? 1)
        case "SigmoidKernelType":
            kernel = .sigmoid(gamma: try double(kernelEl, "gamma") ?? 1, coef0: try double(kernelEl, "coef0") ?? 1)
        default: throw unsupported(kernelEl, "kernel \(kernelEl.name)")
        }
        guard let dict = e.child("VectorDictionary") else { throw error(e, "SupportVectorMachineModel without VectorDictionary") }
        guard let vf = dict.child("VectorFields") else { throw error(dict, "VectorDictionary without VectorFields") }
        var inputs: [SupportVectorMachineCore.Input] = []
        for f in vf.children {
            switch f.name {
            case "FieldRef":
                let info = try field(f, try required(f, "field"), in: c.scope)
                inputs.append(.numeric(info.slot))
            case "CategoricalPredictor":
                let info = try field(f, try required(f, "name"), in: c.scope)
                if let coef = try double(f, "coefficient"), coef != 1 {
                    throw unsupported(f, "CategoricalPredictor coefficient \(coef) in VectorFields (must be 1)")
                }
                let v = try required(f, "value")
                inputs.append(.categorical(info.slot, (info.dataType.parse(text: v) ?? .string(v)).key))
            case "Extension": break
            default: throw unsupported(f, "element \(f.name) in VectorFields")
            }
        }
        let n = inputs.count
        if n == 0 { throw error(vf, "VectorFields without fields") }
        if let nf = vf.attr("numberOfFields"), Int(nf) != n { throw error(vf, "numberOfFields=\"\(nf)\" but \(n) fields") }
        var vectors: [Double] = []
        var index: [String: Int] = [:]
        for vi in dict.all("VectorInstance") {
            let id = try required(vi, "id")
            if index[id] != nil { throw error(vi, "duplicate VectorInstance id \"\(id)\"") }
            var values: [Double]
            if let a = vi.child("Array") {
                values = try referenceValues(a, types: [DataType](repeating: .double, count: n)).map { $0.double ?? .nan }
            } else if let sa = vi.child("REAL-SparseArray") {
                values = try sparseArray(sa, n)
            } else {
                throw error(vi, "VectorInstance without Array or REAL-SparseArray")
            }
            index[id] = vectors.count / n
            vectors.append(contentsOf: values)
        }
        var machines: [SupportVectorMachineCore.Machine] = []
        var used = Set<Int>()
        let svms = e.all("SupportVectorMachine")
        if svms.isEmpty { throw error(e, "SupportVectorMachineModel without SupportVectorMachine") }
        for m in svms {
            guard let coefs = m.child("Coefficients") else { throw error(m, "SupportVectorMachine without Coefficients") }
            let alphas = try coefs.all("Coefficient").map { (cf) throws(PMMLError) in try double(cf, "value") ?? 0 }
            var idx: [Int] = []
            var linear: [Double]?
            if representation == "SupportVectors" {
                let svs = m.child("SupportVectors")?.all("SupportVector") ?? []
                for sv in svs {
                    let id = try required(sv, "vectorId")
                    guard let i = index[id] else { throw error(sv, "vectorId \"\(id)\" names no VectorInstance") }
                    idx.append(i)
                    used.insert(i)
                }
                if idx.count != alphas.count {
                    throw error(m, "\(idx.count) SupportVector elements but \(alphas.count) Coefficient elements")
                }
            } else {
                guard case .linear = kernel else { throw error(m, "Coefficients representation needs LinearKernelType") }
                if alphas.count != n { throw error(coefs, "\(alphas.count) Coefficient elements for \(n) vector fields") }
                linear = alphas
            }
            let target = m.attr("targetCategory").map { t in (c.targetType?.parse(text: t) ?? .string(t)).key }
            let alternate = m.attr("alternateTargetCategory").map { t in (c.targetType?.parse(text: t) ?? .string(t)).key }
            if c.function == .classification && target == nil { throw error(m, "missing required attribute targetCategory") }
            machines.append(.init(vectorIndices: idx, alphas: linear == nil ? alphas : [], linear: linear,
                                  b: try double(coefs, "absoluteValue") ?? 0, target: target ?? "", alternate: alternate,
                                  threshold: try double(m, "threshold") ?? modelThreshold))
        }
        let alternateBinary = e.attr("alternateBinaryTargetCategory").map { t in (c.targetType?.parse(text: t) ?? .string(t)).key }
        var method: SupportVectorMachineCore.Method
        if c.function == .regression {
            if machines.count != 1 { throw error(e, "regression SupportVectorMachineModel needs exactly one SupportVectorMachine") }
            method = .regression
        } else {
            switch e.attr("classificationMethod") {
            case "OneAgainstOne"?: method = .oneAgainstOne
            case "OneAgainstAll"?: method = .oneAgainstAll
            case nil:
                // Older producers omit it: alternate categories mean one-against-one.
                method = machines.contains { $0.alternate != nil } || alternateBinary != nil ? .oneAgainstOne : .oneAgainstAll
            case let other?: throw unsupported(e, "classificationMethod \"\(other)\"")
            }
            if alternateBinary != nil {
                guard machines.count == 1, machines[0].alternate == nil else {
                    throw error(e, "alternateBinaryTargetCategory needs one SupportVectorMachine without alternateTargetCategory")
                }
                method = .binaryRounded
            } else if method == .oneAgainstOne {
                if let m = zip(svms, machines).first(where: { $0.1.alternate == nil }) {
                    throw error(m.0, "one-against-one SupportVectorMachine without alternateTargetCategory")
                }
            } else if let m = zip(svms, machines).first(where: { $0.1.alternate != nil }) {
                throw error(m.0, "alternateTargetCategory in a one-against-all model")
            }
        }
        return SupportVectorMachineCore(
            inputs: inputs, kernel: kernel, vectors: vectors, machines: machines, targets: machines.map(\.target), method: method,
            maxWins: maxWins,
            alternateBinary: alternateBinary, floatMath: c.floatMath, usedVectors: used.sorted())
    }

    /// REAL-SparseArray: 1-based Indices with Entries, defaultValue elsewhere.
    func sparseArray(_ sa: XElement, _ n: Int) throws(PMMLError) -> [Double] {
        if let len = sa.attr("n"), Int(len) != n { throw error(sa, "n=\"\(len)\" but \(n) vector fields") }
        var out = [Double](repeating: try double(sa, "defaultValue") ?? 0, count: n)
        let idx = parseArray(sa.child("Indices")?.text ?? "")
        let vals = parseArray(sa.child("REAL-Entries")?.text ?? "")
        if idx.count != vals.count { throw error(sa, "\(idx.count) Indices but \(vals.count) REAL-Entries") }
        for (i, v) in zip(idx, vals) {
            guard let k = Int(i), k >= 1, k <= n, let d = parseNumber(v) else { throw error(sa, "bad sparse entry \(i)=\(v)") }
            out[k - 1] = d
        }
        return out
    }
}
