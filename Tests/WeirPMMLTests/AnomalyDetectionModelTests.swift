import Testing
@testable import WeirPMML

/// AnomalyDetectionModel: iforest normalisation, clusterMeanDist, ocsvm, errors.
@Suite struct AnomalyDetectionModelTests {
    static let fields = "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"

    /// Two isolation trees: path length 4 or 6 (x < 1) and 5 (always).
    static func iforest(_ attributes: String = "algorithmType=\"iforest\" sampleDataSize=\"256\"") -> String {
        PMMLTest.document(fields, """
            <AnomalyDetectionModel functionName="regression" \(attributes)>
              <MiningSchema><MiningField name="x"/></MiningSchema>
              <Output><OutputField name="score" feature="predictedValue" dataType="double"/></Output>
              <MiningModel functionName="regression">
                <MiningSchema><MiningField name="x"/></MiningSchema>
                <Segmentation multipleModelMethod="average">
                  <Segment id="1"><True/>
                    <TreeModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema>
                      <Node score="0"><True/>
                        <Node score="4"><SimplePredicate field="x" operator="lessThan" value="1"/></Node>
                        <Node score="6"><True/></Node>
                      </Node>
                    </TreeModel>
                  </Segment>
                  <Segment id="2"><True/>
                    <TreeModel functionName="regression"><MiningSchema><MiningField name="x"/></MiningSchema>
                      <Node score="5"><True/></Node>
                    </TreeModel>
                  </Segment>
                </Segmentation>
              </MiningModel>
            </AnomalyDetectionModel>
            """)
    }

    @Test func iforestScoreNormalisesThePathLength() throws {
        let m = try PMMLTest.load(Self.iforest())
        // c(256) = 2 (ln 255 + 0.5772156649) - 2 * 255 / 256 = 10.244770920116851
        // x < 1: E = (4 + 5) / 2 = 4.5 -> 2^(-4.5 / c); otherwise E = 5.5
        #expect(PMMLTest.close(PMMLTest.double(m, ["x": "0"], "score"), 0.7375186951139234))
        #expect(PMMLTest.close(PMMLTest.double(m, ["x": "3"], "score"), 0.6892698202122555))
    }

    @Test func averagePathLengthSmallSamples() {
        #expect(AnomalyDetectionCore.averagePathLength(2) == 1)
        #expect(AnomalyDetectionCore.averagePathLength(1) == 0)
        #expect(PMMLTest.close(AnomalyDetectionCore.averagePathLength(256), 10.244770920116851))
    }

    @Test func clusterMeanDistDividesByTheNearestClusterMean() throws {
        let xml = PMMLTest.document(Self.fields, """
            <AnomalyDetectionModel functionName="regression" algorithmType="clusterMeanDist">
              <MiningSchema><MiningField name="x"/></MiningSchema>
              <Output><OutputField name="score" feature="predictedValue" dataType="double"/></Output>
              <ClusteringModel functionName="clustering" modelClass="centerBased">
                <MiningSchema><MiningField name="x"/></MiningSchema>
                <ComparisonMeasure kind="distance"><euclidean/></ComparisonMeasure>
                <ClusteringField field="x"/>
                <Cluster><Array type="real">0</Array></Cluster>
                <Cluster><Array type="real">10</Array></Cluster>
              </ClusteringModel>
              <MeanClusterDistances><Array type="real">2 4</Array></MeanClusterDistances>
            </AnomalyDetectionModel>
            """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.double(m, ["x": "3"], "score") == 1.5)   // 3 / 2
        #expect(PMMLTest.double(m, ["x": "8"], "score") == 0.5)   // 2 / 4
    }

    @Test func ocsvmReturnsTheDecisionValue() throws {
        let xml = PMMLTest.document(Self.fields, """
            <AnomalyDetectionModel functionName="regression" algorithmType="ocsvm">
              <MiningSchema><MiningField name="x"/></MiningSchema>
              <Output><OutputField name="score" feature="predictedValue" dataType="double"/></Output>
              <SupportVectorMachineModel functionName="regression">
                <MiningSchema><MiningField name="x"/></MiningSchema>
                <LinearKernelType/>
                <VectorDictionary><VectorFields><FieldRef field="x"/></VectorFields>
                  <VectorInstance id="1"><Array type="real">2</Array></VectorInstance></VectorDictionary>
                <SupportVectorMachine>
                  <SupportVectors><SupportVector vectorId="1"/></SupportVectors>
                  <Coefficients absoluteValue="-1"><Coefficient value="0.5"/></Coefficients>
                </SupportVectorMachine>
              </SupportVectorMachineModel>
            </AnomalyDetectionModel>
            """)
        let m = try PMMLTest.load(xml)
        #expect(PMMLTest.double(m, ["x": "3"], "score") == 2)   // 0.5 * 3 * 2 - 1
    }

    @Test func loadErrors() {
        let other = PMMLTest.loadError(Self.iforest("algorithmType=\"other\""))
        #expect(other?.element == "AnomalyDetectionModel")
        #expect(other?.message.contains("algorithmType") == true)
        #expect(PMMLTest.loadError(Self.iforest("algorithmType=\"iforest\""))?.message.contains("sampleDataSize") == true)
        #expect(PMMLTest.loadError(Self.iforest("algorithmType=\"ocsvm\""))?.message.contains("SupportVectorMachineModel") == true)
    }
}
