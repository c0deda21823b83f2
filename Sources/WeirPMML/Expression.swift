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
    /// Expressions over numbers and booleans (see `NumericProgram`): the compiled form of such `.apply`/`.cast`
    /// trees, with the tree itself kept for rows the program does not take (a field holding text or a boolean).
    case numeric(NumericProgram, fallback: Expr)
}

/// Built-in functions over numbers and booleans — arithmetic, the one- and two-number functions, comparisons,
/// and/or/not, if, isMissing/isNotMissing, min/max/sum/avg/product, x-coalesce, with numeric or boolean
/// mapMissingTo/defaultValue — and casts of their results to double, float, integer or boolean, as plain-data
/// nodes: the same Double operations as `BuiltinFunction.apply` and `DataType.cast`, without boxed enum nodes
/// or `Value`s between the steps. Every node is computed, operands first (both branches of an `if`: the
/// functions are pure); a missing operand makes a node missing exactly where the tree walk would.
/// A field read that holds anything but a number or missing makes `eval` return nil: the caller then walks
/// the tree (text comparisons and number parsing stay in one place).
struct NumericProgram: Sendable {
    enum Op: UInt8, Sendable {
        case constant, missingConstant, field
        case add, subtract, multiply, divide
        /// `BuiltinFunction.apply`'s one-number (`unary`) and two-number (`binary`) functions.
        case unary, binary
        case compare, and, or, not, `if`, isMissing, isNotMissing, coalesce
        case min, max, sum, avg, product
        case toFloat, toInteger, toBoolean
    }

    struct Node: Sendable {
        var op: Op
        /// The node's value is a boolean (stored as 1 or 0), else a number.
        var isBoolean = false
        var hasMapMissingTo = false
        var hasDefaultValue = false
        var function: BuiltinFunction = .add
        var compareOp: CompareOp = .equal
        /// Operands: a, b, c; n-ary: `operands[a..<a+b]`. A field: its slot in a.
        var a: Int32 = 0
        var b: Int32 = 0
        var c: Int32 = -1
        /// A constant's value; for an operation with mapMissingTo, that value.
        var value: Double = 0
    }

    /// Operands before the nodes that use them; the root is the last node.
    private(set) var nodes: [Node] = []
    private(set) var operands: [Int32] = []
    /// Per node, the defaultValue that replaces a NaN result (read only for nodes with `hasDefaultValue`).
    private var defaultValues: [Double] = []
    /// No node tolerates a missing operand (no if, x-coalesce, isMissing, missing constant or mapMissingTo):
    /// the first missing node makes the result missing.
    private var strict = true

    /// The program of `e`, when `e` is an operation or a cast of one built from the supported functions (nil
    /// otherwise: a bare field or constant keeps its own value, which need not be a number).
    init?(_ e: Expr) {
        switch e {
        case .apply, .cast, .numeric: break
        default: return nil
        }
        guard build(e) != nil, let root = nodes.last, root.op != .field, root.op != .constant,
              root.op != .missingConstant else { return nil }
        strict = !nodes.contains {
            [.if, .coalesce, .isMissing, .isNotMissing, .missingConstant].contains($0.op) || $0.hasMapMissingTo
        }
    }

    /// A numeric or boolean constant: (value, isBoolean); nil for text.
    private static func plain(_ v: Value) -> (Double, Bool)? {
        switch v {
        case .number(let d): return (d, false)
        case .boolean(let b): return (b ? 1 : 0, true)
        default: return nil
        }
    }

    private mutating func append(_ n: Node) -> Int32 {
        nodes.append(n)
        defaultValues.append(0)
        return Int32(nodes.count - 1)
    }

    private func isBoolean(_ i: Int32) -> Bool { nodes[Int(i)].isBoolean }
    private func isMissingConstant(_ i: Int32) -> Bool { nodes[Int(i)].op == .missingConstant }

