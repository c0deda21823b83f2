#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loaded, compiled PMML model. Immutable and safe to share between threads.
public struct PMMLModel: Sendable {
    public struct InputField: Sendable {
        public var name: String
        public var dataType: DataType
        public var opType: OpType
        public var validValues: [String]
        public var intervals: [String]
        let slot: Int
        let missingTexts: Set<String>
    }

    public struct OutputColumn: Sendable {
        public var name: String
        public var dataType: DataType?
        public var feature: String
        let slot: Int
    }

    public let inputFields: [InputField]
    public let outputColumns: [OutputColumn]
    let slotCount: Int
    let model: CompiledModel

    /// Loads a PMML file (at most 64 MiB).
    public static func load(path: String) throws(PMMLError) -> PMMLModel {
        guard let f = fopen(path, "rb") else { throw PMMLError(file: path, message: "cannot open file") }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > XMLLoader.maxBytes {
                throw PMMLError(file: path, message: "document is larger than the \(XMLLoader.maxBytes)-byte limit")
            }
        }
        if ferror(f) != 0 { throw PMMLError(file: path, message: "read error") }
        return try load(bytes: bytes, file: path)
    }

    public static func load(bytes: [UInt8], file: String = "<memory>") throws(PMMLError) -> PMMLModel {
        let root = try XMLLoader(file: file).parse(bytes: bytes)
        let compiler = Compiler(file: file)
        return try compiler.compileDocument(root)
    }

    init(inputFields: [InputField], outputColumns: [OutputColumn], slotCount: Int, model: CompiledModel) {
        self.inputFields = inputFields
        self.outputColumns = outputColumns
        self.slotCount = slotCount
        self.model = model
    }

    /// Puts raw text per input field (aligned with `inputFields`; nil, empty or a declared missing text =
    /// missing) into an all-missing row, parsed to each field's type (text that does not parse stays text, for
    /// the invalid-value treatment to judge).
    func fillInputs(_ row: inout Row, _ inputs: [String?]) {
        for (i, f) in inputFields.enumerated() {
            guard i < inputs.count, let text = inputs[i], !text.isEmpty, !f.missingTexts.contains(text) else { continue }
            row[f.slot] = f.dataType.parse(text: text) ?? .string(text)
        }
    }

    /// Scores one row given raw text per input field (aligned with `inputFields`; nil = missing).
    public func score(_ inputs: [String?]) -> Result<[Value], RowRejection> {
        var row = Row(repeating: .missing, count: slotCount)
        fillInputs(&row, inputs)
        do {
            _ = try model.evaluate(&row)
        } catch {
            return .failure(error)
        }
        return .success(outputColumns.map { row[$0.slot] })
    }

    /// One input row already converted to the fields' types and through the top-level MiningField treatments
    /// (missing/invalid/outlier handling): the step JPMML's `InputField.prepare` does. Text parsing and field
    /// preparation are done once, e.g. for benchmarks or for callers that score the same decoded record
    /// several times.
    public struct PreparedRow: Sendable {
        /// Every slot of the model's row; the input slots hold prepared values.
        let row: Row
        /// Set when the top-level MiningField treatments reject the row (e.g. returnInvalid).
        let rejection: RowRejection?
    }

    /// Parses raw text per input field (aligned with `inputFields`; nil or empty = missing) and applies the
    /// top-level MiningField treatments.
    public func prepare(_ inputs: [String?]) -> PreparedRow {
        var row = Row(repeating: .missing, count: slotCount)
        fillInputs(&row, inputs)
        do {
            try model.prepareInputs(&row)
        } catch {
            return PreparedRow(row: [], rejection: error)
        }
        return PreparedRow(row: row, rejection: nil)
    }

    /// Scores a prepared row: the same result as `score(_:)` on the text it was prepared from.
    public func score(_ prepared: PreparedRow) -> Result<[Value], RowRejection> {
        if let rejection = prepared.rejection { return .failure(rejection) }
        // This thread's scratch row, taken out while in use (a nested use would find it empty and make its own).
        let scratch = ScratchRow.current()
        var row = scratch.row
        scratch.row = []
        refill(&row, from: prepared.row)
        defer { scratch.row = row }
        do {
            _ = try model.evaluate(&row, inputsPrepared: true)
        } catch {
            return .failure(error)
        }
        return .success(outputColumns.map { row[$0.slot] })
    }

    /// A scorer for one thread that reuses its row and its result buffer (see `Scorer`).
    public func scorer() -> Scorer { Scorer(self) }

    /// Scores rows one after another on one thread, reusing one row and one result buffer: once warm, a score
    /// allocates nothing and returns no array. The model is shared; a `Scorer` is not (one per thread).
    public final class Scorer {
        public let model: PMMLModel
        private let slots: [Int]
        // Only this scorer's own methods touch these, one at a time (a Scorer is not shared between threads).
        @exclusivity(unchecked) private var row: Row
        /// The values of the last row scored without rejection, aligned with `model.outputColumns`.
        @exclusivity(unchecked) public private(set) var results: [Value]

        init(_ model: PMMLModel) {
            self.model = model
            slots = model.outputColumns.map(\.slot)
            row = Row(repeating: .missing, count: model.slotCount)
            results = [Value](repeating: .missing, count: model.outputColumns.count)
        }

        /// Scores a prepared row: nil when it scored (`results` holds its values), else why the model rejects it
        /// (`results` then keeps the previous row's values).
        public func score(_ prepared: PreparedRow) -> RowRejection? {
            if let rejection = prepared.rejection { return rejection }
            refill(&row, from: prepared.row)
            do {
                _ = try model.model.evaluate(&row, inputsPrepared: true)
            } catch {
                return error
            }
            collect()
            return nil
        }

        /// Scores raw text per input field (aligned with `model.inputFields`; nil or empty = missing), as
        /// `PMMLModel.score(_:)` does.
        public func score(_ inputs: [String?]) -> RowRejection? {
            row.withUnsafeMutableBufferPointer { r in
                for i in r.indices { if case .missing = r[i] {} else { r[i] = .missing } }
            }
            model.fillInputs(&row, inputs)
            do {
                _ = try model.model.evaluate(&row)
            } catch {
                return error
            }
            collect()
            return nil
        }

        private func collect() {
            // Assigning into the unique buffer: no array is made per row.
            results.withUnsafeMutableBufferPointer { out in
                row.withUnsafeBufferPointer { r in
                    slots.withUnsafeBufferPointer { s in
                        for i in 0..<s.count { out[i] = r[s[i]] }
                    }
                }
            }
        }
    }

    /// Formats a result cell: shortest round-trip doubles, integers without a decimal point.
    public static func format(_ v: Value, as type: DataType?) -> String {
        switch v {
        case .missing: return ""
        case .string(let s): return s
        case .boolean(let b): return b ? "true" : "false"
        case .number(let d):
            switch type {
            case .integer? where d.isFinite && abs(d) < 9.2e18: return String(Int64(d))
            case .float?: return Float(d).description
            case .boolean?: return d != 0 ? "true" : "false"
            default: return d.description
            }
        }
    }
}

