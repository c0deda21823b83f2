import Foundation
import Logging
import Synchronization
import WeirStreams

/// A driver of either built-in processor.
enum HostedDriver {
    case pre(ProcessorDriver<VersionedPreprocessor>)
    case scoring(ProcessorDriver<FeatureScoringProcessor>)
    /// Only while `process` runs: the driver taken out of the enum is then the only reference to its state.
    case detached

    var nextOffset: Int64 {
        switch self {
        case .pre(let d): d.nextOffset
        case .scoring(let d): d.nextOffset
        case .detached: preconditionFailure("a driver is detached only while it processes")
        }
    }

    mutating func process(_ r: InputRecord) throws -> [OutputRecord] {
        switch self {
        case .pre(var d):
            self = .detached  // d is then the only reference: the processor's state is written in place
            defer { self = .pre(d) }
            return try d.process(r)
        case .scoring(var d):
            self = .detached
            defer { self = .scoring(d) }
            return try d.process(r)
        case .detached: preconditionFailure("a driver is detached only while it processes")
        }
    }

    mutating func skip(to offset: Int64) {
        switch self {
        case .pre(var d): d.skip(to: offset); self = .pre(d)
        case .scoring(var d): d.skip(to: offset); self = .scoring(d)
        case .detached: preconditionFailure("a driver is detached only while it processes")
        }
    }

    func snapshot() throws -> StateSnapshot {
        switch self {
        case .pre(let d): try d.snapshot()
        case .scoring(let d): try d.snapshot()
        case .detached: preconditionFailure("a driver is detached only while it processes")
        }
    }
}

/// One processor over one input partition; its outputs go to the same partition number of its output topics.
final class Slot {
    let processor: String
    let input: String
    let partition: Int32
    var driver: HostedDriver
    var sinceSnapshot = 0
    var lastSnapshot = ContinuousClock.now
    var snapshotCost: Duration = .zero

    init(processor: String, input: String, partition: Int32, driver: HostedDriver) {
        self.processor = processor
        self.input = input
        self.partition = partition
        self.driver = driver
    }

    var key: String { Self.key(processor, input, partition) }
    static func key(_ processor: String, _ input: String, _ partition: Int32) -> String { "\(processor)|\(input)|\(partition)" }
}

/// Everything known of one model: its versions and where each one takes over.
struct ModelInfo {
    var name: String
    var input: String
    var partitions: Int32
    /// The version the processor starts with (configured, or the first one deployed).
    var first: Deployment
    /// Where the first version starts deciding, per input partition (nil: from the beginning, a configured model).
    var firstActivation: [Int32: Int64]?
    /// Later versions in control order, with their activation offsets per partition.
    var swaps: [(deployment: Deployment, at: [Int32: Int64])] = []
    /// Deployment requests accepted, by version (a version is immutable).
    var requests: [String: DeploymentRequest] = [:]

    var catalog: [Deployment] { [first] + swaps.map(\.deployment) }
    var outputTopics: Set<String> { Set(catalog.flatMap { [$0.definition.output, $0.definition.deadLetter] }) }
    func deployment(version: String) -> Deployment? { catalog.first { $0.version == version } }
}

/// What a deployment compiles to.
enum CompiledControl: Sendable {
    case model(Deployment)
    case preprocessor(PreprocessorSpec)
}

/// A control record being compiled off the hot path.
final class PendingControl: Sendable {
    let offset: Int64
    let request: Result<ControlRequest, EngineError>
    private let result = Mutex<Result<CompiledControl, EngineError>?>(nil)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(offset: Int64, request: Result<ControlRequest, EngineError>) {
        self.offset = offset
        self.request = request
        let compile: (@Sendable () -> Result<CompiledControl, EngineError>)?
        switch request {
        case .success(.deploy(let r)):
            compile = { Result { () throws(DeploymentError) in try r.compile() }.map(CompiledControl.model).mapError { EngineError($0.description) } }
        case .success(.deployPreprocessor(let r)):
            compile = { Result { try r.compile() }.map(CompiledControl.preprocessor).mapError { EngineError("\($0)") } }
        default: compile = nil
        }
        if let compile {
            let t = Task.detached { [self] in
                let compiled = compile()
                self.result.withLock { $0 = compiled }
            }
            task.withLock { $0 = t }
        }
    }

