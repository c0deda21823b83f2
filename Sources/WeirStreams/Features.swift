import Yams

/// An event-time window, relative to the time `t` of the event being scored.
/// Sliding: `(t - size, t]`. Tumbling: `[floor(t / size) * size, t]` (the bucket of `t`, up to `t`).
public struct Window: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case sliding, tumbling }
    public var kind: Kind
    public var sizeMs: Int64

    public init(_ kind: Kind, sizeMs: Int64) {
        self.kind = kind
        self.sizeMs = sizeMs
    }

    /// The first event time inside the window of an event at `t`.
    @inline(__always) func lowerBound(at t: Int64) -> Int64 {
        switch kind {
        case .sliding: return t - sizeMs + 1
        case .tumbling:
            let q = t / sizeMs
            return (t % sizeMs < 0 ? q - 1 : q) * sizeMs  // floor division for times before the epoch
        }
    }
}

/// How a feature is computed.
public enum Aggregate: String, Sendable, CaseIterable, Codable {
    /// A field of the event itself.
    case value
    case count, sum, avg, min, max
    case distinctCount = "distinct_count"
    /// 1 when no earlier event of the same key lies in the window (e.g. key [account, beneficiary]: a new payee), else 0.
    case firstTime = "first_time"
    /// Milliseconds since the latest earlier event of the key (missing when there is none).
    case timeSincePrevious = "time_since_previous"

    var needsField: Bool { [.value, .sum, .avg, .min, .max, .distinctCount].contains(self) }
    var needsWindow: Bool { ![.value, .timeSincePrevious].contains(self) }
}

/// A feature value: what the model is fed and the decision records.
public enum FeatureValue: Sendable, Equatable, Hashable, Codable {
    case missing
    case number(Double)
    case text(String)

    public var number: Double? { if case .number(let d) = self { d } else { nil } }

    /// PMML input text.
    var pmmlText: String? {
        switch self {
        case .missing: return nil
        case .number(let d): return JSONValue.format(d)
        case .text(let s): return s
        }
    }

    var json: JSONValue {
        switch self {
        case .missing: return .null
        case .number(let d): return .number(d)
        case .text(let s): return .string(s)
        }
    }

    init(_ v: JSONValue?) {
        switch v {
        case .number(let d)?: self = .number(d)
        case .bool(let b)?: self = .number(b ? 1 : 0)
        case .string(let s)?: self = .text(s)
        default: self = .missing
        }
    }
}

/// One feature of a scoring definition.
public struct FeatureDefinition: Sendable, Equatable {
    public var name: String
    public var aggregate: Aggregate
    /// The event field aggregated (or taken, for `value`).
    public var field: FieldPath?
    /// Names of the keys (declared under `keys:`) the state is kept per; several names form a composite key.
    public var key: [String]
    public var window: Window?
    /// Used when the feature has no value (missing field or key, no earlier event).
    public var defaultValue: FeatureValue
}

/// The feature DSL: one versioned YAML file (see docs/risk-engine.md).
public struct ScoringDefinition: Sendable {
    public var version: Int
    public var name: String
    public var input: String
    public var output: String
    public var deadLetter: String
    /// Event time: this field (epoch millis or ISO-8601 text); nil: the record timestamp.
    public var eventTime: FieldPath?
    public var latenessMs: Int64
    /// The key written on decisions: one of `keys` (nil: the input record key).
    public var decisionKey: String?
    public var keys: [(name: String, path: FieldPath)]
    public var features: [FeatureDefinition]
    /// Model input field → feature name.
    public var modelInputs: [(field: String, feature: String)]
    /// The model output column read as the score (nil: the first numeric output).
    public var scoreColumn: String?
    /// score ≥ block → block; else score ≥ review → review; else allow.
    public var review: Double
    public var block: Double
    /// The decision when the model gives no numeric score.
    public var onError: Decision.Outcome
    /// Line of each model input mapping (for deployment errors).
    var modelInputLines: [String: Int] = [:]
    var file: String = ""

