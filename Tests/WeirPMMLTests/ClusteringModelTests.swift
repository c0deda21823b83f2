import Foundation
import Testing
@testable import WeirPMML

/// ClusteringModel: every distance measure, compare functions, weights, missing-value adjustment, similarity.
@Suite struct ClusteringModelTests {
    static let fields = """
        <DataField name="x" optype="continuous" dataType="double"/>
        <DataField name="y" optype="continuous" dataType="double"/>
        """

    static func model(_ measure: String, fields clustering: String = "<ClusteringField field=\"x\"/><ClusteringField field=\"y\"/>",
                      clusters: String = "<Cluster id=\"a\"><Array n=\"2\" type=\"real\">0 0</Array></Cluster><Cluster id=\"b\"><Array n=\"2\" type=\"real\">3 3</Array></Cluster>",
                      extra: String = "", kind: String = "distance") -> String {
        PMMLTest.document(fields, """
            <ClusteringModel functionName="clustering" modelClass="centerBased">
              <MiningSchema><MiningField name="x"/><MiningField name="y"/></MiningSchema>
              <Output>
                <OutputField name="cluster" feature="predictedValue" dataType="string"/>
                <OutputField name="id" feature="clusterId" dataType="string"/>
                <OutputField name="da" feature="affinity" value="a" dataType="double"/>
                <OutputField name="db" feature="affinity" value="b" dataType="double"/>
                <OutputField name="best" feature="clusterAffinity" dataType="double"/>
              </Output>
              <ComparisonMeasure kind="\(kind)">\(measure)</ComparisonMeasure>
              \(clustering)
              \(extra)
              \(clusters)
            </ClusteringModel>
            """)
    }

    @Test func squaredEuclideanPicksNearestCenter() throws {
        let m = try PMMLTest.load(Self.model("<squaredEuclidean/>"))
        let r = PMMLTest.score(m, ["x": "1", "y": "1"])
        #expect(r?["cluster"]?.key == "a")
        #expect(r?["id"]?.key == "a")
        #expect(r?["da"]?.double == 2)   // 1 + 1
        #expect(r?["db"]?.double == 8)   // 4 + 4
        #expect(r?["best"]?.double == 2)
        #expect(PMMLTest.text(m, ["x": "2", "y": "2.5"], "cluster") == "b")
    }

    @Test func tieGoesToTheFirstCluster() throws {
        let m = try PMMLTest.load(Self.model("<squaredEuclidean/>"))
        #expect(PMMLTest.text(m, ["x": "1.5", "y": "1.5"], "cluster") == "a")
    }

    @Test func euclideanWithFieldWeights() throws {
        let m = try PMMLTest.load(Self.model("<euclidean/>",
            fields: "<ClusteringField field=\"x\" fieldWeight=\"2\"/><ClusteringField field=\"y\"/>"))
        // sqrt(2 * 1^2 + 1 * 1^2)
        #expect(PMMLTest.close(PMMLTest.double(m, ["x": "1", "y": "1"], "da"), 1.7320508075688772))
    }

    @Test func cityBlockChebychevMinkowski() throws {
        let city = try PMMLTest.load(Self.model("<cityBlock/>"))
        #expect(PMMLTest.double(city, ["x": "1", "y": "2"], "da") == 3)
        let cheb = try PMMLTest.load(Self.model("<chebychev/>"))
        #expect(PMMLTest.double(cheb, ["x": "1", "y": "2"], "da") == 2)
        let mink = try PMMLTest.load(Self.model("<minkowski p-parameter=\"3\"/>"))
        // (1^3 + 2^3)^(1/3)
        #expect(PMMLTest.close(PMMLTest.double(mink, ["x": "1", "y": "2"], "da"), 2.080083823051904))
    }

    @Test func missingValueIsSkippedAndDistanceAdjusted() throws {
        let plain = try PMMLTest.load(Self.model("<squaredEuclidean/>"))
        // y = 2 only: 4 * (2 / 1)
        #expect(PMMLTest.double(plain, ["y": "2"], "da") == 8)
        let weighted = try PMMLTest.load(Self.model("<squaredEuclidean/>",
            extra: "<MissingValueWeights><Array n=\"2\" type=\"real\">1 3</Array></MissingValueWeights>"))
        // 4 * (1 + 3) / 3
        #expect(PMMLTest.close(PMMLTest.double(weighted, ["y": "2"], "da"), 16.0 / 3.0))
    }

    @Test func gaussSimCompareFunction() throws {
        let m = try PMMLTest.load(Self.model("<cityBlock/>",
            fields: "<ClusteringField field=\"x\" compareFunction=\"gaussSim\" similarityScale=\"1\"/><ClusteringField field=\"y\" isCenterField=\"false\"/>",
            clusters: "<Cluster id=\"a\"><Array type=\"real\">0</Array></Cluster><Cluster id=\"b\"><Array type=\"real\">3</Array></Cluster>"))
        // exp(-ln 2 * 1^2 / 1^2) = 0.5
        #expect(PMMLTest.close(PMMLTest.double(m, ["x": "1", "y": "9"], "da"), 0.5))
    }

