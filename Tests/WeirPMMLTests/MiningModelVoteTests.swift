import Testing
@testable import WeirPMML

/// Majority votes as JPMML counts them: ties go to the first category voted for, and with
/// missingPredictionTreatment="continue" a missing prediction votes for "missing".
@Suite struct MiningModelVoteTests {
    typealias F = ModelFamilyFixture

    static func rule(_ score: String) -> String {
        """
        <RuleSetModel functionName="classification">
          <MiningSchema><MiningField name="x"/><MiningField name="t" usageType="target"/></MiningSchema>
          <RuleSet><RuleSelectionMethod criterion="firstHit"/><SimpleRule score="\(score)"><True/></SimpleRule></RuleSet>
        </RuleSetModel>
        """
    }

    /// Predicts "c" when x is present, missing otherwise.
    static let needsX = """
        <GeneralRegressionModel modelType="multinomialLogistic" functionName="classification">
          <MiningSchema><MiningField name="x"/><MiningField name="t" usageType="target"/></MiningSchema>
          <ParameterList><Parameter name="p0"/><Parameter name="p1"/></ParameterList>
          <CovariateList><Predictor name="x"/></CovariateList>
          <PPMatrix><PPCell value="1" predictorName="x" parameterName="p1"/></PPMatrix>
          <ParamMatrix>
            <PCell targetCategory="c" parameterName="p0" beta="20"/><PCell targetCategory="c" parameterName="p1" beta="0"/>
            <PCell targetCategory="b" parameterName="p0" beta="0"/>
          </ParamMatrix>
        </GeneralRegressionModel>
        """

    static func vote(_ method: String, _ segments: [(String, Double)], treatment: String = "continue") -> String {
        var segs = ""
        for (i, (model, weight)) in segments.enumerated() {
            segs += "<Segment id=\"s\(i)\" weight=\"\(weight)\"><True/>\(model)</Segment>"
        }
        return F.document(fields: """
            <DataField name="x" optype="continuous" dataType="double"/>
            <DataField name="t" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/><Value value="c"/></DataField>
            """, model: """
            <MiningModel functionName="classification">
              <MiningSchema><MiningField name="x"/><MiningField name="t" usageType="target"/></MiningSchema>
              <Output><OutputField name="pc" optype="continuous" dataType="double" feature="probability" value="c"/></Output>
              <Segmentation multipleModelMethod="\(method)" missingPredictionTreatment="\(treatment)">\(segs)</Segmentation>
            </MiningModel>
            """)
    }

    @Test func tiedVotesGoToTheFirstCategoryVotedFor() throws {
        let m = try F.load(Self.vote("majorityVote", [(Self.rule("c"), 1), (Self.rule("a"), 1), (Self.rule("b"), 1)]))
        #expect(try F.score(m, ["x": "1"])["t"] == .string("c"))
    }

    @Test func missingVoteIsLeftOutOfTheProbabilities() throws {
        let m = try F.load(Self.vote("majorityVote", [(Self.rule("a"), 1), (Self.needsX, 1), (Self.rule("a"), 1)]))
        let r = try F.score(m, [:])
        #expect(r["t"] == .string("a"))
        #expect(r["pc"] == .number(0))
        // With x present the GLM votes c: a wins 2 to 1.
        #expect(F.close(try F.score(m, ["x": "1"])["pc"], 1.0 / 3))
    }

    @Test func winningMissingVoteMakesTheResultMissing() throws {
        let m = try F.load(Self.vote("weightedMajorityVote",
                                     [(Self.rule("a"), 0.2), (Self.needsX, 0.5), (Self.rule("b"), 0.3)]))
        #expect(try F.score(m, [:])["t"] == .missing)
        #expect(try F.score(m, ["x": "1"])["t"] == .string("c"))
    }

    @Test func returnMissingTreatmentPropagatesAnyMissingPrediction() throws {
        let m = try F.load(Self.vote("majorityVote", [(Self.rule("a"), 1), (Self.needsX, 1), (Self.rule("a"), 1)],
                                     treatment: "returnMissing"))
        #expect(try F.score(m, [:])["t"] == .missing)
    }
}