    public static func parse(yaml text: String, file: String = "<features>") throws(DSLErrors) -> ScoringDefinition {
        let root = try YAMLReader.compose(text, file: file)
        var r = YAMLReader(file: file)
        let top = r.members(root, "", allowed: ["version", "kind", "name", "input", "output", "dead_letter", "event_time",
                                               "lateness", "decision_key", "keys", "features", "model", "decision"]) ?? [:]
        let version = r.version(top, root: root) ?? 1
        if let k = top["kind"], let s = r.string(k, "kind"), s != "features" { r.fail(k, "kind", "expected 'features'") }
        let name = r.required(top, "name", "", in: root).flatMap { r.string($0, "name") } ?? ""
        let input = r.required(top, "input", "", in: root).flatMap { r.string($0, "input") } ?? ""
        let output = r.required(top, "output", "", in: root).flatMap { r.string($0, "output") } ?? ""
        let deadLetter = top["dead_letter"].flatMap { r.string($0, "dead_letter") } ?? "\(output).dead-letter"
        let eventTime = top["event_time"].flatMap { r.string($0, "event_time") }.map(FieldPath.init)
        let lateness = top["lateness"].flatMap { r.duration($0, "lateness", allowZero: true) } ?? 0
        var keys: [(String, FieldPath)] = []
        if let k = top["keys"] {
            for (n, _, v) in r.entries(k, "keys") {
                if let p = r.string(v, "keys.\(n)") { keys.append((n, FieldPath(p))) }
            }
        }
        let keyNames = Set(keys.map(\.0))
        let decisionKey = top["decision_key"].flatMap { r.string($0, "decision_key") }
        if let d = decisionKey, !keyNames.contains(d) { r.fail(top["decision_key"], "decision_key", "'\(d)' is not declared under keys") }

        var features: [FeatureDefinition] = []
        if let fnode = r.required(top, "features", "", in: root) {
            for (fname, _, node) in r.entries(fnode, "features") {
                let field = "features.\(fname)"
                guard let m = r.members(node, field, allowed: ["aggregate", "field", "key", "window", "default"]) else { continue }
                var agg = Aggregate.value
                if let a = m["aggregate"], let s = r.string(a, "\(field).aggregate") {
                    if let parsed = Aggregate(rawValue: s) { agg = parsed } else {
                        r.fail(a, "\(field).aggregate", "unknown aggregate '\(s)' (allowed: \(Aggregate.allCases.map(\.rawValue).joined(separator: ", ")))")
                        continue
                    }
                }
                let path = m["field"].flatMap { r.string($0, "\(field).field") }.map(FieldPath.init)
                if agg.needsField, path == nil { r.fail(node, "\(field).field", "aggregate \(agg.rawValue) needs a field") }
                if !agg.needsField, m["field"] != nil { r.fail(m["field"], "\(field).field", "aggregate \(agg.rawValue) takes no field") }
                var key: [String] = []
                if let k = m["key"] {
                    key = r.strings(k, "\(field).key") ?? []
                    for n in key where !keyNames.contains(n) { r.fail(k, "\(field).key", "key '\(n)' is not declared under keys") }
                    if agg == .value { r.fail(k, "\(field).key", "a value feature takes no key") }
                } else if agg != .value {
                    r.fail(node, "\(field).key", "aggregate \(agg.rawValue) needs a key")
                }
                var window: Window?
                if let w = m["window"] {
                    if let wm = r.members(w, "\(field).window", allowed: ["sliding", "tumbling"]), wm.count == 1, let (kind, size) = wm.first {
                        if let ms = r.duration(size, "\(field).window.\(kind)") { window = Window(kind == "sliding" ? .sliding : .tumbling, sizeMs: ms) }
                    } else {
                        r.fail(w, "\(field).window", "expected exactly one of sliding: <duration> or tumbling: <duration>")
                    }
                    if !agg.needsWindow { r.fail(w, "\(field).window", "aggregate \(agg.rawValue) takes no window") }
                } else if agg.needsWindow {
                    r.fail(node, "\(field).window", "aggregate \(agg.rawValue) needs a window")
                }
                var def = FeatureValue.missing
                if let d = m["default"] {
                    if case .scalar(let s) = d { def = Double(s.string).map(FeatureValue.number) ?? .text(s.string) } else {
                        r.fail(d, "\(field).default", "expected a scalar")
                    }
                }
                features.append(FeatureDefinition(name: fname, aggregate: agg, field: path, key: key, window: window, defaultValue: def))
            }
        }
        let featureNames = Set(features.map(\.name))

        var modelInputs: [(String, String)] = []
        var modelInputLines: [String: Int] = [:]
        var scoreColumn: String?
        if let mnode = r.required(top, "model", "", in: root), let mm = r.members(mnode, "model", allowed: ["inputs", "score"]) {
            if let inode = r.required(mm, "inputs", "model", in: mnode) {
                for (field, knode, v) in r.entries(inode, "model.inputs") {
                    guard let f = r.string(v, "model.inputs.\(field)") else { continue }
                    if !featureNames.contains(f) { r.fail(v, "model.inputs.\(field)", "feature '\(f)' is not defined under features") }
                    modelInputs.append((field, f))
                    modelInputLines[field] = knode.mark?.line ?? 0
                }
            }
            scoreColumn = mm["score"].flatMap { r.string($0, "model.score") }
        }
        var review = 0.5, block = 0.8, onError = Decision.Outcome.review
        if let dnode = r.required(top, "decision", "", in: root), let dm = r.members(dnode, "decision", allowed: ["review", "block", "on_error"]) {
            review = r.required(dm, "review", "decision", in: dnode).flatMap { r.double($0, "decision.review") } ?? review
            block = r.required(dm, "block", "decision", in: dnode).flatMap { r.double($0, "decision.block") } ?? block
            if review > block { r.fail(dm["review"], "decision.review", "review threshold \(review) is above the block threshold \(block)") }
            if let e = dm["on_error"], let s = r.string(e, "decision.on_error") {
                if let o = Decision.Outcome(rawValue: s) { onError = o } else { r.fail(e, "decision.on_error", "expected allow, review or block") }
            }
        }
        guard r.errors.isEmpty else { throw DSLErrors(errors: r.errors) }
        var d = ScoringDefinition(version: version, name: name, input: input, output: output, deadLetter: deadLetter, eventTime: eventTime,
                                  latenessMs: lateness, decisionKey: decisionKey, keys: keys, features: features, modelInputs: modelInputs,
                                  scoreColumn: scoreColumn, review: review, block: block, onError: onError)
        d.modelInputLines = modelInputLines
        d.file = file
        return d
    }
}