    @Test func deltaAndEqualOnCategoricalCenters() throws {
        let xml = PMMLTest.document("""
            <DataField name="c" optype="categorical" dataType="string"><Value value="u"/><Value value="v"/></DataField>
            <DataField name="d" optype="categorical" dataType="string"><Value value="u"/><Value value="v"/></DataField>
            """, """
            <ClusteringModel functionName="clustering" modelClass="centerBased">
              <MiningSchema><MiningField name="c"/><MiningField name="d"/></MiningSchema>
              <Output><OutputField name="k" feature="predictedValue" dataType="string"/>
                <OutputField name="d1" feature="affinity" value="1" dataType="double"/></Output>
              <ComparisonMeasure kind="distance" compareFunction="delta"><cityBlock/></ComparisonMeasure>
              <ClusteringField field="c"/><ClusteringField field="d" compareFunction="equal"/>
              <Cluster><Array type="string">u u</Array></Cluster>
              <Cluster><Array type="string">v v</Array></Cluster>
            </ClusteringModel>
            """)
        let m = try PMMLTest.load(xml)
        // cluster 1: delta(v,u)=1 + equal(u,u)=1 -> 2; cluster 2: delta(v,v)=0 + equal(u,v)=0 -> 0
        #expect(PMMLTest.double(m, ["c": "v", "d": "u"], "d1") == 2)
        #expect(PMMLTest.text(m, ["c": "v", "d": "u"], "k") == "2")
    }

    @Test func tableCompareFunction() throws {
        let xml = PMMLTest.document("""
            <DataField name="c" optype="categorical" dataType="string"><Value value="u"/><Value value="v"/><Value value="w"/></DataField>
            """, """
            <ClusteringModel functionName="clustering" modelClass="centerBased">
              <MiningSchema><MiningField name="c"/></MiningSchema>
              <Output><OutputField name="d1" feature="affinity" value="1" dataType="double"/>
                <OutputField name="d2" feature="affinity" value="2" dataType="double"/></Output>
              <ComparisonMeasure kind="distance"><cityBlock/></ComparisonMeasure>
              <ClusteringField field="c" compareFunction="table">
                <Comparisons><Matrix kind="symmetric"><Array type="real">0</Array><Array type="real">2 0</Array><Array type="real">5 7 0</Array></Matrix></Comparisons>
              </ClusteringField>
              <Cluster><Array type="string">u</Array></Cluster>
              <Cluster><Array type="string">v</Array></Cluster>
            </ClusteringModel>
            """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.double(m, ["c": "w"], "d1") == 5)
        #expect(PMMLTest.double(m, ["c": "w"], "d2") == 7)
    }

    @Test func binarySimilarityMeasuresPickTheLargest() throws {
        let xml = { (measure: String) in PMMLTest.document("""
            <DataField name="p" optype="continuous" dataType="double"/>
            <DataField name="q" optype="continuous" dataType="double"/>
            <DataField name="r" optype="continuous" dataType="double"/>
            """, """
            <ClusteringModel functionName="clustering" modelClass="centerBased">
              <MiningSchema><MiningField name="p"/><MiningField name="q"/><MiningField name="r"/></MiningSchema>
              <Output><OutputField name="k" feature="predictedValue" dataType="string"/>
                <OutputField name="s1" feature="affinity" value="1" dataType="double"/></Output>
              <ComparisonMeasure kind="similarity">\(measure)</ComparisonMeasure>
              <ClusteringField field="p"/><ClusteringField field="q"/><ClusteringField field="r"/>
              <Cluster><Array type="real">1 1 0</Array></Cluster>
              <Cluster><Array type="real">1 0 1</Array></Cluster>
            </ClusteringModel>
            """) }
        let row = ["p": "1", "q": "0", "r": "1"]
        // vs cluster 1: a11=1, a10=1 (r), a01=1 (q), a00=0
        let jaccard = try PMMLTest.load(xml("<jaccard/>"))
        #expect(PMMLTest.close(PMMLTest.double(jaccard, row, "s1"), 1.0 / 3.0))
        #expect(PMMLTest.text(jaccard, row, "k") == "2")
        let sm = try PMMLTest.load(xml("<simpleMatching/>"))
        #expect(PMMLTest.close(PMMLTest.double(sm, row, "s1"), 1.0 / 3.0))
        let tan = try PMMLTest.load(xml("<tanimoto/>"))
        #expect(PMMLTest.close(PMMLTest.double(tan, row, "s1"), 1.0 / 5.0))
        let bin = try PMMLTest.load(xml("""
            <binarySimilarity c00-parameter="0" c01-parameter="0" c10-parameter="0" c11-parameter="2" d00-parameter="1" d01-parameter="1" d10-parameter="1" d11-parameter="1"/>
            """))
        #expect(PMMLTest.close(PMMLTest.double(bin, row, "s1"), 2.0 / 3.0))
        // A non-binary input is refused.
        #expect(PMMLTest.score(jaccard, ["p": "2", "q": "0", "r": "1"]) == nil)
    }

    @Test func clustersWithoutIdAreNumberedFromOne() throws {
        let m = try PMMLTest.load(Self.model("<squaredEuclidean/>",
            clusters: "<Cluster><Array type=\"real\">0 0</Array></Cluster><Cluster><Array type=\"real\">3 3</Array></Cluster>"))
        #expect(PMMLTest.text(m, ["x": "3", "y": "2"], "cluster") == "2")
    }

    @Test func unsupportedConstructsFailLoadingWithTheirLine() {
        let distribution = Self.model("<squaredEuclidean/>").replacingOccurrences(of: "centerBased", with: "distributionBased")
        let e1 = PMMLTest.loadError(distribution)
        #expect(e1?.element == "ClusteringModel")
        #expect(e1?.message.contains("distributionBased") == true)
        #expect((e1?.line ?? 0) > 0)
        let e2 = PMMLTest.loadError(Self.model("<squaredEuclidean/>",
            clusters: "<Cluster id=\"a\"><Array type=\"real\">0 0 0</Array></Cluster>"))
        #expect(e2?.element == "Array")
        let e3 = PMMLTest.loadError(Self.model("<mahalanobis/>"))
        #expect(e3?.message.contains("mahalanobis") == true)
        let e4 = PMMLTest.loadError(Self.model("<jaccard/>"))
        #expect(e4?.message.contains("does not match kind") == true)
    }
}
