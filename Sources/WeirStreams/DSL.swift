import Yams

/// A definition error: the file, the line (1-based, 0 when unknown) and the dotted field it is about.
public struct DSLError: Error, Equatable, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var field: String
    public var message: String

    public init(file: String, line: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        "\(file):\(line): \(field.isEmpty ? "" : "\(field): ")\(message)"
    }
}

/// All errors found in one definition (validation goes on after the first error).
public struct DSLErrors: Error, CustomStringConvertible, Sendable {
    public var errors: [DSLError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Reads a Yams node tree, collecting errors with their line and field path instead of stopping at the first.
struct YAMLReader {
    let file: String
    var errors: [DSLError] = []

    init(file: String) { self.file = file }

    static func compose(_ text: String, file: String) throws(DSLErrors) -> Node {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw DSLErrors(errors: [DSLError(file: file, line: 1, field: "", message: "the document is empty")])
            }
            return node
        } catch let e as DSLErrors {
            throw e
        } catch let e as YamlError {
            var line = 0
            var message = "\(e)"
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _):
                line = mark.line
                message = problem
            default: break
            }
            throw DSLErrors(errors: [DSLError(file: file, line: line, field: "", message: "YAML syntax: \(message)")])
        } catch {
            throw DSLErrors(errors: [DSLError(file: file, line: 0, field: "", message: "YAML: \(error)")])
        }
    }

    mutating func fail(_ node: Node?, _ field: String, _ message: String) {
        errors.append(DSLError(file: file, line: node?.mark?.line ?? 0, field: field, message: message))
    }

    /// The members of a mapping, reporting unknown keys; nil (with an error) when `node` is not a mapping.
    mutating func members(_ node: Node, _ field: String, allowed: [String]) -> [String: Node]? {
        guard let mapping = node.mapping else {
            fail(node, field, "expected a mapping")
            return nil
        }
        var out: [String: Node] = [:]
        for (k, v) in mapping {
            guard let name = k.string else { fail(k, field, "keys must be strings"); continue }
            let path = field.isEmpty ? name : "\(field).\(name)"
            if !allowed.contains(name) {
                fail(k, path, "unknown field (allowed: \(allowed.joined(separator: ", ")))")
                continue
            }
            if out[name] != nil { fail(k, path, "duplicate field"); continue }
            out[name] = v
        }
        return out
    }

    /// Members of a mapping in document order (names chosen by the user), with each key's node.
    mutating func entries(_ node: Node, _ field: String) -> [(String, Node, Node)] {
        guard let mapping = node.mapping else {
            fail(node, field, "expected a mapping")
            return []
        }
        var seen: Set<String> = []
        var out: [(String, Node, Node)] = []
        for (k, v) in mapping {
            guard let name = k.string, !name.isEmpty else { fail(k, field, "keys must be non-empty strings"); continue }
            guard seen.insert(name).inserted else { fail(k, "\(field).\(name)", "duplicate name"); continue }
            out.append((name, k, v))
        }
        return out
    }

    mutating func required(_ m: [String: Node], _ name: String, _ field: String, in parent: Node) -> Node? {
        if let n = m[name] { return n }
        fail(parent, field.isEmpty ? name : "\(field).\(name)", "required field is missing")
        return nil
    }

    mutating func string(_ node: Node, _ field: String) -> String? {
        guard case .scalar(let s) = node, !s.string.isEmpty else {
            fail(node, field, "expected a non-empty string")
            return nil
        }
        return s.string
    }

    mutating func double(_ node: Node, _ field: String) -> Double? {
        guard case .scalar(let s) = node, let d = Double(s.string), d.isFinite else {
            fail(node, field, "expected a number")
            return nil
        }
        return d
    }

    mutating func int(_ node: Node, _ field: String) -> Int? {
        guard case .scalar(let s) = node, let i = Int(s.string) else {
            fail(node, field, "expected an integer")
            return nil
        }
        return i
    }

    mutating func bool(_ node: Node, _ field: String) -> Bool? {
        guard let b = node.bool else {
            fail(node, field, "expected true or false")
            return nil
        }
        return b
    }

    /// A string or a list of strings.
    mutating func strings(_ node: Node, _ field: String) -> [String]? {
        if case .scalar = node { return string(node, field).map { [$0] } }
        guard case .sequence(let seq) = node, !seq.isEmpty else {
            fail(node, field, "expected a string or a non-empty list of strings")
            return nil
        }
        var out: [String] = []
        for (i, n) in seq.enumerated() {
            guard let s = string(n, "\(field)[\(i)]") else { return nil }
            out.append(s)
        }
        return out
    }

    /// A duration: an integer number of milliseconds or a number with a unit: ms, s, m, h, d.
    mutating func duration(_ node: Node, _ field: String, allowZero: Bool = false) -> Int64? {
        guard case .scalar(let s) = node, let ms = Self.parseDuration(s.string), ms > 0 || (allowZero && ms == 0) else {
            fail(node, field, "expected a \(allowZero ? "non-negative" : "positive") duration such as 500ms, 30s, 10m, 1h, 24h, 7d")
            return nil
        }
        return ms
    }

    static func parseDuration(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: " ")
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let n = Int64(t.dropLast(suffix.count)) else { continue }
            return n.multipliedReportingOverflow(by: factor).overflow ? nil : n * factor
        }
        return Int64(t)
    }

    /// Checks `version: 1` at the top of a definition.
    mutating func version(_ m: [String: Node], root: Node) -> Int? {
        guard let v = required(m, "version", "", in: root) else { return nil }
        guard let n = int(v, "version") else { return nil }
        guard n == 1 else { fail(v, "version", "unsupported version \(n) (this Weir reads version 1)"); return nil }
        return n
    }
}

extension String {
    fileprivate func trimmingCharacters(in c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}

/// A dotted path into a JSON event, split once at load time.
public struct FieldPath: Sendable, Equatable, Codable, CustomStringConvertible {
    public var segments: [String]
    public init(_ text: String) { segments = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
    public var description: String { segments.joined(separator: ".") }
    var isValid: Bool { !segments.isEmpty && segments.allSatisfy { !$0.isEmpty } }
}
