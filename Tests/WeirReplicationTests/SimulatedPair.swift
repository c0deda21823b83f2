import Logging
import NIOCore
import WeirRecords
import WeirReplication
import WeirStorage
import WeirTestSupport

/// A violated invariant: the message names it; the simulation adds the seed and the last events.
struct SimulationFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// An acknowledged produce as the client saw it: where it landed and what it was.
struct AckedBatch: Hashable {
    var key: PartitionKey
    var baseOffset: Int64
    var lastOffset: Int64
    var crc: UInt32
    var epoch: LeaderEpoch
    var node: NodeId
}

/// A `PartitionLog` on a `SimulatedDisk`, wrapped so that every truncation is checked against the
/// acknowledged set before it happens: replication may only ever discard never-acknowledged records.
final class CheckedLog: ReplicatedLog {
    let inner: PartitionLog
    let key: PartitionKey
    unowned let world: SimulatedPair
    let node: NodeId

    init(inner: PartitionLog, key: PartitionKey, world: SimulatedPair, node: NodeId) {
        self.inner = inner
        self.key = key
        self.world = world
        self.node = node
    }

    var logStartOffset: Int64 { inner.logStartOffset }
    var logEndOffset: Int64 { inner.logEndOffset }
    var durableOffset: Int64 { inner.durableOffset }
    func append(_ batch: RecordBatch, leaderEpoch: Int32) throws(StorageError) -> PartitionLog.AppendInfo { try inner.append(batch, leaderEpoch: leaderEpoch) }
    func read(from offset: Int64, maxBytes: Int, upTo: Int64?) throws(StorageError) -> ByteBuffer { try inner.read(from: offset, maxBytes: maxBytes, upTo: upTo) }
    func appendAsFollower(_ batch: RecordBatch) throws(StorageError) -> PartitionLog.AppendInfo { try inner.appendAsFollower(batch) }
    func readSidecar(_ name: String) throws(StorageError) -> String? { try inner.readSidecar(name) }
    func writeSidecar(_ name: String, _ text: String) throws(StorageError) { try inner.writeSidecar(name, text) }
    func reset(startingAt offset: Int64) throws(StorageError) {
        world.checkTruncation(node: node, key: key, log: inner, to: offset)
        try inner.reset(startingAt: offset)
    }
    func advanceLogStart(to offset: Int64) throws(StorageError) -> Int64 { try inner.advanceLogStart(to: offset) }
    func truncate(to offset: Int64) throws(StorageError) {
        world.checkTruncation(node: node, key: key, log: inner, to: offset)
        try inner.truncate(to: offset)
    }
}

/// The partitions of one simulated node: a fixed universe of keys, each a directory on the node's disk.
final class SimulatedLogSet: ReplicatedLogSet {
    let disk: SimulatedDisk
    let node: NodeId
    unowned let world: SimulatedPair
    var open: [PartitionKey: CheckedLog] = [:]
    let config: LogConfig

    init(disk: SimulatedDisk, node: NodeId, world: SimulatedPair, config: LogConfig) {
        self.disk = disk
        self.node = node
        self.world = world
        self.config = config
    }

    func directory(_ key: PartitionKey) -> String { "/data/\(key.topic)-\(key.partition)" }

    private func onDisk(_ key: PartitionKey) -> Bool {
        ((try? disk.list(directory(key))) ?? []).contains { $0.hasSuffix(".log") }
    }

    var keys: [PartitionKey] { SimulatedPair.universe.filter { open[$0] != nil || onDisk($0) } }

    func log(_ key: PartitionKey) -> (any ReplicatedLog)? {
        if let log = open[key] { return log }
        guard onDisk(key) else { return nil }
        return try? create(key)
    }

    func create(_ key: PartitionKey) throws(StorageError) -> any ReplicatedLog {
        if let log = open[key] { return log }
        let inner = try PartitionLog(directory: directory(key), config: config, disk: disk, logger: SimulatedPair.quietLogger, clock: { 0 })
        let log = CheckedLog(inner: inner, key: key, world: world, node: node)
        open[key] = log
        return log
    }
}