    private mutating func build(_ e: Expr) -> Int32? {
        switch e {
        case .constant(.missing):
            return append(Node(op: .missingConstant))
        case .constant(let v):
            guard let (d, b) = Self.plain(v) else { return nil }
            return append(Node(op: .constant, isBoolean: b, value: d))
        case .field(let slot):
            return append(Node(op: .field, a: Int32(slot)))
        case .numeric(let p, _):
            let base = Int32(nodes.count), operandBase = Int32(operands.count)
            for var n in p.nodes {
                switch n.op {
                case .and, .or, .coalesce, .min, .max, .sum, .avg, .product: n.a += operandBase
                case .constant, .missingConstant, .field: break
                default:
                    n.a += base
                    n.b += base
                    if n.c >= 0 { n.c += base }
                }
                nodes.append(n)
            }
            defaultValues += p.defaultValues
            operands += p.operands.map { $0 + base }
            return Int32(nodes.count - 1)
        case .cast(let t, let inner):
            // Only a cast of an operation's result (a number, boolean or missing); a field's value may be text.
            guard let a = build(inner), ![.field, .constant, .missingConstant].contains(nodes[Int(a)].op) else { return nil }
            switch t {
            case .double:
                if !isBoolean(a) { return a }
                return append(Node(op: .add, a: a, b: append(Node(op: .constant, value: 0))))  // 1 or 0, as a number
            case .float: return append(Node(op: .toFloat, a: a))
            case .integer: return append(Node(op: .toInteger, a: a))
            case .boolean: return append(Node(op: .toBoolean, isBoolean: true, a: a))
            case .string: return nil
            }
        case .apply(let f, let args, let mm, let dv):
            guard let root = buildApply(f, args) else { return nil }
            var n = nodes[Int(root)]
            if !mm.isMissing {
                guard let (d, b) = Self.plain(mm), b == n.isBoolean else { return nil }
                n.hasMapMissingTo = true
                n.value = d
            }
            if !dv.isMissing {
                // defaultValue replaces a NaN result: only numbers can be NaN.
                guard let (d, b) = Self.plain(dv), !b else { return nil }
                if !n.isBoolean {
                    n.hasDefaultValue = true
                    defaultValues[Int(root)] = d
                }
            }
            nodes[Int(root)] = n
            return root
        default:
            return nil
        }
    }

    private mutating func buildApply(_ f: BuiltinFunction, _ args: [Expr]) -> Int32? {
        var ids: [Int32] = []
        for a in args {
            guard let i = build(a) else { return nil }
            ids.append(i)
        }
        func nary(_ op: Op, boolean: Bool) -> Int32? {
            guard !ids.isEmpty else { return nil }
            let start = Int32(operands.count)
            operands += ids
            return append(Node(op: op, isBoolean: boolean, a: start, b: Int32(ids.count)))
        }
        switch f {
        case .add, .subtract, .multiply, .divide:
            guard ids.count == 2 else { return nil }
            let op: Op = f == .add ? .add : f == .subtract ? .subtract : f == .multiply ? .multiply : .divide
            return append(Node(op: op, a: ids[0], b: ids[1]))
        case .pow, .threshold, .modulo, .atan2, .hypot:
            guard ids.count == 2 else { return nil }
            return append(Node(op: .binary, function: f, a: ids[0], b: ids[1]))
        case .log10, .ln, .sqrt, .abs, .exp, .expm1, .ln1p, .floor, .ceil, .round, .rint, .sin, .cos, .tan, .asin,
             .acos, .atan, .sinh, .cosh, .tanh:
            guard ids.count == 1 else { return nil }
            return append(Node(op: .unary, function: f, a: ids[0]))
        case .equal, .notEqual, .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual:
            guard ids.count == 2, let op = CompareOp(rawValue: f.rawValue) else { return nil }
            return append(Node(op: .compare, isBoolean: true, compareOp: op, a: ids[0], b: ids[1]))
        case .and, .or:
            return nary(f == .and ? .and : .or, boolean: true)
        case .not:
            guard ids.count == 1 else { return nil }
            return append(Node(op: .not, isBoolean: true, a: ids[0]))
        case .isMissing, .isValid, .isNotMissing, .isNotValid:
            guard ids.count == 1 else { return nil }
            let op: Op = f == .isMissing || f == .isNotValid ? .isMissing : .isNotMissing
            return append(Node(op: op, isBoolean: true, a: ids[0]))
        case .if:
            guard ids.count == 2 || ids.count == 3 else { return nil }
            // Both branches must give the same kind of value (a missing constant goes with either).
            let branches = ids.dropFirst().filter { !isMissingConstant($0) }
            guard let first = branches.first, branches.allSatisfy({ isBoolean($0) == isBoolean(first) }) else { return nil }
            // A field branch returns the field's own value: number or missing here (anything else bails at run time).
            return append(Node(op: .if, isBoolean: isBoolean(first), a: ids[0], b: ids[1], c: ids.count == 3 ? ids[2] : -1))
        case .coalesce:
            let kinds = ids.filter { !isMissingConstant($0) }
            guard let first = kinds.first, kinds.allSatisfy({ isBoolean($0) == isBoolean(first) }) else { return nil }
            return nary(.coalesce, boolean: isBoolean(first))
        case .min: return nary(.min, boolean: false)
        case .max: return nary(.max, boolean: false)
        case .sum: return nary(.sum, boolean: false)
        case .avg: return nary(.avg, boolean: false)
        case .product: return nary(.product, boolean: false)
        default:
            return nil
        }
    }

