import Foundation
import Yams

/// Maps raw events of several source topics (each with its own JSON schema) into one business-event topic.
public struct PreprocessorDefinition: Sendable {
    public enum FieldType: String, Sendable, CaseIterable { case string, number, integer, boolean, timestamp }
    public enum TimeFormat: String, Sendable, CaseIterable { case epochMillis = "epoch_millis", epochSeconds = "epoch_seconds", iso8601 }

    public struct Field: Sendable {
        public var name: String
        public var path: FieldPath?
        public var constant: JSONValue?
        public var type: FieldType
        public var format: TimeFormat
        public var multiply: Double?
        public var divide: Double?
        public var defaultValue: JSONValue?
        public var required: Bool
    }

    public struct Condition: Sendable {
        public enum Test: Sendable { case equals(JSONValue), notEquals(JSONValue), oneOf([JSONValue]), exists(Bool) }
        public var path: FieldPath
        public var test: Test

        func holds(_ event: JSONValue) -> Bool {
            let v = event.value(at: path.segments)
            switch test {
            case .equals(let x): return v.map { Self.same($0, x) } ?? false
            case .notEquals(let x): return !(v.map { Self.same($0, x) } ?? false)
            case .oneOf(let xs): return v.map { v in xs.contains { Self.same(v, $0) } } ?? false
            case .exists(let e): return (v != nil && v != .null) == e
            }
        }

        /// YAML scalars compare with JSON values by text ("500" equals 500).
        static func same(_ a: JSONValue, _ b: JSONValue) -> Bool { a == b || (a.text != nil && a.text == b.text) }
    }

    public struct Aggregation: Sendable {
        public var session: FieldPath
        public var completeWhen: [Condition]
        public var timeoutMs: Int64
    }

    public struct Source: Sendable {
        public var topic: String
        public var filter: [Condition]
        public var fields: [Field]
        public var aggregate: Aggregation?
    }

    public var version: Int
    public var output: String
    public var deadLetter: String
    /// The business field used as the output record key (nil: the input key).
    public var key: String?
    /// The business field (epoch millis) used as the output timestamp (nil: the input timestamp).
    public var eventTime: String?
    public var sources: [Source]

    public func source(for topic: String) -> Source? { sources.first { $0.topic == topic } }

    /// Parses and validates a preprocessor definition; errors name the file, line and field.
    public static func parse(yaml text: String, file: String = "<preprocessor>") throws(DSLErrors) -> PreprocessorDefinition {
        let root = try YAMLReader.compose(text, file: file)
        var r = YAMLReader(file: file)
        let top = r.members(root, "", allowed: ["version", "kind", "output", "dead_letter", "key", "event_time", "sources"]) ?? [:]
        let version = r.version(top, root: root) ?? 1
        if let k = top["kind"], let s = r.string(k, "kind"), s != "preprocessor" { r.fail(k, "kind", "expected 'preprocessor'") }
        let output = r.required(top, "output", "", in: root).flatMap { r.string($0, "output") } ?? ""
        let deadLetter = top["dead_letter"].flatMap { r.string($0, "dead_letter") } ?? "\(output).dead-letter"
        let key = top["key"].flatMap { r.string($0, "key") }
        let eventTime = top["event_time"].flatMap { r.string($0, "event_time") }
        var sources: [Source] = []
        if let s = r.required(top, "sources", "", in: root) {
            for (topic, _, node) in r.entries(s, "sources") {
                let field = "sources.\(topic)"
                guard let m = r.members(node, field, allowed: ["filter", "fields", "aggregate"]) else { continue }
                let filter = m["filter"].map { conditions(&r, $0, "\(field).filter") } ?? []
                var fields: [Field] = []
                if let f = r.required(m, "fields", field, in: node) {
                    for (name, _, fnode) in r.entries(f, "\(field).fields") {
                        if let parsed = parseField(&r, name, fnode, "\(field).fields.\(name)") { fields.append(parsed) }
                    }
                }
                var aggregation: Aggregation?
                if let a = m["aggregate"], let am = r.members(a, "\(field).aggregate", allowed: ["session", "complete_when", "timeout"]) {
                    let session = r.required(am, "session", "\(field).aggregate", in: a).flatMap { r.string($0, "\(field).aggregate.session") }
                    let complete = r.required(am, "complete_when", "\(field).aggregate", in: a).map { conditions(&r, $0, "\(field).aggregate.complete_when") }
                    let timeout = am["timeout"].flatMap { r.duration($0, "\(field).aggregate.timeout") } ?? 600_000
                    if let session, let complete {
                        aggregation = Aggregation(session: FieldPath(session), completeWhen: complete, timeoutMs: timeout)
                    }
                }
                sources.append(Source(topic: topic, filter: filter, fields: fields, aggregate: aggregation))
            }
            if sources.isEmpty, r.errors.isEmpty { r.fail(s, "sources", "at least one source topic is required") }
        }
        let def = PreprocessorDefinition(version: version, output: output, deadLetter: deadLetter, key: key, eventTime: eventTime, sources: sources)
        for (name, field) in [("key", key), ("event_time", eventTime)] {
            guard let field else { continue }
            for s in def.sources where !s.fields.contains(where: { $0.name == field }) {
                r.fail(top[name], name, "business field '\(field)' is not produced by source \(s.topic)")
            }
        }
        guard r.errors.isEmpty else { throw DSLErrors(errors: r.errors) }
        return def
    }

