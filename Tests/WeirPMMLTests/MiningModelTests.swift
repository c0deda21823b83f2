import Foundation
import Testing
@testable import WeirPMML

/// MiningModel: every aggregation method, missing prediction treatments, float math, segmentId, selectAll,
/// selectFirst/modelChain entity ids.
@Suite struct MiningModelTests {
    static let fields = """
        <DataField name="x" optype="continuous" dataType="double"/>
        <DataField name="y" optype="continuous" dataType="double"/>
        <DataField name="c" optype="categorical" dataType="string"><Value value="a"/><Value value="b"/></DataField>
        """

    /// A regression tree returning `score`, or nothing when x is missing.
    static func leaf(_ score: String, target: String = "y") -> String {
        """
        <TreeModel functionName="regression" missingValueStrategy="nullPrediction">
          <MiningSchema><MiningField name="x"/><MiningField name="\(target)" usageType="target"/></MiningSchema>
          <Node score="0"><True/><Node score="\(score)"><SimplePredicate field="x" operator="greaterThan" value="-1000"/></Node></Node>
        </TreeModel>
        """
    }

    static func regression(_ method: String, _ scores: [(String, Double)], attributes: String = "", output: String = "",
                           model: String = "") -> String {
        let segments = scores.enumerated().map { i, s in
            "<Segment id=\"\(i + 1)\" weight=\"\(s.1)\"><True/>\(leaf(s.0))</Segment>"
        }.joined()
        return PMMLTest.document(fields, """
            <MiningModel functionName="regression" \(model)>
              <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
              \(output)
              <Segmentation multipleModelMethod="\(method)" \(attributes)>\(segments)</Segmentation>
            </MiningModel>
            """)
    }

    static let scores: [(String, Double)] = [("1", 0.5), ("4", 2), ("10", 1)]

    @Test func regressionAggregations() throws {
        func value(_ method: String) throws -> Double? {
            PMMLTest.double(try PMMLTest.load(Self.regression(method, Self.scores)), ["x": "0"], "y")
        }
        #expect(try value("sum") == 15)
        #expect(try value("average") == 5)
        #expect(try value("median") == 4)
        #expect(try value("max") == 10)
        #expect(try value("weightedSum") == 0.5 + 8 + 10)
        #expect(try value("weightedAverage") == 18.5 / 3.5)
        // Sorted 1 (0.5), 4 (2), 10 (1): half the weight (1.75) is reached at 4.
        #expect(try value("weightedMedian") == 4)
        #expect(PMMLTest.loadError(Self.regression("majorityVote", Self.scores))?.message.contains("classification") == true)
    }

    @Test func floatSumIsThirtyTwoBit() throws {
        let m = try PMMLTest.load(Self.regression("sum", [("0.1", 1), ("0.2", 1), ("0.3", 1)], model: "x-mathContext=\"float\""))
        // Float(0.1) + Float(0.2) + Float(0.3) in float arithmetic, not 0.6000000000000001
        #expect(PMMLTest.double(m, ["x": "0"], "y") == 0.6000000238418579)
    }

