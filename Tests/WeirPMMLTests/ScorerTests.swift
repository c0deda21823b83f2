import Foundation
import Testing
@testable import WeirPMML

/// `PMMLModel.Scorer` reuses one row and one result buffer across rows: on every JPMML reference document
/// in Tests/PMMLConformance/jpmml, scoring all rows through one scorer (text and prepared rows) must give
/// what a fresh row gives for each, rejections included — nothing of an earlier row may leak into a later one.
struct ScorerTests {
    static let documents = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PMMLConformance/jpmml").standardized

    static func same(_ a: Value, _ b: Value) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }
        return a == b
    }

    @Test func aReusedScorerGivesWhatAFreshRowGives() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.documents.path).sorted()
        var documents = 0, rows = 0, rejections = 0
        for name in names {
            let dir = Self.documents.appendingPathComponent(name)
            guard let csv = try? String(contentsOf: dir.appendingPathComponent("inputs.csv"), encoding: .utf8),
                  FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.pmml").path) else { continue }
            let model = try PMMLModel.load(path: dir.appendingPathComponent("model.pmml").path)
            var lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = lines.removeFirst()
            let columns = model.inputFields.map { header.firstIndex(of: $0.name) }
            let textScorer = model.scorer(), preparedScorer = model.scorer()
            documents += 1
            for cells in lines {
                let inputs = columns.map { c in c.flatMap { $0 < cells.count ? cells[$0] : nil } }
                let expected = model.score(inputs)
                let viaText = textScorer.score(inputs)
                let viaPrepared = preparedScorer.score(model.prepare(inputs))
                rows += 1
                switch expected {
                case .success(let values):
                    #expect(viaText == nil && viaPrepared == nil, "\(name): \(cells)")
                    guard viaText == nil, viaPrepared == nil else { continue }
                    for (k, v) in values.enumerated() {
                        #expect(Self.same(textScorer.results[k], v), "\(name) \(cells) column \(k)")
                        #expect(Self.same(preparedScorer.results[k], v), "\(name) \(cells) column \(k) (prepared)")
                    }
                case .failure(let rejection):
                    rejections += 1
                    #expect(viaText?.message == rejection.message, "\(name): \(cells)")
                    #expect(viaPrepared?.message == rejection.message, "\(name): \(cells) (prepared)")
                }
            }
        }
        #expect(documents >= 50)
        #expect(rows > 1000)
        #expect(rejections > 0)
    }
}
