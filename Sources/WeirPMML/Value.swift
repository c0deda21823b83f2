/// A field value during scoring.
// Only `.string` holds a reference: `copyRow` copies the other cases as plain bits.
public enum Value: Sendable, Equatable {
    case missing
    case number(Double)
    case string(String)
    case boolean(Bool)

    public var isMissing: Bool { if case .missing = self { return true } else { return false } }

    var double: Double? {
        switch self {
        case .number(let d): return d
        case .boolean(let b): return b ? 1 : 0
        case .string(let s): return Double(s)
        case .missing: return nil
        }
    }

    var bool: Bool? {
        switch self {
        case .boolean(let b): return b
        case .number(let d): return d != 0
        case .string(let s):
            switch s.lowercased() {
            case "true", "1": return true
            case "false", "0": return false
            default: return nil
            }
        case .missing: return nil
        }
    }

    /// Canonical text used for category keys.
    var key: String {
        switch self {
        case .missing: return ""
        case .string(let s): return s
        case .boolean(let b): return b ? "true" : "false"
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return d.description
        }
    }
}

public enum DataType: String, Sendable {
    case string, integer, float, double, boolean

    static func parse(_ s: String?) -> DataType? {
        guard let s else { return nil }
        return DataType(rawValue: s)
    }

    var isNumeric: Bool { self == .integer || self == .float || self == .double }

    /// Parses external text into a value of this type; nil when unparsable.
    func parse(text: String) -> Value? {
        switch self {
        case .string: return .string(text)
        case .double:
            guard let d = parseNumber(text) else { return nil }
            return .number(d)
        case .float:
            guard let d = parseNumber(text) else { return nil }
            return .number(Double(Float(d)))
        case .integer:
            guard let d = parseNumber(text) else { return nil }
            if d != d.rounded() { return nil }
            return .number(d)
        case .boolean:
            switch text.lowercased() {
            case "true", "1": return .boolean(true)
            case "false", "0": return .boolean(false)
            default: return nil
            }
        }
    }

    /// Converts an already typed value into this type (e.g. a derived field's declared type).
    func cast(_ v: Value) -> Value {
        switch (self, v) {
        case (_, .missing): return .missing
        case (.string, _): return .string(v.key)
        case (.double, .number): return v
        case (.float, .number(let d)): return .number(Double(Float(d)))
        case (.integer, .number(let d)):
            return .number(d.isFinite ? d.rounded(.towardZero) + 0 : d)  // + 0: no negative zero
        case (.boolean, _): return v.bool.map(Value.boolean) ?? .missing
        case (_, .string(let s)): return parse(text: s) ?? .missing
        case (_, .boolean(let b)): return cast(.number(b ? 1 : 0))
        }
    }
}

func parseNumber(_ text: String) -> Double? {
    if let d = parseSmallInteger(text) { return d }
    // The common case first: text without surrounding whitespace parses as it is (trimming walks Characters).
    if let d = Double(text) { return d }
    let t = text.trimmingWhitespace()
    if let d = Double(t) { return d }
    switch t.lowercased() {
    case "nan": return .nan
    case "inf", "infinity", "+inf": return .infinity
    case "-inf", "-infinity": return -.infinity
    default: return nil
    }
}

/// An optional "-" and 1-15 ASCII digits, read exactly: what `Double(text)` gives for such text (integers
/// below 1e15 are exact doubles; "-0" is -0.0), without the C library's parser. nil for any other text.
@inline(__always)
func parseSmallInteger(_ text: String) -> Double? {
    let utf8 = text.utf8
    guard !utf8.isEmpty, utf8.count <= 16 else { return nil }
    var negative = false
    var value: Int64 = 0
    var digits = 0
    for c in utf8 {
        if c == UInt8(ascii: "-") && digits == 0 && !negative {
            negative = true
            continue
        }
        guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"), digits < 15 else { return nil }
        value = value * 10 + Int64(c - UInt8(ascii: "0"))
        digits += 1
    }
    guard digits > 0 else { return nil }
    let d = Double(value)
    return negative ? -d : d
}

/// `a == b`, answered from the lengths alone when they differ (many unequal category values): `==` on unequal
/// strings of the same length takes the standard library's slow path.
@inline(__always)
func sameText(_ a: String, _ b: String) -> Bool {
    a.utf8.count == b.utf8.count && a == b
}

/// Answers `v.key == key` for a fixed `key` without building the key text of numbers and booleans.
struct KeyMatch: Sendable {
    let key: String
    /// The number whose key is `key` (NaN keys excluded: those take the general path).
    private let number: Double?

    init(_ key: String) {
        self.key = key
        if let n = Double(key), !n.isNaN, Value.number(n).key == key { number = n } else { number = nil }
    }

    @inline(__always)
    func matches(_ v: Value) -> Bool {
        switch v {
        case .string(let s): return sameText(s, key)
        case .number(let d):
            // The key of a number is unique per value (±0 share "0", as they compare equal).
            if let number { return d == number }
            return v.key == key
        case .missing: return key.isEmpty
        case .boolean(let b): return key == (b ? "true" : "false")
        }
    }
}

public enum OpType: String, Sendable {
    case continuous, categorical, ordinal
}