/// A copy of `source` made with one memcpy, then every string element copied properly over its bits (retaining
/// its storage): the other cases of `Value` are plain bits. The array's own copy calls a value witness per
/// element.
func copyRow(_ source: Row) -> Row {
    let n = source.count
    return Row(unsafeUninitializedCapacity: n) { buffer, count in
        source.withUnsafeBufferPointer { src in
            guard let from = src.baseAddress, let to = buffer.baseAddress else { return }
            UnsafeMutableRawPointer(to).copyMemory(from: UnsafeRawPointer(from), byteCount: n * MemoryLayout<Value>.stride)
            // The bits of a string were not retained: initialize (not assign) the element with a real copy.
            for i in 0..<n { if case .string = src[i] { (to + i).initialize(to: src[i]) } }
        }
        count = n
    }
}

/// Makes `row` a copy of `source`, reusing `row`'s storage when it has the same size: its strings are released,
/// the new values copied as bits, then each string copied properly over its bits.
func refill(_ row: inout Row, from source: Row) {
    let n = source.count
    guard row.count == n else {
        row = copyRow(source)
        return
    }
    row.withUnsafeMutableBufferPointer { dst in
        source.withUnsafeBufferPointer { src in
            guard let to = dst.baseAddress, let from = src.baseAddress else { return }
            for i in 0..<n { if case .string = to[i] { (to + i).deinitialize(count: 1) } }
            UnsafeMutableRawPointer(to).copyMemory(from: UnsafeRawPointer(from), byteCount: n * MemoryLayout<Value>.stride)
            for i in 0..<n { if case .string = from[i] { (to + i).initialize(to: from[i]) } }
        }
    }
}

