import NIOCore
import WeirRecords
import WeirStorage

/// The replication state machine of one node of the pair, sans I/O: the driver feeds it events (a client
/// append, a message from the peer, an fsync done, a clock tick, an operator promotion) with the time of
/// an injected clock, and carries out the actions it returns. Logs are touched directly (quick page-cache
/// operations); fsync, sending and timers are the driver's.
///
/// Not thread-safe: one event at a time (the broker: one serial executor; the simulation: one loop).
public final class ReplicationNode {
    public let config: ReplicationConfig
    private let store: any ReplicationStateStore
    private let logs: any ReplicatedLogSet

    /// The persisted state (epoch, role, incarnation). Changed only after it was saved.
    public private(set) var state: ReplicationState
    /// Primary: its own (epoch, incarnation). Replica: the newest primary incarnation it has heard of.
    public private(set) var leaderEpoch: LeaderEpoch
    /// Set once the node stopped acting (failed to persist its state or to write a log).
    public private(set) var offlineReason: String?
    /// Primary: why it acknowledges alone, nil while synchronous.
    public private(set) var solo: SoloReason?

    final class PartitionState {
        let key: PartitionKey
        let log: any ReplicatedLog
        var history: EpochHistory
        /// Offsets below it are acknowledged (durable on both nodes, or on the primary acknowledging alone).
        var highWatermark: Int64 = 0
        var syncInFlight = false
        // Primary side.
        /// The replica's durable end as reported in the current leader epoch, over records it was
        /// confirmed to share with this primary.
        var replicaDurable: Int64 = 0
        var pending: [Pending] = []
        // Replica side.
        /// [0, matchedOffset) is confirmed identical to the current primary incarnation's log.
        var matchedOffset: Int64 = 0
        var reportedDurable: Int64 = 0

        init(key: PartitionKey, log: any ReplicatedLog, history: EpochHistory) {
            self.key = key
            self.log = log
            self.history = history
        }
    }

    struct Pending {
        var token: ProduceToken
        var baseOffset: Int64
        var endOffset: Int64
        var deadline: Int64
    }

    private var partitions: [PartitionKey: PartitionState] = [:]
    // Primary side.
    private var lastReplicaContact: Int64 = 0
    private var lastProbe: Int64?
    private var parkedFetch: (fetch: ReplicaFetch, deadline: Int64)?
    /// A fetch of our current leader epoch arrived since we started acknowledging alone: required before
    /// going back to synchronous (the replica must be there, not merely "not behind" on empty logs).
    private var replicaFetchedSinceSolo = false
    // Replica side.
    private var outstandingFetch: (id: UInt64, sentAt: Int64)?
    private var nextFetchId: UInt64 = 1
    private var lastPrimaryContact: Int64?

    /// Opens the node: loads (or initialises and persists) its state, rebuilds every partition's epoch
    /// history from its batch headers. A node that was primary comes back as primary of a new incarnation
    /// (persisted first), synchronous: it acknowledges nothing until its replica has the records.
    /// `highWatermarks`: the last checkpointed high watermark per partition (never above what was
    /// acknowledged), so a restarted node serves what consumers already saw without waiting for its peer.
    public init(config: ReplicationConfig, store: any ReplicationStateStore, logs: any ReplicatedLogSet, now: Int64,
                highWatermarks: [PartitionKey: Int64] = [:]) throws(StorageError) {
        self.config = config
        self.store = store
        self.logs = logs
        var state = try store.load() ?? ReplicationState.initial(role: config.initialRole, node: config.nodeId, peer: config.peerId)
        if state.role == .primary {
            guard state.incarnation < UInt16.max else { throw StorageError(.corrupt, "primary incarnations of \(state.epoch) exhausted: promote") }
            state.incarnation += 1  // a new incarnation: the unsynced tail of the last one may be gone
        }
        try store.save(state)
        self.state = state
        self.leaderEpoch = LeaderEpoch(epoch: state.epoch, incarnation: state.role == .primary ? state.incarnation : 0)
        for key in logs.keys.sorted() {
            guard let log = logs.log(key) else { continue }
            let p = PartitionState(key: key, log: log, history: try EpochHistory(loading: log))
            p.highWatermark = min(highWatermarks[key] ?? 0, log.logEndOffset)
            partitions[key] = p
        }
        lastReplicaContact = now
        if state.role == .primary && !state.inSync { solo = .promotion }  // it was acknowledging alone: go on
    }

