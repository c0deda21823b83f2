/// Turns the element tree into compiled, immutable evaluators.
final class Compiler {
    let file: String
    var slotCount = 0
    var dataFields: [DataFieldSpec] = []
    var functions: [String: FunctionSpec] = [:]
    var functionsInProgress: Set<String> = []

    init(file: String) { self.file = file }

    func newSlot() -> Int {
        slotCount += 1
        return slotCount - 1
    }

    func error(_ e: XElement, _ message: String) -> PMMLError {
        PMMLError(file: file, line: e.line, element: e.name, message: message)
    }

    func unsupported(_ e: XElement, _ what: String) -> PMMLError {
        error(e, "unsupported \(what)")
    }

    func required(_ e: XElement, _ key: String) throws(PMMLError) -> String {
        guard let v = e.attr(key) else { throw error(e, "missing required attribute \(key)") }
        return v
    }

    func double(_ e: XElement, _ key: String) throws(PMMLError) -> Double? {
        guard let s = e.attr(key) else { return nil }
        guard let d = parseNumber(s) else { throw error(e, "attribute \(key)=\"\(s)\" is not a number") }
        return d
    }

    func requiredDouble(_ e: XElement, _ key: String) throws(PMMLError) -> Double {
        guard let d = try double(e, key) else { throw error(e, "missing required attribute \(key)") }
        return d
    }

    func field(_ e: XElement, _ name: String, in scope: Scope) throws(PMMLError) -> FieldInfo {
        guard let f = scope.lookup(name) else { throw error(e, "reference to undefined field \"\(name)\"") }
        return f
    }

    func dataType(_ e: XElement, _ key: String = "dataType") throws(PMMLError) -> DataType? {
        guard let s = e.attr(key) else { return nil }
        guard let t = DataType(rawValue: s) else { throw unsupported(e, "dataType \"\(s)\"") }
        return t
    }

    func opType(_ e: XElement) throws(PMMLError) -> OpType? {
        guard let s = e.attr("optype") else { return nil }
        guard let t = OpType(rawValue: s) else { throw unsupported(e, "optype \"\(s)\"") }
        return t
    }

    /// Parses a literal in the type of the field it is compared with.
    func literal(_ e: XElement, _ text: String, as type: DataType) throws(PMMLError) -> Value {
        guard let v = type.parse(text: text) else {
            throw error(e, "value \"\(text)\" is not a valid \(type.rawValue)")
        }
        return v
    }

    // MARK: DataDictionary

    func compileDataDictionary(_ dd: XElement, into scope: Scope) throws(PMMLError) {
        for df in dd.children where df.name == "DataField" {
            let name = try required(df, "name")
            guard let dt = try dataType(df) else { throw error(df, "missing dataType") }
            guard let ot = try opType(df) else { throw error(df, "missing optype") }
            var valid = Set<String>(), invalid = Set<String>(), missing = Set<String>()
            var ordered: [String] = []
            var intervals: [IntervalSpec] = []
            for c in df.children {
                switch c.name {
                case "Value":
                    let text = try required(c, "value")
                    switch c.attr("property") ?? "valid" {
                    case "valid":
                        let v = try literal(c, text, as: dt)
                        valid.insert(v.key)
                        ordered.append(v.key)
                    case "invalid": invalid.insert((dt.parse(text: text) ?? .string(text)).key)
                    case "missing": missing.insert(text)
                    default: throw unsupported(c, "Value property \"\(c.attr("property") ?? "")\"")
                    }
                case "Interval":
                    let closure = try required(c, "closure")
                    let lc: Bool, rc: Bool
                    switch closure {
                    case "openOpen": (lc, rc) = (false, false)
                    case "openClosed": (lc, rc) = (false, true)
                    case "closedOpen": (lc, rc) = (true, false)
                    case "closedClosed": (lc, rc) = (true, true)
                    default: throw unsupported(c, "Interval closure \"\(closure)\"")
                    }
                    intervals.append(IntervalSpec(
                        left: try double(c, "leftMargin") ?? -.infinity,
                        right: try double(c, "rightMargin") ?? .infinity, leftClosed: lc, rightClosed: rc))
                case "Extension": break
                default: throw unsupported(c, "element \(c.name) in DataField")
                }
            }
            let spec = DataFieldSpec(
                name: name, slot: newSlot(), dataType: dt, opType: ot, validKeys: valid, orderedValues: ordered,
                invalidKeys: invalid, missingTexts: missing, intervals: intervals)
            dataFields.append(spec)
            scope.fields[name] = FieldInfo(name: name, slot: spec.slot, dataType: dt, opType: ot, dataField: spec)
        }
    }
}
