import Testing
@testable import WeirPMML

/// The plain-data compiled forms (`PredicateProgram`, `NumericProgram`) against the tree-walking
/// semantics they replace, on random trees and rows (missing values, text, booleans, NaN, infinities).
struct CompiledFormsTests {
    typealias Random = TreeEnsembleTests.Random

    static let pool: [Value] = [
        .missing, .number(0), .number(-0.0), .number(1), .number(2.5), .number(-3), .number(1e300), .number(.nan),
        .number(.infinity), .number(-.infinity), .string("a"), .string("b"), .string("1"), .string("2.5"),
        .string(" 3"), .string("nan"), .boolean(true), .boolean(false),
    ]
    static let slots = 6

    static func row(_ r: inout Random) -> Row { (0..<slots).map { _ in pool[r.int(pool.count)] } }

    /// `Predicate`'s meaning, written out as a tree walk (the evaluator PredicateProgram replaced).
    static func reference(_ p: Predicate, _ row: Row) -> Bool? {
        switch p {
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
        case .and(let ps): return shortCircuit(ps, row, on: false)
        case .or(let ps): return shortCircuit(ps, row, on: true)
        case .xor(let ps):
            var r = false
            for p in ps {
                guard let b = reference(p, row) else { return nil }
                r = r != b
            }
            return r
        case .surrogate(let ps):
            for p in ps {
                if let b = reference(p, row) { return b }
            }
            return nil
        }
    }

    /// and (`stop` false) / or (`stop` true): `stop` as soon as a child is `stop`, unknown if any child is.
    static func shortCircuit(_ ps: [Predicate], _ row: Row, on stop: Bool) -> Bool? {
        var unknown = false
        for p in ps {
            switch reference(p, row) {
            case .some(stop): return stop
            case nil: unknown = true
            default: break
            }
        }
        return unknown ? nil : !stop
    }

    static let ops: [CompareOp] = [.equal, .notEqual, .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual]

    static func predicate(_ r: inout Random, depth: Int) -> Predicate {
        let slot = r.int(slots)
        switch r.int(depth > 0 ? 12 : 8) {
        case 0: return .alwaysTrue
        case 1: return .alwaysFalse
        case 2: return .numeric(slot: slot, op: ops[r.int(6)], value: [0, 1, 2.5, -3, .nan][r.int(5)])
        case 3: return .text(slot: slot, op: ops[r.int(6)], value: ["a", "b", "1", "2.5", "true"][r.int(5)])
        case 4: return .isMissing(slot: slot)
        case 5: return .isNotMissing(slot: slot)
        case 6: return .setNumeric(slot: slot, values: [1, 2.5, .nan].filter { _ in r.int(2) == 0 }, isIn: r.int(2) == 0)
        case 7: return .setText(slot: slot, values: Set(["a", "1", "true", "nan"].filter { _ in r.int(2) == 0 }), isIn: r.int(2) == 0)
        default:
            let children = (0..<r.int(4)).map { _ in predicate(&r, depth: depth - 1) }
            let compound: [([Predicate]) -> Predicate] = [Predicate.and, Predicate.or, Predicate.xor, Predicate.surrogate]
            return compound[r.int(4)](children)
        }
    }

    @Test func predicateProgramAgreesWithTheTreeWalk() {
        var r = Random(state: 42)
        for _ in 0..<400 {
            let ps = (0..<3).map { _ in Self.predicate(&r, depth: 3) }
            var program = PredicateProgram()
            let roots = ps.map { program.add($0) }
            // A second program appended after another one: its indices are shifted.
            var merged = PredicateProgram(.alwaysFalse)
            let offset = merged.append(program)
            for _ in 0..<20 {
                let row = Self.row(&r)
                for (p, root) in zip(ps, roots) {
                    let expected = Self.reference(p, row)
                    #expect(program.eval(root, row) == expected, "\(p) on \(row)")
                    #expect(merged.eval(root + offset, row) == expected, "\(p) on \(row), appended")
                }
            }
        }
    }

