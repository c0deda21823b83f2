/// A predicate as the compiler reads it from the document; `PredicateProgram` evaluates it.
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
}

/// Predicates compiled to plain-data steps in flat arrays: evaluating one reads no reference-counted
/// node (the `Predicate` enum is the compiler's form only). Three-valued: nil = unknown.
struct PredicateProgram: Sendable {
    enum Kind: UInt8, Sendable {
        case alwaysTrue, alwaysFalse, numeric, text, isMissing, isNotMissing, setNumeric, setText
        case and, or, xor, surrogate
    }

    struct Step: Sendable {
        var kind: Kind
        var op: CompareOp = .equal
        var isIn = false
        var slot: Int32 = 0
        /// Compound: its first child step (children are contiguous). Text: index into `texts`.
        /// Sets: the first member in `texts` / `numbers`.
        var start: Int32 = 0
        /// Compound: number of children. Sets: number of members.
        var count: Int32 = 0
        var value: Double = 0
    }

    private(set) var steps: [Step] = []
    private(set) var texts: [String] = []
    private(set) var numbers: [Double] = []

    init() {}

    /// A program of the one predicate `p` (its root is step 0).
    init(_ p: Predicate) { _ = add(p) }

    /// Adds a predicate and returns its root step.
    mutating func add(_ p: Predicate) -> Int32 {
        let root = steps.count
        steps.append(Step(kind: .alwaysTrue))
        fill(root, p)
        return Int32(root)
    }

    private mutating func fill(_ i: Int, _ p: Predicate) {
        var step = Step(kind: .alwaysTrue)
        var children: [Predicate] = []
        switch p {
        case .alwaysTrue: break
        case .alwaysFalse: step.kind = .alwaysFalse
        case .numeric(let slot, let op, let value):
            step = Step(kind: .numeric, op: op, slot: Int32(slot), value: value)
        case .text(let slot, let op, let value):
            step = Step(kind: .text, op: op, slot: Int32(slot), start: Int32(texts.count))
            texts.append(value)
        case .isMissing(let slot): step = Step(kind: .isMissing, slot: Int32(slot))
        case .isNotMissing(let slot): step = Step(kind: .isNotMissing, slot: Int32(slot))
        case .setNumeric(let slot, let values, let isIn):
            step = Step(kind: .setNumeric, isIn: isIn, slot: Int32(slot), start: Int32(numbers.count), count: Int32(values.count))
            numbers += values
        case .setText(let slot, let values, let isIn):
            // Linear membership over the members gives Set.contains's answer (both use String ==).
            step = Step(kind: .setText, isIn: isIn, slot: Int32(slot), start: Int32(texts.count), count: Int32(values.count))
            texts += values.sorted()
        case .and(let ps): step.kind = .and; children = ps
        case .or(let ps): step.kind = .or; children = ps
        case .xor(let ps): step.kind = .xor; children = ps
        case .surrogate(let ps): step.kind = .surrogate; children = ps
        }
        if !children.isEmpty || [.and, .or, .xor, .surrogate].contains(step.kind) {
            step.start = Int32(steps.count)
            step.count = Int32(children.count)
            steps.append(contentsOf: repeatElement(Step(kind: .alwaysTrue), count: children.count))
        }
        steps[i] = step
        for (k, c) in children.enumerated() { fill(Int(step.start) + k, c) }
    }

    /// Appends another program (its indices shifted) and returns the offset of its steps.
    mutating func append(_ other: PredicateProgram) -> Int32 {
        let base = Int32(steps.count), textBase = Int32(texts.count), numberBase = Int32(numbers.count)
        for var s in other.steps {
            switch s.kind {
            case .text, .setText: s.start += textBase
            case .setNumeric: s.start += numberBase
            case .and, .or, .xor, .surrogate: s.start += base
            default: break
            }
            steps.append(s)
        }
        texts += other.texts
        numbers += other.numbers
        return base
    }