    public var role: Role { state.role }
    public var isOffline: Bool { offlineReason != nil }
    public var partitionKeys: [PartitionKey] { partitions.keys.sorted() }
    public func highWatermark(_ key: PartitionKey) -> Int64 { partitions[key]?.highWatermark ?? 0 }
    public func epochHistory(_ key: PartitionKey) -> EpochHistory? { partitions[key]?.history }
    /// Primary: the replica's durable end it has validated (diagnostics and the caught-up check).
    public func replicaDurableOffset(_ key: PartitionKey) -> Int64 { partitions[key]?.replicaDurable ?? 0 }
    public var pendingCount: Int { partitions.values.reduce(0) { $0 + $1.pending.count } }

    /// First actions after opening: a replica fetches, a primary announces its epoch.
    public func start(now: Int64) -> [ReplicationAction] {
        var actions: [ReplicationAction] = [.stateChanged(state)]
        if state.role == .primary {
            actions.append(.audit(.restartedAsPrimary(leaderEpoch)))
            probe(now: now, into: &actions)
        } else {
            sendFetch(now: now, into: &actions)
        }
        for p in partitions.values where p.log.durableOffset < p.log.logEndOffset { requestSync(p, into: &actions) }
        return actions
    }

    // MARK: Client appends (primary)

    /// Appends a producer's batch (already validated by the broker) with this primary's leader epoch and
    /// registers it as pending; it completes with `.acknowledged` once the high watermark covers it, or
    /// `.failed(.notEnoughReplicas)` at its deadline. Unknown partitions are created (or taken from the set).
    public func append(_ batch: RecordBatch, to key: PartitionKey, token: ProduceToken, now: Int64) -> [ReplicationAction] {
        appendReporting(batch, to: key, token: token, now: now).actions
    }

    /// `append`, also returning where the batch went (nil when it was not appended: see the actions).
    public func appendReporting(_ batch: RecordBatch, to key: PartitionKey, token: ProduceToken, now: Int64) -> (info: PartitionLog.AppendInfo?, actions: [ReplicationAction]) {
        var actions: [ReplicationAction] = []
        guard offlineReason == nil else { return (nil, [.failed(token, .storage(offlineReason!))]) }
        guard state.role == .primary else { return (nil, [.failed(token, .notPrimary)]) }
        if partitions[key] == nil, logs.log(key) == nil, !logs.mayCreate(key, role: .primary) {
            return (nil, [.failed(token, .unknownPartition)])  // deleted meanwhile: the node stays up
        }
        guard let p = partition(key, into: &actions) else { return (nil, actions + [.failed(token, .storage(offlineReason ?? "no log"))]) }
        guard noteEpoch(leaderEpoch, startingAt: p.log.logEndOffset, in: p, into: &actions) else {
            return (nil, actions + [.failed(token, .storage(offlineReason ?? "epoch checkpoint"))])
        }
        let info: PartitionLog.AppendInfo
        do throws(StorageError) {
            info = try p.log.append(batch, leaderEpoch: leaderEpoch.packed)
        } catch {
            p.history.truncate(to: p.log.logEndOffset)  // the noted epoch start holds no batch after all
            if error.kind == .invalidBatch { return (nil, actions + [.failed(token, .invalidBatch(error.detail))]) }
            goOffline("append to \(key): \(error)", into: &actions)
            return (nil, actions + [.failed(token, .storage(error.description))])
        }
        p.pending.append(Pending(token: token, baseOffset: info.baseOffset, endOffset: info.lastOffset + 1, deadline: now + config.ackTimeoutMs))
        requestSync(p, into: &actions)
        if let parked = parkedFetch {  // new data for the replica waiting in its long poll
            parkedFetch = nil
            answerFetch(parked.fetch, now: now, park: false, into: &actions)
        }
        return (info, actions)
    }

