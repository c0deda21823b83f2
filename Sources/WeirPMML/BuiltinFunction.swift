#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PMML built-in functions supported by the Apply element.
enum BuiltinFunction: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
    case min, max, sum, avg, median, product
    case log10, ln, sqrt, abs, exp, pow, threshold, floor, ceil, round, modulo
    case expm1, ln1p, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, atan2, hypot, rint
    case isMissing, isNotMissing, isValid, isNotValid
    case equal, notEqual, lessThan, lessOrEqual, greaterThan, greaterOrEqual
    case and, or, not, isIn, isNotIn
    case `if`
    case uppercase, lowercase, substring, trimBlanks, concat
    case coalesce = "x-coalesce"

    var arity: (Int, Int)? {
        switch self {
        case .add, .subtract, .multiply, .divide, .pow, .threshold, .modulo, .atan2, .hypot: return (2, 2)
        case .equal, .notEqual, .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual: return (2, 2)
        case .log10, .ln, .sqrt, .abs, .exp, .floor, .ceil, .round, .not, .uppercase, .lowercase, .trimBlanks,
             .expm1, .ln1p, .sin, .cos, .tan, .asin, .acos, .atan, .sinh, .cosh, .tanh, .rint:
            return (1, 1)
        case .isMissing, .isNotMissing, .isValid, .isNotValid: return (1, 1)
        case .if: return (2, 3)
        case .substring: return (3, 3)
        case .isIn, .isNotIn: return (2, Int.max)
        case .min, .max, .sum, .avg, .median, .product, .and, .or, .concat, .coalesce: return (1, Int.max)
        }
    }

    /// Functions whose missing result must not be replaced by mapMissingTo.
    var isMissingAware: Bool { false }

    func apply(_ args: [Expr], _ row: inout Row) -> Value {
        switch self {
        case .isMissing: return .boolean(args[0].eval(&row).isMissing)
        case .isNotMissing: return .boolean(!args[0].eval(&row).isMissing)
        case .isValid: return .boolean(!args[0].eval(&row).isMissing)
        case .isNotValid: return .boolean(args[0].eval(&row).isMissing)
        case .if:
            guard let c = args[0].eval(&row).bool else { return .missing }
            if c { return args[1].eval(&row) }
            return args.count > 2 ? args[2].eval(&row) : .missing
        case .coalesce:
            for a in args {
                let v = a.eval(&row)
                if !v.isMissing { return v }
            }
            return .missing
        // No argument array for these either; as `applyValues`: every argument is evaluated, a missing one
        // makes the result missing.
        case .isIn, .isNotIn:
            let x = args[0].eval(&row)
            var missing = x.isMissing
            var found = false
            for a in args.dropFirst() {
                let v = a.eval(&row)
                if v.isMissing { missing = true } else if !missing && !found && compare(x, v) == 0 { found = true }
            }
            if missing { return .missing }
            return .boolean(found == (self == .isIn))
        case .and, .or:
            let isAnd = self == .and
            var r = isAnd
            var missing = false
            for a in args {
                // A missing or non-boolean argument: missing (applyValues checks these in two passes).
                guard let b = a.eval(&row).bool else { missing = true; continue }
                r = isAnd ? r && b : r || b
            }
            return missing ? .missing : .boolean(r)
        default: break
        }
        // One or two arguments: no argument array (the common arithmetic and comparisons of derived fields).
        if args.count == 1, isUnaryNumeric {
            let a = args[0].eval(&row)
            if a.isMissing { return .missing }
            guard let x = a.double else { return .missing }
            return unary(x)
        }
        if args.count == 2, isBinaryNumeric || isComparison {
            let a = args[0].eval(&row)
            if a.isMissing { return .missing }
            let b = args[1].eval(&row)
            if b.isMissing { return .missing }
            if isComparison { return compareValues(a, b) }
            guard let x = a.double, let y = b.double else { return .missing }
            return binary(x, y)
        }
        var values: [Value] = []
        values.reserveCapacity(args.count)
        for a in args {
            let v = a.eval(&row)
            if v.isMissing { return .missing }
            values.append(v)
        }
        return applyValues(values)
    }

    private func nums(_ values: [Value]) -> [Double]? {
        var out: [Double] = []
        for v in values {
            guard let d = v.double else { return nil }
            out.append(d)
        }
        return out
    }

    private func compare(_ a: Value, _ b: Value) -> Int? {
        if let x = a.double, let y = b.double, !(isString(a) && isString(b)) {
            return x < y ? -1 : (x > y ? 1 : 0)
        }
        let x = a.key, y = b.key
        return x < y ? -1 : (x > y ? 1 : 0)
    }

    private func isString(_ v: Value) -> Bool { if case .string = v { return true } else { return false } }

    private var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual: return true
        default: return false
        }
    }

    /// Functions of exactly two numbers (`binary`).
    private var isBinaryNumeric: Bool {
        switch self {
        case .add, .subtract, .multiply, .divide, .pow, .threshold, .modulo, .atan2, .hypot: return true
        default: return false
        }
    }

    /// Functions of exactly one number (`unary`).
    private var isUnaryNumeric: Bool {
        switch self {
        case .log10, .ln, .sqrt, .abs, .exp, .expm1, .ln1p, .floor, .ceil, .round, .rint, .sin, .cos, .tan, .asin,
             .acos, .atan, .sinh, .cosh, .tanh:
            return true
        default: return false
        }
    }

    private func compareValues(_ a: Value, _ b: Value) -> Value {
        switch self {
        case .equal: return .boolean(compare(a, b) == 0)
        case .notEqual: return .boolean(compare(a, b) != 0)
        case .lessThan: return compare(a, b).map { .boolean($0 < 0) } ?? .missing
        case .lessOrEqual: return compare(a, b).map { .boolean($0 <= 0) } ?? .missing
        case .greaterThan: return compare(a, b).map { .boolean($0 > 0) } ?? .missing
        case .greaterOrEqual: return compare(a, b).map { .boolean($0 >= 0) } ?? .missing
        default: return .missing
        }
    }

    private func binary(_ x: Double, _ y: Double) -> Value {
        switch self {
        case .add: return .number(x + y)
        case .subtract: return .number(x - y)
        case .multiply: return .number(x * y)
        case .divide: return .number(x / y)
        case .pow: return .number(LibM.pow(x, y))
        case .threshold: return .number(x > y ? 1 : 0)
        case .modulo: return .number(x - y * (x / y).rounded(.down))
        case .atan2: return .number(LibM.atan2(x, y))
        case .hypot: return .number(LibM.hypot(x, y))
        default: return .missing
        }
    }

    private func unary(_ x: Double) -> Value {
        switch self {
        case .log10: return x <= 0 ? .missing : .number(LibM.log10(x))
        case .ln: return x <= 0 ? .missing : .number(LibM.log(x))
        case .sqrt: return x < 0 ? .missing : .number(LibM.sqrt(x))
        case .abs: return .number(Swift.abs(x))
        case .exp: return .number(LibM.exp(x))
        case .expm1: return .number(LibM.expm1(x))
        case .ln1p: return .number(LibM.log1p(x))
        case .floor: return .number(x.rounded(.down))
        case .ceil: return .number(x.rounded(.up))
        case .round: return .number(x.rounded(.toNearestOrAwayFromZero))
        case .rint: return .number(x.rounded(.toNearestOrEven))
        case .sin: return .number(LibM.sin(x))
        case .cos: return .number(LibM.cos(x))
        case .tan: return .number(LibM.tan(x))
        case .asin: return .number(LibM.asin(x))
        case .acos: return .number(LibM.acos(x))
        case .atan: return .number(LibM.atan(x))
        case .sinh: return .number(LibM.sinh(x))
        case .cosh: return .number(LibM.cosh(x))
        case .tanh: return .number(LibM.tanh(x))
        default: return .missing
        }
    }

    private func applyValues(_ v: [Value]) -> Value {
        if isComparison { return compareValues(v[0], v[1]) }
        switch self {
        case .and:
            var r = true
            for x in v { guard let b = x.bool else { return .missing }; r = r && b }
            return .boolean(r)
        case .or:
            var r = false
            for x in v { guard let b = x.bool else { return .missing }; r = r || b }
            return .boolean(r)
        case .not: return v[0].bool.map { .boolean(!$0) } ?? .missing
        case .isIn: return .boolean(v.dropFirst().contains { compare(v[0], $0) == 0 })
        case .isNotIn: return .boolean(!v.dropFirst().contains { compare(v[0], $0) == 0 })
        case .uppercase: return .string(v[0].key.uppercased())
        case .lowercase: return .string(v[0].key.lowercased())
        case .trimBlanks: return .string(v[0].key.trimmingWhitespace())
        case .concat: return .string(v.map(\.key).joined())
        case .substring:
            guard let p = v[1].double, let l = v[2].double else { return .missing }
            let s = Array(v[0].key)
            let start = Swift.max(0, Int(p) - 1), end = Swift.min(s.count, start + Swift.max(0, Int(l)))
            return .string(start < end ? String(s[start..<end]) : "")
        default: break
        }
        guard let x = nums(v) else { return .missing }
        if isUnaryNumeric { return unary(x[0]) }
        if isBinaryNumeric { return binary(x[0], x[1]) }
        switch self {
        case .min: return .number(x.min() ?? .nan)
        case .max: return .number(x.max() ?? .nan)
        case .sum: return .number(x.reduce(0, +))
        case .product: return .number(x.reduce(1, *))
        case .avg: return .number(x.reduce(0, +) / Double(x.count))
        case .median:
            let s = x.sorted()
            let n = s.count
            return .number(n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2)
        default: return .missing
        }
    }
}
