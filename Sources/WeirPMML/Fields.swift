/// What the compiler knows about a named field: where it lives in the row and its declared type.
struct FieldInfo {
    var name: String
    var slot: Int
    var dataType: DataType
    var opType: OpType
    var dataField: DataFieldSpec?
    /// For output fields: the slot that holds `.boolean(true)` once the field has a value for the row.
    var declaredSlot: Int? = nil
}

/// A DataDictionary entry. A reference type: the per-row validity check must not copy (and retain) its sets.
final class DataFieldSpec: Sendable {
    let name: String
    let slot: Int
    let dataType: DataType
    let opType: OpType
    /// Keys of valid values (empty: no list).
    let validKeys: Set<String>
    let orderedValues: [String]
    let invalidKeys: Set<String>
    let missingTexts: Set<String>
    let intervals: [IntervalSpec]
    var isFloat: Bool { dataType == .float }

    init(name: String, slot: Int, dataType: DataType, opType: OpType, validKeys: Set<String>, orderedValues: [String],
         invalidKeys: Set<String>, missingTexts: Set<String>, intervals: [IntervalSpec]) {
        self.name = name
        self.slot = slot
        self.dataType = dataType
        self.opType = opType
        self.validKeys = validKeys
        self.orderedValues = orderedValues
        self.invalidKeys = invalidKeys
        self.missingTexts = missingTexts
        self.intervals = intervals
    }

    func isValid(_ v: Value) -> Bool {
        if case .number(let d) = v, invalidKeys.isEmpty {
            // No key text needed (building one allocates a String per field and row).
            if !validKeys.isEmpty, opType != .continuous || intervals.isEmpty {
                return validKeys.contains(v.key)
            }
            if !intervals.isEmpty { return intervals.contains { $0.contains(d) } }
            return true
        }
        if dataType.isNumeric, case .string = v { return false }
        let key = v.key
        if invalidKeys.contains(key) { return false }
        if !validKeys.isEmpty, opType != .continuous || intervals.isEmpty {
            return validKeys.contains(key)
        }
        if !intervals.isEmpty, let d = v.double {
            return intervals.contains { $0.contains(d) }
        }
        return true
    }
}

struct IntervalSpec: Sendable {
    var left: Double
    var right: Double
    var leftClosed: Bool
    var rightClosed: Bool

    func contains(_ d: Double) -> Bool {
        if d.isNaN { return false }
        if leftClosed ? d < left : d <= left { return false }
        if rightClosed ? d > right : d >= right { return false }
        return true
    }
}

/// Name resolution: a model's scope sees its own fields, then its parent's.
final class Scope {
    let parent: Scope?
    var fields: [String: FieldInfo] = [:]

    init(parent: Scope?) { self.parent = parent }

    func lookup(_ name: String) -> FieldInfo? {
        if let f = fields[name] { return f }
        return parent?.lookup(name)
    }
}
