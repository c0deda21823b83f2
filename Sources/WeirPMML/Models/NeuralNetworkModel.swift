#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A feed-forward NeuralNetwork compiled to flat arrays: entity values live in one buffer
/// (inputs first, then the neurons layer by layer) and connections index into it.
struct NeuralNetworkCore: ModelCore {
    enum Activation: Sendable {
        case threshold(Double)
        case logistic, tanh, identity, exponential, reciprocal, square, gauss, sine, cosine, elliott, arctan
        case rectifier
        case radialBasis

        func apply(_ z: Double) -> Double {
            switch self {
            case .threshold(let t): return z > t ? 1 : 0
            case .logistic: return 1 / (1 + LibM.exp(-z))
            case .tanh: return LibM.tanh(z)
            case .identity: return z
            case .exponential: return LibM.exp(z)
            case .reciprocal: return 1 / z
            case .square: return z * z
            case .gauss: return LibM.exp(-(z * z))
            case .sine: return LibM.sin(z)
            case .cosine: return LibM.cos(z)
            case .elliott: return z / (1 + abs(z))
            case .arctan: return 2 * LibM.atan(z) / Double.pi
            case .rectifier: return Swift.max(z, 0)
            case .radialBasis: return z
            }
        }
    }

    enum LayerNormalization: String, Sendable { case none, simplemax, softmax }

    struct Neuron: Sendable {
        var bias: Double
        /// Range into `sources` / `weights`.
        var start: Int
        var count: Int
        /// radialBasis: width and ln(altitude) * fan-in.
        var width: Double
        var altitudeTerm: Double
    }

    struct Layer: Sendable {
        var activation: Activation
        var normalization: LayerNormalization
        /// Index of the first neuron's value in the value buffer; neurons are contiguous.
        var firstValue: Int
        var neurons: [Neuron]
    }

    enum Output: Sendable {
        case category(String)
        case value
        /// NormContinuous inverse: norm -> orig, piecewise linear.
        case denormalize(orig: [Double], norm: [Double])
    }

    var inputs: [Expr]
    var layers: [Layer]
    var sources: [Int]
    var weights: [Double]
    var valueCount: Int
    /// (value index of the output neuron, how it maps to the target), in NeuralOutputs order.
    var outputs: [(Int, Output)]
    /// Entity ids by value index (NeuralInput and Neuron ids).
    var ids: [String]
    var classification: Bool

    func predict(_ row: inout Row) throws(RowRejection) -> Prediction {
        var values = [Double](repeating: 0, count: valueCount)
        for (i, input) in inputs.enumerated() {
            guard let x = input.eval(&row).double else { return .missing }
            values[i] = x
        }
        for layer in layers {
            var slot = layer.firstValue
            for n in layer.neurons {
                var z = 0.0
                if case .radialBasis = layer.activation {
                    for k in n.start..<(n.start + n.count) {
                        let d = values[sources[k]] - weights[k]
                        z += d * d
                    }
                    z /= -2 * n.width * n.width
                    z += n.altitudeTerm
                    z = LibM.exp(z)
                } else {
                    for k in n.start..<(n.start + n.count) { z += weights[k] * values[sources[k]] }
                    z += n.bias
                    z = layer.activation.apply(z)
                }
                values[slot] = z
                slot += 1
            }
            let range = layer.firstValue..<(layer.firstValue + layer.neurons.count)
            switch layer.normalization {
            case .none: break
            case .simplemax:
                var sum = 0.0
                for i in range { sum += values[i] }
                // JPMML 1.7.7 refuses the row rather than divide by a zero sum.
                if sum == 0 { throw RowRejection(message: "simplemax over outputs that sum to zero (undefined result)") }
                for i in range { values[i] /= sum }
            case .softmax:
                var m = -Double.infinity
                for i in range { m = Swift.max(m, values[i]) }
                var sum = 0.0
                for i in range { values[i] = LibM.exp(values[i] - m); sum += values[i] }
                for i in range { values[i] /= sum }
            }
        }
        var p = Prediction()
        if !classification {
            let (i, mapping) = outputs[0]
            var y = values[i]
            if case .denormalize(let orig, let norm) = mapping { y = Self.denormalize(y, orig, norm) }
            p.value = .number(y)
            return p
        }
        var best = -1
        for (k, (i, mapping)) in outputs.enumerated() {
            guard case .category(let c) = mapping else { continue }
            p.categories.append(c)
            p.probabilities.append(values[i])
            if best < 0 || ranksAbove(values[i], values[outputs[best].0]) { best = k }
        }
        guard best >= 0, case .category(let winner) = outputs[best].1 else { return .missing }
        p.value = .string(winner)
        p.entityId = .string(ids[outputs[best].0])
        return p
    }