    @Test func floatModelChainLogit() throws {
        // Sum of trees (float) plus rescaleConstant, then a logit RegressionModel in float with JPMML's exp.
        let chain = PMMLTest.document(Self.fields + "<DataField name=\"k\" optype=\"categorical\" dataType=\"integer\"><Value value=\"0\"/><Value value=\"1\"/></DataField>", """
            <MiningModel functionName="classification" x-mathContext="float">
              <MiningSchema><MiningField name="x"/><MiningField name="k" usageType="target"/></MiningSchema>
              <Segmentation multipleModelMethod="modelChain">
                <Segment id="1"><True/>
                  <MiningModel functionName="regression" x-mathContext="float">
                    <MiningSchema><MiningField name="x"/></MiningSchema>
                    <Output><OutputField name="m" optype="continuous" dataType="float" isFinalResult="false"/></Output>
                    <Targets><Target rescaleConstant="-0.25"/></Targets>
                    <Segmentation multipleModelMethod="sum">
                      <Segment id="1"><True/>\(Self.leaf("0.1", target: "y").replacingOccurrences(of: "<MiningField name=\"y\" usageType=\"target\"/>", with: ""))</Segment>
                      <Segment id="2"><True/>\(Self.leaf("0.2", target: "y").replacingOccurrences(of: "<MiningField name=\"y\" usageType=\"target\"/>", with: ""))</Segment>
                      <Segment id="3"><True/>\(Self.leaf("0.3", target: "y").replacingOccurrences(of: "<MiningField name=\"y\" usageType=\"target\"/>", with: ""))</Segment>
                    </Segmentation>
                  </MiningModel>
                </Segment>
                <Segment id="2"><True/>
                  <RegressionModel functionName="classification" normalizationMethod="logit" x-mathContext="float">
                    <MiningSchema><MiningField name="m"/><MiningField name="k" usageType="target"/></MiningSchema>
                    <Output><OutputField name="p1" feature="probability" value="1" dataType="float"/></Output>
                    <RegressionTable intercept="0" targetCategory="1"><NumericPredictor name="m" coefficient="1"/></RegressionTable>
                    <RegressionTable intercept="0" targetCategory="0"/>
                  </RegressionModel>
                </Segment>
              </Segmentation>
            </MiningModel>
            """)
        let m = try PMMLTest.load(chain)
        // y = float(0.6000000238) - 0.25f; p = 1 / (1 + 2.7182817^-y) in float: 0.5866175889968872,
        // where a double logistic of 0.35 gives 0.5866175789173301.
        #expect(PMMLTest.double(m, ["x": "0"], "p1") == 0.5866175889968872)
    }

    static func classification(_ method: String, missing: String = "continue", threshold: String = "") -> String {
        // Three classification trees: a (x < 5), b otherwise; the third has no prediction when x > 8.
        func tree(_ cut: String, _ pa: Double, nullAbove: String? = nil) -> String {
            let guardNode = nullAbove.map { "<SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"\($0)\"/>" } ?? "<True/>"
            return """
            <TreeModel functionName="classification" missingValueStrategy="nullPrediction">
              <MiningSchema><MiningField name="x"/><MiningField name="c" usageType="target"/></MiningSchema>
              <Node><True/><Node>\(guardNode)
                <Node score="a"><SimplePredicate field="x" operator="lessThan" value="\(cut)"/>
                  <ScoreDistribution value="a" recordCount="\(pa * 10)"/><ScoreDistribution value="b" recordCount="\((1 - pa) * 10)"/></Node>
                <Node score="b"><True/>
                  <ScoreDistribution value="a" recordCount="\((1 - pa) * 10)"/><ScoreDistribution value="b" recordCount="\(pa * 10)"/></Node>
              </Node></Node>
            </TreeModel>
            """
        }
        return PMMLTest.document(fields, """
            <MiningModel functionName="classification">
              <MiningSchema><MiningField name="x"/><MiningField name="c" usageType="target"/></MiningSchema>
              <Output><OutputField name="pa" feature="probability" value="a" dataType="double"/></Output>
              <Segmentation multipleModelMethod="\(method)" missingPredictionTreatment="\(missing)" \(threshold)>
                <Segment id="1" weight="1"><True/>\(tree("5", 0.8))</Segment>
                <Segment id="2" weight="3"><True/>\(tree("2", 0.6))</Segment>
                <Segment id="3" weight="1"><True/>\(tree("7", 0.9, nullAbove: "8"))</Segment>
              </Segmentation>
            </MiningModel>
            """)
    }

