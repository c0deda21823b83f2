import Testing
@testable import WeirPMML

/// MapValues over an InlineTable whose cells carry a namespace prefix (sklearn2pmml's data:input/data:output).
@Suite struct MapValuesTests {
    static func model(outputColumn: String) -> String {
        PMMLTest.document("""
            <DataField name="c" optype="categorical" dataType="string"><Value value="app"/><Value value="web"/></DataField>
            <DataField name="y" optype="continuous" dataType="double"/>
            """, """
            <RegressionModel functionName="regression">
              <MiningSchema><MiningField name="c"/><MiningField name="y" usageType="target"/></MiningSchema>
              <LocalTransformations>
                <DerivedField name="code" optype="continuous" dataType="double">
                  <MapValues defaultValue="-1" outputColumn="\(outputColumn)">
                    <FieldColumnPair field="c" column="data:input"/>
                    <InlineTable>
                      <row><data:input>app</data:input><data:output>0.0</data:output></row>
                      <row><data:input>web</data:input><data:output>3.0</data:output></row>
                    </InlineTable>
                  </MapValues>
                </DerivedField>
              </LocalTransformations>
              <RegressionTable intercept="1"><NumericPredictor name="code" coefficient="10"/></RegressionTable>
            </RegressionModel>
            """)
    }

    @Test func namespacedColumnsMatchByLocalName() throws {
        let m = try PMMLTest.load(Self.model(outputColumn: "data:output"))
        #expect(PMMLTest.double(m, ["c": "web"], "y") == 31)
        #expect(PMMLTest.double(m, ["c": "app"], "y") == 1)
    }

    @Test func rowWithoutTheOutputColumnIsALoadError() {
        let e = PMMLTest.loadError(Self.model(outputColumn: "data:missing"))
        #expect(e?.element == "row")
        #expect(e?.message.contains("missing") == true)
    }
}
