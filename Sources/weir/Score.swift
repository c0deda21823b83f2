import ArgumentParser
import Foundation
import WeirPMML

struct Score: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score a CSV file with a PMML model.")

    @Option(name: .long, help: "PMML model file.") var model: String
    @Option(name: .long, help: "CSV input file (header = field names, empty cell = missing).") var input: String?
    @Flag(name: .long, help: "Describe the model's inputs and outputs.") var describe = false

    func run() async throws {
        let pmml: PMMLModel
        do {
            pmml = try PMMLModel.load(path: model)
        } catch {
            throw ValidationError("cannot load model: \(error)")
        }
        if describe {
            print(describeText(pmml), terminator: "")
            return
        }
        guard let input else { throw ValidationError("--input or --describe is required") }
        guard let data = FileManager.default.contents(atPath: input) else {
            throw ValidationError("cannot read \(input)")
        }
        var records: [[String]]
        do {
            records = try CSVReader.parse(data: data, file: input)
        } catch {
            throw ValidationError("\(error)")
        }
        guard !records.isEmpty else { throw ValidationError("\(input): empty CSV") }
        let header = records.removeFirst()
        var index: [String: Int] = [:]
        for (i, h) in header.enumerated() where index[h] == nil { index[h] = i }
        let mapping = pmml.inputFields.map { index[$0.name] }
        var out = pmml.outputColumns.map { CSVReader.quote($0.name) }.joined(separator: ",") + ",__error__\n"
        var inputs = [String?](repeating: nil, count: mapping.count)
        let scorer = pmml.scorer()
        for (r, rec) in records.enumerated() {
            if rec.count != header.count {
                throw ValidationError("\(input):\(r + 2):\(min(rec.count, header.count) + 1): expected \(header.count) fields, found \(rec.count)")
            }
            for (i, m) in mapping.enumerated() { inputs[i] = m.map { rec[$0] } }
            if let e = scorer.score(inputs) {
                out += String(repeating: ",", count: pmml.outputColumns.count) + CSVReader.quote("row \(r + 2): \(e.message)") + "\n"
            } else {
                var cells: [String] = []
                for (c, v) in zip(pmml.outputColumns, scorer.results) {
                    cells.append(CSVReader.quote(PMMLModel.format(v, as: c.dataType)))
                }
                out += cells.joined(separator: ",") + ",\n"
            }
            if out.utf8.count > 1 << 16 {
                FileHandle.standardOutput.write(Data(out.utf8))
                out = ""
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    private func describeText(_ m: PMMLModel) -> String {
        var s = "inputs:\n"
        for f in m.inputFields {
            s += "  \(f.name): \(f.dataType.rawValue) \(f.opType.rawValue)"
            if !f.validValues.isEmpty { s += " values=[\(f.validValues.joined(separator: ", "))]" }
            if !f.intervals.isEmpty { s += " intervals=\(f.intervals.joined(separator: " "))" }
            s += "\n"
        }
        s += "outputs:\n"
        for o in m.outputColumns {
            s += "  \(o.name): \(o.dataType?.rawValue ?? "-") \(o.feature)\n"
        }
        return s
    }
}

/// Minimal RFC 4180 CSV reader.
enum CSVReader {
    struct CSVError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(data: Data, file: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var afterQuote = false
        var line = 1, col = 1
        let bytes = [UInt8](data)
        var i = 0
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            afterQuote = false
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 { field.append(0x22); i += 1 }
                    else { inQuotes = false; afterQuote = true }
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
            } else if b == 0x22 {
                if !field.isEmpty || afterQuote { throw CSVError(description: "\(file):\(line):\(col): unexpected quote") }
                inQuotes = true
            } else if b == 0x2C {
                endField(); col += 1
            } else if b == 0x0A || b == 0x0D {
                if b == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                endField()
                rows.append(row)
                row = []
                line += 1; col = 1
            } else {
                if afterQuote { throw CSVError(description: "\(file):\(line):\(col): text after closing quote") }
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw CSVError(description: "\(file):\(line):\(col): unterminated quoted field") }
        if !field.isEmpty || !row.isEmpty || afterQuote { endField(); rows.append(row) }
        return rows
    }

    static func quote(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
}