    static func denormalize(_ y: Double, _ orig: [Double], _ norm: [Double]) -> Double {
        let n = norm.count
        var i = 0
        while i < n - 2 && y > norm[i + 1] { i += 1 }
        return orig[i] + (y - norm[i]) / (norm[i + 1] - norm[i]) * (orig[i + 1] - orig[i])
    }
}

extension Compiler {
    func compileNeuralNetwork(_ c: ModelContext) throws(PMMLError) -> any ModelCore {
        let e = c.element
        let classification: Bool
        switch c.function {
        case .classification: classification = true
        case .regression: classification = false
        default: throw unsupported(e, "NeuralNetwork functionName \"\(c.function.rawValue)\"")
        }
        var ids: [String: Int] = [:]
        var inputs: [Expr] = []
        guard let neuralInputs = e.child("NeuralInputs") else { throw error(e, "NeuralNetwork without NeuralInputs") }
        for ni in neuralInputs.all("NeuralInput") {
            let id = try required(ni, "id")
            guard let df = ni.child("DerivedField"),
                  let ex = df.children.first(where: { Self.expressionNames.contains($0.name) })
            else { throw error(ni, "NeuralInput without a DerivedField expression") }
            if ids[id] != nil { throw error(ni, "duplicate neural entity id \"\(id)\"") }
            ids[id] = inputs.count
            inputs.append(.cast(try dataType(df) ?? .double, try compileExpression(ex, c.scope)))
        }
        if inputs.isEmpty { throw error(neuralInputs, "NeuralInputs without NeuralInput") }

        let networkActivation = e.attr("activationFunction")
        let networkNormalization = e.attr("normalizationMethod") ?? "none"
        var layers: [NeuralNetworkCore.Layer] = []
        var sources: [Int] = []
        var weights: [Double] = []
        var valueCount = inputs.count
        for l in e.all("NeuralLayer") {
            guard let name = l.attr("activationFunction") ?? networkActivation else {
                throw error(l, "NeuralLayer without activationFunction (none on the NeuralNetwork either)")
            }
            let threshold = try attribute(l, e, "threshold") ?? 0
            let altitude = try attribute(l, e, "altitude") ?? 1
            let layerWidth = try attribute(l, e, "width")
            let activation: NeuralNetworkCore.Activation
            switch name {
            case "threshold": activation = .threshold(threshold)
            case "logistic": activation = .logistic
            case "tanh": activation = .tanh
            case "identity": activation = .identity
            case "exponential": activation = .exponential
            case "reciprocal": activation = .reciprocal
            case "square": activation = .square
            case "Gauss": activation = .gauss
            case "sine": activation = .sine
            case "cosine": activation = .cosine
            case "Elliott": activation = .elliott
            case "arctan": activation = .arctan
            case "rectifier": activation = .rectifier
            case "radialBasis": activation = .radialBasis
            default: throw unsupported(l, "activationFunction \"\(name)\"")
            }
            let normName = l.attr("normalizationMethod") ?? networkNormalization
            guard let normalization = NeuralNetworkCore.LayerNormalization(rawValue: normName) else {
                throw unsupported(l, "normalizationMethod \"\(normName)\"")
            }
            var neurons: [NeuralNetworkCore.Neuron] = []
            var layerIds: [(String, Int)] = []
            for n in l.all("Neuron") {
                let id = try required(n, "id")
                let start = sources.count
                for con in n.all("Con") {
                    let from = try required(con, "from")
                    guard let source = ids[from] else {
                        throw error(con, "Con from \"\(from)\" names no NeuralInput or Neuron of an earlier layer")
                    }
                    sources.append(source)
                    weights.append(try requiredDouble(con, "weight"))
                }
                let count = sources.count - start
                var width = 0.0
                var altitudeTerm = 0.0
                if case .radialBasis = activation {
                    guard let w = try double(n, "width") ?? layerWidth else {
                        throw error(n, "radialBasis neuron without width (none on its layer or network either)")
                    }
                    width = w
                    // JPMML takes the altitude from the layer or the network.
                    if altitude != 1 { altitudeTerm = LibM.log(altitude) * Double(count) }
                }
                neurons.append(.init(bias: try double(n, "bias") ?? 0, start: start, count: count, width: width,
                                     altitudeTerm: altitudeTerm))
                layerIds.append((id, valueCount + neurons.count - 1))
            }
            for (id, index) in layerIds {
                if ids[id] != nil { throw error(l, "duplicate neural entity id \"\(id)\"") }
                ids[id] = index
            }
            layers.append(.init(activation: activation, normalization: normalization, firstValue: valueCount,
                                neurons: neurons))
            valueCount += neurons.count
        }
        if layers.isEmpty { throw error(e, "NeuralNetwork without NeuralLayer") }

        guard let neuralOutputs = e.child("NeuralOutputs") else { throw error(e, "NeuralNetwork without NeuralOutputs") }
        let targetName = c.scope.lookup(targetFieldName(e) ?? "")?.name
        var outputs: [(Int, NeuralNetworkCore.Output)] = []
        for no in neuralOutputs.all("NeuralOutput") {
            let neuron = try required(no, "outputNeuron")
            guard let index = ids[neuron], index >= inputs.count else {
                throw error(no, "outputNeuron \"\(neuron)\" names no Neuron")
            }
            guard let df = no.child("DerivedField"),
                  let ex = df.children.first(where: { Self.expressionNames.contains($0.name) })
            else { throw error(no, "NeuralOutput without a DerivedField expression") }
            let field = ex.attr("field")
            if field != targetName {
                throw unsupported(ex, "NeuralOutput expression over \"\(field ?? "")\" (only the target field is supported)")
            }
            switch (ex.name, classification) {
            case ("NormDiscrete", true):
                let v = try required(ex, "value")
                outputs.append((index, .category((c.targetType?.parse(text: v) ?? .string(v)).key)))
            case ("FieldRef", false):
                outputs.append((index, .value))
            case ("NormContinuous", false):
                var orig: [Double] = [], norm: [Double] = []
                for ln in ex.all("LinearNorm") {
                    orig.append(try requiredDouble(ln, "orig"))
                    norm.append(try requiredDouble(ln, "norm"))
                }
                if orig.count < 2 { throw error(ex, "NormContinuous needs at least two LinearNorm elements") }
                outputs.append((index, .denormalize(orig: orig, norm: norm)))
            default:
                throw unsupported(ex, "\(ex.name) in a NeuralOutput of a \(c.function.rawValue) network")
            }
        }
        if outputs.isEmpty { throw error(neuralOutputs, "NeuralOutputs without NeuralOutput") }
        if !classification && outputs.count != 1 {
            throw unsupported(neuralOutputs, "\(outputs.count) NeuralOutputs for one regression target")
        }
        var names = [String](repeating: "", count: valueCount)
        for (id, index) in ids { names[index] = id }
        return NeuralNetworkCore(inputs: inputs, layers: layers, sources: sources, weights: weights,
                                 valueCount: valueCount, outputs: outputs, ids: names, classification: classification)
    }

    /// A numeric NeuralLayer attribute, defaulting to the NeuralNetwork's.
    private func attribute(_ layer: XElement, _ network: XElement, _ key: String) throws(PMMLError) -> Double? {
        if let d = try double(layer, key) { return d }
        return try double(network, key)
    }

    /// The name of the model's target MiningField.
    func targetFieldName(_ model: XElement) -> String? {
        model.child("MiningSchema")?.all("MiningField").first {
            let u = $0.attr("usageType")
            return u == "target" || u == "predicted"
        }?.attr("name")
    }
}