    @Test func classificationAggregations() throws {
        func result(_ method: String, _ x: String = "3") throws -> (String?, Double?) {
            let m = try PMMLTest.load(Self.classification(method))
            return (PMMLTest.text(m, ["x": x], "c"), PMMLTest.double(m, ["x": x], "pa"))
        }
        // x = 3: segment 1 says a (0.8), segment 2 says b (P(a) = 0.4), segment 3 says a (0.9).
        let vote = try result("majorityVote")
        #expect(vote.0 == "a")
        #expect(PMMLTest.close(vote.1, 2.0 / 3.0))
        let weighted = try result("weightedMajorityVote")
        #expect(weighted.0 == "b")                     // b has weight 3 of 5
        #expect(PMMLTest.close(weighted.1, 2.0 / 5.0))
        let avg = try result("average")
        #expect(PMMLTest.close(avg.1, (0.8 + 0.4 + 0.9) / 3))
        let wavg = try result("weightedAverage")
        #expect(PMMLTest.close(wavg.1, (0.8 + 3 * 0.4 + 0.9) / 5))
        let med = try result("median")
        #expect(PMMLTest.close(med.1, 0.8))
        let max = try result("max")
        #expect(max.0 == "a")
        #expect(PMMLTest.close(max.1, 0.9))
    }

    @Test func missingPredictionTreatments() throws {
        // x = 9: segment 3 has no prediction.
        let returnMissing = try PMMLTest.load(Self.classification("average", missing: "returnMissing"))
        #expect(PMMLTest.text(returnMissing, ["x": "9"], "c") == nil)
        let skip = try PMMLTest.load(Self.classification("average", missing: "skipSegment"))
        // segments 1 and 2 both say b: P(a) = (0.2 + 0.4) / 2
        #expect(PMMLTest.close(PMMLTest.double(skip, ["x": "9"], "pa"), 0.3))
        let strict = try PMMLTest.load(Self.classification("average", missing: "skipSegment", threshold: "missingThreshold=\"0.1\""))
        #expect(PMMLTest.text(strict, ["x": "9"], "c") == nil)   // 1/3 of the weight missing > 0.1
        let continueAverage = try PMMLTest.load(Self.classification("average", missing: "continue"))
        #expect(PMMLTest.text(continueAverage, ["x": "9"], "c") == nil)
        let continueVote = try PMMLTest.load(Self.classification("majorityVote", missing: "continue"))
        #expect(PMMLTest.text(continueVote, ["x": "9"], "c") == "b")   // b 2 votes beat the missing 1
    }

    @Test func segmentIdOutputsAndSelectAll() throws {
        let output = """
            <Output>
              <OutputField name="s1" segmentId="1" feature="predictedValue" dataType="double"/>
              <OutputField name="s2" segmentId="2" feature="predictedValue" dataType="double"/>
              <OutputField name="s9" segmentId="9" feature="predictedValue" dataType="double"/>
            </Output>
            """
        let sum = try PMMLTest.load(Self.regression("sum", Self.scores, output: output))
        let r = PMMLTest.score(sum, ["x": "0"])
        #expect(r?["y"]?.double == 15)
        #expect(r?["s1"]?.double == 1)
        #expect(r?["s2"]?.double == 4)
        #expect(r?["s9"]?.isMissing == true)
        let all = try PMMLTest.load(Self.regression("selectAll", Self.scores, output: output))
        let a = PMMLTest.score(all, ["x": "0"])
        #expect(a?["s2"]?.double == 4)
        #expect(a?["y"]?.key == "[1.0, 4.0, 10.0]")
        #expect(PMMLTest.loadError(PMMLTest.document(Self.fields, """
            <RegressionModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema>
            <Output><OutputField name="s" segmentId="1" feature="predictedValue"/></Output>
            <RegressionTable intercept="1"/></RegressionModel>
            """))?.message.contains("segmentId") == true)
    }

    @Test func selectFirstReportsTheSegmentIdAsEntity() throws {
        let xml = PMMLTest.document(Self.fields, """
            <MiningModel functionName="regression">
              <MiningSchema><MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>
              <Output><OutputField name="seg" feature="entityId" dataType="string"/></Output>
              <Segmentation multipleModelMethod="selectFirst">
                <Segment id="low"><SimplePredicate field="x" operator="lessThan" value="5"/>\(Self.leaf("1"))</Segment>
                <Segment id="high"><True/>\(Self.leaf("2"))</Segment>
              </Segmentation>
            </MiningModel>
            """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.text(m, ["x": "1"], "seg") == "low")
        #expect(PMMLTest.text(m, ["x": "7"], "seg") == "high")
    }
}