    static func conditions(_ r: inout YAMLReader, _ node: Node, _ field: String) -> [Condition] {
        let items: [Node]
        if case .sequence(let seq) = node { items = Array(seq) } else { items = [node] }
        var out: [Condition] = []
        for (i, item) in items.enumerated() {
            let f = "\(field)[\(i)]"
            guard let m = r.members(item, f, allowed: ["field", "equals", "not_equals", "in", "exists"]) else { continue }
            guard let path = r.required(m, "field", f, in: item).flatMap({ r.string($0, "\(f).field") }) else { continue }
            let tests = m.keys.filter { $0 != "field" }
            guard tests.count == 1, let t = tests.first, let v = m[t] else {
                r.fail(item, f, "exactly one of equals, not_equals, in, exists is required")
                continue
            }
            switch t {
            case "equals": out.append(Condition(path: FieldPath(path), test: .equals(scalar(v))))
            case "not_equals": out.append(Condition(path: FieldPath(path), test: .notEquals(scalar(v))))
            case "in":
                guard case .sequence(let seq) = v else { r.fail(v, "\(f).in", "expected a list"); continue }
                out.append(Condition(path: FieldPath(path), test: .oneOf(seq.map(scalar))))
            default:
                if let b = r.bool(v, "\(f).exists") { out.append(Condition(path: FieldPath(path), test: .exists(b))) }
            }
        }
        return out
    }

    static func scalar(_ n: Node) -> JSONValue {
        guard case .scalar(let s) = n else { return .null }
        if let b = n.bool, s.style == .plain { return .bool(b) }
        if s.style == .plain, let d = Double(s.string) { return .number(d) }
        return .string(s.string)
    }