    /// Nil while compiling.
    var compiled: Result<CompiledControl, EngineError>? { result.withLock { $0 } }
    var isDone: Bool {
        switch request {
        case .success(.deploy), .success(.deployPreprocessor): return compiled != nil
        default: return true
        }
    }
    func cancel() { task.withLock { $0?.cancel() } }
}

/// One activation of the host: recovery, then rounds until cancelled or an error (the host then starts a new
/// run, which recovers exactly as after a restart).
actor EngineRun {
    let log: any ProcessorLog
    let config: EngineConfiguration
    let logger: Logger
    let progress: EngineProgress
    var slots: [Slot] = []
    var models: [String: ModelInfo] = [:]
    var modelOrder: [String] = []
    var preprocessors: [String: PreprocessorInfo] = [:]
    var preprocessorOrder: [String] = []
    var snapshots: [String: StateSnapshot] = [:]
    var controlNext: Int64 = 0
    var pending: [PendingControl] = []
    var snapshotJobs: [String: SnapshotJob] = [:]
    /// Rounds whose appends are in the log but maybe not durable yet, oldest first, with the input positions
    /// they complete (published as progress once durable).
    var inFlight: [(append: PendingAppend, positions: [(key: String, offset: Int64)])] = []
    static let batchBytes = 256 << 10
    static let batchRecords = 2000
    /// Rounds in flight at most: round n + 1 reads and processes while round n's appends become durable.
    static let maxInFlight = 4
    /// Input bytes read per slot and round (a few hundred events).
    static let roundReadBytes = 64 << 10

    init(log: any ProcessorLog, configuration: EngineConfiguration, logger: Logger, progress: EngineProgress) {
        self.log = log
        self.config = configuration
        self.logger = logger
        self.progress = progress
    }

    func run(onRecovered: @Sendable () -> Void = {}) async throws {
        defer { for p in pending { p.cancel() } }
        try await recover()
        onRecovered()
        do {
            while true {
                try Task.checkCancellation()
                let busy = try await round()
                if !busy {
                    var positions = slots.map { (topic: $0.input, partition: $0.partition, offset: $0.driver.nextOffset) }
                    positions.append((config.topics.control, 0, controlNext))
                    await log.waitForData(positions, orDurable: inFlight.first?.append, timeoutMs: pending.isEmpty ? 500 : 10)
                }
            }
        } catch {
            await drainAppends()
            await drainSnapshotJobs()
            throw error
        }
    }

    // MARK: Recovery

    func recover() async throws {
        let t = config.topics
        // Deployments carry whole PMML documents (a 100-tree forest is MBs); snapshots hold a partition's state.
        try await log.ensureTopic(t.control, partitions: 1, configs: [("max.message.bytes", "67108864"), ("retention.ms", "-1")])
        try await log.ensureTopic(t.status, partitions: 1, configs: [("retention.ms", "-1")])
        try await log.ensureTopic(t.state, partitions: 1, configs: [("cleanup.policy", "compact"), ("max.message.bytes", "268435456")])

        var statuses: [Int64: DeploymentStatus] = [:]
        for r in try await log.readAll(t.status, 0, from: 0) {
            guard let v = r.value, let s = try? DeploymentStatus(json: v) else { continue }
            statuses[s.controlOffset] = s
        }
        for r in try await log.readAll(t.state, 0, from: 0) {
            guard let k = r.key, let v = r.value, let s = try? StateSnapshot(decoding: v) else { continue }
            snapshots[String(decoding: k, as: UTF8.self)] = s
        }

        // Configured processors.
        for spec in config.preprocessors {
            preprocessors[spec.name] = PreprocessorInfo(name: spec.name, first: spec, firstActivation: nil)
            preprocessorOrder.append(spec.name)
        }
        for d in config.models {
            let n = try await ensureInput(d.definition.input)
            var m = ModelInfo(name: d.model, input: d.definition.input, partitions: n, first: d, firstActivation: nil)
            m.requests[d.version] = config.modelSources[d.id]
            models[d.model] = m
            modelOrder.append(d.model)
        }

        // Control records already answered are re-applied as recorded; the first unanswered one is new.
        let control = try await log.readAll(t.control, 0, from: 0)
        controlNext = 0
        for r in control {
            guard let status = statuses[r.offset] else { break }
            controlNext = r.offset + 1
            guard status.outcome == .accepted, let v = r.value else { continue }
            var at: [Int32: Int64] = [:]
            for a in status.activations { at[a.partition] = a.offset }
            switch Result(catching: { try ControlRequest(json: v) }) {
            case .success(.rollback(let model, let version)):
                if var p = preprocessors[model], let spec = p.spec(version: version) {
                    p.swaps.append((spec, sourceActivations(status.activations)))
                    preprocessors[model] = p
                    continue
                }
                guard var m = models[model], let d = m.deployment(version: version) else {
                    logger.error("an accepted rollback names an unknown version; skipped", metadata: ["control_offset": "\(r.offset)"])
                    continue
                }
                m.swaps.append((d, at))
                models[model] = m
            case .success(.deployPreprocessor(let request)):
                let spec: PreprocessorSpec
                do { spec = try request.compile() } catch {
                    logger.error("an accepted preprocessor deployment no longer compiles; skipped", metadata: ["control_offset": "\(r.offset)", "error": "\(error)"])
                    continue
                }
                let at = sourceActivations(status.activations)
                if var p = preprocessors[request.name] {
                    p.swaps.append((spec, at))
                    p.requests[request.version] = request
                    preprocessors[request.name] = p
                } else {
                    var p = PreprocessorInfo(name: request.name, first: spec, firstActivation: at)
                    p.requests[request.version] = request
                    preprocessors[request.name] = p
                    preprocessorOrder.append(request.name)
                }
            case .success(.deploy(let request)):
                let deployment: Deployment
                do { deployment = try request.compile() } catch {
                    logger.error("an accepted deployment no longer compiles; skipped", metadata: ["control_offset": "\(r.offset)", "error": "\(error)"])
                    continue
                }
                if var m = models[request.model] {
                    m.swaps.append((deployment, at))
                    m.requests[request.version] = request
                    models[request.model] = m
                } else {
                    let n = try await ensureInput(deployment.definition.input)
                    var m = ModelInfo(name: request.model, input: deployment.definition.input, partitions: n, first: deployment, firstActivation: at)
                    m.requests[request.version] = request
                    models[request.model] = m
                    modelOrder.append(request.model)
                }
            case .failure(let error):
                logger.error("an accepted control record no longer parses; skipped", metadata: ["control_offset": "\(r.offset)", "error": "\(error)"])
            }
        }
        // Unanswered records (from controlNext on) are read again by the control poll.
        if controlNext >= (control.last.map { $0.offset + 1 } ?? 0) { controlNext = try await log.bounds(t.control, 0).end }
        for name in preprocessorOrder { try await startPreprocessor(preprocessors[name]!) }
        for name in modelOrder { try await startModel(models[name]!) }
        logger.info("processor host recovered", metadata: ["slots": "\(slots.count)", "models": "\(modelOrder.joined(separator: ","))"])
    }

    /// Creates `topic` when missing; returns its partition count.
    func ensureInput(_ topic: String) async throws -> Int32 {
        try await log.ensureTopic(topic, partitions: config.partitions, configs: [])
    }

    /// Output topics need at least as many partitions as the inputs feeding them (input p → output p).
    func ensureOutputs(_ topics: some Sequence<String>, partitions: Int32) async throws {
        for t in topics {
            let n = try await log.ensureTopic(t, partitions: max(partitions, config.partitions), configs: [])
            guard n >= partitions else {
                throw EngineError("output topic \(t) has \(n) partitions, fewer than the \(partitions) of its input: input partition p is written to output partition p")
            }
        }
    }

    func answered(_ outputs: some Sequence<String>, input: String, partition: Int32) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for t in outputs {
            if let last = try await log.lastAnswered(in: t, partition, inputTopic: input, inputPartition: partition) { out[t] = last }
        }
        return out
    }

    func sourceActivations(_ activations: [Activation]) -> [SourcePartition: Int64] {
        var at: [SourcePartition: Int64] = [:]
        for a in activations { at[SourcePartition(topic: a.topic, partition: a.partition)] = a.offset }
        return at
    }

    /// Starts the slots of `info` for every source partition that has none yet (all of them at recovery; the
    /// partitions of source topics a new version adds).
    func startPreprocessor(_ info: PreprocessorInfo) async throws {
        var counts: [(String, Int32)] = []
        for t in info.sourceTopics { counts.append((t, try await ensureInput(t))) }
        try await ensureOutputs(info.outputTopics, partitions: counts.map(\.1).max() ?? 1)
        for (topic, n) in counts {
            for p in 0..<n where !slots.contains(where: { $0.processor == info.name && $0.input == topic && $0.partition == p }) {
                let stages = info.stages(SourcePartition(topic: topic, partition: p))
                guard let start = stages.first?.at else { continue }
                let key = Slot.key(info.name, topic, p)
                let snapshot = snapshots[key]
                let driver = try ProcessorDriver(
                    restoring: snapshot, processor: VersionedPreprocessor(stages: stages, resumeAt: snapshot?.nextOffset ?? start),
                    inputTopic: topic, inputPartition: p, startOffset: start,
                    answered: try await answered(info.outputTopics, input: topic, partition: p))
                slots.append(Slot(processor: info.name, input: topic, partition: p, driver: .pre(driver)))
            }
        }
    }

    func startModel(_ m: ModelInfo) async throws {
        try await ensureOutputs(m.outputTopics.sorted(), partitions: m.partitions)
        for p in 0..<m.partitions {
            let key = Slot.key(m.name, m.input, p)
            let snapshot = snapshots[key]
            let start = m.firstActivation?[p] ?? 0
            var processor = FeatureScoringProcessor(deployment: m.first, catalog: m.catalog)
            if snapshot == nil, start > 0 {
                var b = Backfill(m.first)
                b.apply(try await log.readAll(m.input, p, from: 0, to: start))
                processor = FeatureScoringProcessor(backfill: b, catalog: m.catalog)
            }
            var driver = try ProcessorDriver(restoring: snapshot, processor: processor, inputTopic: m.input, inputPartition: p,
                                             startOffset: start, answered: try await answered(m.outputTopics.sorted(), input: m.input, partition: p))
            var history: [InputRecord]?
            for swap in m.swaps {
                guard let at = swap.at[p], at >= driver.nextOffset else { continue }
                if history == nil { history = try await log.readAll(m.input, p, from: 0, to: driver.nextOffset) }
                let h = history!
                try driver.withProcessor { try $0.ensureStaged(swap.deployment, activateAt: at, history: h) }
            }
            slots.append(Slot(processor: m.name, input: m.input, partition: p, driver: .scoring(driver)))
        }
    }

    // MARK: Rounds

    /// Reads control and input records, processes them and appends their outputs; true when anything was done.
    func round() async throws -> Bool {
        try await reapAppends(all: false)
        var busy = try await pollControl()
        var work: [(slot: Slot, read: LogRead)] = []
        for slot in slots {
            let from = slot.driver.nextOffset
            // Small rounds: a round's outputs are appended only at its end, so a loop that fell behind would
            // otherwise hold up to a whole read's worth of decisions (thousands of events) at once.
            let r = try await log.readInputs(slot.input, slot.partition, from: from, maxBytes: min(config.maxReadBytes, Self.roundReadBytes))
            if r.records.isEmpty && r.next <= from { continue }
            busy = true
            work.append((slot, r))
        }
        // One slot after the other: processing the slots of a round in parallel (tried, 2 cores) did not raise the
        // maximum rate; the other core is the broker's, for the producers' and consumers' requests and the fsyncs.
        var batches: [OutputBatch] = []
        for (slot, r) in work {
            batches += try Self.process(&slot.driver, r, partition: slot.partition)
            slot.sinceSnapshot += r.records.count
        }
        let positions = slots.map { (key: $0.key, offset: $0.driver.nextOffset) }
        if !batches.isEmpty {
            try Task.checkCancellation()
            if inFlight.count >= Self.maxInFlight { try await reapAppends(all: false, atLeastOne: true) }
            // Invariant: appends enter the log in round order; the next round reads and processes while these
            // become durable, and any append error ends the run (recovery re-establishes exactly once).
            inFlight.append((try await log.beginAppend(batches), positions))
        } else if inFlight.isEmpty {
            for p in positions { progress.set(p.key, p.offset) }
        } else {
            inFlight[inFlight.count - 1].positions = positions
        }
        try await persistSnapshots(force: false)
        return busy
    }

    /// Processes one slot's read: outputs of consecutive inputs share a batch per output topic (still all or nothing
    /// per input: an input's outputs to one topic are never split), bounded so a batch stays well under
    /// max.message.bytes.
    static func process(_ driver: inout HostedDriver, _ r: LogRead, partition: Int32) throws -> [OutputBatch] {
        var batches: [OutputBatch] = []
        var open: [(topic: String, index: Int, bytes: Int)] = []  // a few output topics: a linear scan
        var sizes: [(topic: String, bytes: Int)] = []
        for record in r.records {
            let outputs = try driver.process(record)
            if outputs.isEmpty { continue }
            sizes.removeAll(keepingCapacity: true)
            for o in outputs {
                let size = (o.value?.count ?? 0) + (o.key?.count ?? 0) + 64
                if let i = sizes.firstIndex(where: { $0.topic == o.topic }) { sizes[i].bytes += size } else { sizes.append((o.topic, size)) }
            }
            for (topic, size) in sizes {
                if let k = open.firstIndex(where: { $0.topic == topic }), open[k].bytes + size <= batchBytes,
                   batches[open[k].index].records.count < batchRecords {
                    open[k].bytes += size
                } else {
                    batches.append(OutputBatch(topic: topic, partition: partition, records: []))
                    if let k = open.firstIndex(where: { $0.topic == topic }) { open[k] = (topic, batches.count - 1, size) } else {
                        open.append((topic, batches.count - 1, size))
                    }
                }
            }
            for o in outputs { batches[open.first { $0.topic == o.topic }!.index].records.append(o) }
        }
        driver.skip(to: r.next)
        return batches
    }

    /// Takes the completed rounds off `inFlight` (all of them: waits for each), oldest first; rethrows the first
    /// append error. Progress is published once a round's outputs are durable.
    func reapAppends(all: Bool, atLeastOne: Bool = false) async throws {
        var waitForOne = atLeastOne
        while let head = inFlight.first, all || waitForOne || head.append.isDone {
            waitForOne = false
            try await head.append.durable()
            inFlight.removeFirst()
            for p in head.positions { progress.set(p.key, p.offset) }
        }
    }

    /// The end of a run: waits for the appends in flight (each is in the log already; none is issued after this).
    func drainAppends() async {
        for f in inFlight { _ = try? await f.append.durable() }
        inFlight.removeAll()
    }

    /// Starts due snapshots. The state is copied (value types) and encoded and appended by a background job, so a
    /// large state does not stall the loop; the job appends only once the rounds in flight, which hold the outputs
    /// of the inputs the snapshot covers, are durable. At most one job per slot is in flight, and a run ends only
    /// after its jobs.
    func persistSnapshots(force: Bool) async throws {
        let now = ContinuousClock.now
        for slot in slots where slot.sinceSnapshot > 0 {
            if let job = snapshotJobs[slot.key] {
                guard job.isDone else { continue }
                snapshotJobs[slot.key] = nil
                try await job.task.value  // rethrows its error: the run restarts and recovers
                slot.snapshotCost = job.cost
            }
            guard force || slot.sinceSnapshot >= config.snapshotEvery || now - slot.lastSnapshot >= .milliseconds(config.snapshotIntervalMs) else { continue }
            // A snapshot costs O(state) on a core the loop and the broker share: keep it under 2 % of the time
            // (recovery replays a little more instead).
            guard force || now - slot.lastSnapshot >= slot.snapshotCost * 50 else { continue }
            try Task.checkCancellation()
            // Invariant: a snapshot is appended only after the outputs of every input it covers are durable.
            snapshotJobs[slot.key] = SnapshotJob(copy: DriverCopy(driver: slot.driver), key: slot.key, topic: config.topics.state, log: log,
                                                 after: inFlight.map(\.append))
            slot.sinceSnapshot = 0
            slot.lastSnapshot = now
        }
    }

    /// Waits for the snapshot jobs in flight (the end of a run: nothing is written after it).
    func drainSnapshotJobs() async {
        for job in snapshotJobs.values { _ = try? await job.task.value }
        snapshotJobs.removeAll()
    }

    // MARK: Control

    func pollControl() async throws -> Bool {
        let r = try await log.read(config.topics.control, 0, from: controlNext, maxBytes: 64 << 20)
        for record in r.records {
            let request: Result<ControlRequest, EngineError>
            do { request = .success(try ControlRequest(json: record.value ?? [])) } catch {
                request = .failure(EngineError("not a control record: \(error)"))
            }
            pending.append(PendingControl(offset: record.offset, request: request))
        }
        controlNext = max(controlNext, r.next)
        var did = !r.records.isEmpty
        while let head = pending.first, head.isDone {
            pending.removeFirst()
            try await apply(head)
            did = true
        }
        return did
    }

    func reject(_ p: PendingControl, model: String, version: String, _ error: String) async throws {
        let s = DeploymentStatus(controlOffset: p.offset, model: model, version: version, outcome: .rejected, error: error)
        logger.warning("deployment rejected", metadata: ["model": "\(model)", "version": "\(version)", "error": "\(error)"])
        try await writeStatus(s)
    }

    func writeStatus(_ s: DeploymentStatus) async throws {
        try Task.checkCancellation()
        try await log.append([OutputBatch(topic: config.topics.status, partition: 0, records: [
            OutputRecord(topic: config.topics.status, key: Array(s.model.utf8), value: s.json, timestamp: Int64(Date().timeIntervalSince1970 * 1000)),
        ])])
    }

    /// Answers one compiled control record: rejected with its reasons, or accepted at resolved offsets and staged.
    func apply(_ p: PendingControl) async throws {
        let request: DeploymentRequest
        switch p.request {
        case .failure(let e): return try await reject(p, model: "?", version: "?", e.message)
        case .success(.rollback(let model, let version)):
            if let info = preprocessors[model] {
                guard let spec = info.spec(version: version) else {
                    return try await reject(p, model: model, version: version,
                                            "preprocessor \(model) has no version \(version) (known: \(info.catalog.map(\.version).joined(separator: ", ")))")
                }
                return try await swapPreprocessor(p, info, spec, activation: .next, request: nil)
            }
            guard let m = models[model] else { return try await reject(p, model: model, version: version, "no model or preprocessor named \(model) is deployed") }
            guard let d = m.deployment(version: version) else {
                return try await reject(p, model: model, version: version,
                                        "model \(model) has no version \(version) (known: \(m.catalog.map(\.version).joined(separator: ", ")))")
            }
            return try await swap(p, m, d, activation: .next, request: nil)
        case .success(.deployPreprocessor(let r)): return try await applyPreprocessor(p, r)
        case .success(.deploy(let r)): request = r
        }
        let deployment: Deployment
        switch p.compiled {
        case .failure(let e)?: return try await reject(p, model: request.model, version: request.version, e.message)
        case .success(.model(let d))?: deployment = d
        case .success(.preprocessor)?, nil: return
        }
        let input = deployment.definition.input
        if preprocessors[request.model] != nil {
            return try await reject(p, model: request.model, version: request.version, "'\(request.model)' names a preprocessor, not a model")
        }
        if let m = models[request.model] {
            guard m.input == input else {
                return try await reject(p, model: request.model, version: request.version,
                                        "version \(request.version) reads \(input), but model \(request.model) reads \(m.input); deploy it under another name")
            }
            if m.deployment(version: request.version) != nil {
                let same = m.requests[request.version].map { $0.pmml == request.pmml && $0.features == request.features } ?? false
                guard same else {
                    return try await reject(p, model: request.model, version: request.version,
                                            "version \(request.version) of \(request.model) already exists with a different PMML or feature definition; give the new one another version")
                }
            }
            try await swap(p, m, deployment, activation: request.activation, request: request)
        } else {
            if case .offset = request.activation {
                return try await reject(p, model: request.model, version: request.version,
                                        "the first version of a model starts at the end of its input: activate_at must be \"next\"")
            }
            let n = try await ensureInput(input)
            var at: [Int32: Int64] = [:]
            for part in 0..<n { at[part] = try await log.bounds(input, part).end }
            var m = ModelInfo(name: request.model, input: input, partitions: n, first: deployment, firstActivation: at)
            m.requests[request.version] = request
            try await ensureOutputs(m.outputTopics.sorted(), partitions: n)
            try await writeStatus(DeploymentStatus(controlOffset: p.offset, model: request.model, version: request.version, outcome: .accepted,
                                                   activations: at.sorted { $0.key < $1.key }.map { Activation(topic: input, partition: $0.key, offset: $0.value) }))
            models[m.name] = m
            modelOrder.append(m.name)
            try await startModel(m)
            logger.info("model deployed", metadata: ["model": "\(request.model)", "version": "\(request.version)", "activate_at": "\(at)"])
        }
    }

    /// Answers one compiled preprocessor deployment: a new preprocessor starts at the end of its sources; a new
    /// version of a running one is staged (`swapPreprocessor`).
    func applyPreprocessor(_ p: PendingControl, _ request: PreprocessorRequest) async throws {
        let spec: PreprocessorSpec
        switch p.compiled {
        case .failure(let e)?: return try await reject(p, model: request.name, version: request.version, e.message)
        case .success(.preprocessor(let s))?: spec = s
        case .success(.model)?, nil: return
        }
        if models[request.name] != nil {
            return try await reject(p, model: request.name, version: request.version, "'\(request.name)' names a model, not a preprocessor")
        }
        if let info = preprocessors[request.name] {
            if info.spec(version: request.version) != nil {
                let same = info.requests[request.version].map { $0.definition == request.definition } ?? false
                guard same else {
                    return try await reject(p, model: request.name, version: request.version,
                                            "version \(request.version) of \(request.name) already exists with a different definition; give the new one another version")
                }
            }
            return try await swapPreprocessor(p, info, spec, activation: request.activation, request: request)
        }
        if case .offset = request.activation {
            return try await reject(p, model: request.name, version: request.version,
                                    "the first version of a preprocessor starts at the end of its sources: activate_at must be \"next\"")
        }
        var at: [SourcePartition: Int64] = [:]
        for t in spec.definition.sources.map(\.topic) {
            for part in 0..<(try await ensureInput(t)) { at[SourcePartition(topic: t, partition: part)] = try await log.bounds(t, part).end }
        }
        var info = PreprocessorInfo(name: request.name, first: spec, firstActivation: at)
        info.requests[request.version] = request
        try await ensureOutputs(info.outputTopics, partitions: at.keys.map { $0.partition + 1 }.max() ?? 1)
        try await writeStatus(DeploymentStatus(controlOffset: p.offset, model: request.name, version: request.version, outcome: .accepted,
                                               activations: Self.activationList(at)))
        preprocessors[info.name] = info
        preprocessorOrder.append(info.name)
        try await startPreprocessor(info)
        logger.info("preprocessor deployed", metadata: ["preprocessor": "\(request.name)", "version": "\(request.version)"])
    }

    static func activationList(_ at: [SourcePartition: Int64]) -> [Activation] {
        at.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
            .map { Activation(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
    }

    /// A new version of a running preprocessor: it takes over at the next input (or `activate_at`) of every
    /// source partition that has a slot, and at the end of each source topic it adds.
    func swapPreprocessor(_ p: PendingControl, _ current: PreprocessorInfo, _ spec: PreprocessorSpec, activation: DeploymentRequest.Activation,
                          request: PreprocessorRequest?) async throws {
        var info = current
        let running = slots.filter { $0.processor == info.name }
        var at: [SourcePartition: Int64] = [:]
        for s in running {
            switch activation {
            case .next: at[SourcePartition(topic: s.input, partition: s.partition)] = s.driver.nextOffset
            case .offset(let o):
                guard o >= s.driver.nextOffset else {
                    return try await reject(p, model: info.name, version: spec.version,
                                            "activate_at \(o): input \(s.input)/\(s.partition) is already processed up to offset \(s.driver.nextOffset - 1)")
                }
                at[SourcePartition(topic: s.input, partition: s.partition)] = o
            }
        }
        for t in spec.definition.sources.map(\.topic) where !running.contains(where: { $0.input == t }) {
            for part in 0..<(try await ensureInput(t)) { at[SourcePartition(topic: t, partition: part)] = try await log.bounds(t, part).end }
        }
        info.swaps.append((spec, at))
        if let request { info.requests[request.version] = request }
        try await ensureOutputs(info.outputTopics, partitions: at.keys.map { $0.partition + 1 }.max() ?? 1)
        try await writeStatus(DeploymentStatus(controlOffset: p.offset, model: info.name, version: spec.version, outcome: .accepted,
                                               activations: Self.activationList(at)))
        preprocessors[info.name] = info
        for s in running {
            guard case .pre(var d) = s.driver, let a = at[SourcePartition(topic: s.input, partition: s.partition)] else { continue }
            s.driver = .detached  // d is then the only reference: staging does not copy the state
            let reads = spec.definition.source(for: s.input) != nil
            d.withProcessor { $0.stage(.init(processor: reads ? PreprocessorProcessor(definition: spec.definition, version: spec.id) : nil, at: a)) }
            s.driver = .pre(d)
        }
        try await startPreprocessor(info)  // slots of the source topics this version adds
        logger.info("preprocessor version staged", metadata: ["preprocessor": "\(info.name)", "version": "\(spec.version)"])
    }

    /// Resolves the activation offsets of a new version of an existing model, records them, stages the version.
    func swap(_ p: PendingControl, _ model: ModelInfo, _ deployment: Deployment, activation: DeploymentRequest.Activation,
              request: DeploymentRequest?) async throws {
        var m = model
        let input = m.input
        let modelSlots = slots.filter { $0.processor == m.name }
        var at: [Int32: Int64] = [:]
        for s in modelSlots {
            switch activation {
            case .next: at[s.partition] = s.driver.nextOffset
            case .offset(let o):
                guard o >= s.driver.nextOffset else {
                    return try await reject(p, model: m.name, version: deployment.version,
                                            "activate_at \(o): input \(input)/\(s.partition) is already decided up to offset \(s.driver.nextOffset - 1)")
                }
                at[s.partition] = o
            }
        }
        try await ensureOutputs([deployment.definition.output, deployment.definition.deadLetter], partitions: m.partitions)
        try await writeStatus(DeploymentStatus(controlOffset: p.offset, model: m.name, version: deployment.version, outcome: .accepted,
                                               activations: at.sorted { $0.key < $1.key }.map { Activation(topic: input, partition: $0.key, offset: $0.value) }))
        m.swaps.append((deployment, at))
        if let request { m.requests[request.version] = request }
        models[m.name] = m
        for s in modelSlots {
            guard let a = at[s.partition] else { continue }
            let history = try await log.readAll(input, s.partition, from: 0, to: s.driver.nextOffset)
            guard case .scoring(var d) = s.driver else { continue }
            s.driver = .detached  // d is then the only reference: staging does not copy the feature state
            defer { s.driver = .scoring(d) }
            try d.withProcessor { try $0.ensureStaged(deployment, activateAt: a, history: history) }
        }
        logger.info("version staged", metadata: ["model": "\(m.name)", "version": "\(deployment.version)", "activate_at": "\(at)"])
    }
}

/// A control-topic record: a model deployment (`DeploymentRequest` JSON), a preprocessor deployment
/// (`PreprocessorRequest` JSON, `"kind": "preprocessor"`) or a rollback
/// `{"action": "rollback", "model": "fraud", "version": "1"}` (re-activates an earlier version of a model or a
/// preprocessor at the next offset).
public enum ControlRequest: Sendable {
    case deploy(DeploymentRequest)
    case deployPreprocessor(PreprocessorRequest)
    case rollback(model: String, version: String)

    public init(json bytes: [UInt8]) throws {
        let v = try JSONParser.parse(bytes)
        if let kind = v["kind"]?.text {
            switch kind {
            case "preprocessor": self = .deployPreprocessor(try PreprocessorRequest(parsed: v))
            case "model": self = .deploy(try DeploymentRequest(json: bytes))
            default: throw EngineError("unknown kind '\(kind)' (known: model, preprocessor)")
            }
        } else if let action = v["action"]?.text {
            guard action == "rollback" else { throw EngineError("unknown action '\(action)' (known: rollback)") }
            guard let model = v["model"]?.text, let version = v["version"]?.text else { throw EngineError("rollback needs model and version") }
            self = .rollback(model: model, version: version)
        } else {
            self = .deploy(try DeploymentRequest(json: bytes))
        }
    }

    public static func rollbackRecord(model: String, version: String) -> [UInt8] {
        JSONWriter.encode(.object([("action", .string("rollback")), ("model", .string(model)), ("version", .string(version))]))
    }
}

/// A copy of a driver for a background snapshot: value types all the way down, so the copy shares nothing mutable
/// with the running driver.
struct DriverCopy: @unchecked Sendable {
    let driver: HostedDriver
}

/// Encodes one snapshot and appends it to the state topic, off the host loop.
final class SnapshotJob: Sendable {
    final class Progress: Sendable {
        let state = Mutex<(done: Bool, cost: Duration)>((false, .zero))
    }
    private let progress = Progress()
    let task: Task<Void, any Error>

    init(copy: DriverCopy, key: String, topic: String, log: any ProcessorLog, after appends: [PendingAppend]) {
        let progress = self.progress
        task = Task.detached {
            defer { progress.state.withLock { $0.done = true } }
            for a in appends { try await a.durable() }  // an error: no snapshot, the run ends and recovers
            let started = ContinuousClock.now
            let s = try copy.driver.snapshot()
            let bytes = s.encoded()
            progress.state.withLock { $0.cost = ContinuousClock.now - started }
            try await log.append([OutputBatch(topic: topic, partition: 0, records: [
                OutputRecord(topic: topic, key: Array(key.utf8), value: bytes, timestamp: Int64(Date().timeIntervalSince1970 * 1000)),
            ])])
        }
    }

    var isDone: Bool { progress.state.withLock { $0.done } }
    var cost: Duration { progress.state.withLock { $0.cost } }
}
