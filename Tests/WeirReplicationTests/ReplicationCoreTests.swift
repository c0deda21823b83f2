import NIOCore
import Testing
import WeirRecords
import WeirReplication
import WeirStorage
import WeirTestSupport

/// A hand-driven pair: messages are delivered only when the test says so, fsyncs run when asked.
final class ManualPair {
    final class Side {
        let disk = SimulatedDisk()
        let logs: Logs
        var core: ReplicationNode
        var outbox: [ReplicationMessage] = []
        var syncs: [PartitionKey] = []
        var acks: [ProduceToken] = []
        var failures: [ProduceToken: ProduceFailure] = [:]
        var audits: [AuditEvent] = []

        init(config: ReplicationConfig, now: Int64) throws {
            logs = Logs(disk: disk)
            core = try ReplicationNode(config: config, store: try DiskReplicationStateStore(disk: disk, directory: "/data"), logs: logs, now: now)
        }

        func take(_ actions: [ReplicationAction]) {
            for action in actions {
                switch action {
                case .send(let m): outbox.append(m)
                case .sync(let k): syncs.append(k)
                case .acknowledged(let t, _, _, _, _): acks.append(t)
                case .failed(let t, let why): failures[t] = why
                case .audit(let e): audits.append(e)
                default: break
                }
            }
        }

        func runSyncs(now: Int64) throws {
            while !syncs.isEmpty {
                let key = syncs.removeFirst()
                try logs.open[key]!.flush()
                take(core.syncCompleted(key, now: now))
            }
        }

        func restart(config: ReplicationConfig, now: Int64) throws {
            logs.open.removeAll()
            core = try ReplicationNode(config: config, store: try DiskReplicationStateStore(disk: disk, directory: "/data"), logs: logs, now: now)
            outbox.removeAll()
            syncs.removeAll()
            take(core.start(now: now))
        }
    }

    final class Logs: ReplicatedLogSet {
        let disk: SimulatedDisk
        var open: [PartitionKey: PartitionLog] = [:]
        var known: Set<PartitionKey> = []
        var config = LogConfig()
        init(disk: SimulatedDisk) { self.disk = disk }
        var keys: [PartitionKey] { known.sorted() }
        func log(_ key: PartitionKey) -> (any ReplicatedLog)? {
            guard known.contains(key) else { return nil }
            return try? create(key)
        }
        func create(_ key: PartitionKey) throws(StorageError) -> any ReplicatedLog {
            if let log = open[key] { return log }
            let log = try PartitionLog(directory: "/data/\(key)", config: config, disk: disk, logger: SimulatedPair.quietLogger, clock: { 0 })
            open[key] = log
            known.insert(key)
            return log
        }
    }

    var now: Int64 = 0
    let configs: [ReplicationConfig]
    let a: Side  // node 1, initially primary
    let b: Side  // node 2, initially replica

    init(allowDegraded: Bool = false) throws {
        var ca = ReplicationConfig(nodeId: 1, peerId: 2, initialRole: .primary)
        var cb = ReplicationConfig(nodeId: 2, peerId: 1, initialRole: .replica)
        ca.allowDegraded = allowDegraded
        cb.allowDegraded = allowDegraded
        configs = [ca, cb]
        a = try Side(config: ca, now: 0)
        b = try Side(config: cb, now: 0)
        a.take(a.core.start(now: 0))
        b.take(b.core.start(now: 0))
    }

    /// Delivers every queued message both ways (and the answers they provoke) until quiet, running fsyncs too.
    func settle(deliverTo targets: Set<NodeId> = [1, 2]) throws {
        var quietRounds = 0
        for _ in 0..<100 {
            try a.runSyncs(now: now)
            try b.runSyncs(now: now)
            let fromA = a.outbox, fromB = b.outbox
            a.outbox.removeAll()
            b.outbox.removeAll()
            if fromA.isEmpty && fromB.isEmpty {
                // Quiet: let a parked long poll expire once, then stop when that provokes nothing either.
                if quietRounds > 0 { return }
                quietRounds += 1
                now += configs[0].longPollMs
                a.take(a.core.tick(now: now))
                b.take(b.core.tick(now: now))
                continue
            }
            quietRounds = 0
            if targets.contains(2) { for m in fromA { b.take(b.core.receive(m, now: now)) } }
            if targets.contains(1) { for m in fromB { a.take(a.core.receive(m, now: now)) } }
            // A long poll parks the replica's fetch; let the clock run past it.
            now += 1
            a.take(a.core.tick(now: now))
            b.take(b.core.tick(now: now))
        }
    }