    static func parseField(_ r: inout YAMLReader, _ name: String, _ node: Node, _ field: String) -> Field? {
        if case .scalar = node {  // shorthand: `name: path`
            guard let p = r.string(node, field) else { return nil }
            return Field(name: name, path: FieldPath(p), type: .string, format: .epochMillis, required: false)
        }
        guard let m = r.members(node, field, allowed: ["path", "const", "type", "format", "multiply", "divide", "default", "required"]) else { return nil }
        var f = Field(name: name, path: nil, type: .string, format: .epochMillis, required: false)
        if let p = m["path"], let s = r.string(p, "\(field).path") {
            f.path = FieldPath(s)
            if !(f.path?.isValid ?? false) { r.fail(p, "\(field).path", "empty path segment in '\(s)'") }
        }
        if let c = m["const"] { f.constant = scalar(c) }
        if (f.path == nil) == (f.constant == nil) { r.fail(node, field, "exactly one of path and const is required") }
        if let t = m["type"], let s = r.string(t, "\(field).type") {
            if let ty = FieldType(rawValue: s) { f.type = ty } else {
                r.fail(t, "\(field).type", "unknown type '\(s)' (allowed: \(FieldType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        } else if f.constant.map({ if case .number = $0 { true } else { false } }) ?? false {
            f.type = .number
        }
        if let t = m["format"], let s = r.string(t, "\(field).format") {
            if let fmt = TimeFormat(rawValue: s) { f.format = fmt } else {
                r.fail(t, "\(field).format", "unknown time format '\(s)' (allowed: epoch_millis, epoch_seconds, iso8601)")
            }
            if f.type != .timestamp { r.fail(t, "\(field).format", "format applies to type timestamp only") }
        }
        f.multiply = m["multiply"].flatMap { r.double($0, "\(field).multiply") }
        f.divide = m["divide"].flatMap { r.double($0, "\(field).divide") }
        if f.divide == 0 { r.fail(m["divide"], "\(field).divide", "division by zero") }
        if (f.multiply != nil || f.divide != nil), f.type != .number, f.type != .integer {
            r.fail(node, field, "multiply/divide apply to number and integer fields only")
        }
        if let d = m["default"] { f.defaultValue = scalar(d) }
        f.required = m["required"].flatMap { r.bool($0, "\(field).required") } ?? false
        return f
    }
}

/// Why an event went to the dead-letter output.
struct Rejection: Error {
    var reason: String
}

extension PreprocessorDefinition.Field {
    /// Extracts and converts this field from a raw event. nil: missing (no value, no default).
    func extract(from event: JSONValue) throws(Rejection) -> JSONValue? {
        var raw: JSONValue?
        if let constant { raw = constant } else if let path { raw = event.value(at: path.segments) }
        if raw == .null { raw = nil }
        guard let raw else { return nil }
        return try convert(raw)
    }

    func convert(_ raw: JSONValue) throws(Rejection) -> JSONValue {
        var where_: String { path.map { " (path \($0))" } ?? "" }  // only for a rejection's text
        switch type {
        case .string:
            guard let t = raw.text else { throw Rejection(reason: "field \(name): expected a scalar\(where_)") }
            return .string(t)
        case .number, .integer:
            guard var d = raw.double, d.isFinite else {
                throw Rejection(reason: "field \(name): \(Self.show(raw)) is not a number\(where_)")
            }
            if let multiply { d *= multiply }
            if let divide { d /= divide }
            if type == .integer, d != d.rounded() { throw Rejection(reason: "field \(name): \(Self.show(raw)) is not an integer\(where_)") }
            return .number(d)
        case .boolean:
            switch raw {
            case .bool(let b): return .bool(b)
            case .string("true"), .number(1): return .bool(true)
            case .string("false"), .number(0): return .bool(false)
            default: throw Rejection(reason: "field \(name): \(Self.show(raw)) is not a boolean\(where_)")
            }
        case .timestamp:
            switch (format, raw) {
            case (.epochMillis, _):
                if let d = raw.double, d.isFinite { return .number(d.rounded(.down)) }
            case (.epochSeconds, _):
                if let d = raw.double, d.isFinite { return .number((d * 1000).rounded(.down)) }
            case (.iso8601, .string(let s)):
                if let ms = ISO8601.parseMillis(s) { return .number(Double(ms)) }
            default: break
            }
            throw Rejection(reason: "field \(name): \(Self.show(raw)) is not a \(format.rawValue) timestamp\(where_)")
        }
    }

    static func show(_ v: JSONValue) -> String {
        String(decoding: JSONWriter.encode(v).prefix(64), as: UTF8.self)
    }
}

/// ISO-8601 date-times: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`, or a date alone (midnight UTC).
public enum ISO8601 {
    public static func parseMillis(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { parseMillis(utf8: $0) }
    }

    static func parseMillis(utf8 b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect("-"), let mo = digits(2), expect("-"), let d = digits(2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var h = 0, mi = 0, sec = 0, millis = 0, offsetMinutes = 0
        if i < b.count {
            guard expect("T") || expect("t") || expect(" ") else { return nil }
            guard let hh = digits(2), expect(":"), let mm = digits(2), hh < 24, mm < 60 else { return nil }
            h = hh; mi = mm
            if expect(":") {
                guard let ss = digits(2), ss <= 60 else { return nil }
                sec = ss
                if expect(".") || expect(",") {
                    var scale = 100, n = 0
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { millis += scale * Int(b[i] - 0x30); scale /= 10; i += 1; n += 1 }
                    guard n > 0 else { return nil }
                }
            }
            if expect("Z") || expect("z") {
            } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                _ = expect(":")
                guard let om = digits(2) else { return nil }
                offsetMinutes = sign * (oh * 60 + om)
            } else {
                return nil  // a local time without offset is ambiguous
            }
            guard i == b.count else { return nil }
        }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offsetMinutes * 60)
        return seconds * 1000 + Int64(millis)
    }
}

/// The preprocessor as a processor of one input partition. Outputs: business events to `output`, rejected events
/// (with the reason and the raw event) to `deadLetter`. Filtered events produce nothing and are counted.
public struct PreprocessorProcessor: Processor {
    public let definition: PreprocessorDefinition
    /// Written into the `weir.version` header of every output.
    public let version: String

