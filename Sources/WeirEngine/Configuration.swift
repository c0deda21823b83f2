import Foundation
import WeirStreams
import Yams

/// A preprocessor declared in configuration.
public struct PreprocessorSpec: Sendable {
    public var name: String
    public var version: String
    public var definition: PreprocessorDefinition
    public init(name: String, version: String, definition: PreprocessorDefinition) {
        self.name = name
        self.version = version
        self.definition = definition
    }
    public var id: String { "\(name)@\(version)" }
}

/// What a processor host runs: preprocessors and models declared in configuration (models can also be deployed
/// at runtime through the control topic), the engine's topics and snapshot cadence.
public struct EngineConfiguration: Sendable {
    public var preprocessors: [PreprocessorSpec] = []
    /// The initial version of each configured model; later versions come through the control topic.
    public var models: [Deployment] = []
    /// The sources of `models` (a later deployment of the same version must have the same content).
    public var modelSources: [String: DeploymentRequest] = [:]
    public var topics = EngineTopics()
    /// Partitions of input and output topics the host creates (existing topics keep theirs).
    public var partitions: Int32 = 1
    /// A snapshot is persisted after this many inputs of one partition, or `snapshotIntervalMs` after the last.
    public var snapshotEvery = 10_000
    public var snapshotIntervalMs = 10_000
    /// Largest read of one partition per round.
    public var maxReadBytes = 1 << 20
    public init() {}

    /// Reads a processors file (YAML): errors name the file, line and field.
    ///
    /// ```yaml
    /// version: 1
    /// partitions: 1                  # of topics the host creates
    /// preprocessors:
    ///   - { name: payments, version: "1", definition: preprocessor.yaml }
    /// models:
    ///   - { name: fraud, version: "1", pmml: fraud-v1.pmml, features: fraud-v1.yaml }
    /// ```
    /// Paths are relative to the processors file.
    public static func load(file path: String) throws -> EngineConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw EngineError("\(path): cannot read the processors file") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try parse(yaml: text, file: path) { rel in
            let url = rel.hasPrefix("/") ? URL(fileURLWithPath: rel) : base.appendingPathComponent(rel)
            guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
            return (url.path, Array(data))
        }
    }

    /// Parses a processors file; `read` loads a referenced file (name shown in errors, bytes).
    public static func parse(yaml text: String, file: String, read: (String) -> (String, [UInt8])?) throws -> EngineConfiguration {
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else { throw EngineError("\(file):1: the processors file is empty") }
            root = n
        } catch let e as EngineError { throw e } catch {
            throw EngineError("\(file): YAML syntax error: \(error)")
        }
        func line(_ n: Node) -> Int { (n.mark?.line ?? 0) }
        func fail(_ n: Node, _ field: String, _ message: String) -> EngineError { EngineError("\(file):\(line(n)): \(field): \(message)") }
        guard let top = root.mapping else { throw fail(root, "", "expected a mapping with preprocessors and models") }
        var config = EngineConfiguration()
        var errors: [String] = []
        let known: Set<String> = ["version", "partitions", "preprocessors", "models", "snapshot_every", "snapshot_interval_ms"]
        for (k, _) in top {
            if let key = k.string, !known.contains(key) {
                errors.append(fail(k, key, "unknown field (known: \(known.sorted().joined(separator: ", ")))").message)
            }
        }
        if let v = top["version"], v.int != 1 { errors.append(fail(v, "version", "this Weir reads processors files of version 1").message) }
        if let p = top["partitions"] {
            if let n = p.int, n >= 1 { config.partitions = Int32(n) } else { errors.append(fail(p, "partitions", "must be a positive integer").message) }
        }
        if let p = top["snapshot_every"] {
            if let n = p.int, n >= 1 { config.snapshotEvery = n } else { errors.append(fail(p, "snapshot_every", "must be a positive integer").message) }
        }
        if let p = top["snapshot_interval_ms"] {
            if let n = p.int, n >= 1 { config.snapshotIntervalMs = n } else { errors.append(fail(p, "snapshot_interval_ms", "must be a positive integer").message) }
        }
        func entries(_ key: String) -> [(Int, Node.Mapping)] {
            guard let n = top[key] else { return [] }
            guard let seq = n.sequence else { errors.append(fail(n, key, "expected a list").message); return [] }
            var out: [(Int, Node.Mapping)] = []
            for (i, item) in seq.enumerated() {
                if let m = item.mapping { out.append((i, m)) } else { errors.append(fail(item, "\(key)[\(i)]", "expected a mapping").message) }
            }
            return out
        }
        func string(_ m: Node.Mapping, _ field: String, _ where_: String, node: Node) -> String? {
            guard let v = m[field] else { errors.append(fail(node, "\(where_).\(field)", "is required").message); return nil }
            guard let s = v.string, !s.isEmpty else { errors.append(fail(v, "\(where_).\(field)", "must be a non-empty string").message); return nil }
            return s
        }
        func load(_ m: Node.Mapping, _ field: String, _ where_: String, node: Node) -> (String, [UInt8])? {
            guard let rel = string(m, field, where_, node: node) else { return nil }
            guard let loaded = read(rel) else { errors.append(fail(m[field]!, "\(where_).\(field)", "cannot read \(rel)").message); return nil }
            return loaded
        }
        var names: Set<String> = []
        if let pre = top["preprocessors"] {
            for (i, m) in entries("preprocessors") {
                let w = "preprocessors[\(i)]"
                let node = pre.sequence?[i] ?? pre
                for (k, _) in m where !["name", "version", "definition"].contains(k.string ?? "") {
                    errors.append(fail(k, "\(w).\(k.string ?? "?")", "unknown field (known: definition, name, version)").message)
                }
                guard let name = string(m, "name", w, node: node), let version = string(m, "version", w, node: node),
                      let (defFile, bytes) = load(m, "definition", w, node: node) else { continue }
                if !names.insert(name).inserted { errors.append(fail(node, "\(w).name", "processor name '\(name)' is used twice").message) }
                do {
                    let def = try PreprocessorDefinition.parse(yaml: String(decoding: bytes, as: UTF8.self), file: defFile)
                    config.preprocessors.append(PreprocessorSpec(name: name, version: version, definition: def))
                } catch {
                    errors.append("\(error)")
                }
            }
        }
        if let models = top["models"] {
            for (i, m) in entries("models") {
                let w = "models[\(i)]"
                let node = models.sequence?[i] ?? models
                for (k, _) in m where !["name", "version", "pmml", "features"].contains(k.string ?? "") {
                    errors.append(fail(k, "\(w).\(k.string ?? "?")", "unknown field (known: features, name, pmml, version)").message)
                }
                guard let name = string(m, "name", w, node: node), let version = string(m, "version", w, node: node),
                      let (_, pmml) = load(m, "pmml", w, node: node), let (featuresFile, features) = load(m, "features", w, node: node) else { continue }
                if !names.insert(name).inserted { errors.append(fail(node, "\(w).name", "processor name '\(name)' is used twice").message) }
                do {
                    let text = String(decoding: features, as: UTF8.self)
                    let d = try Deployment.compile(model: name, version: version, pmml: pmml, features: text, featuresFile: featuresFile)
                    config.models.append(d)
                    config.modelSources[d.id] = DeploymentRequest(model: name, version: version, pmml: pmml, features: text, activation: .next)
                } catch {
                    errors.append("\(error)")
                }
            }
        }
        guard errors.isEmpty else { throw EngineError(errors.joined(separator: "\n")) }
        return config
    }
}