    func produce(_ side: Side, _ key: PartitionKey, token: UInt64, records: Int = 2) {
        side.take(side.core.append(makeTestBatch(records: records, valueSize: 10, seed: Int(token)), to: key, token: ProduceToken(token), now: now))
    }
}

@Suite struct EpochTests {
    @Test func epochsAreOwnedByParity() {
        #expect(Epoch.zero.next(ownedBy: 1, peer: 2) == Epoch(1))
        #expect(Epoch.zero.next(ownedBy: 2, peer: 1) == Epoch(2))
        #expect(Epoch(1).next(ownedBy: 1, peer: 2) == Epoch(3))
        #expect(Epoch(1).next(ownedBy: 2, peer: 1) == Epoch(2))
        #expect(Epoch(2).next(ownedBy: 1, peer: 2) == Epoch(3))
        // Racing promotions on both sides of a partition never pick the same epoch.
        for e in Int32(0)..<20 { #expect(Epoch(e).next(ownedBy: 1, peer: 2) != Epoch(e).next(ownedBy: 2, peer: 1)) }
    }

    @Test func leaderEpochsPackAndOrder() {
        let x = LeaderEpoch(epoch: Epoch(3), incarnation: 7)
        #expect(LeaderEpoch(packed: x.packed) == x)
        #expect(LeaderEpoch(epoch: Epoch(3), incarnation: 65535) < LeaderEpoch(epoch: Epoch(4), incarnation: 0))
        #expect(LeaderEpoch(packed: -1) == nil)
    }

    @Test func epochHistoryAnswersOffsetsForLeaderEpoch() {
        var h = EpochHistory()
        let e1 = LeaderEpoch(epoch: Epoch(1), incarnation: 1), e2 = LeaderEpoch(epoch: Epoch(1), incarnation: 2), e3 = LeaderEpoch(epoch: Epoch(2), incarnation: 1)
        h.record(e1, startOffset: 0)
        h.record(e1, startOffset: 5)
        h.record(e2, startOffset: 10)
        h.record(e3, startOffset: 20)
        #expect(h.endOffset(for: e1, logStartOffset: 0, logEndOffset: 30) == (e1, 10))
        #expect(h.endOffset(for: e3, logStartOffset: 0, logEndOffset: 30) == (e3, 30))
        // An epoch this log never had: the largest one below it, and where that one ends.
        #expect(h.endOffset(for: LeaderEpoch(epoch: Epoch(1), incarnation: 9), logStartOffset: 0, logEndOffset: 30) == (e2, 20))
        #expect(h.endOffset(for: LeaderEpoch.none, logStartOffset: 0, logEndOffset: 30) == (nil, 0))
        h.truncate(to: 20)
        #expect(h.latest == e2)
    }

    @Test func stateSurvivesACrash() throws {
        let disk = SimulatedDisk()
        let store = try DiskReplicationStateStore(disk: disk, directory: "/data")
        #expect(try store.load() == nil)
        try store.save(ReplicationState(epoch: Epoch(5), role: .primary, incarnation: 3))
        disk.crash(keepTornBytes: 100)
        #expect(try DiskReplicationStateStore(disk: disk, directory: "/data").load() == ReplicationState(epoch: Epoch(5), role: .primary, incarnation: 3))
    }
}

@Suite struct ReplicationCoreTests {
    let key = PartitionKey("orders", 0)

    @Test func acknowledgesOnlyOnceDurableOnBoth() throws {
        let pair = try ManualPair()
        try pair.settle()
        pair.produce(pair.a, key, token: 1)
        try pair.a.runSyncs(now: pair.now)
        #expect(pair.a.acks.isEmpty)  // durable on the primary only
        #expect(pair.a.core.highWatermark(key) == 0)
        // The replica fetches, appends, fsyncs and reports: now both have it.
        try pair.settle()
        #expect(pair.a.acks == [ProduceToken(1)])
        #expect(pair.a.core.highWatermark(key) == 2)
        #expect(pair.b.logs.open[key]!.logEndOffset == 2)
        // Byte for byte, including offsets and the primary's leader epoch.
        let x = try pair.a.logs.open[key]!.read(from: 0, maxBytes: 1 << 20, upTo: nil)
        let y = try pair.b.logs.open[key]!.read(from: 0, maxBytes: 1 << 20, upTo: nil)
        #expect(x == y)
        #expect(RecordBatchHeader(y, at: y.readerIndex)!.partitionLeaderEpoch == pair.a.core.leaderEpoch.packed)
    }