    /// Forgets a partition whose topic was deleted (its pending produces fail); the log set closes it.
    public func removePartition(_ key: PartitionKey) -> [ReplicationAction] {
        guard let p = partitions.removeValue(forKey: key) else { return [] }
        return p.pending.map { .failed($0.token, .unknownPartition) }
    }

    /// Registers a partition created locally (the broker's topic creation on the primary).
    public func addPartition(_ key: PartitionKey) -> [ReplicationAction] {
        var actions: [ReplicationAction] = []
        _ = partition(key, into: &actions)
        return actions
    }

    // MARK: fsync completion

    /// The fsync requested by `.sync(key)` finished; the log's `durableOffset` tells how far.
    public func syncCompleted(_ key: PartitionKey, now: Int64) -> [ReplicationAction] {
        var actions: [ReplicationAction] = []
        guard offlineReason == nil, let p = partitions[key] else { return actions }
        p.syncInFlight = false
        if p.log.durableOffset < p.log.logEndOffset { requestSync(p, into: &actions) }  // appended meanwhile
        if state.role == .primary {
            advanceHighWatermarks(now: now, into: &actions)
        } else {
            reportDurable(into: &actions)
        }
        return actions
    }

    /// fsync failed: the log is offline (PartitionLog takes itself offline); so is the node.
    public func syncFailed(_ key: PartitionKey, error: String) -> [ReplicationAction] {
        var actions: [ReplicationAction] = []
        goOffline("fsync of \(key) failed: \(error)", into: &actions)
        return actions
    }

    // MARK: Timers

    /// Drives every deadline: produce timeouts, long polls, fetch retries, probes, degradation.
    public func tick(now: Int64) -> [ReplicationAction] {
        var actions: [ReplicationAction] = []
        guard offlineReason == nil else { return actions }
        switch state.role {
        case .primary:
            let replicaLost = now - lastReplicaContact >= config.replicaLossMs
            if replicaLost && solo == nil && config.allowDegraded {
                var next = state
                next.inSync = false  // persisted before acknowledging alone: a restart must not claim sync
                guard persist(next, into: &actions) else { return actions }
                solo = .operatorDegraded
                replicaFetchedSinceSolo = false
                actions.append(.audit(.acknowledgingAlone(.operatorDegraded)))
                advanceHighWatermarks(now: now, into: &actions)
            }
            for key in partitions.keys.sorted() {
                let p = partitions[key]!
                while let first = p.pending.first, first.deadline <= now {
                    p.pending.removeFirst()
                    actions.append(.failed(first.token, .notEnoughReplicasAfterAppend))
                }
            }
            if let parked = parkedFetch, parked.deadline <= now {
                parkedFetch = nil
                answerFetch(parked.fetch, now: now, park: false, into: &actions)
            }
            if replicaLost && lastProbe.map({ now - $0 >= config.replicaLossMs }) ?? true { probe(now: now, into: &actions) }
        case .replica:
            if outstandingFetch.map({ now - $0.sentAt >= config.fetchRetryMs }) ?? true { sendFetch(now: now, into: &actions) }
        }
        return actions
    }

    // MARK: Operator

