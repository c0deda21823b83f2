/// A parsed JSON value. Objects keep their members in document order as an array of pairs: events
/// have few fields, and a linear scan beats hashing for them.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The member `name` of an object; nil for a missing member or a non-object.
    public subscript(name: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for (k, v) in members where k == name { return v }
        return nil
    }

    /// Follows a dotted path already split into segments.
    public func value(at path: [String]) -> JSONValue? {
        var current = self
        for segment in path {
            guard let next = current[segment] else { return nil }
            current = next
        }
        return current
    }

    /// The text form used for keys, categories and PMML inputs (numbers without a trailing ".0").
    public var text: String? {
        switch self {
        case .null, .array, .object: return nil
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        case .number(let d): return JSONValue.format(d)
        }
    }

    public var double: Double? {
        switch self {
        case .number(let d): return d
        case .string(let s): return Double(s)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    static func format(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return d.description
    }
}

public struct JSONError: Error, Equatable, CustomStringConvertible, Sendable {
    public var offset: Int
    public var message: String
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// A small strict JSON parser over bytes (RFC 8259), with a nesting limit.
public struct JSONParser {
    static let maxDepth = 64

    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buf) throws(JSONError) -> JSONValue in
            var p = JSONParser(buf: buf)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            guard p.i == buf.count else { throw p.fail("trailing characters") }
            return v
        }
    }

    let buf: UnsafeBufferPointer<UInt8>
    var i = 0

    func fail(_ m: String) -> JSONError { JSONError(offset: i, message: m) }

    mutating func skipSpace() {
        while i < buf.count, buf[i] == 0x20 || buf[i] == 0x0A || buf[i] == 0x0D || buf[i] == 0x09 { i += 1 }
    }

    mutating func literal(_ word: StaticString, _ v: JSONValue) throws(JSONError) -> JSONValue {
        let n = word.utf8CodeUnitCount
        guard i + n <= buf.count else { throw fail("truncated literal") }
        for k in 0..<n where buf[i + k] != word.utf8Start[k] { throw fail("unexpected character") }
        i += n
        return v
    }

    mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
        guard i < buf.count else { throw fail("unexpected end") }
        switch buf[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(String, JSONValue)] = []
            skipSpace()
            if i < buf.count, buf[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard i < buf.count, buf[i] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let k = try string()
                skipSpace()
                guard i < buf.count, buf[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                members.append((k, try value(depth: depth + 1)))
                skipSpace()
                guard i < buf.count else { throw fail("unterminated object") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if i < buf.count, buf[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < buf.count else { throw fail("unterminated array") }
                if buf[i] == UInt8(ascii: ",") { i += 1; continue }
                if buf[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return .number(try number())
        }
    }

    mutating func number() throws(JSONError) -> Double {
        let start = i
        var integer: Int64 = 0
        var simple = true
        var negative = false
        if i < buf.count, buf[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let digitsStart = i
        while i < buf.count, buf[i] >= 0x30, buf[i] <= 0x39 {
            if i - digitsStart < 18 { integer = integer * 10 + Int64(buf[i] - 0x30) } else { simple = false }
            i += 1
        }
        guard i > digitsStart else { throw fail("unexpected character") }
        guard !(buf[digitsStart] == 0x30 && i - digitsStart > 1) else { throw fail("leading zero") }
        if i < buf.count, buf[i] == UInt8(ascii: ".") || buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
            simple = false
            if buf[i] == UInt8(ascii: ".") {
                i += 1
                let f = i
                while i < buf.count, buf[i] >= 0x30, buf[i] <= 0x39 { i += 1 }
                guard i > f else { throw fail("digit expected after '.'") }
            }
            if i < buf.count, buf[i] == UInt8(ascii: "e") || buf[i] == UInt8(ascii: "E") {
                i += 1
                if i < buf.count, buf[i] == UInt8(ascii: "+") || buf[i] == UInt8(ascii: "-") { i += 1 }
                let e = i
                while i < buf.count, buf[i] >= 0x30, buf[i] <= 0x39 { i += 1 }
                guard i > e else { throw fail("digit expected in exponent") }
            }
        }
        if simple { return negative ? -Double(integer) : Double(integer) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
        guard let d = Double(text) else { throw fail("bad number") }
        return d
    }

    mutating func string() throws(JSONError) -> String {
        i += 1  // opening quote
        let start = i
        while i < buf.count, buf[i] != UInt8(ascii: "\""), buf[i] != UInt8(ascii: "\\") {
            guard buf[i] >= 0x20 else { throw fail("control character in string") }
            i += 1
        }
        guard i < buf.count else { throw fail("unterminated string") }
        if buf[i] == UInt8(ascii: "\"") {
            let s = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self)
            i += 1
            return s
        }
        var bytes = Array(buf[start..<i])
        while true {
            guard i < buf.count else { throw fail("unterminated string") }
            let c = buf[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            guard c >= 0x20 else { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { bytes.append(c); i += 1; continue }
            i += 1
            guard i < buf.count else { throw fail("unterminated escape") }
            let e = buf[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): bytes.append(0x22)
            case UInt8(ascii: "\\"): bytes.append(0x5C)
            case UInt8(ascii: "/"): bytes.append(0x2F)
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800, scalar < 0xDC00 {
                    guard i + 1 < buf.count, buf[i] == UInt8(ascii: "\\"), buf[i + 1] == UInt8(ascii: "u") else { throw fail("lone surrogate") }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00, low < 0xE000 else { throw fail("bad surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    throw fail("lone surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("bad escape") }
                bytes.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw fail("bad escape")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        guard i + 4 <= buf.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("bad hex digit")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }
}

/// Writes JSON into a byte array.
public struct JSONWriter {
    public var bytes: [UInt8] = []
    public init() { bytes.reserveCapacity(256) }

    public mutating func write(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): raw(b ? "true" : "false")
        case .number(let d): number(d)
        case .string(let s): string(s)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (n, (k, item)) in members.enumerated() {
                if n > 0 { bytes.append(UInt8(ascii: ",")) }
                string(k)
                bytes.append(UInt8(ascii: ":"))
                write(item)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// Non-finite numbers have no JSON form: written as null.
    mutating func number(_ d: Double) {
        guard d.isFinite else { raw("null"); return }
        // Integral values (most amounts, times, counts): digits written directly, as `JSONValue.format` does.
        if d == d.rounded(), abs(d) < 1e15 {
            var n = Int64(d)
            if n < 0 { bytes.append(UInt8(ascii: "-")); n = -n }
            var digits: (UInt64, UInt64) = (0, 0)  // 16 bytes: enough for 15 digits
            withUnsafeMutableBytes(of: &digits) { buf in
                var i = 16
                repeat {
                    i -= 1
                    buf[i] = UInt8(truncatingIfNeeded: 0x30 + n % 10)
                    n /= 10
                } while n > 0
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[i...]))
            }
            return
        }
        raw(d.description)
    }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        // Common case: contiguous UTF-8 with nothing to escape, copied in one piece.
        let plain = s.withUTF8 { u -> Bool in
            for c in u where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: u)
            return true
        }
        if plain {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        let utf8 = s.utf8
        for c in utf8 {
            switch c {
            case UInt8(ascii: "\""): bytes.append(0x5C); bytes.append(c)
            case UInt8(ascii: "\\"): bytes.append(0x5C); bytes.append(c)
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(c >> 4)])
                bytes.append(hex[Int(c & 15)])
            default: bytes.append(c)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public static func encode(_ v: JSONValue) -> [UInt8] {
        var w = JSONWriter()
        w.write(v)
        return w.bytes
    }
}