    struct Session: Codable {
        var firstTime: Int64
        var lastTime: Int64
        var fields: [String: StoredJSON]
        var offsets: [Int64]
    }

    struct State: Codable {
        var format = 1
        var sessions: [String: Session] = [:]
        var filtered: Int64 = 0
        var rejected: Int64 = 0
        var emitted: Int64 = 0
    }

    var state = State()
    private var headerCache = ProvenanceHeaderCache()

    public var filteredCount: Int64 { state.filtered }
    public var rejectedCount: Int64 { state.rejected }
    public var openSessions: Int { state.sessions.count }

    public init(definition: PreprocessorDefinition, version: String) {
        self.definition = definition
        self.version = version
    }

    public mutating func process(_ input: InputRecord, into outputs: inout [OutputRecord]) {
        let provenance = headerCache.headers(Provenance(topic: input.topic, partition: input.partition, offset: input.offset, version: version))
        guard let source = definition.source(for: input.topic) else {
            deadLetter(input, "no source definition for topic \(input.topic)", provenance, &outputs)
            return
        }
        guard let bytes = input.value else {
            deadLetter(input, "record has no value", provenance, &outputs)
            return
        }
        let event: JSONValue
        do { event = try JSONParser.parse(bytes) } catch {
            deadLetter(input, "\(error)", provenance, &outputs)
            return
        }
        guard case .object = event else {
            deadLetter(input, "event is not a JSON object", provenance, &outputs)
            return
        }
        if let aggregate = source.aggregate {
            expireSessions(before: input.timestamp, timeoutMs: aggregate.timeoutMs, input, provenance, &outputs)
        }
        guard source.filter.allSatisfy({ $0.holds(event) }) else {
            state.filtered += 1
            return
        }
        do throws(Rejection) {
            if let aggregate = source.aggregate {
                guard let sessionKey = event.value(at: aggregate.session.segments)?.text else {
                    throw Rejection(reason: "session field \(aggregate.session) is missing")
                }
                var session = state.sessions[sessionKey] ?? Session(firstTime: input.timestamp, lastTime: input.timestamp, fields: [:], offsets: [])
                for f in source.fields {
                    // Later non-missing values win: the session's business event takes each field from its latest click.
                    if let v = try f.extract(from: event) { session.fields[f.name] = StoredJSON(v) }
                }
                session.lastTime = max(session.lastTime, input.timestamp)
                session.offsets.append(input.offset)
                if aggregate.completeWhen.allSatisfy({ $0.holds(event) }) {
                    state.sessions[sessionKey] = nil
                    let values = source.fields.map { f in session.fields[f.name]?.value }
                    try emit(source, values: values, input, provenance, &outputs)
                } else {
                    state.sessions[sessionKey] = session
                }
            } else {
                let values = try source.fields.map { (f) throws(Rejection) -> JSONValue? in try f.extract(from: event) }
                try emit(source, values: values, input, provenance, &outputs)
            }
        } catch {
            deadLetter(input, error.reason, provenance, &outputs)
        }
    }

    mutating func emit(_ source: PreprocessorDefinition.Source, values: [JSONValue?], _ input: InputRecord,
                       _ provenance: [(String, [UInt8]?)], _ outputs: inout [OutputRecord]) throws(Rejection) {
        var members: [(String, JSONValue)] = []
        members.reserveCapacity(values.count)
        for (f, v) in zip(source.fields, values) {
            if let v {
                members.append((f.name, v))
            } else if let d = f.defaultValue {
                members.append((f.name, try f.convert(d)))
            } else if f.required {
                throw Rejection(reason: "field \(f.name): required value is missing\(f.path.map { " (path \($0))" } ?? "")")
            }
        }
        let event = JSONValue.object(members)
        var key = input.key
        if let k = definition.key {
            guard let t = event[k]?.text else { throw Rejection(reason: "key field \(k) is missing") }
            key = Array(t.utf8)
        }
        var timestamp = input.timestamp
        if let t = definition.eventTime {
            guard let ms = event[t]?.double else { throw Rejection(reason: "event time field \(t) is missing") }
            timestamp = Int64(ms)
        }
        state.emitted += 1
        outputs.append(OutputRecord(topic: definition.output, key: key, value: JSONWriter.encode(event), timestamp: timestamp, headers: provenance))
    }