/// One node of the simulated pair: its disk survives crashes; logs and core are rebuilt on restart.
final class SimulatedNode {
    let id: NodeId
    let peer: NodeId
    let initialRole: Role
    let disk = SimulatedDisk()
    var logs: SimulatedLogSet?
    var core: ReplicationNode?
    /// Syncs requested and not yet run (run as separate events, so crashes can fall in between).
    var pendingSyncs: [PartitionKey] = []
    /// Incremented at every restart: HW monotonicity is checked within one incarnation.
    var incarnation = 0
    var highWatermarks: [PartitionKey: Int64] = [:]
    var downSince: Int64 = 0

    init(id: NodeId, peer: NodeId, initialRole: Role) {
        self.id = id
        self.peer = peer
        self.initialRole = initialRole
    }

    var isUp: Bool { core != nil }
}

/// Two nodes, a client and an operator over a faulty network, all driven by one seeded generator and an
/// injected clock. Faults: message loss, duplication, reordering and delay, network partitions, crashes
/// at any step with torn writes, fsync failures, promotions (forced or not).
final class SimulatedPair {
    static let universe = [PartitionKey("orders", 0), PartitionKey("orders", 1), PartitionKey("__metadata", 0)]
    /// Produced batches come from a fixed pool (building one per produce dominated the run time); the
    /// invariants identify a batch by its offsets, CRC and leader epoch, so a repeat is still told apart.
    static let batchPool: [RecordBatch] = (1...128).map { i in makeTestBatch(records: 1 + i % 4, valueSize: 1 + (i * 7) % 60, seed: i) }
    static let quietLogger = Logger(label: "weir.sim", factory: { _ in SwiftLogNoOpLogHandler() })

    struct Knobs {
        var dropPercent = 5
        var duplicatePercent = 3
        var crashPerMille = 8
        var partitionPerMille = 8
        var syncFailurePerMille = 3
        var promotePerMille = 10
        var forcedPromotePerMille = 2
        var segmentBytes = 1 << 30
    }

    let seed: UInt64
    var rng: SplitMix64
    let knobs: Knobs
    var now: Int64 = 1_000
    var nodes: [SimulatedNode]
    var inFlight: [(to: NodeId, message: ReplicationMessage, deliverAt: Int64)] = []
    var partitioned = false
    var faultsOn = true
    var clientPrimaryGuess: NodeId = 1
    var nextToken: UInt64 = 1
    var pending: [ProduceToken: (node: NodeId, key: PartitionKey, crc: UInt32)] = [:]
    var acked: [AckedBatch] = []
    var ackerOfEpoch: [Epoch: NodeId] = [:]
    var trace: [String] = []
    var failure: SimulationFailure?
    var stats = Stats()

    struct Stats {
        var steps = 0, acks = 0, crashes = 0, promotions = 0, truncations = 0, timeouts = 0, delivered = 0, healSteps = 0
    }

    func config(for node: SimulatedNode) -> ReplicationConfig {
        var c = ReplicationConfig(nodeId: node.id, peerId: node.peer, initialRole: node.initialRole)
        c.ackTimeoutMs = 400
        c.longPollMs = 50
        c.fetchRetryMs = 150
        c.primaryLossMs = 200
        c.replicaLossMs = 200
        c.maxFetchBytes = 600
        return c
    }

    init(seed: UInt64, knobs: Knobs = Knobs()) {
        self.seed = seed
        self.rng = SplitMix64(seed: seed)
        self.knobs = knobs
        self.nodes = [SimulatedNode(id: 1, peer: 2, initialRole: .primary), SimulatedNode(id: 2, peer: 1, initialRole: .replica)]
        for node in nodes { start(node) }
    }

    func node(_ id: NodeId) -> SimulatedNode { nodes[Int(id) - 1] }

    func note(_ line: @autoclosure () -> String) {
        trace.append("t=\(now) \(line())")
        if trace.count > 60 { trace.removeFirst(trace.count - 60) }
    }

    func fail(_ message: String) {
        guard failure == nil else { return }
        failure = SimulationFailure(message: "seed \(seed): \(message)\n  last events:\n    " + trace.joined(separator: "\n    "))
    }