    /// `weir promote`: this replica becomes primary of a new epoch (persisted first) and acknowledges alone
    /// until the old primary rejoins as its replica and catches up. Refused while the primary answered
    /// within `primaryLossMs`, unless `force`.
    public func promote(force: Bool, now: Int64) -> (PromotionResult, [ReplicationAction]) {
        var actions: [ReplicationAction] = []
        if let offlineReason { return (.failed(offlineReason), actions) }
        guard state.role == .replica else { return (.alreadyPrimary, actions) }
        guard state.inSync else { return (.notInSync, actions) }  // RPO = 0: only a replica holding every ack
        let reachable = lastPrimaryContact.map { now - $0 < config.primaryLossMs } ?? false
        if reachable && !force { return (.primaryReachable, actions) }
        let next = state.epoch.next(ownedBy: config.nodeId, peer: config.peerId)
        guard next <= .maximum else { return (.failed("epoch space exhausted"), actions) }
        let newState = ReplicationState(epoch: next, role: .primary, incarnation: 1, inSync: false)
        guard persist(newState, into: &actions) else { return (.failed(offlineReason ?? "persist"), actions) }
        actions.append(.audit(.promoted(from: leaderEpoch.epoch, to: next, forced: force, primaryReachable: reachable)))
        leaderEpoch = LeaderEpoch(epoch: next, incarnation: 1)
        outstandingFetch = nil
        lastReplicaContact = now
        for p in partitions.values {
            p.replicaDurable = 0
            p.matchedOffset = 0
        }
        solo = .promotion
        replicaFetchedSinceSolo = false
        actions.append(.audit(.acknowledgingAlone(.promotion)))
        advanceHighWatermarks(now: now, into: &actions)
        return (.promoted(next), actions)
    }

    /// The driver lost its connection to the peer (closed, refused): a replica stops counting its primary
    /// as reachable at once, so `promote` needs no `force` after a crash of the primary.
    public func peerUnreachable() {
        if state.role == .replica { lastPrimaryContact = nil }
    }

    /// Milliseconds since the replica last heard its primary (nil: not since start, or unreachable).
    public func primarySilence(now: Int64) -> Int64? { lastPrimaryContact.map { now - $0 } }
    /// Milliseconds since the primary last heard its replica.
    public func replicaSilence(now: Int64) -> Int64 { now - lastReplicaContact }

    // MARK: Messages

    public func receive(_ message: ReplicationMessage, now: Int64) -> [ReplicationAction] {
        var actions: [ReplicationAction] = []
        guard offlineReason == nil else { return actions }
        let theirs = message.epoch.epoch
        if theirs < state.epoch {
            // A stale peer: tell it our epoch (it steps down or adopts it); act on nothing it says.
            if case .notice(let n) = message, n.role == .replica { return actions }
            actions.append(.send(.notice(EpochNotice(epoch: leaderEpoch, nodeId: config.nodeId, role: state.role))))
            return actions
        }
        if theirs > state.epoch {
            // A newer epoch exists: persist it first, then follow it as replica.
            adopt(message.epoch, now: now, into: &actions)
            if offlineReason != nil { return actions }
        }
        switch (state.role, message) {
        case (.primary, .fetch(let fetch)):
            lastReplicaContact = now
            if fetch.epoch == leaderEpoch { replicaFetchedSinceSolo = true }
            answerFetch(fetch, now: now, park: true, into: &actions)
        case (.primary, .durable(let durable)):
            lastReplicaContact = now
            guard durable.epoch == leaderEpoch else { break }  // claims about another incarnation's records
            for part in durable.partitions {
                guard let p = partitions[part.key] else { continue }
                p.replicaDurable = max(p.replicaDurable, part.durableOffset)
            }
            let before = actions.count
            advanceHighWatermarks(now: now, into: &actions)
            if let parked = parkedFetch, actions[before...].contains(where: { if case .highWatermark = $0 { true } else { false } }) {
                // The replica learns the new high watermark now, not at the end of its long poll
                // (consumers reading from the replica see acknowledged records promptly).
                parkedFetch = nil
                answerFetch(parked.fetch, now: now, park: false, into: &actions)
            }
        case (.primary, .notice), (.primary, .fetchResponse):
            break  // same epoch: our own replica's notice; a response cannot come from our own epoch
        case (.replica, .fetchResponse(let response)):
            handleResponse(response, now: now, into: &actions)
        case (.replica, .notice(let notice)):
            guard notice.role == .primary else { break }
            lastPrimaryContact = now
            if notice.epoch > leaderEpoch {
                // The primary restarted (new incarnation): our outstanding fetch died with it; fetch now.
                followNewIncarnation(notice.epoch)
                sendFetch(now: now, into: &actions)
            }
        case (.replica, .fetch), (.replica, .durable):
            break  // the peer thinks we are primary in our own epoch: it will learn from our fetches
        }
        return actions
    }

