import Foundation
import Testing
@testable import WeirPMML

/// SupportVectorMachineModel: kernels, representations, classification methods, thresholds, errors.
@Suite struct SupportVectorMachineModelTests {
    static let fields = """
        <DataField name="x1" optype="continuous" dataType="double"/>
        <DataField name="x2" optype="continuous" dataType="double"/>
        <DataField name="y" optype="categorical" dataType="string"><Value value="yes"/><Value value="no"/><Value value="maybe"/></DataField>
        <DataField name="v" optype="continuous" dataType="double"/>
        """

    /// Two support vectors (1,0) and (0,1); f(x) = K(x,v1) - K(x,v2) + 0.5.
    static func model(kernel: String, function: String = "classification", attributes: String = "",
                      machine: String = "targetCategory=\"yes\" alternateTargetCategory=\"no\"",
                      machines: String? = nil) -> String {
        let target = function == "classification" ? "y" : "v"
        let one = """
            <SupportVectorMachine \(machine)>
              <SupportVectors><SupportVector vectorId="v1"/><SupportVector vectorId="v2"/></SupportVectors>
              <Coefficients absoluteValue="0.5"><Coefficient value="1"/><Coefficient value="-1"/></Coefficients>
            </SupportVectorMachine>
            """
        return PMMLTest.document(fields, """
            <SupportVectorMachineModel functionName="\(function)" \(attributes)>
              <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="\(target)" usageType="target"/></MiningSchema>
              \(kernel)
              <VectorDictionary numberOfVectors="2">
                <VectorFields numberOfFields="2"><FieldRef field="x1"/><FieldRef field="x2"/></VectorFields>
                <VectorInstance id="v1"><Array n="2" type="real">1 0</Array></VectorInstance>
                <VectorInstance id="v2"><REAL-SparseArray n="2"><Indices>2</Indices><REAL-Entries>1</REAL-Entries></REAL-SparseArray></VectorInstance>
              </VectorDictionary>
              \(machines ?? one)
            </SupportVectorMachineModel>
            """)
    }

    /// Seven support vectors (four kernel values computed together, three alone) in a regression machine:
    /// f(x) must equal the sum written out in document order, bit for bit, for every kernel.
    @Test func manyVectorsGiveTheSumInDocumentOrder() throws {
        let vectors: [[Double]] = [[0.3, -1.2], [2.5, 0.7], [-0.4, 0.9], [1.1, 1.1], [0.05, -3], [7, 0.5], [-2, -2]]
        let alphas: [Double] = [0.7, -1.3, 0.25, 2.0, -0.6, 0.011, 1.5]
        let kernels: [(String, (Double) -> Double, Bool)] = [
            ("<LinearKernelType/>", { $0 }, false),
            ("<PolynomialKernelType gamma=\"0.1\" coef0=\"1\" degree=\"3\"/>", { pow($0 * 0.1 + 1, 3) }, false),
            ("<RadialBasisKernelType gamma=\"0.3\"/>", { exp(-$0 * 0.3) }, true),
            ("<SigmoidKernelType gamma=\"0.2\" coef0=\"-0.5\"/>", { tanh($0 * 0.2 - 0.5) }, false),
        ]
        let instances = vectors.enumerated().map { i, v in
            "<VectorInstance id=\"v\(i)\"><Array n=\"2\" type=\"real\">\(v[0]) \(v[1])</Array></VectorInstance>"
        }.joined()
        let refs = vectors.indices.map { "<SupportVector vectorId=\"v\($0)\"/>" }.joined()
        let coefficients = alphas.map { "<Coefficient value=\"\($0)\"/>" }.joined()
        for (kernel, finish, squaredDistance) in kernels {
            let m = try PMMLTest.load(PMMLTest.document(Self.fields, """
                <SupportVectorMachineModel functionName="regression">
                  <MiningSchema><MiningField name="x1"/><MiningField name="x2"/><MiningField name="v" usageType="target"/></MiningSchema>
                  \(kernel)
                  <VectorDictionary numberOfVectors="7">
                    <VectorFields numberOfFields="2"><FieldRef field="x1"/><FieldRef field="x2"/></VectorFields>
                    \(instances)
                  </VectorDictionary>
                  <SupportVectorMachine>
                    <SupportVectors>\(refs)</SupportVectors>
                    <Coefficients absoluteValue="0.125">\(coefficients)</Coefficients>
                  </SupportVectorMachine>
                </SupportVectorMachineModel>
                """))
            for x in [[0.5, 1.5], [-1.25, 0.75], [3, -2]] {
                var f = 0.0
                for (v, a) in zip(vectors, alphas) {
                    var s = 0.0
                    for j in 0..<2 { s += squaredDistance ? (x[j] - v[j]) * (x[j] - v[j]) : x[j] * v[j] }
                    f += a * finish(s)
                }
                f += 0.125
                let r = try #require(PMMLTest.score(m, ["x1": String(x[0]), "x2": String(x[1])]))
                guard case .number(let got) = r["v"] else { Issue.record("no value for \(kernel)"); continue }
                #expect(got.bitPattern == f.bitPattern, "\(kernel) at \(x): \(got) vs \(f)")
            }
        }
    }

