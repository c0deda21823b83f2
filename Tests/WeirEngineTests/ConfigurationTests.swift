import Foundation
import Testing
import WeirEngine
import WeirStreams

@Suite struct ConfigurationTests {
    static let files = ["preprocessor.yaml": FraudExample.preprocessor, "fraud-v1.pmml": FraudExample.pmmlV1, "fraud-v1.yaml": FraudExample.featuresV1,
                        "bad.yaml": FraudExample.featuresV1.replacingOccurrences(of: "key: account, window", with: "key: acount, window")]

    static func parse(_ yaml: String) throws -> EngineConfiguration {
        try EngineConfiguration.parse(yaml: yaml, file: "processors.yaml") { name in files[name].map { (name, Array($0.utf8)) } }
    }

    @Test func theExampleFileLoads() throws {
        let c = try Self.parse(FraudExample.processors)
        #expect(c.preprocessors.map(\.id) == ["payments@1"])
        #expect(c.models.map(\.id) == ["fraud@1"])
        #expect(c.modelSources["fraud@1"]?.features == FraudExample.featuresV1)
    }

    @Test func errorsNameFileLineAndField() throws {
        let yaml = """
            version: 1
            partitons: 2
            preprocessors:
              - { name: payments, version: "1", definition: missing.yaml }
            models:
              - { name: fraud, version: "1", pmml: fraud-v1.pmml, features: bad.yaml }
              - { name: fraud, pmml: fraud-v1.pmml, features: fraud-v1.yaml }
            """
        let error = try #require(throws: EngineError.self) { try Self.parse(yaml) }
        let text = error.message
        #expect(text.contains("processors.yaml:2: partitons: unknown field"), "\(text)")
        #expect(text.contains("processors.yaml:4: preprocessors[0].definition: cannot read missing.yaml"), "\(text)")
        #expect(text.contains("bad.yaml:") && text.contains("'acount'"), "\(text)")
        #expect(text.contains("models[1].version: is required"), "\(text)")
    }

    @Test func controlRecordsRoundTrip() throws {
        let s = DeploymentStatus(controlOffset: 3, model: "fraud", version: "2", outcome: .accepted,
                                 activations: [Activation(topic: "payments", partition: 0, offset: 5)])
        #expect(try DeploymentStatus(json: s.json) == s)
        guard case .rollback(let m, let v) = try ControlRequest(json: ControlRequest.rollbackRecord(model: "fraud", version: "1")) else {
            Issue.record("not a rollback")
            return
        }
        #expect(m == "fraud" && v == "1")
        #expect(throws: (any Error).self) { try ControlRequest(json: Array(#"{"action":"explode"}"#.utf8)) }
    }
}
