import Testing
@testable import WeirPMML

/// JPMML output semantics: without a prediction, result fields are missing and undeclared, expression
/// fields still run, and a reference to an undeclared field rejects the row; integer division truncates.
@Suite struct OutputSemanticsTests {
    static let fields = """
        <DataField name="x" optype="continuous" dataType="double"/>
        <DataField name="i" optype="continuous" dataType="integer"/>
        <DataField name="y" optype="continuous" dataType="double"/>
        <DataField name="c" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
        """

    /// Classification tree with no prediction for x >= 10.
    static func tree(_ output: String) -> String {
        PMMLTest.document(fields, """
            <TreeModel functionName="classification">
              <MiningSchema><MiningField name="x"/><MiningField name="c" usageType="target"/></MiningSchema>
              <Output>\(output)</Output>
              <Node><True/>
                <Node score="a"><SimplePredicate field="x" operator="lessThan" value="10"/>
                  <ScoreDistribution value="a" recordCount="3"/><ScoreDistribution value="b" recordCount="1"/></Node>
              </Node>
            </TreeModel>
            """)
    }

    @Test func expressionOverAMissingPredictionRejectsTheRow() throws {
        let m = try PMMLTest.load(Self.tree("""
            <OutputField name="pa" feature="probability" value="a" dataType="double"/>
            <OutputField name="flag" feature="transformedValue" dataType="string">
              <Apply function="if"><Apply function="isMissing"><FieldRef field="pa"/></Apply><Constant>none</Constant><Constant>some</Constant></Apply>
            </OutputField>
            """))
        #expect(PMMLTest.text(m, ["x": "1"], "flag") == "some")
        #expect(PMMLTest.double(m, ["x": "1"], "pa") == 0.75)
        #expect(PMMLTest.score(m, ["x": "20"]) == nil)   // pa is undeclared: the row is rejected
    }

    @Test func expressionWithoutReferencesStillRuns() throws {
        let m = try PMMLTest.load(Self.tree("""
            <OutputField name="pa" feature="probability" value="a" dataType="double"/>
            <OutputField name="k" feature="transformedValue" dataType="double"><Apply function="*"><FieldRef field="x"/><Constant>2</Constant></Apply></OutputField>
            """))
        let r = PMMLTest.score(m, ["x": "20"])
        #expect(r?["pa"]?.isMissing == true)
        #expect(r?["k"]?.double == 40)
        #expect(r?["c"]?.isMissing == true)
    }

    @Test func modelChainReferenceToAMissingSegmentOutputRejectsTheRow() throws {
        let xml = PMMLTest.document(Self.fields, """
            <MiningModel functionName="regression">
              <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
              <Segmentation multipleModelMethod="modelChain">
                <Segment id="1"><True/>
                  <TreeModel functionName="regression">
                    <MiningSchema><MiningField name="x"/></MiningSchema>
                    <Output><OutputField name="first" feature="predictedValue" dataType="double"/></Output>
                    <Node score="0"><True/><Node score="5"><SimplePredicate field="x" operator="lessThan" value="10"/></Node></Node>
                  </TreeModel>
                </Segment>
                <Segment id="2"><True/>
                  <RegressionModel functionName="regression">
                    <MiningSchema><MiningField name="first"/><MiningField name="y" usageType="target"/></MiningSchema>
                    <RegressionTable intercept="1"><NumericPredictor name="first" coefficient="2"/></RegressionTable>
                  </RegressionModel>
                </Segment>
              </Segmentation>
            </MiningModel>
            """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.double(m, ["x": "1"], "y") == 11)
        #expect(PMMLTest.score(m, ["x": "20"]) == nil)
    }

    @Test func integerDivisionTruncates() throws {
        let xml = PMMLTest.document(Self.fields, """
            <RegressionModel functionName="regression">
              <MiningSchema><MiningField name="i"/><MiningField name="y" usageType="target"/></MiningSchema>
              <Output>
                <OutputField name="ii" feature="transformedValue"><Apply function="/"><FieldRef field="i"/><Constant>24</Constant></Apply></OutputField>
                <OutputField name="id" feature="transformedValue"><Apply function="/"><FieldRef field="i"/><Constant>24.0</Constant></Apply></OutputField>
                <OutputField name="it" feature="transformedValue"><Apply function="/"><FieldRef field="i"/><Constant dataType="double">24</Constant></Apply></OutputField>
              </Output>
              <RegressionTable intercept="1"/>
            </RegressionModel>
            """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.double(m, ["i": "20"], "ii") == 0)
        #expect(PMMLTest.double(m, ["i": "-30"], "ii") == -1)   // toward zero
        #expect(PMMLTest.double(m, ["i": "48"], "ii") == 2)
        #expect(PMMLTest.double(m, ["i": "-30"], "id") == -1.25)
        #expect(PMMLTest.double(m, ["i": "20"], "it") == 20.0 / 24.0)
    }

    @Test func floatRegressionSumsInJPMMLOrder() throws {
        // Intercept added last in float: (0.1f * 3 + 0.7f) differs from (0.7f + 0.1f * 3) in the last bit for some x.
        let xml = PMMLTest.document(Self.fields, """
            <RegressionModel functionName="regression" normalizationMethod="exp" x-mathContext="float">
              <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
              <RegressionTable intercept="0.3"><NumericPredictor name="x" coefficient="0.05"/></RegressionTable>
            </RegressionModel>
            """)
        let m = try PMMLTest.load(xml)
        let x: Float = 17
        let y = Float(0.05) * x + Float(0.3)
        let expected = Double(Float(LibM.pow(2.7182817, Double(y))))
        #expect(PMMLTest.double(m, ["x": "17"], "y") == expected)
    }

    @Test func floatLogitUsesJPMMLsExp() throws {
        // y = -2.8681903f: JPMML's float exp (2.7182817^x) gives p = 0.05374862253665924; a true exp rounded to
        // float gives 0.05374861881136894 (the value xgb_clf_fraud failed on).
        let xml = PMMLTest.document(Self.fields, """
            <RegressionModel functionName="classification" normalizationMethod="logit" x-mathContext="float">
              <MiningSchema><MiningField name="x"/><MiningField name="c" usageType="target"/></MiningSchema>
              <Output><OutputField name="pa" feature="probability" value="a" dataType="float"/></Output>
              <RegressionTable intercept="-2.8681903" targetCategory="a"><NumericPredictor name="x" coefficient="1"/></RegressionTable>
              <RegressionTable intercept="0" targetCategory="b"/>
            </RegressionModel>
            """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.double(m, ["x": "0"], "pa") == 0.05374862253665924)
    }
}
