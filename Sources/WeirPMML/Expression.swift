#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A compiled expression over row slots.
indirect enum Expr: Sendable {
    case constant(Value)
    case field(Int)
    case normContinuous(Expr, xs: [Double], ys: [Double], outliers: Outliers, mapMissingTo: Value)
    case normDiscrete(Expr, key: String, mapMissingTo: Value)
    case discretize(Expr, bins: [(IntervalSpec, Value)], mapMissingTo: Value, defaultValue: Value)
    case mapValues(inputs: [Expr], rows: [([String], Value)], mapMissingTo: Value, defaultValue: Value)
    case apply(BuiltinFunction, [Expr], mapMissingTo: Value, defaultValue: Value)
    case call(params: [Int], args: [Expr], body: Expr, result: DataType?, mapMissingTo: Value, defaultValue: Value)
    case cast(DataType, Expr)
    /// + - * / trees over numbers (see `ArithmeticProgram`): the compiled form of such `.apply`/`.cast` nodes.
    case arithmetic(ArithmeticProgram)
}

/// Arithmetic (+ - * / of fields and numeric constants, without mapMissingTo or defaultValue, and casts of
/// such results to double, float or integer) as plain-data nodes: the same Double operations as
/// `BuiltinFunction.apply` and `DataType.cast`, without boxed enum nodes or `Value`s between the steps.
/// A missing (or non-numeric) operand makes the result missing, as there.
struct ArithmeticProgram: Sendable {
    enum Op: UInt8, Sendable { case constant, field, add, subtract, multiply, divide, toFloat, toInteger }

    struct Node: Sendable {
        var op: Op
        var slot: Int32 = 0
        var a: Int32 = 0
        var b: Int32 = 0
        var value: Double = 0
    }

    /// Operands before the nodes that use them; the root is the last node.
    private(set) var nodes: [Node] = []

    /// The program of `e`, when `e` is an arithmetic operation or a cast of one (nil otherwise: a bare field
    /// or constant keeps its own value, which need not be a number).
    init?(_ e: Expr) {
        switch e {
        case .apply, .cast: break
        default: return nil
        }
        guard build(e) != nil, let root = nodes.last, root.op != .field, root.op != .constant else { return nil }
    }

    private mutating func build(_ e: Expr) -> Int32? {
        switch e {
        case .constant(.number(let d)):
            nodes.append(Node(op: .constant, value: d))
        case .field(let slot):
            nodes.append(Node(op: .field, slot: Int32(slot)))
        case .arithmetic(let p):
            let base = Int32(nodes.count)
            for var n in p.nodes {
                n.a += base
                n.b += base
                nodes.append(n)
            }
        case .apply(let f, let args, let mm, let dv) where mm.isMissing && dv.isMissing && args.count == 2:
            let op: Op
            switch f {
            case .add: op = .add
            case .subtract: op = .subtract
            case .multiply: op = .multiply
            case .divide: op = .divide
            default: return nil
            }
            guard let a = build(args[0]), let b = build(args[1]) else { return nil }
            nodes.append(Node(op: op, a: a, b: b))
        case .cast(let t, let inner):
            // Only a cast of an operation's result (always a number or missing); a field's value may be text.
            guard let a = build(inner), nodes[Int(a)].op != .field, nodes[Int(a)].op != .constant else { return nil }
            switch t {
            case .double: return a
            case .float: nodes.append(Node(op: .toFloat, a: a))
            case .integer: nodes.append(Node(op: .toInteger, a: a))
            default: return nil
            }
        default:
            return nil
        }
        return Int32(nodes.count - 1)
    }

    // Every node is an operand of the root (build appends a subtree's nodes only), so one missing operand
    // makes the result missing whatever the order: the nodes are computed front to back, operands first.
    func eval(_ row: Row) -> Value {
        let count = nodes.count
        let result: Double? = nodes.withUnsafeBufferPointer { ns in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { v -> Double? in
                for i in 0..<count {
                    let n = ns[i]
                    switch n.op {
                    case .constant: v[i] = n.value
                    case .field:
                        switch row[Int(n.slot)] {
                        case .number(let d): v[i] = d
                        case .missing: return nil
                        case let other:
                            guard let d = other.double else { return nil }
                            v[i] = d
                        }
                    case .add: v[i] = v[Int(n.a)] + v[Int(n.b)]
                    case .subtract: v[i] = v[Int(n.a)] - v[Int(n.b)]
                    case .multiply: v[i] = v[Int(n.a)] * v[Int(n.b)]
                    case .divide: v[i] = v[Int(n.a)] / v[Int(n.b)]
                    case .toFloat: v[i] = Double(Float(v[Int(n.a)]))
                    case .toInteger:
                        // As DataType.cast: + 0, no negative zero.
                        let x = v[Int(n.a)]
                        v[i] = x.isFinite ? x.rounded(.towardZero) + 0 : x
                    }
                }
                return v[count - 1]
            }
        }
        return result.map(Value.number) ?? .missing
    }
}