    // MARK: Primary internals

    private func answerFetch(_ fetch: ReplicaFetch, now: Int64, park: Bool, into actions: inout [ReplicationAction]) {
        let current = fetch.epoch == leaderEpoch
        var answer: [ReplicaFetchResponse.Partition] = []
        var worthSending = false
        var listed = Set<PartitionKey>()
        var responseBytes = 0
        for part in fetch.partitions {
            listed.insert(part.key)
            guard let p = partitions[part.key] else { continue }  // a partition this primary does not have
            let log = p.log
            var response = ReplicaFetchResponse.Partition(
                key: part.key, fetchOffset: part.fetchOffset, lastFetchedEpoch: part.lastFetchedEpoch, highWatermark: p.highWatermark, logStartOffset: log.logStartOffset, records: ByteBuffer(), divergence: nil)
            if let divergence = divergence(of: part, in: p) {
                response.divergence = divergence
                worthSending = true
            } else {
                // [0, fetchOffset) is identical on both nodes: the durable claim is about our records.
                if current { p.replicaDurable = max(p.replicaDurable, min(part.durableOffset, part.fetchOffset)) }
                if part.fetchOffset < log.logStartOffset {
                    worthSending = true  // retention removed it here: the replica restarts at our log start
                } else if part.fetchOffset < log.logEndOffset && responseBytes < config.maxFetchResponseBytes {
                    do throws(StorageError) {
                        response.records = try log.read(from: part.fetchOffset, maxBytes: config.maxFetchBytes, upTo: nil)
                    } catch {
                        goOffline("read \(part.key): \(error)", into: &actions)
                        return
                    }
                    responseBytes += response.records.readableBytes
                    worthSending = worthSending || response.records.readableBytes > 0
                }
            }
            answer.append(response)
        }
        for key in partitions.keys.sorted() where !listed.contains(key) {
            // A partition the replica does not know yet: it creates it and fetches from our log start.
            let p = partitions[key]!
            answer.append(ReplicaFetchResponse.Partition(key: key, fetchOffset: -1, lastFetchedEpoch: nil, highWatermark: p.highWatermark, logStartOffset: p.log.logStartOffset, records: ByteBuffer(), divergence: nil))
            worthSending = true
        }
        advanceHighWatermarks(now: now, into: &actions)
        // Answered records carry the high watermark as of now (after the durable claims above).
        for i in answer.indices { answer[i].highWatermark = partitions[answer[i].key]!.highWatermark }
        if park && !worthSending {
            parkedFetch = (fetch, now + config.longPollMs)  // long poll: answer on new data or at the deadline
            return
        }
        actions.append(.send(.fetchResponse(ReplicaFetchResponse(epoch: leaderEpoch, primaryId: config.nodeId, fetchId: fetch.fetchId, synchronous: solo == nil, partitions: answer))))
    }

    /// Kafka's divergence check: the replica's last batch epoch must end, in our history, at or after its
    /// fetch offset; otherwise the replica truncates to where that epoch ends here and asks again.
    private func divergence(of part: ReplicaFetch.Partition, in p: PartitionState) -> Divergence? {
        let log = p.log
        if part.fetchOffset < log.logStartOffset { return nil }  // retention: answered with our log start instead
        guard let last = part.lastFetchedEpoch else {
            // Empty replica log: consistent as long as it starts where ours does.
            return part.fetchOffset <= log.logEndOffset ? nil : Divergence(epoch: nil, endOffset: log.logStartOffset)
        }
        let (epoch, end) = p.history.endOffset(for: last, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset)
        if epoch == last && end >= part.fetchOffset { return nil }
        return Divergence(epoch: epoch, endOffset: end)
    }

