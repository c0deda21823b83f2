import Testing
@testable import WeirPMML

/// GeneralRegressionModel: model types, link functions, offset/trials, factors, covariates, contrasts, Cox.
@Suite struct GeneralRegressionModelTests {
    typealias F = ModelFamilyFixture

    static func regression(_ attributes: String, ppCells: String, pCells: String,
                           extraFields: String = "", factors: String = "") -> String {
        F.document(fields: """
            <DataField name="x" optype="continuous" dataType="double"/>
            <DataField name="c" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
            <DataField name="y" optype="continuous" dataType="double"/>
            \(extraFields)
            """, model: """
            <GeneralRegressionModel functionName="regression" \(attributes)>
              <MiningSchema>
                <MiningField name="x"/><MiningField name="c"/><MiningField name="y" usageType="target"/>
              </MiningSchema>
              <ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
              <FactorList><Predictor name="c">\(factors)</Predictor></FactorList>
              <CovariateList><Predictor name="x"/></CovariateList>
              <PPMatrix>\(ppCells)</PPMatrix>
              <ParamMatrix>\(pCells)</ParamMatrix>
            </GeneralRegressionModel>
            """)
    }

    static let linearCells = (
        pp: "<PPCell value=\"1\" predictorName=\"x\" parameterName=\"p1\"/>",
        p: "<PCell parameterName=\"p0\" beta=\"0.5\"/><PCell parameterName=\"p1\" beta=\"0.2\"/>")

    @Test func generalLinearIsTheDotProduct() throws {
        let m = try F.load(Self.regression("modelType=\"generalLinear\"", ppCells: Self.linearCells.pp, pCells: Self.linearCells.p))
        #expect(F.close(try F.score(m, ["x": "2"])["y"], 0.9))
        #expect(try F.score(m, [:])["y"] == .missing)
    }

    @Test func generalizedLinearAppliesOffsetThenInverseLink() throws {
        let m = try F.load(Self.regression(
            "modelType=\"generalizedLinear\" linkFunction=\"log\" offsetValue=\"0.1\"",
            ppCells: Self.linearCells.pp, pCells: Self.linearCells.p))
        // exp(0.5 + 0.2 * 2 + 0.1) = e
        #expect(F.close(try F.score(m, ["x": "2"])["y"], 2.718281828459045))
    }

    @Test func trialsMultiplyTheMean() throws {
        let m = try F.load(Self.regression(
            "modelType=\"generalizedLinear\" linkFunction=\"logit\" trialsValue=\"10\"",
            ppCells: Self.linearCells.pp, pCells: "<PCell parameterName=\"p1\" beta=\"0.5\"/>"))
        #expect(F.close(try F.score(m, ["x": "0"])["y"], 5))
    }

