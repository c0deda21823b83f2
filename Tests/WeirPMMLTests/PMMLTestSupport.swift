import Testing
@testable import WeirPMML

/// Small helpers for hand-written PMML documents in tests.
enum PMMLTest {
    static func load(_ xml: String) throws(PMMLError) -> PMMLModel {
        try PMMLModel.load(bytes: Array(xml.utf8), file: "test.pmml")
    }

    /// A document with the given DataFields and model body.
    static func document(_ dataFields: String, _ model: String) -> String {
        """
        <?xml version="1.0"?>
        <PMML xmlns="http://www.dmg.org/PMML-4_4" xmlns:data="http://jpmml.org/jpmml-model/InlineTable" version="4.4">
        <Header/>
        <DataDictionary>
        \(dataFields)
        </DataDictionary>
        \(model)
        </PMML>
        """
    }

    /// Scores one row given by field name; returns output columns by name, or nil when the row is rejected.
    static func score(_ model: PMMLModel, _ values: [String: String]) -> [String: Value]? {
        let row = model.inputFields.map { values[$0.name] }
        guard case .success(let out) = model.score(row) else { return nil }
        var byName: [String: Value] = [:]
        for (c, v) in zip(model.outputColumns, out) { byName[c.name] = v }
        return byName
    }

    static func double(_ model: PMMLModel, _ values: [String: String], _ column: String) -> Double? {
        score(model, values)?[column]?.double
    }

    static func text(_ model: PMMLModel, _ values: [String: String], _ column: String) -> String? {
        guard let v = score(model, values)?[column] else { return nil }
        return v.isMissing ? nil : v.key
    }

    /// The load error, or nil when the document loads.
    static func loadError(_ xml: String) -> PMMLError? {
        do {
            _ = try load(xml)
            return nil
        } catch {
            return error
        }
    }

    static func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance * max(1, abs(b))
    }
}
