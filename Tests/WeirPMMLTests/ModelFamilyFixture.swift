@testable import WeirPMML

/// Small inline PMML documents for the model-family tests: a DataDictionary, an optional
/// TransformationDictionary and one model, scored row by row by field name.
enum ModelFamilyFixture {
    static func document(fields: String, transformations: String = "", model: String) -> String {
        """
        <?xml version="1.0"?>
        <PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
        <Header/>
        <DataDictionary>
        \(fields)
        </DataDictionary>
        \(transformations)
        \(model)
        </PMML>
        """
    }

    static func load(_ xml: String) throws(PMMLError) -> PMMLModel {
        try PMMLModel.load(bytes: Array(xml.utf8), file: "family.pmml")
    }

    /// Scores one row; the result maps every output column (target first) to its value.
    static func score(_ model: PMMLModel, _ values: [String: String]) throws(RowRejection) -> [String: Value] {
        let row = model.inputFields.map { values[$0.name] }
        let cells = try model.score(row).get()
        var out: [String: Value] = [:]
        for (column, cell) in zip(model.outputColumns, cells) { out[column.name] = cell }
        return out
    }

    static func number(_ v: Value?) -> Double? {
        guard case .number(let d)? = v else { return nil }
        return d
    }

    static func close(_ v: Value?, _ expected: Double, tolerance: Double = 1e-12) -> Bool {
        guard let d = number(v) else { return false }
        return abs(d - expected) <= tolerance * Swift.max(1, abs(expected))
    }
}