    /// Moves each partition's high watermark to what is durable on both nodes (or on this one alone when
    /// acknowledging alone) and completes the pending produces it covers. Never moves one back.
    private func advanceHighWatermarks(now: Int64, into actions: inout [ReplicationAction]) {
        guard state.role == .primary else { return }
        for key in partitions.keys.sorted() {
            let p = partitions[key]!
            let durable = p.log.durableOffset
            let candidate = solo != nil ? durable : min(durable, p.replicaDurable)
            if candidate > p.highWatermark {
                p.highWatermark = candidate  // HW only moves forward
                actions.append(.highWatermark(key, candidate))
            }
        }
        if solo != nil && replicaCaughtUp() {
            var next = state
            next.inSync = true  // persisted before the replica is told it is synchronous (and promotable)
            guard persist(next, into: &actions) else { return }
            solo = nil
            actions.append(.audit(.synchronous))
        }
        for key in partitions.keys.sorted() {
            let p = partitions[key]!
            while let first = p.pending.first, first.endOffset <= p.highWatermark {
                p.pending.removeFirst()
                actions.append(.acknowledged(first.token, key, baseOffset: first.baseOffset, lastOffset: first.endOffset - 1, epoch: leaderEpoch))
            }
        }
    }

    /// Acknowledging alone ends once the replica's validated durable end reaches every high watermark:
    /// from then on min(ours, replica's) is never below the current high watermark.
    private func replicaCaughtUp() -> Bool {
        replicaFetchedSinceSolo && partitions.values.allSatisfy { $0.replicaDurable >= $0.highWatermark }
    }

    private func probe(now: Int64, into actions: inout [ReplicationAction]) {
        lastProbe = now
        actions.append(.send(.notice(EpochNotice(epoch: leaderEpoch, nodeId: config.nodeId, role: .primary))))
    }

    // MARK: Replica internals

    private func sendFetch(now: Int64, into actions: inout [ReplicationAction]) {
        let id = nextFetchId
        nextFetchId += 1
        outstandingFetch = (id, now)
        let parts = partitions.keys.sorted().map { key -> ReplicaFetch.Partition in
            let p = partitions[key]!
            return ReplicaFetch.Partition(
                key: key, fetchOffset: p.log.logEndOffset, durableOffset: min(p.log.durableOffset, p.matchedOffset), lastFetchedEpoch: p.history.latest)
        }
        actions.append(.send(.fetch(ReplicaFetch(epoch: leaderEpoch, replicaId: config.nodeId, fetchId: id, partitions: parts))))
    }