    func chance(perMille: Int) -> Bool { Int.random(in: 0..<1000, using: &rng) < perMille }

    // MARK: Node lifecycle

    func start(_ node: SimulatedNode) {
        var logConfig = LogConfig()
        logConfig.segmentBytes = knobs.segmentBytes
        let logs = SimulatedLogSet(disk: node.disk, node: node.id, world: self, config: logConfig)
        do throws(StorageError) {
            let store = try DiskReplicationStateStore(disk: node.disk, directory: "/data")
            let core = try ReplicationNode(config: config(for: node), store: store, logs: logs, now: now)
            node.logs = logs
            node.core = core
            node.incarnation += 1
            node.highWatermarks = [:]
            node.pendingSyncs = []
            note("node \(node.id) starts as \(core.state)")
            apply(core.start(now: now), from: node)
            checkNode(node)
        } catch {
            fail("node \(node.id) cannot start: \(error)")
        }
    }

    func crash(_ node: SimulatedNode, why: String) {
        guard node.isUp else { return }
        let torn = Int.random(in: 0...3, using: &rng) == 0 ? Int.random(in: 1...400, using: &rng) : 0
        note("node \(node.id) crashes (\(why)), keeping \(torn) torn bytes")
        node.core = nil
        node.logs = nil
        node.pendingSyncs = []
        node.disk.crash(keepTornBytes: torn)
        node.downSince = now
        stats.crashes += 1
        for (token, p) in pending where p.node == node.id { pending.removeValue(forKey: token) }
    }

    // MARK: Actions

    func apply(_ actions: [ReplicationAction], from node: SimulatedNode) {
        for action in actions {
            switch action {
            case .send(let message):
                send(message, from: node)
            case .sync(let key):
                node.pendingSyncs.append(key)
            case .acknowledged(let token, let key, let base, let last, let epoch):
                guard let p = pending.removeValue(forKey: token) else {
                    fail("ack of unknown token \(token)")
                    return
                }
                if p.node != node.id || p.key != key { fail("token \(token) acknowledged by the wrong node or partition") }
                if let other = ackerOfEpoch[epoch.epoch], other != node.id {
                    fail("two nodes acknowledge in \(epoch.epoch): \(other) and \(node.id)")  // invariant 2
                }
                ackerOfEpoch[epoch.epoch] = node.id
                let ack = AckedBatch(key: key, baseOffset: base, lastOffset: last, crc: p.crc, epoch: epoch, node: node.id)
                note("node \(node.id) acknowledges \(key)[\(base)...\(last)] in \(epoch)")
                acked.append(ack)
                stats.acks += 1
                if let core = node.core, core.highWatermark(key) <= last { fail("ack of \(key)@\(last) above the high watermark \(core.highWatermark(key))") }
            case .failed(let token, let why):
                pending.removeValue(forKey: token)
                if why == .notEnoughReplicas || why == .notEnoughReplicasAfterAppend { stats.timeouts += 1 }
            case .highWatermark(let key, let hw):
                let previous = node.highWatermarks[key] ?? 0
                if hw < previous { fail("node \(node.id) high watermark of \(key) moved back \(previous) → \(hw)") }  // invariant 4
                node.highWatermarks[key] = hw
            case .truncated(let key, let to):
                stats.truncations += 1
                note("node \(node.id) truncates \(key) to \(to)")
            case .audit(let event):
                if case .discardedAcknowledged = event { fail("node \(node.id): \(event)") }
                if case .promoted = event { stats.promotions += 1 }
                note("node \(node.id) audit \(event)")
            case .offline(let reason):
                note("node \(node.id) offline: \(reason)")
                crash(node, why: "offline")
                return
            case .stateChanged(let state):
                note("node \(node.id) state \(state)")
            case .partitionCreated:
                break
            }
        }
    }

