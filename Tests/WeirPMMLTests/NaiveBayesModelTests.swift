import Testing
@testable import WeirPMML

/// NaiveBayesModel: prior counts, PairCounts with threshold, Gaussian statistics, underflow, errors.
@Suite struct NaiveBayesModelTests {
    typealias F = ModelFamilyFixture

    static func model(threshold: String = "0.001", outputField: String = "t",
                      distributionB: String = "<GaussianDistribution mean=\"1\" variance=\"1\"/>") -> String {
        F.document(fields: """
            <DataField name="c" optype="categorical" dataType="string"><Value value="u"/><Value value="v"/><Value value="w"/></DataField>
            <DataField name="x" optype="continuous" dataType="double"/>
            <DataField name="t" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
            """, model: """
            <NaiveBayesModel functionName="classification" threshold="\(threshold)">
              <MiningSchema>
                <MiningField name="c"/><MiningField name="x"/><MiningField name="t" usageType="target"/>
              </MiningSchema>
              <Output>
                <OutputField name="pa" optype="continuous" dataType="double" feature="probability" value="a"/>
                <OutputField name="pb" optype="continuous" dataType="double" feature="probability" value="b"/>
              </Output>
              <BayesInputs>
                <BayesInput fieldName="c">
                  <PairCounts value="u"><TargetValueCounts>
                    <TargetValueCount value="a" count="2"/><TargetValueCount value="b" count="0"/>
                  </TargetValueCounts></PairCounts>
                  <PairCounts value="v"><TargetValueCounts>
                    <TargetValueCount value="a" count="1"/><TargetValueCount value="b" count="1"/>
                  </TargetValueCounts></PairCounts>
                </BayesInput>
                <BayesInput fieldName="x">
                  <TargetValueStats>
                    <TargetValueStat value="a"><GaussianDistribution mean="0" variance="1"/></TargetValueStat>
                    <TargetValueStat value="b">\(distributionB)</TargetValueStat>
                  </TargetValueStats>
                </BayesInput>
              </BayesInputs>
              <BayesOutput fieldName="\(outputField)">
                <TargetValueCounts><TargetValueCount value="a" count="3"/><TargetValueCount value="b" count="1"/></TargetValueCounts>
              </BayesOutput>
            </NaiveBayesModel>
            """)
    }

    @Test func zeroCountFallsBackToTheThreshold() throws {
        let m = try F.load(Self.model())
        // a: 3 * 2/3; b: 1 * threshold (the count is 0); x missing is ignored.
        let r = try F.score(m, ["c": "u"])
        #expect(r["t"] == .string("a"))
        #expect(F.close(r["pa"], 2 / 2.001))
    }

    @Test func gaussianDensitiesMultiplyTheCounts() throws {
        let m = try F.load(Self.model())
        // a: 3 * 1/3 * phi(0); b: 1 * 1/1 * phi(-1).
        let r = try F.score(m, ["c": "v", "x": "0"])
        #expect(F.close(r["pa"], 0.6224593312018546))
        #expect(F.close(r["pb"], 0.37754066879814546))
    }

    @Test func unknownValueIsIgnored() throws {
        let m = try F.load(Self.model())
        let r = try F.score(m, ["c": "w"])
        #expect(F.close(r["pa"], 0.75))
    }

    @Test func everyClassUnderflowingGivesNaNAndTheFirstCategory() throws {
        // With threshold 0 nothing floors the densities.
        let m = try F.load(Self.model(threshold: "0"))
        let r = try F.score(m, ["x": "1e10"])
        #expect(F.number(r["pa"])?.isNaN == true)
        #expect(F.number(r["pb"])?.isNaN == true)
        #expect(r["t"] == .string("a"))
    }

    @Test func winnerRanksNaNAboveNumbersLikeJPMML() {
        #expect(winningIndex([0.2, .nan, .nan, 0.9]) == 1)
        #expect(winningIndex([0.2, 0.9, 0.9]) == 1)
        #expect(winningIndex([]) == -1)
    }

    @Test func densityBelowThresholdIsRaisedToIt() throws {
        let m = try F.load(Self.model())
        // Both densities at x = 100 underflow below 0.001: a = 3 * 0.001, b = 1 * 0.001.
        let r = try F.score(m, ["x": "100"])
        #expect(F.close(r["pa"], 0.75))
    }

    @Test func nonPositiveVarianceIsALoadError() {
        let error = #expect(throws: PMMLError.self) {
            try F.load(Self.model(distributionB: "<GaussianDistribution mean=\"1\" variance=\"0\"/>"))
        }
        #expect(error?.element == "GaussianDistribution")
    }

    @Test func poissonCountsUseTheProbabilityMassFunction() throws {
        let m = try F.load(Self.model(distributionB: "<PoissonDistribution mean=\"2\"/>"))
        // a: 3 * phi(3); b: 1 * e^-2 2^3 / 3!.
        let a = 3 * 0.0044318484119380075
        let b = 0.1804470443154836
        let r = try F.score(m, ["x": "3"])
        #expect(F.close(r["pa"], a / (a + b)))
        #expect(r["t"] == .string("b"))
    }

    @Test func bayesOutputMustNameTheTarget() {
        let error = #expect(throws: PMMLError.self) { try F.load(Self.model(outputField: "x")) }
        #expect(error?.element == "BayesOutput")
    }

    @Test func unsupportedDistributionIsALoadError() {
        let error = #expect(throws: PMMLError.self) {
            try F.load(Self.model(distributionB: "<UniformDistribution lower=\"0\" upper=\"1\"/>"))
        }
        #expect(error?.element == "UniformDistribution")
        #expect((error?.line ?? 0) > 1)
    }
}