extension Expr {
    /// `self`, with arithmetic compiled to an `ArithmeticProgram` when it is arithmetic.
    var compiledArithmetic: Expr { ArithmeticProgram(self).map(Expr.arithmetic) ?? self }
}

enum Outliers: String, Sendable {
    case asIs, asMissingValues, asExtremeValues
}

struct FunctionSpec {
    var params: [FieldInfo]
    var body: Expr
    var dataType: DataType?
}

/// Row state during scoring: one value per slot.
typealias Row = [Value]

extension Expr {
    func eval(_ row: inout Row) -> Value {
        switch self {
        case .constant(let v): return v
        case .field(let s): return row[s]
        case .cast(let t, let e): return t.cast(e.eval(&row))
        case .arithmetic(let p): return p.eval(row)
        case .normContinuous(let e, let xs, let ys, let outliers, let mm):
            guard let x = e.eval(&row).double else { return mm }
            let n = xs.count
            if x < xs[0] || x > xs[n - 1] {
                switch outliers {
                case .asMissingValues: return .missing
                case .asExtremeValues: return .number(x < xs[0] ? ys[0] : ys[n - 1])
                case .asIs:
                    let (i, j) = x < xs[0] ? (0, 1) : (n - 2, n - 1)
                    return .number(ys[i] + (x - xs[i]) * (ys[j] - ys[i]) / (xs[j] - xs[i]))
                }
            }
            var i = 0
            while i < n - 2 && x > xs[i + 1] { i += 1 }
            return .number(ys[i] + (x - xs[i]) * (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i]))
        case .normDiscrete(let e, let key, let mm):
            let v = e.eval(&row)
            if v.isMissing { return mm }
            return .number(v.key == key ? 1 : 0)
        case .discretize(let e, let bins, let mm, let dv):
            let v = e.eval(&row)
            guard let x = v.double else { return mm }
            for (interval, bin) in bins where interval.contains(x) { return bin }
            return dv
        case .mapValues(let inputs, let rows, let mm, let dv):
            var keys: [String] = []
            keys.reserveCapacity(inputs.count)
            for i in inputs {
                let v = i.eval(&row)
                if v.isMissing { return mm }
                keys.append(v.key)
            }
            for (k, out) in rows where k == keys { return out }
            return dv
        case .apply(let f, let args, let mm, let dv):
            let r = f.apply(args, &row)
            if r.isMissing { return f.isMissingAware ? r : mm }
            if case .number(let d) = r, d.isNaN, !dv.isMissing { return dv }
            return r
        case .call(let params, let args, let body, let result, let mm, _):
            var values: [Value] = []
            for a in args { values.append(a.eval(&row)) }
            for (p, v) in zip(params, values) { row[p] = v }
            let r = body.eval(&row)
            if r.isMissing { return mm }
            return result.map { $0.cast(r) } ?? r
        }
    }
}

extension Compiler {
    static let expressionNames: Set<String> = [
        "Constant", "FieldRef", "NormContinuous", "NormDiscrete", "Discretize", "MapValues", "Apply",
        "TextIndex", "Aggregate", "Lag",
    ]