    mutating func deadLetter(_ input: InputRecord, _ reason: String, _ provenance: [(String, [UInt8]?)], _ outputs: inout [OutputRecord]) {
        state.rejected += 1
        var raw = JSONValue.null
        if let v = input.value { raw = (try? JSONParser.parse(v)) ?? .string(String(decoding: v, as: UTF8.self)) }
        let value = JSONValue.object([("reason", .string(reason)), ("topic", .string(input.topic)),
                                      ("partition", .number(Double(input.partition))), ("offset", .number(Double(input.offset))),
                                      ("event", raw)])
        outputs.append(OutputRecord(topic: definition.deadLetter, key: input.key, value: JSONWriter.encode(value),
                                    timestamp: input.timestamp, headers: provenance))
    }

    /// Sessions idle longer than the timeout (by record time of this partition) go to the dead-letter output.
    mutating func expireSessions(before now: Int64, timeoutMs: Int64, _ input: InputRecord, _ provenance: [(String, [UInt8]?)],
                                 _ outputs: inout [OutputRecord]) {
        guard !state.sessions.isEmpty else { return }
        let expired = state.sessions.filter { now - $0.value.lastTime > timeoutMs }.keys.sorted()  // sorted: deterministic order
        for key in expired {
            guard let s = state.sessions.removeValue(forKey: key) else { continue }
            state.rejected += 1
            let fields = JSONValue.object(s.fields.keys.sorted().map { ($0, s.fields[$0]!.value) })
            let value = JSONValue.object([("reason", .string("session \(key) incomplete after \(timeoutMs) ms")), ("topic", .string(input.topic)),
                                          ("partition", .number(Double(input.partition))),
                                          ("offsets", .array(s.offsets.map { .number(Double($0)) })), ("fields", fields)])
            outputs.append(OutputRecord(topic: definition.deadLetter, key: Array(key.utf8), value: JSONWriter.encode(value),
                                        timestamp: input.timestamp, headers: provenance))
        }
    }

    public func snapshot() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(state))
    }

    public mutating func restore(_ bytes: [UInt8]) throws {
        let s = try JSONDecoder().decode(State.self, from: Data(bytes))
        guard s.format == 1 else { throw StreamsError("preprocessor state format \(s.format) is not supported") }
        state = s
    }
}

/// A JSON value in a Codable state snapshot (stored as its JSON text).
struct StoredJSON: Codable {
    var value: JSONValue
    init(_ v: JSONValue) { value = v }
    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        value = try JSONParser.parse(Array(text.utf8))
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(String(decoding: JSONWriter.encode(value), as: UTF8.self))
    }
}

extension PreprocessorProcessor {
    /// A new version replaces this one from `input` on (a deployment through the control topic). Counters carry
    /// over. Open sessions carry over when `next` aggregates `input`'s topic by the same session field; otherwise
    /// (no aggregation there, another session field, or the topic no longer read) each goes to this version's
    /// dead-letter output with the reason, so nothing is dropped silently.
    public mutating func handOver(to next: inout PreprocessorProcessor?, at input: InputRecord, into outputs: inout [OutputRecord]) {
        let keepSessions = next.map { n in
            n.definition.source(for: input.topic)?.aggregate.map { $0.session.segments } == definition.source(for: input.topic)?.aggregate.map { $0.session.segments }
        } ?? false
        if !keepSessions, !state.sessions.isEmpty {
            let provenance = Provenance(topic: input.topic, partition: input.partition, offset: input.offset, version: version).headers
            let replacement = next.map { "version \($0.version)" } ?? "a version that does not read \(input.topic)"
            for key in state.sessions.keys.sorted() {  // sorted: deterministic order
                guard let s = state.sessions.removeValue(forKey: key) else { continue }
                state.rejected += 1
                let fields = JSONValue.object(s.fields.keys.sorted().map { ($0, s.fields[$0]!.value) })
                let value = JSONValue.object([("reason", .string("session \(key) still open when \(version) was replaced by \(replacement)")),
                                              ("topic", .string(input.topic)), ("partition", .number(Double(input.partition))),
                                              ("offsets", .array(s.offsets.map { .number(Double($0)) })), ("fields", fields)])
                outputs.append(OutputRecord(topic: definition.deadLetter, key: Array(key.utf8), value: JSONWriter.encode(value),
                                            timestamp: input.timestamp, headers: provenance))
            }
        }
        next?.state = state
    }
}