    @Test func replicaFollowsTheOffsetGapsCompactionLeaves() throws {
        let pair = try ManualPair()
        try pair.settle()
        pair.produce(pair.a, key, token: 1)  // offsets 0-1
        try pair.settle()
        // Compaction on the primary removed offsets 2..<10 (simulated: the next batch sits at offset 10).
        let log = pair.a.logs.open[key]!
        var later = makeTestBatch(records: 2, valueSize: 10, seed: 7)
        later.assign(baseOffset: 10, partitionLeaderEpoch: pair.a.core.leaderEpoch.packed)
        _ = try log.appendAsFollower(RecordBatch(unchecked: later.bytes, header: RecordBatchHeader(later.bytes, at: later.bytes.readerIndex)!))
        pair.produce(pair.a, key, token: 2)  // offsets 12-13
        try pair.settle()
        let replica = pair.b.logs.open[key]!
        #expect(replica.logEndOffset == 14)
        #expect(pair.a.acks.contains(ProduceToken(2)))
        #expect(try log.read(from: 0, maxBytes: 1 << 20, upTo: nil) == replica.read(from: 0, maxBytes: 1 << 20, upTo: nil))
    }

    @Test func aReplicaBehindThePrimarysLogStartRestartsThere() throws {
        let pair = try ManualPair()
        try pair.settle()
        pair.b.logs.config.segmentBytes = 256
        pair.a.logs.config.segmentBytes = 256
        pair.a.logs.config.retentionBytes = 600
        // The replica is away while the primary writes many small segments and retention deletes the oldest.
        for token in UInt64(1)...20 { pair.produce(pair.a, PartitionKey("audit", 0), token: token) }
        try pair.a.runSyncs(now: pair.now)
        let primaryLog = pair.a.logs.open[PartitionKey("audit", 0)]!
        #expect(try primaryLog.applyRetention() > 0)
        let start = primaryLog.logStartOffset
        #expect(start > 0)
        pair.a.outbox.removeAll()
        try pair.settle()
        let replicaLog = try #require(pair.b.logs.open[PartitionKey("audit", 0)])
        #expect(replicaLog.logStartOffset == start)
        #expect(replicaLog.logEndOffset == primaryLog.logEndOffset)
        #expect(try primaryLog.read(from: start, maxBytes: 1 << 20, upTo: nil) == replicaLog.read(from: start, maxBytes: 1 << 20, upTo: nil))
        // Writes are acknowledged again once the replica caught up.
        pair.produce(pair.a, PartitionKey("audit", 0), token: 99)
        try pair.settle()
        #expect(pair.a.acks.contains(ProduceToken(99)))
    }

    @Test func leaderEpochCheckpointMatchesTheLogAcrossRestarts() throws {
        let pair = try ManualPair()
        try pair.settle()
        pair.produce(pair.a, key, token: 1)
        try pair.settle()
        try pair.a.restart(config: pair.configs[0], now: pair.now)  // a new incarnation: a new epoch entry
        try pair.settle()
        pair.produce(pair.a, key, token: 2)
        try pair.settle()
        #expect(pair.a.acks.contains(ProduceToken(2)))
        for side in [pair.a, pair.b] {
            let log = side.logs.open[key]!
            let checkpoint = try #require(try log.readSidecar("leader-epoch-checkpoint"))
            #expect(checkpoint.hasPrefix("weir-leader-epochs v1\n"))
            let loaded = try EpochHistory(loading: log)
            #expect(loaded == (try EpochHistory(scanning: log)))
            #expect(loaded.entries.count == 2)
        }
    }