    func send(_ message: ReplicationMessage, from node: SimulatedNode) {
        // Every message crosses the wire codec, so the schedules exercise it too.
        var wire = ByteBuffer()
        message.encode(into: &wire)
        let message: ReplicationMessage
        do throws(ReplicationCodecError) { message = try ReplicationMessage.decode(wire) } catch {
            fail("codec: \(error)")
            return
        }
        if partitioned { return }
        if faultsOn && Int.random(in: 0..<100, using: &rng) < knobs.dropPercent { return }
        let delay = Int64.random(in: 1...(faultsOn ? 40 : 5), using: &rng)
        inFlight.append((node.peer, message, now + delay))
        if faultsOn && Int.random(in: 0..<100, using: &rng) < knobs.duplicatePercent {
            inFlight.append((node.peer, message, now + delay + Int64.random(in: 0...60, using: &rng)))
        }
    }

    // MARK: Steps

    enum Step { case deliver, sync, append, tick, crash, restart, partition, syncFailure, promote }

    /// One event of the schedule. Returns false once a failure was recorded.
    @discardableResult
    func step() -> Bool {
        stats.steps += 1
        now += Int64.random(in: 1...15, using: &rng)
        let roll = Int.random(in: 0..<1000, using: &rng)
        if faultsOn {
            if roll < knobs.crashPerMille {
                let victim = nodes[Int.random(in: 0...1, using: &rng)]
                crash(victim, why: "injected")
            } else if roll < knobs.crashPerMille + knobs.partitionPerMille {
                partitioned.toggle()
                note(partitioned ? "network partitioned" : "network healed")
                if partitioned { inFlight.removeAll() }
            } else if roll < knobs.crashPerMille + knobs.partitionPerMille + knobs.syncFailurePerMille {
                let victim = nodes[Int.random(in: 0...1, using: &rng)]
                if victim.isUp {
                    note("node \(victim.id) disk fails fsyncs")
                    victim.disk.failSyncs(errno: 5)
                }
            } else if roll < knobs.crashPerMille + knobs.partitionPerMille + knobs.syncFailurePerMille + knobs.promotePerMille {
                operatorPromotes(force: chance(perMille: 1000 * knobs.forcedPromotePerMille / max(1, knobs.promotePerMille)))
            }
        }
        // Restart nodes that have been down a while.
        for node in nodes where !node.isUp && now - node.downSince > 150 && (chance(perMille: 300) || !faultsOn) { start(node) }
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...3: deliverOne()
        case 4...5: runOneSync()
        case 6...7: if faultsOn { clientAppends() }  // healed: only the liveness probe's own produces
        default:
            for node in nodes { if let core = node.core { apply(core.tick(now: now), from: node) } }
        }
        if stats.steps % 40 == 0 { checkAll() }
        return failure == nil
    }

    func deliverOne() {
        let ready = inFlight.indices.filter { inFlight[$0].deliverAt <= now }
        guard !ready.isEmpty else { return }
        let index = faultsOn ? ready[Int.random(in: 0..<ready.count, using: &rng)] : ready[0]  // reordering
        let (to, message, _) = inFlight.remove(at: index)
        if partitioned { return }
        let node = node(to)
        guard let core = node.core else { return }
        stats.delivered += 1
        apply(core.receive(message, now: now), from: node)
    }

    func runOneSync() {
        let candidates = nodes.filter { $0.isUp && !$0.pendingSyncs.isEmpty }
        guard !candidates.isEmpty else { return }
        let node = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
        let key = node.pendingSyncs.removeFirst()
        guard let log = node.logs?.open[key], let core = node.core else { return }
        do throws(StorageError) {
            try log.inner.flush()
        } catch {
            apply(core.syncFailed(key, error: "\(error)"), from: node)
            return
        }
        apply(core.syncCompleted(key, now: now), from: node)
    }

    func clientAppends() {
        // The client sends to the node it believes is primary, switching on NOT_LEADER.
        var target = node(clientPrimaryGuess)
        if target.core?.role != .primary {
            clientPrimaryGuess = clientPrimaryGuess == 1 ? 2 : 1
            target = node(clientPrimaryGuess)
        }
        guard let core = target.core else { return }
        let key = Self.universe[Int.random(in: 0..<Self.universe.count, using: &rng)]
        let batch = Self.batchPool[Int.random(in: 0..<Self.batchPool.count, using: &rng)]
        let token = ProduceToken(nextToken)
        nextToken += 1
        pending[token] = (target.id, key, batch.header.crc)
        apply(core.append(batch, to: key, token: token, now: now), from: target)
    }

    func operatorPromotes(force: Bool) {
        let candidates = nodes.filter { $0.core?.role == .replica }
        guard let node = candidates.first, let core = node.core else { return }
        let (result, actions) = core.promote(force: force, now: now)
        note("operator promotes node \(node.id) (force: \(force)): \(result)")
        apply(actions, from: node)
    }

    // MARK: Invariants

    /// One batch as the invariants compare it: offsets, CRC (covers every record) and leader epoch.
    struct BatchSummary: Hashable {
        var baseOffset: Int64
        var lastOffset: Int64
        var crc: UInt32
        var leaderEpoch: Int32
    }

    /// Every batch of `log` in offset order (one pass over all its segments).
    func summaries(_ log: PartitionLog) -> [BatchSummary] {
        var result: [BatchSummary] = []
        var offset = log.logStartOffset
        let end = log.logEndOffset
        while offset < end {
            guard let chunk = try? log.read(from: offset, maxBytes: 1 << 20, upTo: nil) else { break }
            var scanner = RecordBatchScanner(chunk, verifyCRC: false)
            var advanced = false
            while let (_, h) = scanner.next() {
                result.append(BatchSummary(baseOffset: h.baseOffset, lastOffset: h.lastOffset, crc: h.crc, leaderEpoch: h.partitionLeaderEpoch))
                offset = h.nextOffset
                advanced = true
            }
            if !advanced { break }
        }
        return result
    }

    func holds(_ batches: [Int64: BatchSummary], _ ack: AckedBatch) -> Bool {
        guard let b = batches[ack.baseOffset] else { return false }
        return b.lastOffset == ack.lastOffset && b.crc == ack.crc && b.leaderEpoch == ack.epoch.packed
    }

    func holds(_ log: PartitionLog, _ ack: AckedBatch) -> Bool {
        guard ack.lastOffset < log.logEndOffset, ack.baseOffset >= log.logStartOffset,
            let bytes = try? log.read(from: ack.baseOffset, maxBytes: 1, upTo: nil),
            let header = RecordBatchHeader(bytes, at: bytes.readerIndex)
        else { return false }
        return header.baseOffset == ack.baseOffset && header.lastOffset == ack.lastOffset && header.crc == ack.crc
            && header.partitionLeaderEpoch == ack.epoch.packed  // the CRC does not cover it; pooled batches repeat
    }

    /// Each partition's batches on `node`, by base offset and in order (empty for a missing partition).
    func snapshot(_ node: SimulatedNode) -> [PartitionKey: [BatchSummary]] {
        var result: [PartitionKey: [BatchSummary]] = [:]
        guard let logs = node.logs else { return result }
        for key in Self.universe {
            if let log = logs.log(key) as? CheckedLog { result[key] = summaries(log.inner) }
        }
        return result
    }

    func checkNode(_ node: SimulatedNode, snapshot given: [PartitionKey: [BatchSummary]]? = nil) {
        guard let core = node.core else { return }
        let snap = given ?? snapshot(node)
        var byOffset: [PartitionKey: [Int64: BatchSummary]] = [:]
        for (key, batches) in snap { byOffset[key] = Dictionary(batches.map { ($0.baseOffset, $0) }, uniquingKeysWith: { a, _ in a }) }
        for ack in acked {
            // Invariant 1: on a primary, every acknowledgement of its epoch or before; elsewhere, below its HW.
            let mustHold = (core.role == .primary && ack.epoch.epoch <= core.state.epoch) || core.highWatermark(ack.key) > ack.lastOffset
            if mustHold && !holds(byOffset[ack.key] ?? [:], ack) {
                fail("node \(node.id) (\(core.state), hw \(core.highWatermark(ack.key))) lost acknowledged \(ack)")
                return
            }
        }
    }

    func checkAll() {
        let snaps = nodes.map { snapshot($0) }
        for (node, snap) in zip(nodes, snaps) { checkNode(node, snapshot: snap) }
        // Invariant 3: both logs identical below min(HW).
        guard let a = nodes[0].core, let b = nodes[1].core else { return }
        for key in Self.universe {
            let limit = min(a.highWatermark(key), b.highWatermark(key))
            guard limit > 0 else { continue }
            guard let x = snaps[0][key], let y = snaps[1][key] else {
                fail("\(key) below both high watermarks (\(limit)) but missing on a node")
                return
            }
            if x.prefix(while: { $0.lastOffset < limit }) != y.prefix(while: { $0.lastOffset < limit }) {
                func show(_ s: [BatchSummary]) -> String {
                    s.prefix(while: { $0.lastOffset < limit }).map { "\($0.baseOffset)-\($0.lastOffset)@\(LeaderEpoch(packed: $0.leaderEpoch).map { "\($0)" } ?? "-")" }.joined(separator: " ")
                }
                fail("logs of \(key) differ below min(HW) = \(limit)\n  node 1: \(show(x))\n  node 2: \(show(y))")
            }
        }
    }

    /// Called by `CheckedLog` before a truncation: nothing acknowledged may be in the discarded suffix.
    func checkTruncation(node: NodeId, key: PartitionKey, log: PartitionLog, to offset: Int64) {
        for ack in acked where ack.key == key && ack.lastOffset >= offset && holds(log, ack) {
            fail("node \(node) truncates \(key) to \(offset), discarding acknowledged \(ack)")
        }
    }

    // MARK: Liveness

    /// Heals everything and checks the pair converges within a bounded number of steps: one primary, a
    /// replica of its epoch with the same logs, high watermark at the primary's log end, nothing pending;
    /// then new produces are acknowledged synchronously.
    func healAndConverge(maxSteps: Int = 3_000) {
        checkAll()
        faultsOn = false
        partitioned = false
        for node in nodes { node.disk.failSyncs(errno: nil) }
        note("healing: no more faults")
        var steps = 0
        var appendsAfterConvergence = 0
        while failure == nil && steps < maxSteps {
            steps += 1
            step()
            if converged() {
                if appendsAfterConvergence >= 5 && pending.isEmpty { break }
                if appendsAfterConvergence < 5 {
                    clientAppends()
                    appendsAfterConvergence += 1
                }
            }
        }
        guard failure == nil else { return }
        stats.healSteps = steps
        guard steps < maxSteps else {
            let states = nodes.map { n in n.core.map { c in "node \(n.id) \(c.state) solo \(String(describing: c.solo)) " + Self.universe.map { k in "\(k): leo \(n.logs?.open[k]?.logEndOffset ?? -1) hw \(c.highWatermark(k))" }.joined(separator: ", ") } ?? "node \(n.id) down" }
            fail("no convergence within \(maxSteps) healed steps: \(states.joined(separator: " | ")); pending \(pending.count)")
            return
        }
        checkAll()
        // Every acknowledged record is on both nodes at the end.
        for node in nodes {
            let byOffset = snapshot(node).mapValues { batches in Dictionary(batches.map { ($0.baseOffset, $0) }, uniquingKeysWith: { a, _ in a }) }
            for ack in acked where !holds(byOffset[ack.key] ?? [:], ack) {
                fail("after convergence node \(node.id) lacks acknowledged \(ack)")
                return
            }
        }
    }

    func converged() -> Bool {
        guard let a = nodes[0].core, nodes[1].core != nil else { return false }
        let (primary, replica) = a.role == .primary ? (nodes[0], nodes[1]) : (nodes[1], nodes[0])
        guard let p = primary.core, let r = replica.core, p.role == .primary, r.role == .replica, p.solo == nil,
            r.leaderEpoch == p.leaderEpoch, pending.isEmpty
        else { return false }
        for key in p.partitionKeys {
            guard let pl = primary.logs?.open[key], let rl = replica.logs?.open[key] else { return false }
            if rl.logEndOffset != pl.logEndOffset || p.highWatermark(key) != pl.logEndOffset || rl.durableOffset != rl.logEndOffset { return false }
        }
        return true
    }
}
