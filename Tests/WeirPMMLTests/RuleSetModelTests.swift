import Testing
@testable import WeirPMML

/// RuleSetModel: firstHit, weightedSum and weightedMax selection, CompoundRule guards, defaults, outputs.
@Suite struct RuleSetModelTests {
    typealias F = ModelFamilyFixture

    static let fields = """
        <DataField name="x" optype="continuous" dataType="double"/>
        <DataField name="y" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
        <DataField name="tier" optype="categorical" dataType="string">
          <Value value="low"/><Value value="mid"/><Value value="high"/>
        </DataField>
        """

    static func model(criterion: String, rules: String, defaults: String = "defaultScore=\"low\" defaultConfidence=\"0.25\"",
                      outputs: String = "") -> String {
        F.document(fields: fields, model: """
            <RuleSetModel functionName="classification">
              <MiningSchema>
                <MiningField name="x"/><MiningField name="y"/><MiningField name="tier" usageType="target"/>
              </MiningSchema>
              <Output>
                <OutputField name="rule" optype="categorical" dataType="string" feature="entityId"/>
                <OutputField name="conf" optype="continuous" dataType="double" feature="confidence"/>
                <OutputField name="conf_mid" optype="continuous" dataType="double" feature="confidence" value="mid"/>
                \(outputs)
              </Output>
              <RuleSet \(defaults)>
                <RuleSelectionMethod criterion="\(criterion)"/>
                \(rules)
              </RuleSet>
            </RuleSetModel>
            """)
    }

    static let firstHitRules = """
        <SimpleRule id="R1" score="high" confidence="0.9">
          <SimplePredicate field="x" operator="greaterThan" value="10"/>
        </SimpleRule>
        <CompoundRule>
          <SimplePredicate field="y" operator="equal" value="a"/>
          <SimpleRule id="R2" score="mid" confidence="0.7">
            <SimplePredicate field="x" operator="greaterThan" value="5"/>
          </SimpleRule>
          <SimpleRule id="R3" score="low" confidence="0.6"><True/></SimpleRule>
        </CompoundRule>
        <SimpleRule score="mid" confidence="0.5">
          <SimplePredicate field="x" operator="lessThan" value="3"/>
        </SimpleRule>
        """

    @Test func firstHitTakesTheFirstFiringRuleInDocumentOrder() throws {
        let m = try F.load(Self.model(criterion: "firstHit", rules: Self.firstHitRules))
        var r = try F.score(m, ["x": "12", "y": "a"])
        #expect(r["tier"] == .string("high"))
        #expect(r["rule"] == .string("R1"))
        #expect(r["conf"] == .number(0.9))
        // Later rules for another score still report their confidence per category.
        #expect(r["conf_mid"] == .number(0.7))
        r = try F.score(m, ["x": "7", "y": "a"])
        #expect(r["tier"] == .string("mid"))
        #expect(r["rule"] == .string("R2"))
        r = try F.score(m, ["x": "1", "y": "a"])
        #expect(r["tier"] == .string("low"))
        #expect(r["rule"] == .string("R3"))
        #expect(r["conf"] == .number(0.6))
    }

    @Test func compoundRulePredicateGuardsItsRules() throws {
        let m = try F.load(Self.model(criterion: "firstHit", rules: Self.firstHitRules))
        // y=b: R2/R3 are not tested; the rule without id is the 4th SimpleRule.
        let r = try F.score(m, ["x": "1", "y": "b"])
        #expect(r["tier"] == .string("mid"))
        #expect(r["rule"] == .string("4"))
        #expect(r["conf"] == .number(0.5))
    }

    @Test func noFiringRuleGivesTheDefault() throws {
        let m = try F.load(Self.model(criterion: "firstHit", rules: Self.firstHitRules))
        let r = try F.score(m, ["x": "4", "y": "b"])
        #expect(r["tier"] == .string("low"))
        #expect(r["rule"] == .missing)
        #expect(r["conf"] == .number(0.25))
        #expect(r["conf_mid"] == .number(0))
    }

    @Test func missingDefaultRejectsTheRow() throws {
        let m = try F.load(Self.model(criterion: "firstHit", rules: Self.firstHitRules, defaults: ""))
        #expect(throws: RowRejection.self) { try F.score(m, ["x": "4", "y": "b"]) }
    }

    static let weightedRules = """
        <SimpleRule id="A" score="low" weight="0.4" confidence="0.6">
          <SimplePredicate field="x" operator="greaterThan" value="0"/>
        </SimpleRule>
        <SimpleRule id="B" score="mid" weight="0.5" confidence="0.8">
          <SimplePredicate field="x" operator="greaterThan" value="1"/>
        </SimpleRule>
        <SimpleRule id="C" score="low" weight="0.3" confidence="0.9">
          <SimplePredicate field="x" operator="greaterThan" value="2"/>
        </SimpleRule>
        """

    @Test func weightedSumDividesScoreTotalsByFiredRuleCount() throws {
        let m = try F.load(Self.model(criterion: "weightedSum", rules: Self.weightedRules))
        // A, B, C fire: low (0.4 + 0.3) / 3, mid 0.5 / 3; entity = heaviest rule of the winning score.
        var r = try F.score(m, ["x": "3"])
        #expect(r["tier"] == .string("low"))
        #expect(r["rule"] == .string("A"))
        #expect(F.close(r["conf"], 0.7 / 3))
        #expect(F.close(r["conf_mid"], 0.5 / 3))
        // A, B fire: low 0.2, mid 0.25.
        r = try F.score(m, ["x": "1.5"])
        #expect(r["tier"] == .string("mid"))
        #expect(r["rule"] == .string("B"))
        #expect(F.close(r["conf"], 0.25))
    }

    @Test func weightedMaxUsesEachScoresHeaviestRuleConfidence() throws {
        let m = try F.load(Self.model(criterion: "weightedMax", rules: Self.weightedRules))
        // low's heaviest rule is A (confidence 0.6), mid's is B (0.8): the higher confidence wins, as in JPMML.
        let r = try F.score(m, ["x": "3"])
        #expect(r["tier"] == .string("mid"))
        #expect(r["rule"] == .string("B"))
        #expect(r["conf"] == .number(0.8))
    }

    @Test func ruleScoreDistributionsDoNotChangeTheScore() throws {
        let rules = """
            <SimpleRule id="S" score="mid" confidence="0.4" nbCorrect="4" recordCount="10">
              <True/>
              <ScoreDistribution value="mid" recordCount="4"/><ScoreDistribution value="high" recordCount="6"/>
            </SimpleRule>
            """
        let r = try F.score(try F.load(Self.model(criterion: "firstHit", rules: rules)), ["x": "1"])
        #expect(r["tier"] == .string("mid"))
        #expect(r["conf"] == .number(0.4))
    }

    @Test func unknownCriterionIsALoadError() {
        let error = #expect(throws: PMMLError.self) {
            try F.load(Self.model(criterion: "bestGuess", rules: Self.weightedRules))
        }
        #expect(error?.element == "RuleSelectionMethod")
        #expect((error?.line ?? 0) > 1)
    }

    @Test func ruleWithoutScoreIsALoadError() {
        let rules = "<SimpleRule id=\"Z\"><True/></SimpleRule>"
        let error = #expect(throws: PMMLError.self) { try F.load(Self.model(criterion: "firstHit", rules: rules)) }
        #expect(error?.element == "SimpleRule")
    }
}