    @Test func failsWithNotEnoughReplicasWhenTheReplicaIsSilent() throws {
        let pair = try ManualPair()
        try pair.settle()
        pair.produce(pair.a, key, token: 1)
        try pair.a.runSyncs(now: pair.now)
        pair.now += pair.configs[0].ackTimeoutMs
        pair.a.take(pair.a.core.tick(now: pair.now))
        #expect(pair.a.failures[ProduceToken(1)] == .notEnoughReplicasAfterAppend)

        #expect(pair.a.acks.isEmpty)
    }

    @Test func degradedAcknowledgementIsOptInAndAudited() throws {
        let pair = try ManualPair(allowDegraded: true)
        try pair.settle()
        pair.now += pair.configs[0].replicaLossMs
        pair.a.take(pair.a.core.tick(now: pair.now))
        #expect(pair.a.audits.contains(.acknowledgingAlone(.operatorDegraded)))
        pair.produce(pair.a, key, token: 1)
        try pair.a.runSyncs(now: pair.now)
        #expect(pair.a.acks == [ProduceToken(1)])  // alone
        // The replica comes back and catches up: synchronous again.
        pair.b.take(pair.b.core.tick(now: pair.now + 10_000))
        try pair.settle()
        #expect(pair.a.audits.contains(.synchronous))
        #expect(pair.a.core.solo == nil)
    }

    @Test func promotionIsRefusedWhilePrimaryAnswersUnlessForced() throws {
        let pair = try ManualPair()
        try pair.settle()
        #expect(pair.b.core.promote(force: false, now: pair.now).0 == .primaryReachable)
        #expect(pair.a.core.promote(force: false, now: pair.now).0 == .alreadyPrimary)
        let (result, actions) = pair.b.core.promote(force: false, now: pair.now + 5_000)
        pair.b.take(actions)
        #expect(result == .promoted(Epoch(2)))
        #expect(pair.b.core.solo == .promotion)
    }

    @Test func staleFormerPrimaryStepsDownAndTruncatesItsUnacknowledgedSuffix() throws {
        let pair = try ManualPair()
        try pair.settle()
        pair.produce(pair.a, key, token: 1)
        try pair.settle()
        #expect(pair.a.acks == [ProduceToken(1)])
        // The replica is cut off and promoted; the old primary appends records nobody acknowledges.
        let (result, actions) = pair.b.core.promote(force: true, now: pair.now)
        pair.b.take(actions)
        #expect(result == .promoted(Epoch(2)))
        pair.produce(pair.a, key, token: 2, records: 3)
        try pair.a.runSyncs(now: pair.now)
        pair.a.outbox.removeAll()
        pair.produce(pair.b, key, token: 3, records: 1)
        try pair.b.runSyncs(now: pair.now)
        #expect(pair.b.acks == [ProduceToken(3)])  // the promoted primary acknowledges alone
        #expect(pair.a.acks == [ProduceToken(1)])  // the stale one never does
        // The stale primary probes, learns epoch 2, steps down, truncates and catches up.
        pair.now += 2_000
        pair.a.take(pair.a.core.tick(now: pair.now))
        try pair.settle()
        #expect(pair.a.core.role == .replica)
        #expect(pair.a.failures[ProduceToken(2)] == .notPrimary)
        #expect(pair.a.audits.contains(.truncated(key, from: 5, to: 2)))
        let x = try pair.a.logs.open[key]!.read(from: 0, maxBytes: 1 << 20, upTo: nil)
        let y = try pair.b.logs.open[key]!.read(from: 0, maxBytes: 1 << 20, upTo: nil)
        #expect(x == y)
        #expect(pair.b.core.solo == nil)  // caught up: synchronous again
        #expect(pair.b.core.highWatermark(key) == 3)
    }

