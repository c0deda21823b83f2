import Testing
@testable import WeirPMML

/// NeuralNetwork: layer activations, radial basis, layer normalisation, NeuralOutputs mapping, errors.
@Suite struct NeuralNetworkTests {
    typealias F = ModelFamilyFixture

    static let fields = """
        <DataField name="x" optype="continuous" dataType="double"/>
        <DataField name="z" optype="continuous" dataType="double"/>
        <DataField name="y" optype="continuous" dataType="double"/>
        <DataField name="t" optype="categorical" dataType="string"><Value value="A"/><Value value="B"/></DataField>
        """

    static func network(function: String = "regression", target: String = "y", attributes: String = "",
                        layers: String, outputs: String) -> String {
        F.document(fields: fields, model: """
            <NeuralNetwork functionName="\(function)" activationFunction="identity" \(attributes)>
              <MiningSchema>
                <MiningField name="x"/><MiningField name="z"/><MiningField name="\(target)" usageType="target"/>
              </MiningSchema>
              <Output>
                <OutputField name="pA" optype="continuous" dataType="double" feature="probability" value="A"/>
                <OutputField name="neuron" optype="categorical" dataType="string" feature="entityId"/>
              </Output>
              <NeuralInputs>
                <NeuralInput id="i1"><DerivedField optype="continuous" dataType="double"><FieldRef field="x"/></DerivedField></NeuralInput>
                <NeuralInput id="i2"><DerivedField optype="continuous" dataType="double"><FieldRef field="z"/></DerivedField></NeuralInput>
              </NeuralInputs>
              \(layers)
              <NeuralOutputs>\(outputs)</NeuralOutputs>
            </NeuralNetwork>
            """)
    }

    @Test func logisticHiddenLayerAndDenormalisedOutput() throws {
        let m = try F.load(Self.network(layers: """
            <NeuralLayer activationFunction="logistic">
              <Neuron id="h1" bias="0.5"><Con from="i1" weight="1"/><Con from="i2" weight="-1"/></Neuron>
            </NeuralLayer>
            <NeuralLayer>
              <Neuron id="o1" bias="1"><Con from="h1" weight="2"/></Neuron>
            </NeuralLayer>
            """, outputs: """
            <NeuralOutput outputNeuron="o1">
              <DerivedField optype="continuous" dataType="double">
                <NormContinuous field="y"><LinearNorm orig="0" norm="0"/><LinearNorm orig="10" norm="1"/></NormContinuous>
              </DerivedField>
            </NeuralOutput>
            """))
        // h1 = logistic(0.5 + 1 - 1.5) = 0.5; o1 = 1 + 2 * 0.5 = 2; y = 2 * 10.
        #expect(F.close(try F.score(m, ["x": "1", "z": "1.5"])["y"], 20))
        // A missing input makes the prediction missing.
        #expect(try F.score(m, ["x": "1"])["y"] == .missing)
    }

    @Test func softmaxLayerGivesClassProbabilities() throws {
        let m = try F.load(Self.network(function: "classification", target: "t", layers: """
            <NeuralLayer normalizationMethod="softmax">
              <Neuron id="a"><Con from="i1" weight="1"/></Neuron>
              <Neuron id="b"><Con from="i1" weight="-1"/></Neuron>
            </NeuralLayer>
            """, outputs: """
            <NeuralOutput outputNeuron="a"><DerivedField optype="categorical" dataType="string"><NormDiscrete field="t" value="A"/></DerivedField></NeuralOutput>
            <NeuralOutput outputNeuron="b"><DerivedField optype="categorical" dataType="string"><NormDiscrete field="t" value="B"/></DerivedField></NeuralOutput>
            """))
        var r = try F.score(m, ["x": "0.5", "z": "0"])
        #expect(r["t"] == .string("A"))
        #expect(F.close(r["pA"], 0.7310585786300049))
        r = try F.score(m, ["x": "-0.5", "z": "0"])
        #expect(r["t"] == .string("B"))
        #expect(r["neuron"] == .string("b"))
        #expect(F.close(r["pA"], 0.2689414213699951))
    }

    @Test func radialBasisUsesDistanceWidthAndAltitude() throws {
        let m = try F.load(Self.network(layers: """
            <NeuralLayer activationFunction="radialBasis" width="1" altitude="2">
              <Neuron id="r1" bias="100"><Con from="i1" weight="1"/><Con from="i2" weight="2"/></Neuron>
            </NeuralLayer>
            """, outputs: """
            <NeuralOutput outputNeuron="r1"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput>
            """))
        // exp(-((1-1)^2 + (3-2)^2) / (2 * 1^2) + 2 ln 2); the bias plays no part.
        #expect(F.close(try F.score(m, ["x": "1", "z": "3"])["y"], 2.4261226388505337))
    }

    @Test func thresholdActivationUsesTheNetworkThreshold() throws {
        let m = try F.load(Self.network(attributes: "threshold=\"0.5\"", layers: """
            <NeuralLayer activationFunction="threshold">
              <Neuron id="s"><Con from="i1" weight="1"/></Neuron>
            </NeuralLayer>
            """, outputs: """
            <NeuralOutput outputNeuron="s"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput>
            """))
        #expect(try F.score(m, ["x": "0.6", "z": "0"])["y"] == .number(1))
        #expect(try F.score(m, ["x": "0.5", "z": "0"])["y"] == .number(0))
    }

    @Test func simplemaxOverZeroOutputsRejectsTheRow() throws {
        let m = try F.load(Self.network(layers: """
            <NeuralLayer activationFunction="rectifier" normalizationMethod="simplemax">
              <Neuron id="a"><Con from="i1" weight="1"/></Neuron>
              <Neuron id="b"><Con from="i1" weight="2"/></Neuron>
            </NeuralLayer>
            """, outputs: """
            <NeuralOutput outputNeuron="b"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput>
            """))
        // x = 1: outputs 1 and 2, normalised 1/3 and 2/3.
        #expect(F.close(try F.score(m, ["x": "1", "z": "0"])["y"], 2.0 / 3))
        // x = -1: both rectified to 0; JPMML calls the result undefined.
        #expect(throws: RowRejection.self) { try F.score(m, ["x": "-1", "z": "0"]) }
    }

    @Test func connectionFromAnUnknownEntityIsALoadError() {
        let error = #expect(throws: PMMLError.self) {
            try F.load(Self.network(layers: """
                <NeuralLayer><Neuron id="s"><Con from="nowhere" weight="1"/></Neuron></NeuralLayer>
                """, outputs: """
                <NeuralOutput outputNeuron="s"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput>
                """))
        }
        #expect(error?.element == "Con")
        #expect(error.map { $0.description.contains("nowhere") } == true)
    }

    @Test func unknownActivationIsALoadError() {
        let error = #expect(throws: PMMLError.self) {
            try F.load(Self.network(layers: """
                <NeuralLayer activationFunction="softsign"><Neuron id="s"><Con from="i1" weight="1"/></Neuron></NeuralLayer>
                """, outputs: """
                <NeuralOutput outputNeuron="s"><DerivedField optype="continuous" dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput>
                """))
        }
        #expect(error?.element == "NeuralLayer")
    }
}
