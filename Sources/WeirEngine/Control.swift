import WeirStreams

/// Names of the engine's own topics.
public struct EngineTopics: Sendable, Equatable {
    /// Deployment requests (`DeploymentRequest` JSON), one partition.
    public var control = "__weir_control"
    /// One status record per control record: accepted (with the resolved activation offsets) or rejected.
    public var status = "__weir_status"
    /// Compacted: the latest state snapshot of each processor and input partition.
    public var state = "__weir_state"
    public init() {}
}

/// Where a version takes over: the first input offset it decides on one input partition.
public struct Activation: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// The answer to one control record, written to the status topic (key: the model name). An accepted record
/// carries the activation offsets the host resolved, so a restart or a fail-over re-applies the same swap.
public struct DeploymentStatus: Sendable, Equatable {
    public enum Outcome: String, Sendable { case accepted, rejected }
    public var controlOffset: Int64
    public var model: String
    public var version: String
    public var outcome: Outcome
    public var activations: [Activation]
    public var error: String?

    public init(controlOffset: Int64, model: String, version: String, outcome: Outcome, activations: [Activation] = [], error: String? = nil) {
        self.controlOffset = controlOffset
        self.model = model
        self.version = version
        self.outcome = outcome
        self.activations = activations
        self.error = error
    }

    public var json: [UInt8] {
        var m: [(String, JSONValue)] = [("control_offset", .number(Double(controlOffset))), ("model", .string(model)),
                                        ("version", .string(version)), ("status", .string(outcome.rawValue))]
        if !activations.isEmpty {
            m.append(("activate_at", .array(activations.map {
                .object([("topic", .string($0.topic)), ("partition", .number(Double($0.partition))), ("offset", .number(Double($0.offset)))])
            })))
        }
        if let error { m.append(("error", .string(error))) }
        return JSONWriter.encode(.object(m))
    }

    public init(json bytes: [UInt8]) throws {
        let v = try JSONParser.parse(bytes)
        guard case .number(let c)? = v["control_offset"], let model = v["model"]?.text, let version = v["version"]?.text,
              let s = v["status"]?.text, let outcome = Outcome(rawValue: s) else {
            throw EngineError("status record needs control_offset, model, version, status")
        }
        var activations: [Activation] = []
        if case .array(let a)? = v["activate_at"] {
            for item in a {
                guard let t = item["topic"]?.text, case .number(let p)? = item["partition"], case .number(let o)? = item["offset"] else {
                    throw EngineError("status record: bad activate_at entry")
                }
                activations.append(Activation(topic: t, partition: Int32(p), offset: Int64(o)))
            }
        }
        var error: String?
        if case .string(let e)? = v["error"] { error = e }
        self.init(controlOffset: Int64(c), model: model, version: version, outcome: outcome, activations: activations, error: error)
    }

    /// One line for people: `fraud 2 accepted: activates at payments/0@5`.
    public var summary: String {
        switch outcome {
        case .accepted:
            let at = activations.map { "\($0.topic)/\($0.partition)@\($0.offset)" }.joined(separator: ", ")
            return "\(model) version \(version) accepted (control offset \(controlOffset)); takes over at input offset \(at.isEmpty ? "-" : at)"
        case .rejected:
            return "\(model) version \(version) REJECTED (control offset \(controlOffset)): \(error ?? "no reason given")"
        }
    }
}