    /// A random expression over the functions `NumericProgram` compiles (and some it does not: text constants,
    /// isIn, concat), with random mapMissingTo/defaultValue and casts.
    static func expression(_ r: inout Random, depth: Int) -> Expr {
        let leaves: [Value] = [.number(0), .number(-0.0), .number(1), .number(0.1), .number(3), .number(-7.5), .number(.nan),
                               .boolean(true), .boolean(false), .missing, .string("a")]
        if depth == 0 || r.int(4) == 0 {
            return r.int(2) == 0 ? .field(r.int(slots)) : .constant(leaves[r.int(r.int(8) == 0 ? leaves.count : 7)])
        }
        let functions: [BuiltinFunction] = [
            .add, .subtract, .multiply, .divide, .pow, .threshold, .modulo, .ln, .log10, .sqrt, .abs, .exp, .floor,
            .round, .rint, .equal, .notEqual, .lessThan, .lessOrEqual, .greaterThan, .greaterOrEqual, .and, .or, .not,
            .if, .isMissing, .isNotMissing, .isValid, .coalesce, .min, .max, .sum, .avg, .product, .isIn, .concat,
        ]
        let f = functions[r.int(functions.count)]
        let count: Int
        switch f.arity! {
        case (let lo, let hi) where lo == hi: count = lo
        case (2, 3): count = 2 + r.int(2)
        default: count = 1 + r.int(3)
        }
        let args = (0..<count).map { _ in expression(&r, depth: depth - 1) }
        let extras: [Value] = [.missing, .missing, .missing, .number(0), .number(-1), .boolean(true)]
        var e = Expr.apply(f, args, mapMissingTo: extras[r.int(extras.count)], defaultValue: extras[r.int(extras.count)])
        if r.int(3) == 0 { e = .cast([DataType.double, .float, .integer, .boolean, .string][r.int(5)], e) }
        return e
    }

