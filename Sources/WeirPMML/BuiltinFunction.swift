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
        default: break
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

    private func applyValues(_ v: [Value]) -> Value {
        switch self {
        case .equal: return .boolean(compare(v[0], v[1]) == 0)
        case .notEqual: return .boolean(compare(v[0], v[1]) != 0)
        case .lessThan: return compare(v[0], v[1]).map { .boolean($0 < 0) } ?? .missing
        case .lessOrEqual: return compare(v[0], v[1]).map { .boolean($0 <= 0) } ?? .missing
        case .greaterThan: return compare(v[0], v[1]).map { .boolean($0 > 0) } ?? .missing
        case .greaterOrEqual: return compare(v[0], v[1]).map { .boolean($0 >= 0) } ?? .missing
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
        switch self {
        case .add: return .number(x[0] + x[1])
        case .subtract: return .number(x[0] - x[1])
        case .multiply: return .number(x[0] * x[1])
        case .divide: return .number(x[0] / x[1])
        case .min: return .number(x.min() ?? .nan)
        case .max: return .number(x.max() ?? .nan)
        case .sum: return .number(x.reduce(0, +))
        case .product: return .number(x.reduce(1, *))
        case .avg: return .number(x.reduce(0, +) / Double(x.count))
        case .median:
            let s = x.sorted()
            let n = s.count
            return .number(n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2)
        case .log10: return x[0] <= 0 ? .missing : .number(LibM.log10(x[0]))
        case .ln: return x[0] <= 0 ? .missing : .number(LibM.log(x[0]))
        case .sqrt: return x[0] < 0 ? .missing : .number(LibM.sqrt(x[0]))
        case .abs: return .number(Swift.abs(x[0]))
        case .exp: return .number(LibM.exp(x[0]))
        case .expm1: return .number(LibM.expm1(x[0]))
        case .ln1p: return .number(LibM.log1p(x[0]))
        case .pow: return .number(LibM.pow(x[0], x[1]))
        case .threshold: return .number(x[0] > x[1] ? 1 : 0)
        case .floor: return .number(x[0].rounded(.down))
        case .ceil: return .number(x[0].rounded(.up))
        case .round: return .number(x[0].rounded(.toNearestOrAwayFromZero))
        case .rint: return .number(x[0].rounded(.toNearestOrEven))
        case .modulo: return .number(x[0] - x[1] * (x[0] / x[1]).rounded(.down))
        case .sin: return .number(LibM.sin(x[0]))
        case .cos: return .number(LibM.cos(x[0]))
        case .tan: return .number(LibM.tan(x[0]))
        case .asin: return .number(LibM.asin(x[0]))
        case .acos: return .number(LibM.acos(x[0]))
        case .atan: return .number(LibM.atan(x[0]))
        case .sinh: return .number(LibM.sinh(x[0]))
        case .cosh: return .number(LibM.cosh(x[0]))
        case .tanh: return .number(LibM.tanh(x[0]))
        case .atan2: return .number(LibM.atan2(x[0], x[1]))
        case .hypot: return .number(LibM.hypot(x[0], x[1]))
        default: return .missing
        }
    }
}
