import Testing
@testable import WeirPMML

/// Scorecard: partial scores, ComplexPartialScore, reason-code ranking (pointsBelow / pointsAbove), errors.
@Suite struct ScorecardTests {
    typealias F = ModelFamilyFixture

    static let fields = """
        <DataField name="x" optype="continuous" dataType="double"/>
        <DataField name="y" optype="continuous" dataType="double"/>
        <DataField name="score" optype="continuous" dataType="double"/>
        """

    static func model(algorithm: String = "pointsBelow", useReasonCodes: String = "true",
                      characteristics: String = defaultCharacteristics) -> String {
        F.document(fields: fields, model: """
            <Scorecard functionName="regression" initialScore="100" useReasonCodes="\(useReasonCodes)"
                       reasonCodeAlgorithm="\(algorithm)" baselineMethod="other">
              <MiningSchema>
                <MiningField name="x"/><MiningField name="y"/><MiningField name="score" usageType="target"/>
              </MiningSchema>
              <Output>
                <OutputField name="r1" optype="categorical" dataType="string" feature="reasonCode" rank="1"/>
                <OutputField name="r2" optype="categorical" dataType="string" feature="reasonCode" rank="2"/>
                <OutputField name="r3" optype="categorical" dataType="string" feature="reasonCode" rank="3"/>
              </Output>
              <Characteristics>
                \(characteristics)
              </Characteristics>
            </Scorecard>
            """)
    }

    static let defaultCharacteristics = """
        <Characteristic name="A" reasonCode="CA" baselineScore="10">
          <Attribute partialScore="20"><SimplePredicate field="x" operator="lessThan" value="5"/></Attribute>
          <Attribute partialScore="4" reasonCode="CA_HIGH"><True/></Attribute>
        </Characteristic>
        <Characteristic name="B" reasonCode="CB" baselineScore="8">
          <Attribute>
            <SimplePredicate field="y" operator="isNotMissing"/>
            <ComplexPartialScore>
              <Apply function="*"><Constant dataType="double">2</Constant><FieldRef field="y"/></Apply>
            </ComplexPartialScore>
          </Attribute>
          <Attribute partialScore="1"><True/></Attribute>
        </Characteristic>
        """

    @Test func scoreIsInitialPlusFirstMatchingPartialScores() throws {
        let m = try F.load(Self.model())
        var r = try F.score(m, ["x": "1", "y": "3"])
        #expect(r["score"] == .number(126))
        r = try F.score(m, ["x": "9"])
        #expect(r["score"] == .number(105))
    }

    @Test func pointsBelowRanksPositiveShortfallsOnly() throws {
        let m = try F.load(Self.model())
        // A: 10 - 20 < 0 gives no code; B: 8 - 6 = 2.
        var r = try F.score(m, ["x": "1", "y": "3"])
        #expect(r["r1"] == .string("CB"))
        #expect(r["r2"] == .missing)
        // A: 10 - 4 = 6 with the attribute's own code; B: 8 - 0 = 8.
        r = try F.score(m, ["x": "9", "y": "0"])
        #expect(r["r1"] == .string("CB"))
        #expect(r["r2"] == .string("CA_HIGH"))
        #expect(r["r3"] == .missing)
        // Equal points keep the order in which the codes were first met.
        r = try F.score(m, ["x": "9", "y": "1"])
        #expect(r["r1"] == .string("CA_HIGH"))
        #expect(r["r2"] == .string("CB"))
    }

    @Test func pointsAboveReversesTheDifference() throws {
        let m = try F.load(Self.model(algorithm: "pointsAbove"))
        // A: 20 - 10 = 10; B: 6 - 8 < 0.
        let r = try F.score(m, ["x": "1", "y": "3"])
        #expect(r["r1"] == .string("CA"))
        #expect(r["r2"] == .missing)
    }