    private func handleResponse(_ response: ReplicaFetchResponse, now: Int64, into actions: inout [ReplicationAction]) {
        if response.epoch < leaderEpoch { return }  // an older incarnation of the primary: a straggler
        if response.epoch > leaderEpoch { followNewIncarnation(response.epoch) }
        lastPrimaryContact = now
        for part in response.partitions {
            guard let p = partition(part.key, into: &actions) else { return }
            let log = p.log
            let fetchOffset = part.fetchOffset < 0 ? log.logEndOffset : part.fetchOffset
            if part.fetchOffset < 0 { continue }  // newly created: the next fetch lists it
            // Answers a fetch from another log state (a straggler or a duplicate): ignore.
            guard fetchOffset == log.logEndOffset, part.lastFetchedEpoch == p.history.latest else { continue }
            if let divergence = part.divergence {
                truncate(p, for: divergence, into: &actions)
                if offlineReason != nil { return }
                continue
            }
            if fetchOffset < part.logStartOffset && part.records.readableBytes == 0 {
                // The primary's retention removed what we would fetch: start over at its log start.
                do throws(StorageError) {
                    try log.reset(startingAt: part.logStartOffset)
                } catch {
                    goOffline("reset \(part.key): \(error)", into: &actions)
                    return
                }
                p.history = EpochHistory()
                do throws(StorageError) { try p.history.save(to: log) } catch {
                    goOffline("epoch checkpoint of \(part.key): \(error)", into: &actions)
                    return
                }
                p.matchedOffset = part.logStartOffset
                p.reportedDurable = min(p.reportedDurable, part.logStartOffset)
                actions.append(.truncated(part.key, to: part.logStartOffset))
                continue
            }
            // The primary confirmed our log up to fetchOffset is its own.
            p.matchedOffset = max(p.matchedOffset, fetchOffset)
            var scanner = RecordBatchScanner(part.records)
            while let (index, header) = scanner.next() {
                // ≥, not =: the primary's compaction may have removed whole batches (offsets keep their gaps).
                guard header.baseOffset >= log.logEndOffset else { break }
                let bytes = part.records.getSlice(at: index, length: header.totalSize)!
                guard noteEpoch(LeaderEpoch(packed: header.partitionLeaderEpoch) ?? .none, startingAt: header.baseOffset, in: p, into: &actions) else { return }
                do throws(StorageError) {
                    _ = try log.appendAsFollower(RecordBatch(unchecked: bytes, header: header))  // byte for byte
                } catch {
                    goOffline("replica append to \(part.key): \(error)", into: &actions)
                    return
                }
                p.matchedOffset = log.logEndOffset  // the batches are the current primary's own
            }
            if part.logStartOffset > log.logStartOffset && part.logStartOffset <= p.matchedOffset {
                // Records the primary deleted (DeleteRecords) go here too: a promotion must not bring them back.
                do throws(StorageError) { try log.advanceLogStart(to: part.logStartOffset) } catch {
                    goOffline("log start of \(part.key): \(error)", into: &actions)
                    return
                }
            }
            if log.durableOffset < log.logEndOffset { requestSync(p, into: &actions) }
            let hw = min(part.highWatermark, p.matchedOffset, log.logEndOffset)
            if hw > p.highWatermark {
                p.highWatermark = hw  // HW only moves forward
                actions.append(.highWatermark(part.key, hw))
            }
        }
        if response.synchronous != state.inSync {
            // Promotable only while the primary acknowledges with us; persisted so it survives a restart.
            var next = state
            next.inSync = response.synchronous
            guard persist(next, into: &actions) else { return }
        }
        // Pipelining: the answer to the outstanding fetch releases the next one at once (before fsync).
        if outstandingFetch?.id == response.fetchId { sendFetch(now: now, into: &actions) }
        reportDurable(into: &actions)
    }

    private func truncate(_ p: PartitionState, for divergence: Divergence, into actions: inout [ReplicationAction]) {
        let log = p.log
        var target = divergence.endOffset
        if let epoch = divergence.epoch {
            target = min(target, p.history.endOffset(for: epoch, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset).endOffset)
        }
        let from = log.logEndOffset
        target = min(target, from)
        guard target < from else { return }
        if target < p.highWatermark {
            // Only reachable after operator-chosen degraded acknowledgement and a promotion (not RPO = 0).
            actions.append(.audit(.discardedAcknowledged(p.key, highWatermark: p.highWatermark, truncatedTo: target)))
            p.highWatermark = target
        }
        do throws(StorageError) {
            try log.truncate(to: target)
        } catch {
            goOffline("truncate \(p.key): \(error)", into: &actions)
            return
        }
        p.history.truncate(to: target)
        do throws(StorageError) {
            // Before anything is appended past `target` again: a stale checkpoint would name epochs for
            // offsets that later hold other batches.
            try p.history.save(to: log)
        } catch {
            goOffline("epoch checkpoint of \(p.key): \(error)", into: &actions)
            return
        }
        p.matchedOffset = min(p.matchedOffset, target)
        p.reportedDurable = min(p.reportedDurable, target)
        actions.append(.truncated(p.key, to: target))
        actions.append(.audit(.truncated(p.key, from: from, to: target)))
    }