    func compileExpression(_ e: XElement, _ scope: Scope) throws(PMMLError) -> Expr {
        switch e.name {
        case "Constant":
            let t = try dataType(e)
            let text = e.text.trimmingWhitespace()
            if e.attr("missing") == "true" { return .constant(.missing) }
            if let t { return .constant(try literal(e, text, as: t)) }
            if let d = Double(text) { return .constant(.number(d)) }
            return .constant(.string(text))
        case "FieldRef":
            let f = try field(e, try required(e, "field"), in: scope)
            if let mm = e.attr("mapMissingTo") {
                let m = try literal(e, mm, as: f.dataType)
                return .apply(.coalesce, [.field(f.slot), .constant(m)], mapMissingTo: m, defaultValue: .missing)
            }
            return .field(f.slot)
        case "NormContinuous":
            let f = try field(e, try required(e, "field"), in: scope)
            var xs: [Double] = [], ys: [Double] = []
            for ln in e.all("LinearNorm") {
                xs.append(try requiredDouble(ln, "orig"))
                ys.append(try requiredDouble(ln, "norm"))
            }
            if xs.count < 2 { throw error(e, "NormContinuous needs at least two LinearNorm elements") }
            let o = e.attr("outliers") ?? "asIs"
            guard let outliers = Outliers(rawValue: o) else { throw unsupported(e, "outliers \"\(o)\"") }
            let mm = try e.attr("mapMissingTo").map { (s) throws(PMMLError) in try literal(e, s, as: .double) }
            return .normContinuous(.field(f.slot), xs: xs, ys: ys, outliers: outliers, mapMissingTo: mm ?? .missing)
        case "NormDiscrete":
            let f = try field(e, try required(e, "field"), in: scope)
            let v = try literal(e, try required(e, "value"), as: f.dataType)
            let mm = try e.attr("mapMissingTo").map { (s) throws(PMMLError) in try literal(e, s, as: .double) }
            return .normDiscrete(.field(f.slot), key: v.key, mapMissingTo: mm ?? .missing)
        case "Discretize":
            let f = try field(e, try required(e, "field"), in: scope)
            let t = try dataType(e) ?? .string
            var bins: [(IntervalSpec, Value)] = []
            for b in e.all("DiscretizeBin") {
                guard let iv = b.child("Interval") else { throw error(b, "DiscretizeBin without Interval") }
                let interval = try compileInterval(iv)
                bins.append((interval, try literal(b, try required(b, "binValue"), as: t)))
            }
            let mm = try e.attr("mapMissingTo").map { (s) throws(PMMLError) in try literal(e, s, as: t) }
            let dv = try e.attr("defaultValue").map { (s) throws(PMMLError) in try literal(e, s, as: t) }
            return .discretize(.field(f.slot), bins: bins, mapMissingTo: mm ?? .missing, defaultValue: dv ?? .missing)
        case "MapValues":
            return try compileMapValues(e, scope)
        case "Apply":
            return try compileApply(e, scope).compiledArithmetic
        default:
            throw unsupported(e, "expression element \(e.name)")
        }
    }

    func compileInterval(_ c: XElement) throws(PMMLError) -> IntervalSpec {
        let closure = try required(c, "closure")
        let lc: Bool, rc: Bool
        switch closure {
        case "openOpen": (lc, rc) = (false, false)
        case "openClosed": (lc, rc) = (false, true)
        case "closedOpen": (lc, rc) = (true, false)
        case "closedClosed": (lc, rc) = (true, true)
        default: throw unsupported(c, "Interval closure \"\(closure)\"")
        }
        return IntervalSpec(
            left: try double(c, "leftMargin") ?? -.infinity, right: try double(c, "rightMargin") ?? .infinity,
            leftClosed: lc, rightClosed: rc)
    }