    /// The predicates of one row, over the program's and the row's buffers read in place: no step, row value
    /// or text is copied (and retained) per test. Valid only inside `withEvaluator`.
    struct Evaluator {
        fileprivate let steps: UnsafeBufferPointer<Step>
        fileprivate let row: UnsafeBufferPointer<Value>
        fileprivate let texts: UnsafeBufferPointer<String>
        fileprivate let numbers: UnsafeBufferPointer<Double>

        @inline(__always)
        func eval(_ i: Int32) -> Bool? { PredicateProgram.eval(Int(i), self) }
    }

    /// Runs `body` with an evaluator of this program's predicates on `row` (set up once for many tests).
    @inline(__always)
    func withEvaluator<R>(_ row: Row, _ body: (Evaluator) -> R) -> R {
        steps.withUnsafeBufferPointer { s in
            row.withUnsafeBufferPointer { r in
                texts.withUnsafeBufferPointer { t in
                    numbers.withUnsafeBufferPointer { n in body(Evaluator(steps: s, row: r, texts: t, numbers: n)) }
                }
            }
        }
    }

    func eval(_ i: Int32, _ row: Row) -> Bool? {
        withEvaluator(row) { $0.eval(i) }
    }

    private static func eval(_ i: Int, _ e: Evaluator) -> Bool? {
        let s = e.steps[i]
        switch s.kind {
        case .alwaysTrue: return true
        case .alwaysFalse: return false
        case .numeric:
            // The common case read in place; anything else (missing, text, boolean) out of line.
            if case .number(let x) = e.row[Int(s.slot)] { return s.op.test(x, s.value) }
            return numericSlow(s, e)
        case .text:
            if case .string(let v) = e.row[Int(s.slot)] { return s.op.test(text: v, e.texts[Int(s.start)]) }
            let v = e.row[Int(s.slot)]
            if v.isMissing { return nil }
            return s.op.test(text: v.key, e.texts[Int(s.start)])
        case .isMissing: return e.row[Int(s.slot)].isMissing
        case .isNotMissing: return !e.row[Int(s.slot)].isMissing
        case .setNumeric:
            guard let x = e.row[Int(s.slot)].double else { return nil }
            let start = Int(s.start)
            for k in start..<start + Int(s.count) where e.numbers[k] == x { return s.isIn }
            return !s.isIn
        case .setText:
            let start = Int(s.start), end = start + Int(s.count)
            let v = e.row[Int(s.slot)]
            if v.isMissing { return nil }
            let key: String
            if case .string(let text) = v { key = text } else { key = v.key }
            for k in start..<end where sameText(e.texts[k], key) { return s.isIn }
            return !s.isIn
        case .and:
            var unknown = false
            for c in Int(s.start)..<Int(s.start + s.count) {
                switch eval(c, e) {
                case .some(false): return false
                case nil: unknown = true
                default: break
                }
            }
            return unknown ? nil : true
        case .or:
            var unknown = false
            for c in Int(s.start)..<Int(s.start + s.count) {
                switch eval(c, e) {
                case .some(true): return true
                case nil: unknown = true
                default: break
                }
            }
            return unknown ? nil : false
        case .xor:
            var r = false
            for c in Int(s.start)..<Int(s.start + s.count) {
                guard let b = eval(c, e) else { return nil }
                r = r != b
            }
            return r
        case .surrogate:
            for c in Int(s.start)..<Int(s.start + s.count) {
                if let b = eval(c, e) { return b }
            }
            return nil
        }
    }

    @inline(never)
    private static func numericSlow(_ s: Step, _ e: Evaluator) -> Bool? {
        guard let x = e.row[Int(s.slot)].double else { return nil }
        return s.op.test(x, s.value)
    }
}

enum CompareOp: String, Sendable {
    case equal, notEqual, lessThan, lessOrEqual, greaterThan, greaterOrEqual

    /// Text: equality by `sameText` (`==`, lengths first), order by `<`.
    @inline(__always)
    func test(text a: String, _ b: String) -> Bool {
        switch self {
        case .equal: return sameText(a, b)
        case .notEqual: return !sameText(a, b)
        default: return test(a, b)
        }
    }

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
