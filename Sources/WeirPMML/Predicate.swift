/// A compiled predicate; evaluation is three-valued (nil = unknown).
indirect enum Predicate: Sendable {
    case alwaysTrue, alwaysFalse
    case numeric(slot: Int, op: CompareOp, value: Double)
    case text(slot: Int, op: CompareOp, value: String)
    case isMissing(slot: Int)
    case isNotMissing(slot: Int)
    case setNumeric(slot: Int, values: [Double], isIn: Bool)
    case setText(slot: Int, values: Set<String>, isIn: Bool)
    case and([Predicate])
    case or([Predicate])
    case xor([Predicate])
    case surrogate([Predicate])

    func eval(_ row: Row) -> Bool? {
        switch self {
        case .alwaysTrue: return true
        case .alwaysFalse: return false
        case .numeric(let slot, let op, let value):
            guard let x = row[slot].double else { return nil }
            return op.test(x, value)
        case .text(let slot, let op, let value):
            let v = row[slot]
            if v.isMissing { return nil }
            return op.test(v.key, value)
        case .isMissing(let slot): return row[slot].isMissing
        case .isNotMissing(let slot): return !row[slot].isMissing
        case .setNumeric(let slot, let values, let isIn):
            guard let x = row[slot].double else { return nil }
            return values.contains(x) == isIn
        case .setText(let slot, let values, let isIn):
            let v = row[slot]
            if v.isMissing { return nil }
            return values.contains(v.key) == isIn
        case .and(let ps):
            var unknown = false
            for p in ps {
                switch p.eval(row) {
                case .some(false): return false
                case nil: unknown = true
                default: break
                }
            }
            return unknown ? nil : true
        case .or(let ps):
            var unknown = false
            for p in ps {
                switch p.eval(row) {
                case .some(true): return true
                case nil: unknown = true
                default: break
                }
            }
            return unknown ? nil : false
        case .xor(let ps):
            var r = false
            for p in ps {
                guard let b = p.eval(row) else { return nil }
                r = r != b
            }
            return r
        case .surrogate(let ps):
            for p in ps {
                if let b = p.eval(row) { return b }
            }
            return nil
        }
    }
}

enum CompareOp: String, Sendable {
    case equal, notEqual, lessThan, lessOrEqual, greaterThan, greaterOrEqual

    @inline(__always)
    func test<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .equal: return a == b
        case .notEqual: return a != b
        case .lessThan: return a < b
        case .lessOrEqual: return a <= b
        case .greaterThan: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}

extension Compiler {
    static let predicateNames: Set<String> = [
        "SimplePredicate", "CompoundPredicate", "SimpleSetPredicate", "True", "False",
    ]

    func compilePredicate(_ e: XElement, _ scope: Scope) throws(PMMLError) -> Predicate {
        switch e.name {
        case "True": return .alwaysTrue
        case "False": return .alwaysFalse
        case "SimplePredicate":
            let f = try field(e, try required(e, "field"), in: scope)
            let opName = try required(e, "operator")
            if opName == "isMissing" { return .isMissing(slot: f.slot) }
            if opName == "isNotMissing" { return .isNotMissing(slot: f.slot) }
            guard let op = CompareOp(rawValue: opName) else { throw unsupported(e, "operator \"\(opName)\"") }
            let text = try required(e, "value")
            if f.dataType.isNumeric {
                guard let v = f.dataType.parse(text: text)?.double ?? (f.dataType == .integer ? parseNumber(text) : nil)
                else { throw error(e, "value \"\(text)\" is not a valid \(f.dataType.rawValue)") }
                return .numeric(slot: f.slot, op: op, value: v)
            }
            if f.dataType == .boolean {
                guard let v = f.dataType.parse(text: text)?.double else { throw error(e, "value \"\(text)\" is not boolean") }
                return .numeric(slot: f.slot, op: op, value: v)
            }
            return .text(slot: f.slot, op: op, value: text)
        case "SimpleSetPredicate":
            let f = try field(e, try required(e, "field"), in: scope)
            let opName = try required(e, "booleanOperator")
            guard opName == "isIn" || opName == "isNotIn" else { throw unsupported(e, "booleanOperator \"\(opName)\"") }
            guard let arr = e.child("Array") else { throw error(e, "SimpleSetPredicate without Array") }
            let items = parseArray(arr.text)
            if f.dataType.isNumeric {
                var values: [Double] = []
                for s in items {
                    guard let v = f.dataType.parse(text: s)?.double ?? parseNumber(s) else {
                        throw error(arr, "value \"\(s)\" is not a valid \(f.dataType.rawValue)")
                    }
                    values.append(v)
                }
                return .setNumeric(slot: f.slot, values: values, isIn: opName == "isIn")
            }
            return .setText(slot: f.slot, values: Set(items), isIn: opName == "isIn")
        case "CompoundPredicate":
            let op = try required(e, "booleanOperator")
            var ps: [Predicate] = []
            for c in e.children where Self.predicateNames.contains(c.name) { ps.append(try compilePredicate(c, scope)) }
            switch op {
            case "and": return .and(ps)
            case "or": return .or(ps)
            case "xor": return .xor(ps)
            case "surrogate": return .surrogate(ps)
            default: throw unsupported(e, "booleanOperator \"\(op)\"")
            }
        default:
            throw unsupported(e, "predicate \(e.name)")
        }
    }

    func firstPredicate(_ e: XElement, _ scope: Scope) throws(PMMLError) -> Predicate {
        guard let p = e.children.first(where: { Self.predicateNames.contains($0.name) }) else {
            throw error(e, "\(e.name) without a predicate")
        }
        return try compilePredicate(p, scope)
    }
}

/// Splits a PMML Array's content: whitespace separated, double quotes group, backslash escapes a quote.
func parseArray(_ text: String) -> [String] {
    var out: [String] = []
    var cur = ""
    var inQuote = false, has = false
    var it = text.makeIterator()
    while let c = it.next() {
        if inQuote {
            if c == "\\" { if let n = it.next() { cur.append(n) } } else if c == "\"" { inQuote = false } else { cur.append(c) }
        } else if c == "\"" {
            inQuote = true; has = true
        } else if c.isWhitespace {
            if has { out.append(cur); cur = ""; has = false }
        } else {
            cur.append(c); has = true
        }
    }
    if has { out.append(cur) }
    return out
}