/// The state a scoring definition keeps, derived from its features: per key combination used by a feature, the
/// events of each key value (event time and the fields its features aggregate), kept for the longest window.
public struct FeatureState: Sendable, Codable, Equatable {
    struct Entry: Sendable, Codable, Equatable {
        var t: Int64
        var v: [FeatureValue]
    }

    struct Store: Sendable, Codable, Equatable {
        var entries: [String: [Entry]] = [:]
    }

    var stores: [Store]
    /// Highest event time seen; watermark = maxEventTime - lateness.
    var maxEventTime: Int64?
    var eventsSinceSweep = 0
    /// The last input offset applied (nil: none).
    public internal(set) var lastOffset: Int64?

    public var keyCount: Int { stores.reduce(0) { $0 + $1.entries.count } }
    public var entryCount: Int { stores.reduce(0) { $0 + $1.entries.values.reduce(0) { $0 + $1.count } } }
}

/// A scoring definition compiled for evaluation: key combinations resolved to stores, fields to slots.
public struct FeatureEngine: Sendable {
    struct StoreSpec: Sendable {
        var keyNames: [String]
        var keyPaths: [[String]]
        var fields: [[String]]
        var retentionMs: Int64
        var keepLast: Bool
    }

    struct Compiled: Sendable {
        var aggregate: Aggregate
        var store: Int
        var fieldSlot: Int
        var path: [String]
        var window: Window?
        var defaultValue: FeatureValue
    }

    public let definition: ScoringDefinition
    let stores: [StoreSpec]
    let features: [Compiled]
    /// Per store, the indices of the features computed from it.
    let storeFeatures: [[Int]]
    static let sweepInterval = 4096