    @Test func powerLinkUsesItsParameter() throws {
        let m = try F.load(Self.regression(
            "modelType=\"generalizedLinear\" linkFunction=\"power\" linkParameter=\"0.5\"",
            ppCells: Self.linearCells.pp, pCells: "<PCell parameterName=\"p1\" beta=\"1\"/>"))
        #expect(F.close(try F.score(m, ["x": "3"])["y"], 9))
        let missing = #expect(throws: PMMLError.self) {
            try F.load(Self.regression("modelType=\"generalizedLinear\" linkFunction=\"power\"",
                                       ppCells: Self.linearCells.pp, pCells: Self.linearCells.p))
        }
        #expect(missing.map { $0.description.contains("linkParameter") } == true)
    }

    @Test func covariateExponentAndFactorInteraction() throws {
        // p1 = x^2, p2 = x * [c == "b"].
        let pp = """
            <PPCell value="2" predictorName="x" parameterName="p1"/>
            <PPCell value="b" predictorName="c" parameterName="p2"/>
            <PPCell value="1" predictorName="x" parameterName="p2"/>
            """
        let p = "<PCell parameterName=\"p0\" beta=\"1\"/><PCell parameterName=\"p1\" beta=\"0.5\"/><PCell parameterName=\"p2\" beta=\"3\"/>"
        let m = try F.load(Self.regression("modelType=\"regression\"", ppCells: pp, pCells: p))
        #expect(F.close(try F.score(m, ["x": "2", "c": "a"])["y"], 3))
        #expect(F.close(try F.score(m, ["x": "2", "c": "b"])["y"], 9))
        // A missing factor makes the prediction missing.
        #expect(try F.score(m, ["x": "2"])["y"] == .missing)
    }

    @Test func contrastMatrixCodesTheFactor() throws {
        let contrast = """
            <Categories><Category value="a"/><Category value="b"/></Categories>
            <Matrix><Array n="2" type="real">-1 1</Array><Array n="2" type="real">1 -1</Array></Matrix>
            """
        let pp = "<PPCell value=\"a\" predictorName=\"c\" parameterName=\"p1\"/>"
        let p = "<PCell parameterName=\"p0\" beta=\"10\"/><PCell parameterName=\"p1\" beta=\"2\"/>"
        let m = try F.load(Self.regression("modelType=\"regression\"", ppCells: pp, pCells: p, factors: contrast))
        // Row of the value, column of the PPCell's category.
        #expect(F.close(try F.score(m, ["c": "a"])["y"], 8))
        #expect(F.close(try F.score(m, ["c": "b"])["y"], 12))
    }

    @Test func undefinedContrastElementRejectsTheRow() throws {
        // Only the diagonal is given and there is no offDiagDefault: (row b, column a) is undefined.
        let contrast = """
            <Categories><Category value="a"/><Category value="b"/></Categories>
            <Matrix nbRows="2" nbCols="2"><MatCell row="1" col="1">1</MatCell><MatCell row="2" col="2">1</MatCell></Matrix>
            """
        let pp = "<PPCell value=\"a\" predictorName=\"c\" parameterName=\"p1\"/>"
        let p = "<PCell parameterName=\"p0\" beta=\"10\"/><PCell parameterName=\"p1\" beta=\"2\"/>"
        let m = try F.load(Self.regression("modelType=\"regression\"", ppCells: pp, pCells: p, factors: contrast))
        #expect(F.close(try F.score(m, ["c": "a"])["y"], 12))
        #expect(throws: RowRejection.self) { try F.score(m, ["c": "b"]) }
    }

    static func classifier(_ attributes: String, categories: String, pCells: String) -> String {
        F.document(fields: """
            <DataField name="x" optype="continuous" dataType="double"/>
            <DataField name="c" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
            <DataField name="t" optype="categorical" dataType="string">\(categories)</DataField>
            """, model: """
            <GeneralRegressionModel functionName="classification" \(attributes)>
              <MiningSchema>
                <MiningField name="x"/><MiningField name="c"/><MiningField name="t" usageType="target"/>
              </MiningSchema>
              <Output>
                <OutputField name="p_first" optype="continuous" dataType="double" feature="probability" value="no"/>
                <OutputField name="p_yes" optype="continuous" dataType="double" feature="probability" value="yes"/>
                <OutputField name="p_A" optype="continuous" dataType="double" feature="probability" value="A"/>
                <OutputField name="p_B" optype="continuous" dataType="double" feature="probability" value="B"/>
                <OutputField name="p_C" optype="continuous" dataType="double" feature="probability" value="C"/>
              </Output>
              <ParameterList><Parameter name="p0"/><Parameter name="p1"/><Parameter name="p2"/></ParameterList>
              <FactorList><Predictor name="c"/></FactorList>
              <CovariateList><Predictor name="x"/></CovariateList>
              <PPMatrix>
                <PPCell value="a" predictorName="c" parameterName="p1"/>
                <PPCell value="1" predictorName="x" parameterName="p2"/>
              </PPMatrix>
              <ParamMatrix>\(pCells)</ParamMatrix>
            </GeneralRegressionModel>
            """)
    }

    @Test func binomialLogitReferenceIsTheCategoryWithoutCells() throws {
        let m = try F.load(Self.classifier(
            "modelType=\"generalizedLinear\" linkFunction=\"logit\" distribution=\"binomial\"",
            categories: "<Value value=\"no\"/><Value value=\"yes\"/>",
            pCells: "<PCell targetCategory=\"yes\" parameterName=\"p0\" beta=\"-1\"/><PCell targetCategory=\"yes\" parameterName=\"p1\" beta=\"2\"/>"))
        var r = try F.score(m, ["c": "a", "x": "0"])
        #expect(r["t"] == .string("yes"))
        #expect(F.close(r["p_yes"], 0.7310585786300049))
        #expect(F.close(r["p_first"], 0.2689414213699951))
        r = try F.score(m, ["c": "b", "x": "0"])
        #expect(r["t"] == .string("no"))
        #expect(F.close(r["p_yes"], 0.2689414213699951))
    }

    @Test func multinomialLogisticNormalisesExponentials() throws {
        let m = try F.load(Self.classifier(
            "modelType=\"multinomialLogistic\"",
            categories: "<Value value=\"A\"/><Value value=\"B\"/><Value value=\"C\"/>",
            pCells: """
                <PCell targetCategory="A" parameterName="p2" beta="1"/>
                <PCell targetCategory="B" parameterName="p0" beta="0"/>
                """))
        // exp(1), exp(0) and the reference C's exp(0) = 1.
        let r = try F.score(m, ["c": "a", "x": "1"])
        #expect(r["t"] == .string("A"))
        #expect(F.close(r["p_A"], 0.5761168847658291))
        #expect(F.close(r["p_B"], 0.21194155761708547))
        #expect(F.close(r["p_C"], 0.21194155761708547))
    }

    @Test func ordinalMultinomialDifferencesCumulativeProbabilities() throws {
        let m = try F.load(Self.classifier(
            "modelType=\"ordinalMultinomial\" cumulativeLink=\"logit\"",
            categories: "<Value value=\"A\"/><Value value=\"B\"/><Value value=\"C\"/>",
            pCells: """
                <PCell targetCategory="A" parameterName="p0" beta="-1"/>
                <PCell targetCategory="B" parameterName="p0" beta="1"/>
                <PCell parameterName="p2" beta="0.5"/>
                """))
        // Cumulative logit(-1 + 0.5 x), logit(1 + 0.5 x) at x = 2: 0.5, 0.8808.
        let r = try F.score(m, ["c": "a", "x": "2"])
        #expect(F.close(r["p_A"], 0.5))
        #expect(F.close(r["p_B"], 0.3807970779778823))
        #expect(F.close(r["p_C"], 0.11920292202211769))
        #expect(r["t"] == .string("A"))
    }

    @Test func missingResultFallsBackToTargetPriors() throws {
        let xml = Self.classifier(
            "modelType=\"multinomialLogistic\"",
            categories: "<Value value=\"A\"/><Value value=\"B\"/><Value value=\"C\"/>",
            pCells: "<PCell targetCategory=\"A\" parameterName=\"p2\" beta=\"1\"/><PCell targetCategory=\"B\" parameterName=\"p0\" beta=\"0\"/>")
            .replacingPCellsHeader()
        let m = try F.load(xml)
        // x missing: no linear predictor, so the priors are the result.
        let r = try F.score(m, ["c": "a"])
        #expect(r["t"] == .string("B"))
        #expect(r["p_B"] == .number(0.5))
        #expect(r["p_C"] == .number(0.2))
    }

    @Test func coxRegressionScalesTheBaselineCumulativeHazard() throws {
        let xml = F.document(fields: """
            <DataField name="x" optype="continuous" dataType="double"/>
            <DataField name="time" optype="continuous" dataType="double"/>
            <DataField name="h" optype="continuous" dataType="double"/>
            """, model: """
            <GeneralRegressionModel functionName="regression" modelType="CoxRegression" endTimeVariable="time">
              <MiningSchema>
                <MiningField name="x"/><MiningField name="time"/><MiningField name="h" usageType="target"/>
              </MiningSchema>
              <ParameterList><Parameter name="p1" referencePoint="0"/></ParameterList>
              <CovariateList><Predictor name="x"/></CovariateList>
              <PPMatrix><PPCell value="1" predictorName="x" parameterName="p1"/></PPMatrix>
              <ParamMatrix><PCell parameterName="p1" beta="0.5"/></ParamMatrix>
              <BaseCumHazardTables maxTime="10">
                <BaselineCell time="5" cumHazard="0.5"/>
                <BaselineCell time="1" cumHazard="0.1"/>
              </BaseCumHazardTables>
            </GeneralRegressionModel>
            """)
        let m = try F.load(xml)
        #expect(F.close(try F.score(m, ["x": "2", "time": "6"])["h"], 1.3591409142295225))
        #expect(try F.score(m, ["x": "2", "time": "0.5"])["h"] == .number(0))
        #expect(try F.score(m, ["x": "2", "time": "11"])["h"] == .missing)
        #expect(throws: RowRejection.self) { try F.score(m, ["x": "2"]) }
    }

    @Test func unknownLinkFunctionIsALoadError() {
        let error = #expect(throws: PMMLError.self) {
            try F.load(Self.regression("modelType=\"generalizedLinear\" linkFunction=\"squiggle\"",
                                       ppCells: Self.linearCells.pp, pCells: Self.linearCells.p))
        }
        #expect(error?.element == "GeneralRegressionModel")
        #expect(error.map { $0.description.contains("squiggle") } == true)
    }

    @Test func ppCellOnAnUnlistedPredictorIsALoadError() {
        let error = #expect(throws: PMMLError.self) {
            try F.load(Self.regression("modelType=\"regression\"",
                                       ppCells: "<PPCell value=\"1\" predictorName=\"y\" parameterName=\"p1\"/>",
                                       pCells: Self.linearCells.p))
        }
        #expect(error?.element == "PPCell")
    }
}

private extension String {
    /// Inserts Targets with prior probabilities before the ParameterList.
    func replacingPCellsHeader() -> String {
        let targets = """
            <Targets><Target field="t">
              <TargetValue value="A" priorProbability="0.3"/><TargetValue value="B" priorProbability="0.5"/>
              <TargetValue value="C" priorProbability="0.2"/>
            </Target></Targets>
            """
        var out = ""
        var rest = Substring(self)
        while let i = rest.firstIndex(of: "<") {
            out += rest[..<i]
            rest = rest[i...]
            if rest.hasPrefix("<ParameterList>") { out += targets }
            out.append(rest.removeFirst())
        }
        return out + rest
    }
}
