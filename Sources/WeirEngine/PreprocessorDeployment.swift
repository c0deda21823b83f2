import WeirStreams

/// A preprocessor version deployed through the control topic:
/// `{"kind": "preprocessor", "name": "payments", "version": "2", "definition": "<YAML>", "activate_at": "next"}`.
/// A new name starts a preprocessor at the end of its source topics; a new version of a running one takes over
/// at the next input offset of each source partition it shares with the running version, and at the end of
/// each source topic it adds.
public struct PreprocessorRequest: Sendable, Equatable {
    public var name: String
    public var version: String
    public var definition: String
    public var activation: DeploymentRequest.Activation

    public init(name: String, version: String, definition: String, activation: DeploymentRequest.Activation = .next) {
        self.name = name
        self.version = version
        self.definition = definition
        self.activation = activation
    }

    init(parsed v: JSONValue) throws {
        guard let name = v["name"]?.text, !name.isEmpty, let version = v["version"]?.text, !version.isEmpty,
              case .string(let definition)? = v["definition"] else {
            throw EngineError("a preprocessor control record needs string fields name, version, definition")
        }
        var activation = DeploymentRequest.Activation.next
        switch v["activate_at"] {
        case nil, .string("next")?: break
        case .number(let d)? where d >= 0 && d == d.rounded(): activation = .offset(Int64(d))
        default: throw EngineError("activate_at must be an input offset or \"next\"")
        }
        self.init(name: name, version: version, definition: definition, activation: activation)
    }

    public var json: [UInt8] {
        var m: [(String, JSONValue)] = [("kind", .string("preprocessor")), ("name", .string(name)), ("version", .string(version)),
                                        ("definition", .string(definition))]
        switch activation {
        case .next: m.append(("activate_at", .string("next")))
        case .offset(let o): m.append(("activate_at", .number(Double(o))))
        }
        return JSONWriter.encode(.object(m))
    }

    /// Parses and validates the definition (off the host loop); errors name the field and line.
    public func compile() throws -> PreprocessorSpec {
        do {
            return PreprocessorSpec(name: name, version: version,
                                    definition: try PreprocessorDefinition.parse(yaml: definition, file: "\(name)-\(version).yaml"))
        } catch {
            throw EngineError("\(error)")
        }
    }
}

/// One partition of a source topic.
struct SourcePartition: Hashable, Sendable {
    var topic: String
    var partition: Int32
}

/// Everything known of one preprocessor: its versions and where each one takes over.
struct PreprocessorInfo {
    var name: String
    var first: PreprocessorSpec
    /// Where the first version starts, per source partition (nil: from the beginning, a configured preprocessor).
    var firstActivation: [SourcePartition: Int64]?
    /// Later versions in control order, with their activation offsets per source partition.
    var swaps: [(spec: PreprocessorSpec, at: [SourcePartition: Int64])] = []
    /// Deployment requests accepted, by version (a version is immutable).
    var requests: [String: PreprocessorRequest] = [:]

    var catalog: [PreprocessorSpec] { [first] + swaps.map(\.spec) }
    func spec(version: String) -> PreprocessorSpec? { catalog.first { $0.version == version } }
    /// Every source topic any version reads, in the order they first appear.
    var sourceTopics: [String] {
        var seen: Set<String> = [], out: [String] = []
        for s in catalog { for t in s.definition.sources.map(\.topic) where seen.insert(t).inserted { out.append(t) } }
        return out
    }
    var outputTopics: [String] { Array(Set(catalog.flatMap { [$0.definition.output, $0.definition.deadLetter] })).sorted() }

    /// The versions of one source partition in activation order (nil: that version does not read the topic),
    /// starting with the first one that reads it; empty when no version reads it.
    func stages(_ sp: SourcePartition) -> [VersionedPreprocessor.Stage] {
        func stage(_ spec: PreprocessorSpec, at: Int64) -> VersionedPreprocessor.Stage {
            let reads = spec.definition.source(for: sp.topic) != nil
            return .init(processor: reads ? PreprocessorProcessor(definition: spec.definition, version: spec.id) : nil, at: at)
        }
        // A partition missing from an activation map did not exist then: the version applies from its start.
        var out = [stage(first, at: firstActivation?[sp] ?? 0)]
        for swap in swaps { out.append(stage(swap.spec, at: swap.at[sp] ?? 0)) }
        out = VersionedPreprocessor.ordered(out)
        guard let firstReading = out.firstIndex(where: { $0.processor != nil }) else { return [] }
        return Array(out[firstReading...])
    }
}

/// The preprocessor of one source partition across its versions: each version processes the inputs from its
/// activation offset on; at a switch the old version hands its sessions over (or dead-letters them).
public struct VersionedPreprocessor: Processor {
    public struct Stage {
        /// Nil: this version does not read the topic (inputs from `at` on produce nothing).
        var processor: PreprocessorProcessor?
        var at: Int64
    }

    private(set) var current: PreprocessorProcessor?
    private var staged: [Stage]

    /// `stages` in activation order (`ordered`); the processor starts at input offset `resumeAt` (a snapshot's
    /// next offset, or the first stage's activation), with the version active there.
    init(stages: [Stage], resumeAt: Int64) {
        var rest = stages
        var current: PreprocessorProcessor?
        while let s = rest.first, s.at <= resumeAt {
            current = s.processor
            rest.removeFirst()
        }
        self.current = current
        self.staged = rest
    }

    /// Stages sorted by activation offset (stable: of two at the same offset, the later deployment wins).
    static func ordered(_ stages: [Stage]) -> [Stage] {
        stages.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
    }

    /// Stages a version deployed while running (its activation is at or after the next input).
    mutating func stage(_ s: Stage) {
        staged = Self.ordered(staged + [s])
    }

    public mutating func process(_ input: InputRecord, into outputs: inout [OutputRecord]) {
        while let next = staged.first, input.offset >= next.at {
            staged.removeFirst()
            var replacement = next.processor
            // Invariant: a switch happens between two inputs, so sessions move whole to the next version.
            current?.handOver(to: &replacement, at: input, into: &outputs)
            current = replacement
        }
        current?.process(input, into: &outputs)
    }

    public func snapshot() throws -> [UInt8] { try current?.snapshot() ?? [] }

    public mutating func restore(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        guard current != nil else { throw StreamsError("a preprocessor snapshot for a partition its version does not read") }
        try current!.restore(bytes)
    }
}