    public init(_ definition: ScoringDefinition) {
        self.definition = definition
        let keyPaths = Dictionary(definition.keys.map { ($0.name, $0.path.segments) }, uniquingKeysWith: { a, _ in a })
        var stores: [StoreSpec] = []
        var features: [Compiled] = []
        for f in definition.features {
            var c = Compiled(aggregate: f.aggregate, store: -1, fieldSlot: -1, path: f.field?.segments ?? [], window: f.window, defaultValue: f.defaultValue)
            if f.aggregate != .value {
                var s = stores.firstIndex { $0.keyNames == f.key }
                if s == nil {
                    stores.append(StoreSpec(keyNames: f.key, keyPaths: f.key.map { keyPaths[$0] ?? [$0] }, fields: [], retentionMs: 0, keepLast: false))
                    s = stores.count - 1
                }
                let si = s!
                if let w = f.window { stores[si].retentionMs = Swift.max(stores[si].retentionMs, w.sizeMs) }
                if f.aggregate == .timeSincePrevious { stores[si].keepLast = true }
                if let p = f.field?.segments {
                    if let slot = stores[si].fields.firstIndex(of: p) { c.fieldSlot = slot } else {
                        stores[si].fields.append(p)
                        c.fieldSlot = stores[si].fields.count - 1
                    }
                }
                c.store = si
            }
            features.append(c)
        }
        self.stores = stores
        self.features = features
        self.featureNames = definition.features.map(\.name)
        self.storeFeatures = stores.indices.map { s in features.indices.filter { features[$0].store == s } }
    }

    public func emptyState() -> FeatureState {
        FeatureState(stores: Array(repeating: FeatureState.Store(), count: stores.count), maxEventTime: nil, lastOffset: nil)
    }

    public let featureNames: [String]

    /// The watermark: events with an earlier time are late (scored, but not added to the state).
    public func watermark(_ state: FeatureState) -> Int64? {
        state.maxEventTime.map { $0 - definition.latenessMs }
    }

    /// Event time of an event: the configured field (epoch millis number or ISO-8601 text), else the record time.
    func eventTime(_ event: JSONValue, recordTime: Int64) -> Int64? {
        guard let p = definition.eventTime else { return recordTime }
        switch event.value(at: p.segments) {
        case .number(let d)? where d.isFinite: return Int64(d)
        case .string(let s)?: return ISO8601.parseMillis(s) ?? Int64(s)
        default: return nil
        }
    }

    /// Computes the features of one event (the windows include the event itself; first_time and
    /// time_since_previous look at earlier events only) and, unless it is late, adds it to the state.
    /// Returns whether the event was late.
    @discardableResult
    public func apply(event: JSONValue, time t: Int64, offset: Int64, state: inout FeatureState, values: inout [FeatureValue]) -> Bool {
        let late = watermark(state).map { t < $0 } ?? false
        values.removeAll(keepingCapacity: true)
        for f in features {
            guard f.aggregate == .value else { values.append(.missing); continue }
            let v = FeatureValue(event.value(at: f.path))
            values.append(v == .missing ? f.defaultValue : v)
        }
        state.lastOffset = offset
        // Invariant: only on-time events enter the state, so evicted entries are never inside a future window.
        if !late { state.maxEventTime = Swift.max(state.maxEventTime ?? t, t) }
        let horizon = watermark(state) ?? t
        for (s, spec) in stores.enumerated() {
            var key = ""
            var complete = true
            for (i, p) in spec.keyPaths.enumerated() {
                guard let part = event.value(at: p)?.text else { complete = false; break }
                if i > 0 { key += "\u{1F}" }
                key += part
            }
            guard complete else {
                for i in storeFeatures[s] { values[i] = features[i].defaultValue }
                continue
            }
            let current = spec.fields.map { FeatureValue(event.value(at: $0)) }
            // A store's features read only its own state: each store is computed, then updated, with one lookup.
            if late {
                computeFeatures(of: s, prior: state.stores[s].entries[key] ?? [], current: current, t: t, into: &values)
            } else {
                update(&state.stores[s].entries[key, default: []], store: s, spec: spec, current: current, t: t, horizon: horizon, values: &values)
            }
        }
        guard !late else { return true }
        state.eventsSinceSweep += 1
        if state.eventsSinceSweep >= Self.sweepInterval {
            state.eventsSinceSweep = 0
            for (s, spec) in stores.enumerated() {
                // A read-only scan first, then in-place edits of the lists that hold evictable entries only
                // (rebuilding the dictionary copied every key's list: O(keys) allocations per sweep).
                let limit = horizon - spec.retentionMs
                var due: [String] = []
                for (key, list) in state.stores[s].entries where list.contains(where: { $0.t <= limit }) { due.append(key) }
                for key in due {
                    Self.evict(&state.stores[s].entries[key, default: []], before: limit, keepLast: spec.keepLast)
                    if state.stores[s].entries[key]?.isEmpty == true { state.stores[s].entries[key] = nil }
                }
            }
        }
        return false
    }

