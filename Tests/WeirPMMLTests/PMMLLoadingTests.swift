import Foundation
import Testing
@testable import WeirPMML

/// Loading: hostile documents are refused quickly, unsupported constructs fail naming element and line.
@Suite struct PMMLLoadingTests {
    static func load(_ xml: String) throws(PMMLError) -> PMMLModel {
        try PMMLModel.load(bytes: Array(xml.utf8), file: "test.pmml")
    }

    static let header = """
        <?xml version="1.0"?>
        <PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
        <Header/>
        <DataDictionary>
          <DataField name="amount" optype="continuous" dataType="double"/>
          <DataField name="channel" optype="categorical" dataType="string">
            <Value value="web"/><Value value="app"/>
          </DataField>
          <DataField name="score" optype="continuous" dataType="double"/>
        </DataDictionary>
        """

    static let regression = header + """
        <RegressionModel functionName="regression">
          <MiningSchema>
            <MiningField name="amount"/><MiningField name="channel"/>
            <MiningField name="score" usageType="target"/>
          </MiningSchema>
          <RegressionTable intercept="1.5">
            <NumericPredictor name="amount" coefficient="2"/>
            <CategoricalPredictor name="channel" value="app" coefficient="10"/>
          </RegressionTable>
        </RegressionModel>
        </PMML>
        """

    @Test func scoresAHandWrittenRegression() throws {
        let model = try Self.load(Self.regression)
        let names = model.inputFields.map(\.name)
        func score(_ values: [String: String]) throws -> Double? {
            let row = names.map { values[$0] }
            return try model.score(row).get().first?.double
        }
        #expect(try score(["amount": "3", "channel": "web"]) == 7.5)
        #expect(try score(["amount": "3", "channel": "app"]) == 17.5)
    }

    @Test func unseenCategoryIsRejectedByDefault() throws {
        let model = try Self.load(Self.regression)
        let row = model.inputFields.map { $0.name == "amount" ? "1" : ($0.name == "channel" ? "kiosk" : nil) }
        guard case .failure = model.score(row) else {
            Issue.record("returnInvalid must reject an unseen category")
            return
        }
    }

    @Test func externalEntityIsRefused() {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE PMML [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><PMML>&x;</PMML>"
        #expect(throws: PMMLError.self) { try Self.load(xml) }
    }

    @Test func billionLaughsIsRefusedQuickly() {
        var xml = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        for i in 1...9 { xml += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i == 1 ? "" : String(i - 1));", count: 10) + "\">" }
        xml += "]><PMML>&lol9;</PMML>"
        let start = Date()
        #expect(throws: PMMLError.self) { try Self.load(xml) }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func deepNestingIsRefused() {
        let depth = 100_000
        let xml = "<?xml version=\"1.0\"?><PMML>" + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + "</PMML>"
        let start = Date()
        #expect(throws: PMMLError.self) { try Self.load(xml) }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func malformedXMLNamesTheFile() {
        let error = #expect(throws: PMMLError.self) { try Self.load("<PMML><Header></PMML>") }
        #expect(error?.file == "test.pmml")
    }

    @Test func unsupportedModelNamesElementAndLine() {
        let xml = Self.header + "\n<SequenceModel functionName=\"sequences\"><MiningSchema/></SequenceModel>\n</PMML>"
        let error = #expect(throws: PMMLError.self) { try Self.load(xml) }
        #expect(error.map { $0.description.contains("SequenceModel") } == true)
        #expect((error?.line ?? 0) > 1)
    }

    @Test func unknownFunctionIsRefused() {
        let xml = Self.header + """
            <TransformationDictionary>
              <DerivedField name="d" optype="continuous" dataType="double">
                <Apply function="noSuchFunction"><FieldRef field="amount"/></Apply>
              </DerivedField>
            </TransformationDictionary>
            """ + Self.regression.dropFirst(Self.header.count)
        let error = #expect(throws: PMMLError.self) { try Self.load(xml) }
        #expect(error.map { $0.description.contains("noSuchFunction") } == true)
    }
}