    @Test func linearKernelBinaryThreshold() throws {
        let m = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", attributes: "classificationMethod=\"OneAgainstOne\""))
        // f = x1 - x2 + 0.5
        #expect(PMMLTest.text(m, ["x1": "0", "x2": "2"], "y") == "yes")   // -1.5 < 0
        #expect(PMMLTest.text(m, ["x1": "2", "x2": "0"], "y") == "no")    // 2.5 >= 0
        let t = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", attributes: "classificationMethod=\"OneAgainstOne\" threshold=\"3\""))
        #expect(PMMLTest.text(t, ["x1": "2", "x2": "0"], "y") == "yes")   // 2.5 < 3
        let own = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", attributes: "threshold=\"3\"",
                                               machine: "targetCategory=\"yes\" alternateTargetCategory=\"no\" threshold=\"2\""))
        #expect(PMMLTest.text(own, ["x1": "2", "x2": "0"], "y") == "no")  // the machine's own threshold wins
    }

    @Test func kernelsInRegression() throws {
        let poly = try PMMLTest.load(Self.model(kernel: "<PolynomialKernelType gamma=\"0.5\" coef0=\"1\" degree=\"2\"/>", function: "regression"))
        // (0.5*2 + 1)^2 - (0 + 1)^2 + 0.5
        #expect(PMMLTest.double(poly, ["x1": "2", "x2": "0"], "v") == 3.5)
        let rbf = try PMMLTest.load(Self.model(kernel: "<RadialBasisKernelType gamma=\"0.5\"/>", function: "regression"))
        // exp(0) - exp(-0.5 * 2) + 0.5
        #expect(PMMLTest.close(PMMLTest.double(rbf, ["x1": "1", "x2": "0"], "v"), 1.1321205588285577))
        let sig = try PMMLTest.load(Self.model(kernel: "<SigmoidKernelType gamma=\"0.5\" coef0=\"1\"/>", function: "regression"))
        // tanh(0.5*2 + 1) - tanh(1) + 0.5
        #expect(PMMLTest.close(PMMLTest.double(sig, ["x1": "2", "x2": "0"], "v"), 0.9640275800758169 - 0.7615941559557649 + 0.5))
        let lin = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", function: "regression"))
        #expect(PMMLTest.double(lin, ["x1": "3", "x2": "1"], "v") == 2.5)
    }

    @Test func coefficientsRepresentation() throws {
        let xml = Self.model(kernel: "<LinearKernelType/>", function: "regression", attributes: "svmRepresentation=\"Coefficients\"",
                             machines: """
                             <SupportVectorMachine><Coefficients absoluteValue="1"><Coefficient value="2"/><Coefficient value="-3"/></Coefficients></SupportVectorMachine>
                             """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.double(m, ["x1": "1", "x2": "1"], "v") == 0)   // 2 - 3 + 1
    }

    static func constant(_ b: String, _ target: String, _ alternate: String?) -> String {
        """
        <SupportVectorMachine targetCategory="\(target)" \(alternate.map { "alternateTargetCategory=\"\($0)\"" } ?? "")>
          <SupportVectors/><Coefficients absoluteValue="\(b)"/>
        </SupportVectorMachine>
        """
    }

    @Test func oneAgainstOneTieGoesToTheEarliestFirstVote() throws {
        // Three machines vote maybe, yes, no: one vote each; maybe voted first.
        let machines = Self.constant("-1", "maybe", "yes") + Self.constant("-1", "yes", "no") + Self.constant("1", "maybe", "no")
        let m = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", attributes: "classificationMethod=\"OneAgainstOne\"", machines: machines))
        #expect(PMMLTest.text(m, ["x1": "0", "x2": "0"], "y") == "maybe")
        let twoForNo = Self.constant("-1", "maybe", "yes") + Self.constant("1", "yes", "no") + Self.constant("1", "maybe", "no")
        let n = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", attributes: "classificationMethod=\"OneAgainstOne\"", machines: twoForNo))
        #expect(PMMLTest.text(n, ["x1": "0", "x2": "0"], "y") == "no")
    }

    @Test func oneAgainstAllSmallestOrLargestWins() throws {
        let machines = Self.constant("0.3", "yes", nil) + Self.constant("-0.2", "no", nil) + Self.constant("0.9", "maybe", nil)
        let m = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", attributes: "classificationMethod=\"OneAgainstAll\"", machines: machines))
        #expect(PMMLTest.text(m, ["x1": "0", "x2": "0"], "y") == "no")
        let maxWins = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>",
                                                   attributes: "classificationMethod=\"OneAgainstAll\" maxWins=\"true\"", machines: machines))
        #expect(PMMLTest.text(maxWins, ["x1": "0", "x2": "0"], "y") == "maybe")
    }

    @Test func alternateBinaryTargetCategoryRoundsTheValue() throws {
        let m = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", attributes: "alternateBinaryTargetCategory=\"no\"",
                                             machine: "targetCategory=\"yes\""))
        // f = x1 - x2 + 0.5
        #expect(PMMLTest.text(m, ["x1": "0.6", "x2": "0"], "y") == "yes")   // 1.1 -> 1
        #expect(PMMLTest.text(m, ["x1": "0", "x2": "0.4"], "y") == "no")    // 0.1 -> 0
        #expect(PMMLTest.score(m, ["x1": "3", "x2": "0"]) == nil)           // 3.5 -> 4: rejected
    }

    @Test func missingInputRejectsTheRow() throws {
        let m = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", function: "regression"))
        #expect(PMMLTest.score(m, ["x1": "1"]) == nil)
    }

    @Test func floatMathContext() throws {
        let m = try PMMLTest.load(Self.model(kernel: "<LinearKernelType/>", function: "regression", attributes: "x-mathContext=\"float\""))
        // 0.1f - 0.2f + 0.5f in float arithmetic (a double sum gives 0.4 exactly as a double, not the float)
        let got = PMMLTest.double(m, ["x1": "0.1", "x2": "0.2"], "v")
        let a: Float = 0.1, b: Float = 0.2, c: Float = 0.5
        #expect(got == Double(a - b + c))
        #expect(got != 0.1 - 0.2 + 0.5)
    }

    @Test func loadErrors() {
        let badId = Self.model(kernel: "<LinearKernelType/>").replacingOccurrences(of: "vectorId=\"v2\"", with: "vectorId=\"v9\"")
        let e = PMMLTest.loadError(badId)
        #expect(e?.element == "SupportVector")
        #expect(e?.message.contains("v9") == true)
        #expect((e?.line ?? 0) > 0)
        #expect(PMMLTest.loadError(Self.model(kernel: "<LinearKernelType/>", attributes: "svmRepresentation=\"Other\""))?.message.contains("svmRepresentation") == true)
        #expect(PMMLTest.loadError(Self.model(kernel: "<ANOVAKernelType/>"))?.message.contains("ANOVAKernelType") == true)
        #expect(PMMLTest.loadError(Self.model(kernel: "<LinearKernelType/>", attributes: "classificationMethod=\"OneAgainstOne\"",
                                              machine: "targetCategory=\"yes\""))?.message.contains("alternateTargetCategory") == true)
    }
}
