import Testing
@testable import WeirPMML

/// NearestNeighborModel: neighbour order and ids, each scoring method, tie-breaks, error cases.
@Suite struct NearestNeighborModelTests {
    /// Four training instances on a line: x = 0, 1, 2, 10.
    static func model(function: String = "classification", target: String = "t", targetType: String = "string",
                      k: Int = 3, attributes: String = "", targets: [String] = ["a", "a", "b", "b"],
                      idColumn: Bool = false, measure: String = "<euclidean/>") -> String {
        let xs = ["0", "1", "2", "10"]
        var rows = ""
        for (i, x) in xs.enumerated() {
            rows += "<row><data:x>\(x)</data:x><data:t>\(targets[i])</data:t><data:id>r\(i)</data:id></row>"
        }
        let optype = targetType == "string" ? "categorical" : "continuous"
        return PMMLTest.document("""
            <DataField name="x" optype="continuous" dataType="double"/>
            <DataField name="\(target)" optype="\(optype)" dataType="\(targetType)"/>
            <DataField name="id" optype="categorical" dataType="string"/>
            """, """
            <NearestNeighborModel functionName="\(function)" numberOfNeighbors="\(k)" \(idColumn ? "instanceIdVariable=\"id\"" : "") \(attributes)>
              <MiningSchema><MiningField name="x"/>\(function == "clustering" ? "" : "<MiningField name=\"\(target)\" usageType=\"target\"/>")</MiningSchema>
              <Output>
                <OutputField name="n1" feature="entityId" dataType="string"/>
                <OutputField name="n2" feature="entityId" rank="2" dataType="string"/>
                <OutputField name="n3" feature="entityId" rank="3" dataType="string"/>
                <OutputField name="d2" feature="affinity" rank="2" dataType="double"/>
              </Output>
              <TrainingInstances>
                <InstanceFields>
                  <InstanceField field="x" column="data:x"/>
                  <InstanceField field="\(target)" column="data:t"/>
                  <InstanceField field="id" column="data:id"/>
                </InstanceFields>
                <InlineTable>\(rows)</InlineTable>
              </TrainingInstances>
              <ComparisonMeasure kind="distance">\(measure)</ComparisonMeasure>
              <KNNInputs><KNNInput field="x"/></KNNInputs>
            </NearestNeighborModel>
            """)
    }

    @Test func majorityVoteAndNeighbourIds() throws {
        let m = try PMMLTest.load(Self.model())
        let r = PMMLTest.score(m, ["x": "1.4"])
        // distances 1.4, 0.4, 0.6, 8.6: rows 2, 3, 1 -> a, b, a
        #expect(r?["t"]?.key == "a")
        #expect(r?["n1"]?.key == "2")
        #expect(r?["n2"]?.key == "3")
        #expect(r?["n3"]?.key == "1")
        #expect(PMMLTest.close(r?["d2"]?.double, 0.6))
    }

    @Test func weightedMajorityVoteUsesInverseDistance() throws {
        let plain = try PMMLTest.load(Self.model())
        // distances 1.9, 0.9, 0.1: a, a, b -> majority a
        #expect(PMMLTest.text(plain, ["x": "1.9"], "t") == "a")
        let weighted = try PMMLTest.load(Self.model(attributes: "categoricalScoringMethod=\"weightedMajorityVote\""))
        // weights 1/(d + 0.001): b 9.9 > a 1.11 + 0.53
        #expect(PMMLTest.text(weighted, ["x": "1.9"], "t") == "b")
    }

    @Test func tiesGoToTheMoreFrequentTrainingCategoryThenTheSmallest() throws {
        let m = try PMMLTest.load(Self.model(k: 2, targets: ["b", "a", "a", "c"]))
        // neighbours rows 1 (b) and 2 (a): tie; a has 2 training cases, b 1
        #expect(PMMLTest.text(m, ["x": "0.4"], "t") == "a")
        let lexical = try PMMLTest.load(Self.model(k: 2, targets: ["c", "b", "c", "b"]))
        // c and b tie on votes and on training counts: smallest value b
        #expect(PMMLTest.text(lexical, ["x": "0.4"], "t") == "b")
    }

    @Test func equalDistancesKeepTrainingOrder() throws {
        let m = try PMMLTest.load(Self.model(k: 2))
        // x = 0.5 is 0.5 from rows 1 and 2: the first ranks first
        #expect(PMMLTest.text(m, ["x": "0.5"], "n1") == "1")
        #expect(PMMLTest.text(m, ["x": "0.5"], "n2") == "2")
    }

    @Test func continuousScoringMethods() throws {
        let targets = ["1", "2", "4", "100"]
        let avg = try PMMLTest.load(Self.model(function: "regression", targetType: "double", targets: targets))
        // x = 1.4: rows 2, 3, 1 -> 2, 4, 1
        #expect(PMMLTest.close(PMMLTest.double(avg, ["x": "1.4"], "t"), 7.0 / 3.0))
        let med = try PMMLTest.load(Self.model(function: "regression", targetType: "double",
                                               attributes: "continuousScoringMethod=\"median\"", targets: targets))
        #expect(PMMLTest.double(med, ["x": "1.4"], "t") == 2)
        let w = try PMMLTest.load(Self.model(function: "regression", targetType: "double",
                                             attributes: "continuousScoringMethod=\"weightedAverage\" threshold=\"0.1\"",
                                             targets: targets))
        // weights 1/0.5, 1/0.7, 1/1.5
        let ws = [1 / 0.5, 1 / 0.7, 1 / 1.5], ys = [2.0, 4.0, 1.0]
        let expected = zip(ws, ys).map { $0 * $1 }.reduce(0, +) / ws.reduce(0, +)
        #expect(PMMLTest.close(PMMLTest.double(w, ["x": "1.4"], "t"), expected))
    }

    @Test func instanceIdVariableNamesNeighbours() throws {
        let m = try PMMLTest.load(Self.model(idColumn: true))
        #expect(PMMLTest.text(m, ["x": "1.4"], "n1") == "r1")
        let clustering = try PMMLTest.load(Self.model(function: "clustering", idColumn: true))
        #expect(PMMLTest.text(clustering, ["x": "9"], "n1") == "r3")
    }

    @Test func cityBlockMeasure() throws {
        let m = try PMMLTest.load(Self.model(measure: "<cityBlock/>"))
        #expect(PMMLTest.close(PMMLTest.double(m, ["x": "1.4"], "d2"), 0.6))
    }

    @Test func loadErrors() {
        #expect(PMMLTest.loadError(Self.model(k: 5))?.message.contains("numberOfNeighbors") == true)
        let badScoring = Self.model(attributes: "categoricalScoringMethod=\"average\"")
        #expect(PMMLTest.loadError(badScoring)?.message.contains("scoring method") == true)
        let noClusteringIds = Self.model(function: "clustering")
        #expect(PMMLTest.loadError(noClusteringIds)?.message.contains("instanceIdVariable") == true)
    }
}