    /// Sends the durable offsets that grew since the last report (capped at what the primary confirmed).
    private func reportDurable(into actions: inout [ReplicationAction]) {
        var parts: [ReplicaDurable.Partition] = []
        for key in partitions.keys.sorted() {
            let p = partitions[key]!
            let durable = min(p.log.durableOffset, p.matchedOffset)
            if durable > p.reportedDurable {
                p.reportedDurable = durable
                parts.append(ReplicaDurable.Partition(key: key, durableOffset: durable))
            }
        }
        guard !parts.isEmpty else { return }
        actions.append(.send(.durable(ReplicaDurable(epoch: leaderEpoch, replicaId: config.nodeId, partitions: parts))))
    }

    /// A newer incarnation of the same primary (or a newly adopted epoch): nothing is confirmed any more.
    private func followNewIncarnation(_ epoch: LeaderEpoch) {
        leaderEpoch = epoch
        for p in partitions.values {
            p.matchedOffset = 0
            p.reportedDurable = 0
        }
    }

    // MARK: Shared internals

    /// A higher epoch from the peer: persist it, then act as its replica (a primary steps down).
    private func adopt(_ epoch: LeaderEpoch, now: Int64, into actions: inout [ReplicationAction]) {
        let wasPrimary = state.role == .primary
        let old = leaderEpoch
        guard persist(ReplicationState(epoch: epoch.epoch, role: .replica, incarnation: 0), into: &actions) else { return }
        if wasPrimary {
            actions.append(.audit(.steppedDown(from: old, to: epoch)))
            for key in partitions.keys.sorted() {
                let p = partitions[key]!
                for pending in p.pending { actions.append(.failed(pending.token, .notPrimary)) }
                p.pending.removeAll()
                p.replicaDurable = 0
            }
            parkedFetch = nil
            solo = nil
        }
        followNewIncarnation(epoch)
        lastPrimaryContact = nil
        sendFetch(now: now, into: &actions)
    }

    private func persist(_ newState: ReplicationState, into actions: inout [ReplicationAction]) -> Bool {
        do throws(StorageError) {
            try store.save(newState)
        } catch {
            goOffline("persisting \(newState): \(error)", into: &actions)
            return false
        }
        state = newState
        actions.append(.stateChanged(newState))
        return true
    }

    private func partition(_ key: PartitionKey, into actions: inout [ReplicationAction]) -> PartitionState? {
        if let p = partitions[key] { return p }
        do throws(StorageError) {
            let existing = logs.log(key)
            let log: any ReplicatedLog
            if let existing { log = existing } else { log = try logs.create(key) }
            let p = PartitionState(key: key, log: log, history: try EpochHistory(loading: log))
            partitions[key] = p
            if existing == nil { actions.append(.partitionCreated(key)) }
            return p
        } catch {
            goOffline("opening \(key): \(error)", into: &actions)
            return nil
        }
    }

    /// Records that a batch of `epoch` is about to be appended at `offset`: a new epoch is checkpointed
    /// durably *before* its first batch is written, so the checkpoint never lacks an epoch the log holds.
    private func noteEpoch(_ epoch: LeaderEpoch, startingAt offset: Int64, in p: PartitionState, into actions: inout [ReplicationAction]) -> Bool {
        guard p.history.latest != epoch else { return true }
        p.history.record(epoch, startOffset: offset)
        do throws(StorageError) {
            try p.history.save(to: p.log)
        } catch {
            p.history.truncate(to: offset)
            goOffline("epoch checkpoint of \(p.key): \(error)", into: &actions)
            return false
        }
        return true
    }

    private func requestSync(_ p: PartitionState, into actions: inout [ReplicationAction]) {
        guard !p.syncInFlight else { return }  // group commit: the next fsync covers what comes meanwhile
        p.syncInFlight = true
        actions.append(.sync(p.key))
    }

    private func goOffline(_ reason: String, into actions: inout [ReplicationAction]) {
        guard offlineReason == nil else { return }
        offlineReason = reason
        for key in partitions.keys.sorted() {
            let p = partitions[key]!
            for pending in p.pending { actions.append(.failed(pending.token, .storage(reason))) }
            p.pending.removeAll()
        }
        actions.append(.offline(reason))
    }
}