/// One row per thread that scoring prepared rows reuses (no row allocated and destroyed per score); released
/// with its thread. Only the thread that owns it touches it.
final class ScratchRow {
    var row: Row = []

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        #if canImport(Darwin)
        pthread_key_create(&key) { p in Unmanaged<ScratchRow>.fromOpaque(p).release() }
        #else
        pthread_key_create(&key) { p in
            if let p { Unmanaged<ScratchRow>.fromOpaque(p).release() }
        }
        #endif
        return key
    }()

    static func current() -> ScratchRow {
        if let p = pthread_getspecific(key) { return Unmanaged<ScratchRow>.fromOpaque(p).takeUnretainedValue() }
        let scratch = ScratchRow()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }
}

extension Compiler {
    func compileDocument(_ root: XElement) throws(PMMLError) -> PMMLModel {
        guard root.name == "PMML" else { throw error(root, "root element is \(root.name), not PMML") }
        let global = Scope(parent: nil)
        guard let dd = root.child("DataDictionary") else { throw error(root, "missing DataDictionary") }
        try compileDataDictionary(dd, into: global)
        var globalDerived: [(Int, Expr)] = []
        if let td = root.child("TransformationDictionary") {
            for f in td.all("DefineFunction") { try compileDefineFunction(f, global: global) }
            globalDerived = try compileDerivedFields(td, global)
        }
        let models = root.children.filter { Self.modelNames.contains($0.name) }
        guard let modelEl = models.first else {
            if let other = root.children.first(where: { !["Header", "DataDictionary", "TransformationDictionary", "MiningBuildTask", "Extension"].contains($0.name) }) {
                throw unsupported(other, "element \(other.name)")
            }
            throw error(root, "document contains no model")
        }
        let top = Scope(parent: global)
        let model = try compileModel(modelEl, parent: global, export: top, topLevel: true, inheritedFloat: false)
        model.derived = globalDerived + model.derived
        // Inputs: the active MiningFields of the top-level model.
        var inputs: [PMMLModel.InputField] = []
        var targetName: String?
        if let schema = modelEl.child("MiningSchema") {
            for mf in schema.all("MiningField") {
                guard let name = mf.attr("name"), let info = global.lookup(name), let spec = info.dataField else { continue }
                let usage = mf.attr("usageType") ?? "active"
                if usage == "target" || usage == "predicted" { targetName = name; continue }
                inputs.append(.init(name: name, dataType: spec.dataType, opType: spec.opType, validValues: spec.orderedValues,
                                    intervals: spec.intervals.map { "\($0.leftClosed ? "[" : "(")\($0.left), \($0.right)\($0.rightClosed ? "]" : ")")" },
                                    slot: spec.slot, missingTexts: spec.missingTexts))
            }
        }
        var columns: [PMMLModel.OutputColumn] = []
        if let targetName, let info = global.lookup(targetName) {
            let slot = newSlot()
            model.targetSlot = slot
            columns.append(.init(name: targetName, dataType: info.dataType, feature: "predictedValue", slot: slot))
        }
        var finalOutputs = model.outputs
        if finalOutputs.isEmpty, let chain = model.core as? MiningModelCore, chain.method == .modelChain,
           let last = chain.segments.last {
            finalOutputs = last.model.outputs
        }
        for o in finalOutputs where o.isFinal {
            columns.append(.init(name: o.name, dataType: o.dataType, feature: "\(o.feature)", slot: o.slot))
        }
        return PMMLModel(inputFields: inputs, outputColumns: columns, slotCount: slotCount, model: model)
    }
}