    /// The features of store `s` from the key's earlier entries, then the event added and old entries dropped.
    func update(_ list: inout [FeatureState.Entry], store s: Int, spec: StoreSpec, current: [FeatureValue], t: Int64, horizon: Int64,
                values: inout [FeatureValue]) {
        computeFeatures(of: s, prior: list, current: current, t: t, into: &values)
        list.append(.init(t: t, v: current))
        Self.evict(&list, before: horizon - spec.retentionMs, keepLast: spec.keepLast)
    }

    func computeFeatures(of s: Int, prior: [FeatureState.Entry], current: [FeatureValue], t: Int64, into values: inout [FeatureValue]) {
        for i in storeFeatures[s] {
            let v = Self.compute(features[i], prior: prior, current: current, t: t)
            values[i] = v == .missing ? features[i].defaultValue : v
        }
    }

    /// Drops entries at or before `limit` (never inside a window of an on-time event), keeping the latest
    /// of them when time_since_previous needs it.
    static func evict(_ list: inout [FeatureState.Entry], before limit: Int64, keepLast: Bool) {
        guard list.contains(where: { $0.t <= limit }) else { return }
        var last: FeatureState.Entry?
        if keepLast { last = list.filter { $0.t <= limit }.max { $0.t < $1.t } }
        list.removeAll { $0.t <= limit }
        if let last { list.insert(last, at: 0) }
    }

    static func compute(_ f: Compiled, prior: [FeatureState.Entry], current: [FeatureValue], t: Int64) -> FeatureValue {
        switch f.aggregate {
        case .value: return .missing
        case .timeSincePrevious:
            var best: Int64?
            for e in prior where e.t <= t { best = Swift.max(best ?? e.t, e.t) }
            return best.map { .number(Double(t - $0)) } ?? .missing
        case .firstTime:
            let lo = f.window!.lowerBound(at: t)
            for e in prior where e.t >= lo && e.t <= t { return .number(0) }
            return .number(1)
        case .count:
            let lo = f.window!.lowerBound(at: t)
            var n = 1
            for e in prior where e.t >= lo && e.t <= t { n += 1 }
            return .number(Double(n))
        case .distinctCount:
            let lo = f.window!.lowerBound(at: t)
            var seen: Set<FeatureValue> = []
            if current[f.fieldSlot] != .missing { seen.insert(current[f.fieldSlot]) }
            for e in prior where e.t >= lo && e.t <= t && e.v[f.fieldSlot] != .missing { seen.insert(e.v[f.fieldSlot]) }
            return .number(Double(seen.count))
        case .sum, .avg, .min, .max:
            let lo = f.window!.lowerBound(at: t)
            var n = 0, sum = 0.0, mn = Double.infinity, mx = -Double.infinity
            func add(_ v: FeatureValue) {
                guard case .number(let d) = v else { return }
                n += 1; sum += d; mn = Swift.min(mn, d); mx = Swift.max(mx, d)
            }
            add(current[f.fieldSlot])
            for e in prior where e.t >= lo && e.t <= t { add(e.v[f.fieldSlot]) }
            switch f.aggregate {
            case .sum: return .number(sum)
            case .avg: return n == 0 ? .missing : .number(sum / Double(n))
            case .min: return n == 0 ? .missing : .number(mn)
            default: return n == 0 ? .missing : .number(mx)
            }
        }
    }
}