    func localName(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    func compileMapValues(_ e: XElement, _ scope: Scope) throws(PMMLError) -> Expr {
        let t = try dataType(e) ?? .string
        // Column names may carry a namespace prefix ("data:output"); cells are matched by local name.
        let outCol = localName(try required(e, "outputColumn"))
        var inputs: [Expr] = [], cols: [String] = [], types: [DataType] = []
        for p in e.all("FieldColumnPair") {
            let f = try field(p, try required(p, "field"), in: scope)
            inputs.append(.field(f.slot))
            cols.append(localName(try required(p, "column")))
            types.append(f.dataType)
        }
        guard let table = e.child("InlineTable") else { throw unsupported(e, "MapValues without InlineTable") }
        var rows: [([String], Value)] = []
        for r in table.all("row") {
            var cells: [String: String] = [:]
            for c in r.children {
                cells[localName(c.name)] = c.text
            }
            guard let out = cells[outCol] else { throw error(r, "row without output column \(outCol)") }
            var keys: [String] = []
            for (i, col) in cols.enumerated() {
                guard let text = cells[col] else { throw error(r, "row without column \(col)") }
                keys.append((types[i].parse(text: text) ?? .string(text)).key)
            }
            rows.append((keys, try literal(r, out, as: t)))
        }
        let mm = try e.attr("mapMissingTo").map { (s) throws(PMMLError) in try literal(e, s, as: t) }
        let dv = try e.attr("defaultValue").map { (s) throws(PMMLError) in try literal(e, s, as: t) }
        return .mapValues(inputs: inputs, rows: rows, mapMissingTo: mm ?? .missing, defaultValue: dv ?? .missing)
    }

    func compileApply(_ e: XElement, _ scope: Scope) throws(PMMLError) -> Expr {
        let name = try required(e, "function")
        var args: [Expr] = []
        for c in e.children where c.name != "Extension" {
            args.append(try compileExpression(c, scope))
        }
        if let ivt = e.attr("invalidValueTreatment"), ivt != "returnInvalid" && ivt != "asMissing" {
            throw unsupported(e, "Apply invalidValueTreatment \"\(ivt)\"")
        }
        let mm: Value = e.attr("mapMissingTo").map { parseNumber($0).map(Value.number) ?? .string($0) } ?? .missing
        let dv: Value = e.attr("defaultValue").map { parseNumber($0).map(Value.number) ?? .string($0) } ?? .missing
        if let f = BuiltinFunction(rawValue: name) {
            if let (lo, hi) = f.arity, args.count < lo || args.count > hi {
                throw error(e, "function \(name) takes \(lo)...\(hi) arguments, got \(args.count)")
            }
            if f == .divide, staticType(e, scope) == .integer {
                // JPMML divides two integers as integers (truncating): i / 24 is 0 for i < 24.
                return .cast(.integer, .apply(f, args, mapMissingTo: mm, defaultValue: dv))
            }
            return .apply(f, args, mapMissingTo: mm, defaultValue: dv)
        }
        guard let fn = functions[name] else { throw unsupported(e, "function \"\(name)\"") }
        if fn.params.count != args.count {
            throw error(e, "function \(name) takes \(fn.params.count) arguments, got \(args.count)")
        }
        let castArgs = zip(fn.params, args).map { Expr.cast($0.dataType, $1) }
        return .call(params: fn.params.map(\.slot), args: castArgs, body: fn.body, result: fn.dataType,
                     mapMissingTo: mm, defaultValue: dv)
    }

    func compileDefineFunction(_ e: XElement, global: Scope) throws(PMMLError) {
        let name = try required(e, "name")
        let scope = Scope(parent: nil)
        var params: [FieldInfo] = []
        for p in e.child("ParameterField").map({ _ in e.all("ParameterField") }) ?? [] {
            let pname = try required(p, "name")
            let info = FieldInfo(name: pname, slot: newSlot(), dataType: try dataType(p) ?? .double,
                                 opType: try opType(p) ?? .continuous, dataField: nil)
            scope.fields[pname] = info
            params.append(info)
        }
        guard let bodyEl = e.children.first(where: { Self.expressionNames.contains($0.name) }) else {
            throw error(e, "DefineFunction without an expression")
        }
        let body = try compileExpression(bodyEl, scope)
        functions[name] = FunctionSpec(params: params, body: body, dataType: try dataType(e))
    }

    /// Compiles DerivedFields into (slot, expression) steps registered in `scope`.
    func compileDerivedFields(_ container: XElement, _ scope: Scope) throws(PMMLError) -> [(Int, Expr)] {
        var steps: [(Int, Expr)] = []
        for d in container.children where d.name == "DerivedField" {
            let name = try required(d, "name")
            guard let exprEl = d.children.first(where: { Self.expressionNames.contains($0.name) }) else {
                throw error(d, "DerivedField without an expression")
            }
            var expr = try compileExpression(exprEl, scope)
            let dt = try dataType(d) ?? .double
            expr = Expr.cast(dt, expr).compiledArithmetic
            let slot = newSlot()
            scope.fields[name] = FieldInfo(name: name, slot: slot, dataType: dt,
                                           opType: try opType(d) ?? .continuous, dataField: nil)
            steps.append((slot, expr))
        }
        return steps
    }

    /// The data type an expression yields, as JPMML infers it (nil when unknown): a Constant without
    /// dataType is an integer when its text is one; + - * / of integers is an integer.
    func staticType(_ e: XElement, _ scope: Scope) -> DataType? {
        switch e.name {
        case "Constant":
            if let t = e.attr("dataType") { return DataType(rawValue: t) }
            let text = e.text.trimmingWhitespace()
            if !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") }),
               Int64(text) != nil { return .integer }
            return parseNumber(text) != nil ? .double : .string
        case "FieldRef":
            guard let f = e.attr("field") else { return nil }
            return scope.lookup(f)?.dataType
        case "Apply":
            guard let name = e.attr("function") else { return nil }
            if let t = e.attr("dataType") { return DataType(rawValue: t) }
            switch name {
            case "+", "-", "*", "/":
                let types = e.children.filter { $0.name != "Extension" }.map { staticType($0, scope) }
                if !types.isEmpty, types.allSatisfy({ $0 == .integer }) { return .integer }
                return .double
            default: return nil
            }
        default: return nil
        }
    }
}