    /// The value of the expression for `row`; nil when a field it reads holds text or a boolean.
    func eval(_ row: Row) -> Value? {
        // Two copies of the loop, each with `strict` a constant the optimizer folds away.
        strict ? run(row, strict: true) : run(row, strict: false)
    }

    @inline(__always)
    private func run(_ row: Row, strict: Bool) -> Value? {
        let count = nodes.count
        return nodes.withUnsafeBufferPointer { ns -> Value? in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * count) { buffer -> Value? in
                let v = buffer.baseAddress!, flags = v + count  // flags: 1 where a node is missing
                // Strict programs stop at the first missing node, so every operand read has a value.
                @inline(__always) func missing(_ k: Int) -> Bool { !strict && flags[k] != 0 }
                for i in 0..<count {
                    let n = ns[i]
                    let a = Int(n.a), b = Int(n.b)
                    var x = 0.0
                    var isMissing = false
                    switch n.op {
                    case .constant: x = n.value
                    case .missingConstant: isMissing = true
                    case .field:
                        switch row[a] {
                        case .number(let d): x = d
                        case .missing: isMissing = true
                        default: return nil
                        }
                    case .add: if missing(a) || missing(b) { isMissing = true } else { x = v[a] + v[b] }
                    case .subtract: if missing(a) || missing(b) { isMissing = true } else { x = v[a] - v[b] }
                    case .multiply: if missing(a) || missing(b) { isMissing = true } else { x = v[a] * v[b] }
                    case .divide: if missing(a) || missing(b) { isMissing = true } else { x = v[a] / v[b] }
                    case .binary:
                        if missing(a) || missing(b) { isMissing = true } else { x = Self.binary(n.function, v[a], v[b]) }
                    case .compare:
                        if missing(a) || missing(b) {
                            isMissing = true
                        } else {
                            // As BuiltinFunction.compare on numbers: NaN compares equal to everything.
                            let p = v[a], q = v[b]
                            let c = p < q ? -1 : (p > q ? 1 : 0)
                            let r: Bool
                            switch n.compareOp {
                            case .equal: r = c == 0
                            case .notEqual: r = c != 0
                            case .lessThan: r = c < 0
                            case .lessOrEqual: r = c <= 0
                            case .greaterThan: r = c > 0
                            case .greaterOrEqual: r = c >= 0
                            }
                            x = r ? 1 : 0
                        }
                    case .unary:
                        if missing(a) { isMissing = true } else if let y = Self.unary(n.function, v[a]) { x = y } else { isMissing = true }
                    case .and, .or:
                        // Every argument counts: a missing one makes the result missing (BuiltinFunction.apply).
                        let isAnd = n.op == .and
                        var result = isAnd
                        for k in a..<a + b {
                            let o = Int(operands[k])
                            if missing(o) { isMissing = true; continue }
                            result = isAnd ? result && v[o] != 0 : result || v[o] != 0
                        }
                        x = result ? 1 : 0
                    case .not: if missing(a) { isMissing = true } else { x = v[a] != 0 ? 0 : 1 }
                    case .isMissing: x = missing(a) ? 1 : 0
                    case .isNotMissing: x = missing(a) ? 0 : 1
                    case .if:
                        if missing(a) {
                            isMissing = true
                        } else {
                            let chosen = v[a] != 0 ? b : Int(n.c)
                            if chosen < 0 { isMissing = true } else {
                                isMissing = missing(chosen)
                                x = v[chosen]
                            }
                        }
                    case .coalesce:
                        isMissing = true
                        for k in a..<a + b where !missing(Int(operands[k])) {
                            isMissing = false
                            x = v[Int(operands[k])]
                            break
                        }
                    case .min, .max, .sum, .avg, .product:
                        for k in a..<a + b where missing(Int(operands[k])) { isMissing = true }
                        if !isMissing { x = Self.fold(n.op, v, operands[a..<a + b]) }
                    case .toFloat:
                        isMissing = missing(a)
                        x = Double(Float(v[a]))
                    case .toInteger:
                        // As DataType.cast: + 0, no negative zero.
                        isMissing = missing(a)
                        let p = v[a]
                        x = p.isFinite ? p.rounded(.towardZero) + 0 : p
                    case .toBoolean:
                        isMissing = missing(a)
                        x = v[a] != 0 ? 1 : 0
                    }
                    if isMissing {
                        if n.hasMapMissingTo {
                            isMissing = false
                            x = n.value
                        } else if strict {
                            return .missing  // strict: the root is missing too
                        }
                    } else if n.hasDefaultValue && x.isNaN {
                        x = defaultValues[i]
                    }
                    v[i] = x
                    if !strict { flags[i] = isMissing ? 1 : 0 }
                }
                if !strict && flags[count - 1] != 0 { return .missing }
                let x = v[count - 1]
                return ns[count - 1].isBoolean ? .boolean(x != 0) : .number(x)
            }
        }
    }

    /// `BuiltinFunction`'s two-number functions other than + - * /.
    private static func binary(_ f: BuiltinFunction, _ p: Double, _ q: Double) -> Double {
        switch f {
        case .pow: return LibM.pow(p, q)
        case .threshold: return p > q ? 1 : 0
        case .modulo: return p - q * (p / q).rounded(.down)
        case .atan2: return LibM.atan2(p, q)
        default: return LibM.hypot(p, q)
        }
    }

    /// `BuiltinFunction`'s one-number functions; nil outside a logarithm's or square root's domain (missing).
    private static func unary(_ f: BuiltinFunction, _ p: Double) -> Double? {
        switch f {
        case .log10: return p <= 0 ? nil : LibM.log10(p)
        case .ln: return p <= 0 ? nil : LibM.log(p)
        case .sqrt: return p < 0 ? nil : LibM.sqrt(p)
        case .abs: return Swift.abs(p)
        case .exp: return LibM.exp(p)
        case .expm1: return LibM.expm1(p)
        case .ln1p: return LibM.log1p(p)
        case .floor: return p.rounded(.down)
        case .ceil: return p.rounded(.up)
        case .round: return p.rounded(.toNearestOrAwayFromZero)
        case .rint: return p.rounded(.toNearestOrEven)
        case .sin: return LibM.sin(p)
        case .cos: return LibM.cos(p)
        case .tan: return LibM.tan(p)
        case .asin: return LibM.asin(p)
        case .acos: return LibM.acos(p)
        case .atan: return LibM.atan(p)
        case .sinh: return LibM.sinh(p)
        case .cosh: return LibM.cosh(p)
        default: return LibM.tanh(p)
        }
    }

    /// min/max (the folds of Sequence.min()/max()), sum, avg, product (reduce), in argument order.
    private static func fold(_ op: Op, _ v: UnsafeMutablePointer<Double>, _ args: ArraySlice<Int32>) -> Double {
        var x = v[Int(args[args.startIndex])]
        switch op {
        case .min: for k in args.dropFirst() where v[Int(k)] < x { x = v[Int(k)] }
        case .max: for k in args.dropFirst() where x < v[Int(k)] { x = v[Int(k)] }
        case .product:
            x = 1
            for k in args { x = x * v[Int(k)] }
        default:
            x = 0
            for k in args { x = x + v[Int(k)] }
            if op == .avg { x = x / Double(args.count) }
        }
        return x
    }
}

extension Expr {
    /// `self`, compiled to a `NumericProgram` when it is an operation over numbers and booleans.
    var compiledNumeric: Expr { NumericProgram(self).map { Expr.numeric($0, fallback: self) } ?? self }
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
        case .numeric(let p, let fallback):
            if let v = p.eval(row) { return v }
            return fallback.eval(&row)
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
            return try compileApply(e, scope).compiledNumeric
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
            expr = Expr.cast(dt, expr).compiledNumeric
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