    static func same(_ a: Value, _ b: Value) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) }
        return a == b
    }

    /// Rows of numbers and missing values only: the rows a program computes itself (no fallback).
    static func numericRow(_ r: inout Random) -> Row {
        let numbers = pool.filter { if case .string = $0 { return false }; if case .boolean = $0 { return false }; return true }
        return (0..<slots).map { _ in numbers[r.int(numbers.count)] }
    }

    @Test func numericProgramAgreesWithTheTreeWalk() {
        var r = Random(state: 7)
        var compiled = 0, computed = 0
        for _ in 0..<4000 {
            let e = Self.expression(&r, depth: 4)
            guard let program = NumericProgram(e) else { continue }
            compiled += 1
            let withFallback = Expr.numeric(program, fallback: e)
            for k in 0..<20 {
                var row = k % 2 == 0 ? Self.numericRow(&r) : Self.row(&r)
                var copy = row
                let expected = e.eval(&row)
                if let actual = program.eval(copy) {
                    computed += 1
                    #expect(Self.same(actual, expected), "\(e) on \(copy): \(actual) vs \(expected)")
                } else {
                    // Only a field holding text or a boolean sends a row to the tree walk.
                    #expect(copy.contains { if case .string = $0 { return true }; if case .boolean = $0 { return true }; return false })
                }
                #expect(Self.same(withFallback.eval(&copy), expected), "\(e) on \(row) (with fallback)")
            }
        }
        #expect(compiled > 300)
        #expect(computed > 5000)
    }

    @Test func textAndUnsupportedFunctionsAreNotCompiled() {
        #expect(NumericProgram(.apply(.concat, [.field(0), .field(1)], mapMissingTo: .missing, defaultValue: .missing)) == nil)
        #expect(NumericProgram(.apply(.add, [.field(0), .constant(.string("a"))], mapMissingTo: .missing, defaultValue: .missing)) == nil)
        #expect(NumericProgram(.apply(.add, [.field(0), .field(1)], mapMissingTo: .string("x"), defaultValue: .missing)) == nil)
        // An if whose branches give a number and a boolean has no single kind of result.
        #expect(NumericProgram(.apply(.if, [.field(0), .constant(.number(1)), .constant(.boolean(true))], mapMissingTo: .missing, defaultValue: .missing)) == nil)
        #expect(NumericProgram(.cast(.double, .field(0))) == nil)
        #expect(NumericProgram(.cast(.string, .apply(.add, [.field(0), .field(1)], mapMissingTo: .missing, defaultValue: .missing))) == nil)
        // Compiled: arithmetic with mapMissingTo, comparisons, if, logarithms.
        let logit = Expr.apply(.if, [.apply(.greaterThan, [.field(0), .constant(.number(0.35))], mapMissingTo: .missing, defaultValue: .missing),
                                     .apply(.ln, [.field(1)], mapMissingTo: .number(0), defaultValue: .missing), .constant(.number(0))],
                               mapMissingTo: .missing, defaultValue: .missing)
        #expect(NumericProgram(logit) != nil)
    }

    @Test func numericDistancesAgreeWithTheGeneralPath() throws {
        var r = Random(state: 11)
        let metrics: [ComparisonMeasure.Metric] = [.euclidean, .squaredEuclidean, .chebychev, .cityBlock, .minkowski(3), .minkowski(0.5)]
        let numbers: [Value] = [.missing, .number(0), .number(-0.0), .number(1), .number(2.5), .number(-3), .number(.nan), .number(.infinity)]
        var compared = 0
        for _ in 0..<300 {
            let n = 1 + r.int(Self.slots)
            let compares: [ComparisonMeasure.Compare] = [.absDiff, .gaussSim(1.5), .delta, .equal]
            let fields = (0..<n).map { i in
                ComparisonMeasure.Field(slot: i, weight: [1, 0.5, 2][r.int(3)], compare: compares[r.int(4)],
                                        missingWeight: [1, 0.25][r.int(2)])
            }
            let measure = ComparisonMeasure(metric: metrics[r.int(metrics.count)], fields: fields)
            let vectors = (0..<4).map { _ in (0..<n).map { _ in numbers[1 + r.int(numbers.count - 1)] } }
            let references = try #require(measure.numericReferences(vectors))
            for _ in 0..<10 {
                let row = (0..<Self.slots).map { _ in numbers[r.int(numbers.count)] }
                guard let fast = measure.numericDistances(row, references, count: vectors.count) else {
                    Issue.record("numbers only, yet no numeric distances")
                    continue
                }
                let xs = measure.inputs(row)
                let adjustment = measure.adjustment(xs)
                for (v, vector) in vectors.enumerated() {
                    let slow = try measure.distance(xs, vector, adjustment: adjustment)
                    #expect(fast[v].bitPattern == slow.bitPattern || (fast[v].isNaN && slow.isNaN), "\(measure) \(row) \(vector)")
                    compared += 1
                }
            }
        }
        #expect(compared == 12000)
        // Text or booleans in the row, text in a reference or a similarity measure: the general path.
        let m = ComparisonMeasure(metric: .euclidean, fields: [.init(slot: 0, weight: 1, compare: .absDiff, missingWeight: 1)])
        #expect(m.numericDistances([.string("1")], [0], count: 1) == nil)
        #expect(m.numericDistances([.boolean(true)], [0], count: 1) == nil)
        #expect(m.numericReferences([[.string("a")]]) == nil)
        #expect(ComparisonMeasure(metric: .jaccard, fields: m.fields).numericReferences([[.number(1)]]) == nil)
    }

    @Test func keyMatchAgreesWithKeyText() {
        let values = Self.pool + [.number(1e15), .number(123456789012345), .number(-1e-7), .number(0.1), .string(""),
                                  .number(-.nan), .string("true")]
        let keys = ["", "a", "1", "0", "-0", "2.5", "-3", "1e+300", "1e+15", "123456789012345", "nan", "-nan", "inf",
                    "-inf", "true", "false", "1.0", "0.1", "-1e-07"]
        for key in keys {
            let m = KeyMatch(key)
            for v in values { #expect(m.matches(v) == (v.key == key), "\(v) vs \(key)") }
        }
    }

    @Test func smallIntegersParseAsDoubleParsesThem() {
        var r = Random(state: 3)
        let alphabet = Array("0123456789-+. e")
        var parsed = 0
        for _ in 0..<20_000 {
            let text = String((0..<(1 + r.int(17))).map { _ in alphabet[r.int(r.int(4) == 0 ? alphabet.count : 11)] })
            if let d = parseSmallInteger(text) {
                parsed += 1
                let expected = Double(text)
                #expect(expected != nil && d.bitPattern == expected!.bitPattern, "\(text)")
            }
        }
        #expect(parsed > 1000)
        #expect(parseSmallInteger("-0")?.sign == .minus)
        #expect(parseSmallInteger("1234567890123456") == nil)
        #expect(parseSmallInteger("-") == nil && parseSmallInteger("") == nil && parseSmallInteger("1-") == nil)
    }

    /// isIn/isNotIn/and/or evaluate without an argument array; the result is still the documented one: every
    /// argument is evaluated, any missing argument (or, for and/or, one that is not a boolean) gives missing.
    @Test func setAndLogicalFunctionsWithoutArgumentArrays() {
        var r = Random(state: 11)
        for _ in 0..<2000 {
            var row = Self.row(&r)
            let args: [Expr] = (0..<(2 + r.int(3))).map { _ in r.int(3) == 0 ? .constant(Self.pool[r.int(Self.pool.count)]) : .field(r.int(Self.slots)) }
            var values: [Value] = []
            for a in args { values.append(a.eval(&row)) }
            let anyMissing = values.contains { $0.isMissing }
            for f in [BuiltinFunction.isIn, .isNotIn, .and, .or] {
                let expected: Value
                switch f {
                case .isIn, .isNotIn:
                    let hit = values.dropFirst().contains { v in
                        Expr.apply(.equal, [.constant(values[0]), .constant(v)], mapMissingTo: .missing, defaultValue: .missing)
                            .eval(&row) == .boolean(true)
                    }
                    expected = anyMissing ? .missing : .boolean(hit == (f == .isIn))
                default:
                    let bools = values.map(\.bool)
                    if anyMissing || bools.contains(where: { $0 == nil }) { expected = .missing }
                    else { expected = .boolean(f == .and ? bools.allSatisfy { $0! } : bools.contains { $0! }) }
                }
                let actual = Expr.apply(f, args, mapMissingTo: .missing, defaultValue: .missing).eval(&row)
                #expect(actual == expected, "\(f) \(values): \(actual) vs \(expected)")
            }
        }
    }

    /// copyRow copies numbers and booleans as bits and strings as strings: the copy equals the source, owns its
    /// strings (heap-allocated ones too) and is independent of it.
    @Test func rowCopiesOwnTheirStrings() {
        var r = Random(state: 5)
        let long = String(repeating: "heap-allocated text ", count: 8)
        for _ in 0..<500 {
            var source: Row = Self.row(&r)
            source.append(.string(long + String(r.int(100))))
            let expected = source
            var copy = copyRow(source)
            #expect(copy.count == expected.count)
            for i in expected.indices { #expect(Self.same(copy[i], expected[i])) }
            source = []
            copy[0] = .string("changed")
            #expect(Self.same(copy[copy.count - 1], expected[expected.count - 1]))
            #expect(copy[copy.count - 1].key.hasPrefix(long))
        }
        #expect(copyRow([]).isEmpty)
    }

    /// refill reuses a row's storage: over rows holding (heap-allocated) strings of their own, of the same size
    /// or not, the result equals the source and stays valid when the source goes away.
    @Test func refilledRowsEqualTheirSource() {
        var r = Random(state: 9)
        let long = String(repeating: "another heap-allocated text ", count: 6)
        var row: Row = []
        for k in 0..<500 {
            var source: Row = Self.row(&r)
            if k % 7 == 0 { source.append(.number(1)) }
            source[r.int(source.count)] = .string(long + String(k))
            let expected = source
            refill(&row, from: source)
            source = []
            #expect(row.count == expected.count)
            for i in expected.indices { #expect(Self.same(row[i], expected[i]), "\(k) slot \(i)") }
            row[r.int(row.count)] = .string(long + "written \(k)")
        }
    }
}