    @Test func sharedReasonCodeSumsItsPoints() throws {
        let chars = """
            <Characteristic name="A" reasonCode="SHARED" baselineScore="10">
              <Attribute partialScore="7"><True/></Attribute>
            </Characteristic>
            <Characteristic name="B" reasonCode="OWN" baselineScore="10">
              <Attribute partialScore="5"><True/></Attribute>
            </Characteristic>
            <Characteristic name="C" reasonCode="SHARED" baselineScore="10">
              <Attribute partialScore="7"><True/></Attribute>
            </Characteristic>
            """
        let m = try F.load(Self.model(characteristics: chars))
        // SHARED: 3 + 3 = 6 beats OWN: 5.
        let r = try F.score(m, ["x": "1"])
        #expect(r["score"] == .number(119))
        #expect(r["r1"] == .string("SHARED"))
        #expect(r["r2"] == .string("OWN"))
    }

    @Test func missingComplexPartialScoreRejectsTheRow() throws {
        let chars = """
            <Characteristic name="A" reasonCode="CA" baselineScore="0">
              <Attribute>
                <True/>
                <ComplexPartialScore><FieldRef field="y"/></ComplexPartialScore>
              </Attribute>
            </Characteristic>
            """
        let m = try F.load(Self.model(characteristics: chars))
        #expect(throws: RowRejection.self) { try F.score(m, ["x": "1"]) }
        #expect(try F.score(m, ["x": "1", "y": "2.5"])["score"] == .number(102.5))
    }

    @Test func characteristicWithoutMatchRejectsTheRow() throws {
        let chars = """
            <Characteristic name="A" reasonCode="CA" baselineScore="0">
              <Attribute partialScore="1"><SimplePredicate field="x" operator="greaterThan" value="0"/></Attribute>
            </Characteristic>
            """
        let m = try F.load(Self.model(characteristics: chars))
        #expect(throws: RowRejection.self) { try F.score(m, ["x": "-1"]) }
        // A predicate on a missing value is unknown, not true.
        #expect(throws: RowRejection.self) { try F.score(m, [:]) }
    }

    @Test func theFirstFailingCharacteristicNamesTheRejection() throws {
        // Predicates are tested before partial scores are computed: the rejection must still name the
        // characteristic a one-pass scan stops at (A's missing partial score before B's lack of a match, and
        // B's lack of a match when A scores).
        let chars = """
            <Characteristic name="A" reasonCode="CA" baselineScore="0">
              <Attribute>
                <True/>
                <ComplexPartialScore><FieldRef field="y"/></ComplexPartialScore>
              </Attribute>
            </Characteristic>
            <Characteristic name="B" reasonCode="CB" baselineScore="0">
              <Attribute partialScore="1"><SimplePredicate field="x" operator="greaterThan" value="0"/></Attribute>
            </Characteristic>
            """
        let m = try F.load(Self.model(characteristics: chars))
        let partial = #expect(throws: RowRejection.self) { try F.score(m, ["x": "-1"]) }
        #expect(partial?.message.contains("ComplexPartialScore of Characteristic \"A\"") == true)
        let unmatched = #expect(throws: RowRejection.self) { try F.score(m, ["x": "-1", "y": "2"]) }
        #expect(unmatched?.message.contains("Characteristic \"B\" matches") == true)
        #expect(try F.score(m, ["x": "1", "y": "2"])["score"] == .number(103))
    }

    @Test func reasonCodesNeedBaselineScores() {
        let chars = """
            <Characteristic name="A" reasonCode="CA">
              <Attribute partialScore="1"><True/></Attribute>
            </Characteristic>
            """
        let error = #expect(throws: PMMLError.self) { try F.load(Self.model(characteristics: chars)) }
        #expect(error?.element == "Characteristic")
        // Without reason codes no baseline is needed.
        #expect(throws: Never.self) { try F.load(Self.model(useReasonCodes: "false", characteristics: chars)) }
    }

    @Test func unknownReasonCodeAlgorithmIsALoadError() {
        let error = #expect(throws: PMMLError.self) { try F.load(Self.model(algorithm: "pointsSideways")) }
        #expect(error?.element == "Scorecard")
        #expect(error.map { $0.description.contains("pointsSideways") } == true)
    }
}
