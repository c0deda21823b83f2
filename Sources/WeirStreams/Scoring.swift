import Foundation
import WeirPMML

/// The answer to one input event, written as JSON to the definition's output topic.
public struct Decision: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable { case allow, review, block }

    public var key: String?
    public var eventTime: Int64
    public var score: Double?
    public var outcome: Outcome
    public var model: String
    public var modelVersion: String
    public var input: Provenance
    public var features: [(String, FeatureValue)]
    public var reasonCodes: [String]
    /// The event was behind the watermark: scored, but not added to the state.
    public var late: Bool
    /// Why the model gave no score (the outcome is then the definition's on_error).
    public var error: String?

    public static func == (a: Decision, b: Decision) -> Bool {
        a.key == b.key && a.eventTime == b.eventTime && a.score == b.score && a.outcome == b.outcome && a.model == b.model
            && a.modelVersion == b.modelVersion && a.input == b.input && a.reasonCodes == b.reasonCodes && a.late == b.late
            && a.error == b.error && a.features.count == b.features.count && zip(a.features, b.features).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public var json: JSONValue {
        var m: [(String, JSONValue)] = [
            ("key", key.map(JSONValue.string) ?? .null), ("event_time", .number(Double(eventTime))),
            ("score", score.map(JSONValue.number) ?? .null), ("decision", .string(outcome.rawValue)),
            ("model", .string(model)), ("model_version", .string(modelVersion)),
            ("input", .object([("topic", .string(input.topic)), ("partition", .number(Double(input.partition))),
                               ("offset", .number(Double(input.offset)))])),
            ("features", .object(features.map { ($0.0, $0.1.json) })),
            ("reason_codes", .array(reasonCodes.map(JSONValue.string))),
            ("late", .bool(late)),
        ]
        if let error { m.append(("error", .string(error))) }
        return .object(m)
    }

    /// `json` written without building the tree first (the scoring hot path): the same bytes as
    /// `JSONWriter.encode(json)`.
    public var encoded: [UInt8] {
        var w = JSONWriter()
        func member(_ name: StaticString, first: Bool = false) {
            if !first { w.bytes.append(UInt8(ascii: ",")) }
            w.bytes.append(UInt8(ascii: "\""))
            w.bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            w.bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        w.bytes.append(UInt8(ascii: "{"))
        member("key", first: true)
        if let key { w.string(key) } else { w.raw("null") }
        member("event_time"); w.number(Double(eventTime))
        member("score"); if let score { w.number(score) } else { w.raw("null") }
        member("decision"); w.string(outcome.rawValue)
        member("model"); w.string(model)
        member("model_version"); w.string(modelVersion)
        member("input")
        w.bytes.append(UInt8(ascii: "{"))
        member("topic", first: true); w.string(input.topic)
        member("partition"); w.number(Double(input.partition))
        member("offset"); w.number(Double(input.offset))
        w.bytes.append(UInt8(ascii: "}"))
        member("features")
        w.bytes.append(UInt8(ascii: "{"))
        for (n, (name, value)) in features.enumerated() {
            if n > 0 { w.bytes.append(UInt8(ascii: ",")) }
            w.string(name)
            w.bytes.append(UInt8(ascii: ":"))
            switch value {
            case .missing: w.raw("null")
            case .number(let d): w.number(d)
            case .text(let t): w.string(t)
            }
        }
        w.bytes.append(UInt8(ascii: "}"))
        member("reason_codes")
        w.bytes.append(UInt8(ascii: "["))
        for (n, r) in reasonCodes.enumerated() {
            if n > 0 { w.bytes.append(UInt8(ascii: ",")) }
            w.string(r)
        }
        w.bytes.append(UInt8(ascii: "]"))
        member("late"); w.raw(late ? "true" : "false")
        if let error { member("error"); w.string(error) }
        w.bytes.append(UInt8(ascii: "}"))
        return w.bytes
    }

    /// Reads a decision record's value (what a payment system consumes).
    public init(json bytes: [UInt8]) throws {
        let v = try JSONParser.parse(bytes)
        guard let d = v["decision"]?.text.flatMap(Outcome.init(rawValue:)), let input = v["input"],
              let topic = input["topic"]?.text, let part = input["partition"]?.double, let off = input["offset"]?.double else {
            throw StreamsError("not a decision record")
        }
        var features: [(String, FeatureValue)] = []
        if case .object(let fm)? = v["features"] { features = fm.map { ($0.0, FeatureValue($0.1)) } }
        var reasons: [String] = []
        if case .array(let a)? = v["reason_codes"] { reasons = a.compactMap(\.text) }
        self.init(key: v["key"]?.text, eventTime: Int64(v["event_time"]?.double ?? 0), score: v["score"]?.double, outcome: d,
                  model: v["model"]?.text ?? "", modelVersion: v["model_version"]?.text ?? "",
                  input: Provenance(topic: topic, partition: Int32(part), offset: Int64(off), version: ""),
                  features: features, reasonCodes: reasons, late: v["late"] == .bool(true), error: v["error"]?.text)
    }

    public init(key: String?, eventTime: Int64, score: Double?, outcome: Outcome, model: String, modelVersion: String, input: Provenance,
                features: [(String, FeatureValue)], reasonCodes: [String], late: Bool, error: String?) {
        self.key = key
        self.eventTime = eventTime
        self.score = score
        self.outcome = outcome
        self.model = model
        self.modelVersion = modelVersion
        self.input = input
        self.features = features
        self.reasonCodes = reasonCodes
        self.late = late
        self.error = error
    }
}

/// Why a deployment was rejected: every problem found (DSL errors carry file, line and field).
public struct DeploymentError: Error, CustomStringConvertible, Sendable {
    public var model: String
    public var version: String
    public var problems: [String]
    public var description: String {
        "deployment \(model) version \(version) rejected:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// A model deployment compiled and checked off the hot path: immutable, shared between processors.
public struct Deployment: Sendable {
    public let model: String
    public let version: String
    public let definition: ScoringDefinition
    public let engine: FeatureEngine
    public let pmml: PMMLModel
    /// For each PMML input field (in `pmml.inputFields` order), the index of the feature feeding it.
    let inputFeature: [Int]
    let scoreColumn: Int
    let reasonColumns: [Int]

    /// "model@version": the identity written into `weir.version` and state snapshots.
    public var id: String { "\(model)@\(version)" }

    /// Compiles and checks a deployment unit: the feature YAML validates, the PMML loads, every model input is
    /// fed by a feature and every mapping names a model input, the score column exists, and each sample event
    /// (plus an all-default synthetic one) scores to a number.
    public static func compile(model: String, version: String, pmml: [UInt8], features yaml: String,
                               featuresFile: String = "features.yaml", samples: [[UInt8]] = []) throws(DeploymentError) -> Deployment {
        var problems: [String] = []
        let fail = { (p: [String]) in DeploymentError(model: model, version: version, problems: p) }
        if model.isEmpty || version.isEmpty || model.contains("@") { problems.append("model name and version must be non-empty, without '@'") }
        var definition: ScoringDefinition?
        do { definition = try ScoringDefinition.parse(yaml: yaml, file: featuresFile) } catch { problems += error.errors.map(\.description) }
        var pmmlModel: PMMLModel?
        do { pmmlModel = try PMMLModel.load(bytes: pmml, file: "\(model)-\(version).pmml") } catch { problems.append("PMML does not load: \(error)") }
        guard let definition, let pmmlModel, problems.isEmpty else { throw fail(problems) }

        let featureIndex = Dictionary(definition.features.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let mapping = Dictionary(definition.modelInputs.map { ($0.field, $0.feature) }, uniquingKeysWith: { a, _ in a })
        let inputNames = Set(pmmlModel.inputFields.map(\.name))
        var inputFeature: [Int] = []
        for f in pmmlModel.inputFields {
            if let feature = mapping[f.name], let i = featureIndex[feature] { inputFeature.append(i) } else {
                problems.append("\(featuresFile): model.inputs: model input field '\(f.name)' is not fed by any feature")
            }
        }
        for m in definition.modelInputs where !inputNames.contains(m.field) {
            problems.append("\(featuresFile):\(definition.modelInputLines[m.field] ?? 0): model.inputs.\(m.field): not an input field of the model (inputs: \(pmmlModel.inputFields.map(\.name).joined(separator: ", ")))")
        }
        var scoreColumn = -1
        if let name = definition.scoreColumn {
            scoreColumn = pmmlModel.outputColumns.firstIndex { $0.name == name } ?? -1
            if scoreColumn < 0 {
                problems.append("\(featuresFile): model.score: the model has no output column '\(name)' (columns: \(pmmlModel.outputColumns.map(\.name).joined(separator: ", ")))")
            }
        } else {
            scoreColumn = pmmlModel.outputColumns.firstIndex { $0.dataType.map { [.double, .float, .integer].contains($0) } ?? false } ?? -1
            if scoreColumn < 0 { problems.append("\(featuresFile): model.score: the model has no numeric output column; name one") }
        }
        let reasonColumns = pmmlModel.outputColumns.indices.filter { pmmlModel.outputColumns[$0].feature.lowercased().contains("reasoncode") }
        guard problems.isEmpty else { throw fail(problems) }
        let deployment = Deployment(model: model, version: version, definition: definition, engine: FeatureEngine(definition), pmml: pmmlModel,
                                    inputFeature: inputFeature, scoreColumn: scoreColumn, reasonColumns: reasonColumns)
        // Samples score on a fresh state; the synthetic sample is an empty event (every feature at its default).
        var state = deployment.engine.emptyState()
        var values: [FeatureValue] = []
        for (i, sample) in ([Array("{}".utf8)] + samples).enumerated() {
            let label = i == 0 ? "synthetic all-default sample" : "sample \(i)"
            do {
                let event = try JSONParser.parse(sample)
                deployment.engine.apply(event: event, time: 0, offset: Int64(i), state: &state, values: &values)
                let (score, _, error) = deployment.score(values)
                if i > 0, let error { problems.append("\(label) does not score: \(error)") }
                if i > 0, error == nil, score == nil { problems.append("\(label) gives no numeric score") }
            } catch {
                problems.append("\(label) is not valid JSON: \(error)")
            }
        }
        guard problems.isEmpty else { throw fail(problems) }
        return deployment
    }

    /// Scores a feature vector: (score, reason codes, error).
    func score(_ values: [FeatureValue]) -> (Double?, [String], String?) {
        var inputs: [String?] = []
        inputs.reserveCapacity(inputFeature.count)
        for i in inputFeature { inputs.append(values[i].pmmlText) }
        switch pmml.score(inputs) {
        case .failure(let rejection): return (nil, [], rejection.message)
        case .success(let row):
            var reasons: [String] = []
            for c in reasonColumns { if case .string(let s) = row[c], !s.isEmpty { reasons.append(s) } }
            switch row[scoreColumn] {
            case .number(let d) where d.isFinite: return (d, reasons, nil)
            case .boolean(let b): return (b ? 1 : 0, reasons, nil)
            case .string(let s): return (Double(s), reasons, Double(s) == nil ? "score '\(s)' is not a number" : nil)
            default: return (nil, reasons, "the model gave no score")
            }
        }
    }

    func outcome(_ score: Double?) -> Decision.Outcome {
        guard let score else { return definition.onError }
        if score >= definition.block { return .block }
        if score >= definition.review { return .review }
        return .allow
    }
}

extension FeatureEngine {
    /// Adds one input to a state the way both back-fill and a staged deployment's shadowing do (they must agree,
    /// or a restart that back-fills again would diverge): an object event with an event time is applied, anything
    /// else only advances `lastOffset`. Returns whether the event was applied.
    @discardableResult
    func absorb(_ event: JSONValue?, _ input: InputRecord, state: inout FeatureState, values: inout [FeatureValue]) -> Bool {
        guard let event, case .object = event, let t = eventTime(event, recordTime: input.timestamp) else {
            state.lastOffset = input.offset
            return false
        }
        apply(event: event, time: t, offset: input.offset, state: &state, values: &values)
        return true
    }
}

/// Builds the state of a new deployment from retained input history, so its windows do not start empty.
/// Feed it the input records (in offset order) the running processor has already processed.
public struct Backfill: Sendable {
    public let deployment: Deployment
    public private(set) var state: FeatureState
    private var values: [FeatureValue] = []
    public private(set) var skipped = 0

    public init(_ deployment: Deployment) {
        self.deployment = deployment
        self.state = deployment.engine.emptyState()
    }

    /// The last input offset applied.
    public var through: Int64? { state.lastOffset }

    public mutating func apply(_ record: InputRecord) {
        if let last = state.lastOffset, record.offset <= last { return }
        var event: JSONValue?
        if let bytes = record.value, let e = try? JSONParser.parse(bytes) { event = e }
        if !deployment.engine.absorb(event, record, state: &state, values: &values) { skipped += 1 }
    }

    public mutating func apply(_ records: some Sequence<InputRecord>) {
        for r in records { apply(r) }
    }
}

/// Scores business events of one input partition: state update, features, model, thresholds, decision record.
/// Deployments are staged with a back-filled state and swapped atomically before a given input offset.
public struct FeatureScoringProcessor: Processor {
    public private(set) var active: Deployment
    public private(set) var state: FeatureState
    struct Staged {
        var deployment: Deployment
        var state: FeatureState
        var activateAt: Int64
    }
    private var staged: [Staged] = []
    /// Compiled deployments by id, for `restore`.
    private var catalog: [String: Deployment]
    private var values: [FeatureValue] = []
    private var headerCache = ProvenanceHeaderCache()

    public init(deployment: Deployment, catalog: [Deployment] = []) {
        self.active = deployment
        self.state = deployment.engine.emptyState()
        self.catalog = Dictionary((catalog + [deployment]).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Starts from a back-filled state (a first deployment on an existing topic).
    public init(backfill: Backfill, catalog: [Deployment] = []) {
        self.init(deployment: backfill.deployment, catalog: catalog)
        self.state = backfill.state
    }

    /// The last input offset processed.
    public var lastOffset: Int64? { state.lastOffset }
    public var pendingDeployments: [(id: String, activateAt: Int64)] { staged.map { ($0.deployment.id, $0.activateAt) } }

    /// Stages `backfill.deployment` to take over at input offset `activateAt` (it decides that input and all after).
    /// The back-fill must have applied exactly the inputs this processor has processed; until the swap the new
    /// state follows every input too. Invariant: the swap happens between two inputs, never inside one.
    public mutating func stage(_ backfill: Backfill, activateAt: Int64) throws {
        guard backfill.through == state.lastOffset else {
            throw StreamsError("back-fill of \(backfill.deployment.id) is through offset \(backfill.through.map(String.init) ?? "none"), the processor is at \(state.lastOffset.map(String.init) ?? "none"): apply the missing records first")
        }
        if let last = state.lastOffset, activateAt <= last {
            throw StreamsError("cannot activate \(backfill.deployment.id) at offset \(activateAt): offset \(last) is already decided")
        }
        guard backfill.deployment.definition.input == active.definition.input else {
            throw StreamsError("\(backfill.deployment.id) reads \(backfill.deployment.definition.input), the running deployment reads \(active.definition.input)")
        }
        catalog[backfill.deployment.id] = backfill.deployment
        staged.removeAll { $0.deployment.id == backfill.deployment.id }
        staged.append(Staged(deployment: backfill.deployment, state: backfill.state, activateAt: activateAt))
        staged.sort { $0.activateAt < $1.activateAt }
    }

    /// Host recovery helper: stages `deployment` (back-filled from `history`, the retained input records) unless it
    /// is already active or staged, e.g. after restoring a snapshot taken before the control record was applied.
    /// A no-op when the same deployment is already staged at `activateAt`, or when it is active and nothing staged
    /// would replace it before `activateAt` (so re-activating an earlier version, a rollback, is staged again).
    public mutating func ensureStaged(_ deployment: Deployment, activateAt: Int64, history: some Sequence<InputRecord>) throws {
        if staged.contains(where: { $0.deployment.id == deployment.id && $0.activateAt == activateAt }) { return }
        if active.id == deployment.id, !staged.contains(where: { $0.activateAt <= activateAt }) { return }
        var backfill = Backfill(deployment)
        if let last = state.lastOffset {
            for r in history {
                if r.offset > last { break }
                backfill.apply(r)
            }
        }
        try stage(backfill, activateAt: activateAt)
    }

    public mutating func process(_ input: InputRecord, into outputs: inout [OutputRecord]) {
        while let next = staged.first, input.offset >= next.activateAt {
            staged.removeFirst()
            active = next.deployment
            state = next.state
        }
        let provenance = Provenance(topic: input.topic, partition: input.partition, offset: input.offset, version: active.id)
        let event: JSONValue
        let time: Int64
        do {
            guard let bytes = input.value else { throw StreamsError("record has no value") }
            event = try JSONParser.parse(bytes)
            guard case .object = event else { throw StreamsError("event is not a JSON object") }
            guard let t = active.engine.eventTime(event, recordTime: input.timestamp) else {
                throw StreamsError("event time field \(active.definition.eventTime!) is missing or not a time")
            }
            time = t
        } catch {
            var parsed: JSONValue?
            if let v = input.value { parsed = try? JSONParser.parse(v) }
            var shadow: [FeatureValue] = []
            for i in staged.indices { staged[i].deployment.engine.absorb(parsed, input, state: &staged[i].state, values: &shadow) }
            state.lastOffset = input.offset
            var raw = JSONValue.null
            if let v = input.value { raw = .string(String(decoding: v, as: UTF8.self)) }
            let value = JSONValue.object([("reason", .string("\(error)")), ("topic", .string(input.topic)),
                                          ("partition", .number(Double(input.partition))), ("offset", .number(Double(input.offset))), ("event", raw)])
            outputs.append(OutputRecord(topic: active.definition.deadLetter, key: input.key, value: JSONWriter.encode(value),
                                        timestamp: input.timestamp, headers: provenance.headers))
            return
        }
        // Staged deployments shadow every input so their state is current when they take over.
        var shadow: [FeatureValue] = []
        for i in staged.indices { staged[i].deployment.engine.absorb(event, input, state: &staged[i].state, values: &shadow) }
        let late = active.engine.apply(event: event, time: time, offset: input.offset, state: &state, values: &values)
        let (score, reasons, error) = active.score(values)
        var key = input.key.map { String(decoding: $0, as: UTF8.self) }
        if let k = active.definition.decisionKey, let path = active.definition.keys.first(where: { $0.name == k })?.path {
            key = event.value(at: path.segments)?.text ?? key
        }
        let decision = Decision(key: key, eventTime: time, score: score, outcome: active.outcome(score), model: active.model,
                                modelVersion: active.version, input: provenance, features: zip(active.engine.featureNames, values).map { ($0, $1) },
                                reasonCodes: reasons, late: late, error: error)
        outputs.append(OutputRecord(topic: active.definition.output, key: key.map { Array($0.utf8) }, value: decision.encoded,
                                    timestamp: time, headers: headerCache.headers(provenance)))
    }

    struct Snapshot: Codable {
        var format = 1
        var active: String
        var state: FeatureState
        var staged: [StagedSnapshot]
    }

    struct StagedSnapshot: Codable {
        var id: String
        var state: FeatureState
        var activateAt: Int64
    }

    public func snapshot() throws -> [UInt8] {
        let s = Snapshot(active: active.id, state: state, staged: staged.map { StagedSnapshot(id: $0.deployment.id, state: $0.state, activateAt: $0.activateAt) })
        return Array(try JSONEncoder().encode(s))
    }

    /// Restores a snapshot; every deployment it names must be in the catalogue (recompiled from the control topic).
    public mutating func restore(_ bytes: [UInt8]) throws {
        let s = try JSONDecoder().decode(Snapshot.self, from: Data(bytes))
        guard s.format == 1 else { throw StreamsError("scoring state format \(s.format) is not supported") }
        func find(_ id: String) throws -> Deployment {
            guard let d = catalog[id] else { throw StreamsError("snapshot names deployment \(id), which is not in the catalogue") }
            return d
        }
        let active = try find(s.active)
        guard s.state.stores.count == active.engine.stores.count else { throw StreamsError("snapshot state does not match \(s.active)") }
        var staged: [Staged] = []
        for st in s.staged { staged.append(Staged(deployment: try find(st.id), state: st.state, activateAt: st.activateAt)) }
        self.active = active
        self.state = s.state
        self.staged = staged
    }
}

/// A control-topic record asking for a deployment: JSON `{"model": "...", "version": "...", "pmml": "<PMML XML>",
/// "features": "<YAML>", "activate_at": <offset> | "next", "samples": [<event>, ...]}`.
public struct DeploymentRequest: Sendable, Equatable {
    public enum Activation: Sendable, Equatable { case offset(Int64), next }
    public var model: String
    public var version: String
    public var pmml: [UInt8]
    public var features: String
    public var activation: Activation
    public var samples: [[UInt8]]

    public init(model: String, version: String, pmml: [UInt8], features: String, activation: Activation, samples: [[UInt8]] = []) {
        self.model = model
        self.version = version
        self.pmml = pmml
        self.features = features
        self.activation = activation
        self.samples = samples
    }

    public init(json bytes: [UInt8]) throws {
        let v = try JSONParser.parse(bytes)
        guard let model = v["model"]?.text, let version = v["version"]?.text, case .string(let pmml)? = v["pmml"],
              case .string(let features)? = v["features"] else {
            throw StreamsError("control record needs string fields model, version, pmml, features")
        }
        var activation = Activation.next
        switch v["activate_at"] {
        case nil, .string("next")?: break
        case .number(let d)? where d >= 0 && d == d.rounded(): activation = .offset(Int64(d))
        default: throw StreamsError("activate_at must be an input offset or \"next\"")
        }
        var samples: [[UInt8]] = []
        if case .array(let a)? = v["samples"] { samples = a.map { JSONWriter.encode($0) } }
        self.init(model: model, version: version, pmml: Array(pmml.utf8), features: features, activation: activation, samples: samples)
    }

    public var json: [UInt8] {
        var m: [(String, JSONValue)] = [("model", .string(model)), ("version", .string(version)),
                                        ("pmml", .string(String(decoding: pmml, as: UTF8.self))), ("features", .string(features))]
        switch activation {
        case .next: m.append(("activate_at", .string("next")))
        case .offset(let o): m.append(("activate_at", .number(Double(o))))
        }
        if !samples.isEmpty { m.append(("samples", .array(samples.compactMap { try? JSONParser.parse($0) }))) }
        return JSONWriter.encode(.object(m))
    }

    public func compile() throws(DeploymentError) -> Deployment {
        try Deployment.compile(model: model, version: version, pmml: pmml, features: features, featuresFile: "\(model)-\(version).yaml", samples: samples)
    }
}