    @Test func aReplicaMissingLoneAcknowledgementsCannotBePromotedEvenForced() throws {
        let pair = try ManualPair()
        pair.produce(pair.a, key, token: 1)
        try pair.settle()
        let (result, actions) = pair.b.core.promote(force: true, now: pair.now)
        pair.b.take(actions)
        #expect(result == .promoted(Epoch(2)))
        pair.produce(pair.b, key, token: 2)
        try pair.b.runSyncs(now: pair.now)
        #expect(pair.b.acks == [ProduceToken(2)])  // alone: node 1 does not have it
        // Node 1 learns epoch 2 and steps down, but is not in sync until it caught up.
        pair.a.take(pair.a.core.receive(.notice(EpochNotice(epoch: pair.b.core.leaderEpoch, nodeId: 2, role: .primary)), now: pair.now))
        #expect(pair.a.core.role == .replica)
        #expect(pair.a.core.promote(force: true, now: pair.now + 10_000).0 == .notInSync)
        // A restart of the lone primary keeps it acknowledging alone (persisted).
        try pair.b.restart(config: pair.configs[1], now: pair.now)
        #expect(pair.b.core.solo == .promotion)
        pair.a.outbox.removeAll()
        pair.a.take(pair.a.core.tick(now: pair.now + 10_000))  // fetch again (the old one died with the restart)
        try pair.settle()
        #expect(pair.b.core.solo == nil)
        #expect(pair.a.core.state.inSync)
        #expect(pair.a.core.promote(force: true, now: pair.now).0 == .promoted(Epoch(3)))
    }

    @Test func restartedPrimaryGetsANewIncarnation() throws {
        let pair = try ManualPair()
        try pair.settle()
        let before = pair.a.core.leaderEpoch
        try pair.a.restart(config: pair.configs[0], now: pair.now)
        #expect(pair.a.core.leaderEpoch.epoch == before.epoch)
        #expect(pair.a.core.leaderEpoch.incarnation == before.incarnation + 1)
        pair.produce(pair.a, key, token: 1)
        try pair.settle()
        #expect(pair.a.acks == [ProduceToken(1)])
    }

    @Test func replicaCreatesPartitionsThePrimaryReports() throws {
        let pair = try ManualPair()
        try pair.settle()
        let other = PartitionKey("__metadata", 0)
        pair.produce(pair.a, other, token: 1)
        try pair.settle()
        #expect(pair.b.logs.known.contains(other))
        #expect(pair.a.acks == [ProduceToken(1)])
    }
}

@Suite struct MessageCodecTests {
    static let samples: [ReplicationMessage] = {
        let e = LeaderEpoch(epoch: Epoch(3), incarnation: 2)
        let records = makeTestBatch(records: 3, valueSize: 20).bytes
        return [
            .fetch(ReplicaFetch(epoch: e, replicaId: 2, fetchId: 9, partitions: [
                .init(key: PartitionKey("orders", 0), fetchOffset: 10, durableOffset: 8, lastFetchedEpoch: e),
                .init(key: PartitionKey("__metadata", 0), fetchOffset: 0, durableOffset: 0, lastFetchedEpoch: nil),
            ])),
            .fetchResponse(ReplicaFetchResponse(epoch: e, primaryId: 1, fetchId: 9, synchronous: true, partitions: [
                .init(key: PartitionKey("orders", 0), fetchOffset: 10, lastFetchedEpoch: e, highWatermark: 8, logStartOffset: 0, records: records, divergence: nil),
                .init(key: PartitionKey("orders", 1), fetchOffset: 4, lastFetchedEpoch: nil, highWatermark: 2, logStartOffset: 0, records: ByteBuffer(),
                      divergence: Divergence(epoch: LeaderEpoch(epoch: Epoch(1), incarnation: 1), endOffset: 3)),
            ])),
            .durable(ReplicaDurable(epoch: e, replicaId: 2, partitions: [.init(key: PartitionKey("orders", 0), durableOffset: 13)])),
            .notice(EpochNotice(epoch: e, nodeId: 1, role: .primary)),
            .notice(EpochNotice(epoch: .none, nodeId: 2, role: .replica)),
        ]
    }()

    @Test(arguments: samples) func roundTrips(_ message: ReplicationMessage) throws {
        var wire = ByteBuffer()
        message.encode(into: &wire)
        #expect(try ReplicationMessage.decode(wire) == message)
        // Every truncation and every single-byte corruption is refused or decoded, never a trap.
        for length in 0..<wire.readableBytes {
            #expect(throws: ReplicationCodecError.self) { try ReplicationMessage.decode(wire.getSlice(at: wire.readerIndex, length: length)!) }
        }
        for index in 0..<wire.readableBytes {
            var corrupt = wire
            corrupt.setInteger(corrupt.getInteger(at: index, as: UInt8.self)! ^ 0xFF, at: index)
            _ = try? ReplicationMessage.decode(corrupt)
        }
    }
}
