import Foundation
import Logging
import NIOCore
import NIOPosix
import WeirProtocol
import WeirRecords
import WeirStorage

/// Who sent a group request: DescribeGroups reports these per member.
public struct GroupClient: Sendable, Hashable {
    public var clientId: String
    public var clientHost: String
    public init(clientId: String, clientHost: String) {
        self.clientId = clientId
        self.clientHost = clientHost
    }
}

/// The group coordinator's settings (Kafka's broker configs of the same names).
public struct GroupCoordinatorConfig: Sendable, Hashable {
    /// group.initial.rebalance.delay.ms: the first rebalance of an empty group waits this long for more members.
    public var initialRebalanceDelayMs: Int64 = 3000
    /// group.min.session.timeout.ms / group.max.session.timeout.ms: JoinGroup outside → INVALID_SESSION_TIMEOUT.
    public var minSessionTimeoutMs: Int32 = 6000
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// offset.metadata.max.bytes: longer commit metadata → OFFSET_METADATA_TOO_LARGE.
    public var maxOffsetMetadataBytes = 4096
    /// A new member's parked JoinGroup is dropped after this long (Kafka's 5 minutes).
    public var newMemberJoinTimeoutMs: Int64 = 300_000
    /// group.max.size: a new member beyond it (members plus outstanding member ids) → GROUP_MAX_SIZE_REACHED.
    public var maxGroupSize = Int.max
    /// offsets.retention.minutes (7 days): offsets of a group that has been Empty this long, or of a
    /// standalone group committed this long ago, are deleted (KIP-211).
    public var offsetsRetentionMs: Int64 = 7 * 24 * 3_600_000
    /// offsets.retention.check.interval.ms: how often `tick()` looks for expired offsets.
    public var offsetsRetentionCheckIntervalMs: Int64 = 600_000

    public init(initialRebalanceDelayMs: Int64 = 3000) {
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
    }
}

/// Classic consumer-group coordinator (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) and committed offsets.
///
/// State lives in memory; every committed offset and every settled group (Stable after the leader's
/// SyncGroup, or Empty) is appended to the offsets log in Kafka's `__consumer_offsets` record format
/// (docs/on-disk-format.md) and replayed from it on start-up. JoinGroup and SyncGroup suspend until the
/// rebalance moves on; every parked request is answered exactly once (completion, timeout, removal,
/// deletion or `shutdown()`). Timeouts advance only in `tick()`, read from the injected clock.
public actor GroupCoordinator {
    let offsetsLog: PartitionLog
    let clock: @Sendable () -> Int64
    let logger: Logger
    let config: GroupCoordinatorConfig
    let durabilityPool: NIOThreadPool
    /// Where offsets-log records go: nil = `offsetsLog` fsynced here; in a pair, the replication node.
    let writer: (any InternalLogWriter)?
    var groups: [String: ClassicGroup] = [:]
    var lastRetentionCheckMs: Int64
    /// After `shutdown()` no JoinGroup or SyncGroup is parked any more (the server is draining).
    var isShutDown = false

    /// `offsetsLog` is the single partition of the internal compacted topic `__consumer_offsets`;
    /// committed offsets and group metadata are replayed from it here. `durabilityPool` runs the
    /// blocking waits for fsync.
    public init(
        offsetsLog: PartitionLog, clock: @escaping @Sendable () -> Int64, logger: Logger,
        config: GroupCoordinatorConfig = GroupCoordinatorConfig(), durabilityPool: NIOThreadPool = .singleton,
        writer: (any InternalLogWriter)? = nil
    ) throws(StorageError) {
        self.offsetsLog = offsetsLog
        self.clock = clock
        self.logger = logger
        self.config = config
        self.durabilityPool = durabilityPool
        self.writer = writer
        self.lastRetentionCheckMs = clock()
        self.groups = try Self.load(offsetsLog, clock: clock, logger: logger)
    }

    /// Rebuilds every group from the offsets log: a pair node that became primary takes over the groups
    /// and offsets its old primary replicated (members rejoin; committed offsets are all there), and one that
    /// became replica forgets its members. Parked JoinGroup/SyncGroup requests answer NOT_COORDINATOR.
    public func reload() {
        answerParked(.notCoordinator)
        do throws(StorageError) {
            groups = try Self.load(offsetsLog, clock: clock, logger: logger)
            isShutDown = false
        } catch {
            logger.error("cannot reload groups from the offsets log", metadata: ["error": "\(error)"])
            groups = [:]
        }
    }

    private static func load(_ offsetsLog: PartitionLog, clock: () -> Int64, logger: Logger) throws(StorageError) -> [String: ClassicGroup] {
        let replayed = try OffsetsLogReplay.replay(offsetsLog, logger: logger)
        let now = clock()
        var loaded: [String: ClassicGroup] = [:]
        for (groupId, value) in replayed.groups {
            loaded[groupId] = Self.restoredGroup(groupId, value, nowMs: now)
        }
        for (groupId, offsets) in replayed.offsets where !offsets.isEmpty {
            let group = loaded[groupId] ?? ClassicGroup(groupId: groupId, nowMs: now)
            group.offsets = offsets
            loaded[groupId] = group
        }
        logger.info(
            "group coordinator loaded",
            metadata: ["groups": "\(loaded.count)", "offsets": "\(replayed.offsets.values.reduce(0) { $0 + $1.count })"])
        return loaded
    }

    /// A group as its last metadata record left it: Stable with its members (whose sessions restart now),
    /// or Empty.
    private static func restoredGroup(_ groupId: String, _ value: GroupMetadataValue, nowMs: Int64) -> ClassicGroup {
        // The state's age counts from when it was recorded (offsets of an Empty group expire from there).
        let since = value.currentStateTimestampMs >= 0 ? min(value.currentStateTimestampMs, nowMs) : nowMs
        let group = ClassicGroup(groupId: groupId, nowMs: since)
        group.generationId = value.generationId
        group.protocolType = value.protocolType.isEmpty ? nil : value.protocolType
        for m in value.members {
            let member = GroupMember(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                sessionTimeoutMs: Int64(m.sessionTimeoutMs), rebalanceTimeoutMs: Int64(m.rebalanceTimeoutMs),
                protocolType: value.protocolType,
                protocols: [JoinGroupRequest.JoinGroupProtocol(name: value.protocolName ?? "", metadata: m.subscription)],
                nowMs: nowMs)
            member.assignment = m.assignment
            member.isNew = false
            group.add(member)
        }
        if !group.members.isEmpty {
            group.protocolName = value.protocolName
            if let leader = value.leaderId, group.member(leader) != nil { group.leaderId = leader }
            group.transition(to: .stable, nowMs: since)
        }
        return group
    }

    // MARK: Timers

    /// Expires sessions and ends rebalances whose timeout passed; the server calls this about every 100 ms.
    public func tick() {
        let now = clock()
        if now - lastRetentionCheckMs >= config.offsetsRetentionCheckIntervalMs {
            lastRetentionCheckMs = now
            expireOffsets(now: now)
        }
        for group in Array(groups.values) {
            expirePendingMembers(group, now: now)
            for member in group.members where !shouldKeepAlive(member, now: now) {
                logger.info("member session expired", metadata: ["group": "\(group.groupId)", "member": "\(member.memberId)"])
                removeMemberAndUpdateGroup(group, member, now: now)
            }
            if group.state == .preparingRebalance, let deadline = group.joinDeadlineMs, now >= deadline {
                if let remaining = group.initialDelayRemainingMs, group.newMemberAdded, remaining > 0 {
                    // Members are still arriving at a new group: wait one more delay, bounded by the rebalance timeout.
                    let delay = min(config.initialRebalanceDelayMs, remaining)
                    group.joinDeadlineMs = now + delay
                    group.initialDelayRemainingMs = max(remaining - delay, 0)
                    group.newMemberAdded = false
                } else {
                    completeJoin(group, now: now)
                }
            }
            if group.state == .completingRebalance, let deadline = group.syncDeadlineMs, now >= deadline {
                for member in group.members where !member.hasSynced {
                    logger.info("member did not sync in time", metadata: ["group": "\(group.groupId)", "member": "\(member.memberId)"])
                    removeMemberAndUpdateGroup(group, member, now: now)
                }
            }
            // A group that never got a member and holds no offsets leaves no trace (only one made idle by
            // offset expiry leaves a tombstone, below).
            if group.state == .empty, group.members.isEmpty, group.pendingMembers.isEmpty, group.offsets.isEmpty,
                group.generationId == 0, group.protocolType == nil
            {
                groups.removeValue(forKey: group.groupId)
            }
        }
    }

    /// KIP-211: a group Empty for the retention period loses its offsets, and a standalone group (never had
    /// members) loses each offset committed longer ago than that; an Empty group with no offsets is deleted.
    /// Tombstones are appended (durable with the next fsync).
    private func expireOffsets(now: Int64) {
        var records: [(OffsetsLogKey, ByteBuffer?)] = []
        for group in groups.values where group.state == .empty {
            let expired: [TopicPartition]
            if group.protocolType != nil {
                expired = now - group.stateTimestampMs >= config.offsetsRetentionMs ? Array(group.offsets.keys) : []
            } else {
                expired = group.offsets.filter { now - $0.value.commitTimestampMs >= config.offsetsRetentionMs }.map(\.key)
            }
            for tp in expired.sorted() {
                group.offsets.removeValue(forKey: tp)
                records.append((.offset(group: group.groupId, topic: tp.topic, partition: tp.partition), nil))
            }
            if !expired.isEmpty {
                logger.info("offsets expired", metadata: ["group": "\(group.groupId)", "partitions": "\(expired.count)"])
            }
            // As Kafka's cleanup: an Empty group without offsets is dropped, with its metadata record.
            if group.offsets.isEmpty && group.pendingMembers.isEmpty {
                group.transition(to: .dead, nowMs: now)
                groups.removeValue(forKey: group.groupId)
                if group.generationId > 0 || group.protocolType != nil { records.append((.groupMetadata(group: group.groupId), nil)) }
                logger.info("empty group without offsets removed", metadata: ["group": "\(group.groupId)"])
            }
        }
        guard !records.isEmpty else { return }
        do throws(StorageError) {
            _ = try appendRecords(records)
        } catch {
            logger.error("cannot write expired-offset tombstones", metadata: ["error": "\(error)"])
        }
    }

    /// Answers every parked JoinGroup and SyncGroup with NOT_COORDINATOR, and any later ones at once, so
    /// the server's drain does not wait for rebalances; commits and fetches keep working until the log closes.
    public func shutdown() {
        isShutDown = true
        answerParked(.notCoordinator)
    }

    private func answerParked(_ error: KafkaErrorCode) {
        for group in groups.values {
            for member in group.members {
                member.resumeJoin(Self.joinError(member.memberId, error))
                member.resumeSync(SyncGroupResponse(errorCode: error))
            }
        }
    }

    /// For tests: the group's state, generation, members, and how many JoinGroup/SyncGroup requests are parked.
    func inspect(_ groupId: String) -> (state: String, generation: Int32, members: [String], parkedJoins: Int, parkedSyncs: Int, leader: String?)? {
        guard let group = groups[groupId] else { return nil }
        return (
            group.state.rawValue, group.generationId, group.members.map(\.memberId),
            group.members.count { $0.awaitingJoin != nil }, group.members.count { $0.awaitingSync != nil }, group.leaderId
        )
    }

    private func shouldKeepAlive(_ member: GroupMember, now: Int64) -> Bool {
        // A parked join holds the member until the rebalance ends, except a new member's stale join.
        if member.awaitingJoin != nil { return !member.isNew || now - member.lastHeardFromMs < config.newMemberJoinTimeoutMs }
        if member.awaitingSync != nil { return true }
        return now - member.lastHeardFromMs < member.sessionTimeoutMs
    }

    private func expirePendingMembers(_ group: ClassicGroup, now: Int64) {
        let lapsed = group.pendingMembers.filter { $0.value <= now }.map(\.key)
        guard !lapsed.isEmpty else { return }
        for id in lapsed { group.pendingMembers.removeValue(forKey: id) }
        tryCompleteJoin(group, now: now)
    }

    // MARK: JoinGroup

    public func joinGroup(_ r: JoinGroupRequest, version: Int16, client: GroupClient) async -> JoinGroupResponse {
        await withCheckedContinuation { (waiter: CheckedContinuation<JoinGroupResponse, Never>) in
            handleJoin(r, version: version, client: client, waiter: waiter)
        }
    }

    static func joinError(_ memberId: String, _ error: KafkaErrorCode) -> JoinGroupResponse {
        JoinGroupResponse(errorCode: error, generationId: -1, memberId: memberId)
    }

    /// Either resumes `waiter` now or parks it in the member (answered when the join phase ends).
    private func handleJoin(
        _ r: JoinGroupRequest, version: Int16, client: GroupClient, waiter: CheckedContinuation<JoinGroupResponse, Never>
    ) {
        let now = clock()
        guard !isShutDown else { return waiter.resume(returning: Self.joinError(r.memberId, .notCoordinator)) }
        guard !r.groupId.isEmpty else { return waiter.resume(returning: Self.joinError(r.memberId, .invalidGroupId)) }
        guard (config.minSessionTimeoutMs...config.maxSessionTimeoutMs).contains(r.sessionTimeoutMs) else {
            return waiter.resume(returning: Self.joinError(r.memberId, .invalidSessionTimeout))
        }
        let instanceId = version >= 5 ? r.groupInstanceId : nil
        let group: ClassicGroup
        if let existing = groups[r.groupId] {
            group = existing
        } else {
            guard r.memberId.isEmpty else { return waiter.resume(returning: Self.joinError(r.memberId, .unknownMemberId)) }
            group = ClassicGroup(groupId: r.groupId, nowMs: now)
            groups[r.groupId] = group
        }
        guard group.state != .dead else { return waiter.resume(returning: Self.joinError(r.memberId, .coordinatorNotAvailable)) }
        guard group.supportsProtocols(memberId: r.memberId, protocolType: r.protocolType, protocols: r.protocols.map(\.name)) else {
            return waiter.resume(returning: Self.joinError(r.memberId, .inconsistentGroupProtocol))
        }
        let sessionTimeout = Int64(r.sessionTimeoutMs)
        let rebalanceTimeout = version >= 1 && r.rebalanceTimeoutMs > 0 ? Int64(r.rebalanceTimeoutMs) : sessionTimeout
        let joining = Joining(
            request: r, instanceId: instanceId, client: client, sessionTimeoutMs: sessionTimeout,
            rebalanceTimeoutMs: rebalanceTimeout)

        if r.memberId.isEmpty {
            let replacesStaticMember = instanceId.map { group.staticMembers[$0] != nil } ?? false
            if !replacesStaticMember && group.members.count + group.pendingMembers.count >= config.maxGroupSize {
                return waiter.resume(returning: Self.joinError("", .groupMaxSizeReached))
            }
            let newMemberId = client.clientId + "-" + UUID().uuidString.lowercased()
            if let instanceId {
                if let oldId = group.staticMembers[instanceId], let old = group.member(oldId) {
                    rejoinStaticMember(group, old, newMemberId: newMemberId, joining, waiter: waiter, now: now)
                } else {
                    addMemberAndRebalance(group, memberId: newMemberId, joining, waiter: waiter, now: now)
                }
            } else if version >= 4 {
                // KIP-394: hand out the id and count the member only when it joins with it.
                group.pendingMembers[newMemberId] = now + sessionTimeout
                waiter.resume(returning: Self.joinError(newMemberId, .memberIdRequired))
            } else {
                addMemberAndRebalance(group, memberId: newMemberId, joining, waiter: waiter, now: now)
            }
            return
        }

        if group.pendingMembers[r.memberId] != nil {
            return addMemberAndRebalance(group, memberId: r.memberId, joining, waiter: waiter, now: now)
        }
        if group.isStaticMemberFenced(memberId: r.memberId, groupInstanceId: instanceId) {
            return waiter.resume(returning: Self.joinError(r.memberId, .fencedInstanceId))
        }
        let instanceKnown = instanceId.map { group.staticMembers[$0] != nil } ?? true
        guard let member = group.member(r.memberId), instanceKnown else {
            return waiter.resume(returning: Self.joinError(r.memberId, .unknownMemberId))
        }
        member.lastHeardFromMs = now
        switch group.state {
        case .preparingRebalance:
            updateMemberAndRebalance(group, member, joining, waiter: waiter, now: now)
        case .completingRebalance:
            if member.matches(r.protocols) {
                // It missed the JoinGroup response: hand the current generation back.
                waiter.resume(returning: joinResponse(group, for: member))
            } else {
                updateMemberAndRebalance(group, member, joining, waiter: waiter, now: now)
            }
        case .stable:
            if group.isLeader(member.memberId) || !member.matches(r.protocols) {
                // The leader re-joining asks for a new assignment (e.g. topic metadata changed).
                updateMemberAndRebalance(group, member, joining, waiter: waiter, now: now)
            } else {
                // A follower with unchanged metadata gets the current generation (and syncs for its assignment).
                waiter.resume(returning: joinResponse(group, for: member))
            }
        case .empty, .dead:
            waiter.resume(returning: Self.joinError(r.memberId, .unknownMemberId))
        }
    }

    /// What a JoinGroup carries that the member keeps.
    private struct Joining {
        var request: JoinGroupRequest
        var instanceId: String?
        var client: GroupClient
        var sessionTimeoutMs: Int64
        var rebalanceTimeoutMs: Int64
    }

    private func addMemberAndRebalance(
        _ group: ClassicGroup, memberId: String, _ joining: Joining, waiter: CheckedContinuation<JoinGroupResponse, Never>,
        now: Int64
    ) {
        let member = GroupMember(
            memberId: memberId, groupInstanceId: joining.instanceId, clientId: joining.client.clientId,
            clientHost: joining.client.clientHost, sessionTimeoutMs: joining.sessionTimeoutMs,
            rebalanceTimeoutMs: joining.rebalanceTimeoutMs, protocolType: joining.request.protocolType,
            protocols: joining.request.protocols, nowMs: now)
        member.awaitingJoin = waiter
        if group.state == .preparingRebalance && group.generationId == 0 { group.newMemberAdded = true }
        group.pendingMembers.removeValue(forKey: memberId)
        group.add(member)
        maybePrepareRebalance(group, now: now)
        tryCompleteJoin(group, now: now)
    }

    private func updateMemberAndRebalance(
        _ group: ClassicGroup, _ member: GroupMember, _ joining: Joining, waiter: CheckedContinuation<JoinGroupResponse, Never>,
        now: Int64
    ) {
        member.protocols = joining.request.protocols
        member.sessionTimeoutMs = joining.sessionTimeoutMs
        member.rebalanceTimeoutMs = joining.rebalanceTimeoutMs
        // A retried JoinGroup supersedes the parked one, which is answered so it never leaks.
        member.resumeJoin(Self.joinError(member.memberId, .rebalanceInProgress))
        member.awaitingJoin = waiter
        maybePrepareRebalance(group, now: now)
        tryCompleteJoin(group, now: now)
    }

    /// KIP-345: a static member restarted (empty member id, known instance id). It takes the old member's
    /// place under a new id; the old one is fenced. A Stable group with unchanged metadata does not rebalance.
    private func rejoinStaticMember(
        _ group: ClassicGroup, _ old: GroupMember, newMemberId: String, _ joining: Joining,
        waiter: CheckedContinuation<JoinGroupResponse, Never>, now: Int64
    ) {
        let previousLeader = group.leaderId
        let unchanged = old.matches(joining.request.protocols)
        let replacement = GroupMember(
            memberId: newMemberId, groupInstanceId: joining.instanceId, clientId: joining.client.clientId,
            clientHost: joining.client.clientHost, sessionTimeoutMs: joining.sessionTimeoutMs,
            rebalanceTimeoutMs: joining.rebalanceTimeoutMs, protocolType: joining.request.protocolType,
            protocols: joining.request.protocols, nowMs: now)
        replacement.assignment = old.assignment
        replacement.isNew = false
        replacement.hasSynced = old.hasSynced
        old.resumeJoin(Self.joinError(old.memberId, .fencedInstanceId))
        old.resumeSync(SyncGroupResponse(errorCode: .fencedInstanceId))
        group.replace(old, with: replacement)
        switch group.state {
        case .stable where unchanged, .completingRebalance:
            // The old leader id is returned so that the restarted member does not compute an assignment
            // that a settled group would not distribute.
            waiter.resume(
                returning: JoinGroupResponse(
                    errorCode: .none, generationId: group.generationId, protocolName: group.protocolName ?? "",
                    leader: previousLeader ?? "", memberId: newMemberId, members: []))
        default:
            replacement.awaitingJoin = waiter
            maybePrepareRebalance(group, now: now)
            tryCompleteJoin(group, now: now)
        }
    }

    private func maybePrepareRebalance(_ group: ClassicGroup, now: Int64) {
        switch group.state {
        case .stable, .completingRebalance, .empty: prepareRebalance(group, now: now)
        case .preparingRebalance, .dead: break
        }
    }

    private func prepareRebalance(_ group: ClassicGroup, now: Int64) {
        if group.state == .completingRebalance {
            // Members waiting for assignments must re-join instead.
            for member in group.members {
                member.assignment = ByteBuffer()
                member.resumeSync(SyncGroupResponse(errorCode: .rebalanceInProgress))
            }
        }
        let rebalanceTimeout = group.maxRebalanceTimeoutMs
        if group.state == .empty && config.initialRebalanceDelayMs > 0 {
            group.joinDeadlineMs = now + config.initialRebalanceDelayMs
            group.initialDelayRemainingMs = max(rebalanceTimeout - config.initialRebalanceDelayMs, 0)
        } else {
            group.joinDeadlineMs = now + rebalanceTimeout
            group.initialDelayRemainingMs = nil
        }
        group.newMemberAdded = false
        group.syncDeadlineMs = nil
        group.transition(to: .preparingRebalance, nowMs: now)
        logger.info(
            "preparing to rebalance group",
            metadata: ["group": "\(group.groupId)", "generation": "\(group.generationId)", "members": "\(group.members.count)"])
    }

    /// Ends the join phase early once everyone is in (never during the initial delay, which only `tick` ends).
    private func tryCompleteJoin(_ group: ClassicGroup, now: Int64) {
        guard group.state == .preparingRebalance, group.initialDelayRemainingMs == nil, group.hasAllMembersJoined else { return }
        completeJoin(group, now: now)
    }

    /// Kafka's onCompleteJoin: drops members that did not re-join, starts the next generation and answers
    /// every parked JoinGroup (the leader gets the members' metadata).
    private func completeJoin(_ group: ClassicGroup, now: Int64) {
        for member in group.members where member.awaitingJoin == nil {
            logger.info("member did not re-join in time", metadata: ["group": "\(group.groupId)", "member": "\(member.memberId)"])
            member.resumeSync(SyncGroupResponse(errorCode: .unknownMemberId))
            group.remove(member.memberId)
        }
        group.joinDeadlineMs = nil
        group.initialDelayRemainingMs = nil
        group.newMemberAdded = false
        group.generationId &+= 1
        if group.members.isEmpty {
            group.protocolName = nil
            group.transition(to: .empty, nowMs: now)
            storeGroupMetadata(group)
            logger.info("group is empty", metadata: ["group": "\(group.groupId)", "generation": "\(group.generationId)"])
            return
        }
        group.protocolName = group.selectProtocol()
        group.transition(to: .completingRebalance, nowMs: now)
        group.syncDeadlineMs = now + group.maxRebalanceTimeoutMs
        for member in group.members {
            member.hasSynced = false
            member.isNew = false
            member.lastHeardFromMs = now
            member.resumeJoin(joinResponse(group, for: member))
        }
        logger.info(
            "group rebalanced",
            metadata: [
                "group": "\(group.groupId)", "generation": "\(group.generationId)", "members": "\(group.members.count)",
                "protocol": "\(group.protocolName ?? "")",
            ])
    }

    /// The current generation as `member` sees it; only the leader gets the members' metadata.
    private func joinResponse(_ group: ClassicGroup, for member: GroupMember) -> JoinGroupResponse {
        let members =
            group.isLeader(member.memberId)
            ? group.members.map {
                JoinGroupResponse.Member(
                    memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata(for: group.protocolName))
            } : []
        return JoinGroupResponse(
            errorCode: .none, generationId: group.generationId, protocolName: group.protocolName ?? "",
            leader: group.leaderId ?? "", memberId: member.memberId, members: members)
    }

    // MARK: SyncGroup

    public func syncGroup(_ r: SyncGroupRequest, version: Int16) async -> SyncGroupResponse {
        await withCheckedContinuation { (waiter: CheckedContinuation<SyncGroupResponse, Never>) in
            handleSync(r, version: version, waiter: waiter)
        }
    }

    private func handleSync(_ r: SyncGroupRequest, version: Int16, waiter: CheckedContinuation<SyncGroupResponse, Never>) {
        let now = clock()
        guard !isShutDown else { return waiter.resume(returning: SyncGroupResponse(errorCode: .notCoordinator)) }
        guard !r.groupId.isEmpty else { return waiter.resume(returning: SyncGroupResponse(errorCode: .invalidGroupId)) }
        guard let group = groups[r.groupId] else { return waiter.resume(returning: SyncGroupResponse(errorCode: .unknownMemberId)) }
        let instanceId = version >= 3 ? r.groupInstanceId : nil
        if group.state == .dead { return waiter.resume(returning: SyncGroupResponse(errorCode: .coordinatorNotAvailable)) }
        if group.isStaticMemberFenced(memberId: r.memberId, groupInstanceId: instanceId) {
            return waiter.resume(returning: SyncGroupResponse(errorCode: .fencedInstanceId))
        }
        guard let member = group.member(r.memberId) else { return waiter.resume(returning: SyncGroupResponse(errorCode: .unknownMemberId)) }
        guard r.generationId == group.generationId else {
            return waiter.resume(returning: SyncGroupResponse(errorCode: .illegalGeneration))
        }
        switch group.state {
        case .empty, .dead:
            waiter.resume(returning: SyncGroupResponse(errorCode: .unknownMemberId))
        case .preparingRebalance:
            waiter.resume(returning: SyncGroupResponse(errorCode: .rebalanceInProgress))
        case .stable:
            member.lastHeardFromMs = now
            waiter.resume(returning: SyncGroupResponse(errorCode: .none, assignment: member.assignment))
        case .completingRebalance:
            member.lastHeardFromMs = now
            member.hasSynced = true
            member.resumeSync(SyncGroupResponse(errorCode: .rebalanceInProgress))  // superseded by this retry
            member.awaitingSync = waiter
            guard group.isLeader(member.memberId) else { return }  // followers wait for the leader
            var assignments: [String: ByteBuffer] = [:]
            for a in r.assignments { assignments[a.memberId] = a.assignment }
            storeAssignment(group, assignments)
        }
    }

    /// Persists the leader's assignment as group metadata; once durable, hands every member its share and
    /// the group becomes Stable — unless the group moved on meanwhile.
    private func storeAssignment(_ group: ClassicGroup, _ assignments: [String: ByteBuffer]) {
        let generation = group.generationId
        var value = groupMetadataValue(group)
        for i in value.members.indices { value.members[i].assignment = assignments[value.members[i].memberId] ?? ByteBuffer() }
        let target: PendingWrite
        do throws(StorageError) {
            target = try appendRecords([(.groupMetadata(group: group.groupId), value.encoded())])
        } catch {
            logger.error("cannot store group assignment", metadata: ["group": "\(group.groupId)", "error": "\(error)"])
            return finishSync(group, generation: generation, assignments, error: .coordinatorNotAvailable)
        }
        let groupId = group.groupId
        Task {
            let error: KafkaErrorCode = await self.waitUntilDurable(target) ? .none : .coordinatorNotAvailable
            self.finishSync(groupId: groupId, generation: generation, assignments, error: error)
        }
    }

    private func finishSync(groupId: String, generation: Int32, _ assignments: [String: ByteBuffer], error: KafkaErrorCode) {
        guard let group = groups[groupId] else { return }
        finishSync(group, generation: generation, assignments, error: error)
    }

    private func finishSync(_ group: ClassicGroup, generation: Int32, _ assignments: [String: ByteBuffer], error: KafkaErrorCode) {
        // Another join or a removal may have moved the group on while the write was in flight.
        guard group.state == .completingRebalance, group.generationId == generation else { return }
        let now = clock()
        if error != .none {
            for member in group.members {
                member.assignment = ByteBuffer()
                member.resumeSync(SyncGroupResponse(errorCode: error))
            }
            prepareRebalance(group, now: now)
            return
        }
        for member in group.members {
            member.assignment = assignments[member.memberId] ?? ByteBuffer()
            if member.resumeSync(SyncGroupResponse(errorCode: .none, assignment: member.assignment)) {
                member.lastHeardFromMs = now
            }
        }
        group.syncDeadlineMs = nil
        group.transition(to: .stable, nowMs: now)
        logger.info("group stable", metadata: ["group": "\(group.groupId)", "generation": "\(group.generationId)"])
    }

    // MARK: Heartbeat and LeaveGroup

    public func heartbeat(_ r: HeartbeatRequest, version: Int16) -> HeartbeatResponse {
        let now = clock()
        guard !r.groupId.isEmpty else { return HeartbeatResponse(errorCode: .invalidGroupId) }
        guard let group = groups[r.groupId] else { return HeartbeatResponse(errorCode: .unknownMemberId) }
        if group.state == .dead { return HeartbeatResponse(errorCode: .coordinatorNotAvailable) }
        if group.isStaticMemberFenced(memberId: r.memberId, groupInstanceId: version >= 3 ? r.groupInstanceId : nil) {
            return HeartbeatResponse(errorCode: .fencedInstanceId)
        }
        guard let member = group.member(r.memberId) else { return HeartbeatResponse(errorCode: .unknownMemberId) }
        guard r.generationId == group.generationId else { return HeartbeatResponse(errorCode: .illegalGeneration) }
        switch group.state {
        case .empty, .dead:
            return HeartbeatResponse(errorCode: .unknownMemberId)
        case .preparingRebalance:
            member.lastHeardFromMs = now
            return HeartbeatResponse(errorCode: .rebalanceInProgress)
        case .completingRebalance, .stable:
            member.lastHeardFromMs = now
            return HeartbeatResponse(errorCode: .none)
        }
    }

    public func leaveGroup(_ r: LeaveGroupRequest, version: Int16) -> LeaveGroupResponse {
        let now = clock()
        guard !r.groupId.isEmpty else { return LeaveGroupResponse(errorCode: .invalidGroupId) }
        guard let group = groups[r.groupId] else { return LeaveGroupResponse(errorCode: .unknownMemberId) }
        if group.state == .dead { return LeaveGroupResponse(errorCode: .coordinatorNotAvailable) }
        if group.pendingMembers.removeValue(forKey: r.memberId) != nil {
            tryCompleteJoin(group, now: now)
            return LeaveGroupResponse(errorCode: .none)
        }
        guard let member = group.member(r.memberId) else { return LeaveGroupResponse(errorCode: .unknownMemberId) }
        logger.info("member left", metadata: ["group": "\(group.groupId)", "member": "\(member.memberId)"])
        removeMemberAndUpdateGroup(group, member, now: now)
        return LeaveGroupResponse(errorCode: .none)
    }

    /// Removes a member (left, session expired, never synced) and moves the group on: a settled group
    /// rebalances, a rebalancing one may now be complete.
    private func removeMemberAndUpdateGroup(_ group: ClassicGroup, _ member: GroupMember, now: Int64) {
        // Already gone (an earlier removal in the same sweep completed the join without it): nothing to redo.
        guard group.member(member.memberId) === member else { return }
        member.resumeJoin(Self.joinError("", .unknownMemberId))
        member.resumeSync(SyncGroupResponse(errorCode: .unknownMemberId))
        group.remove(member.memberId)
        switch group.state {
        case .dead, .empty: break
        case .stable, .completingRebalance:
            prepareRebalance(group, now: now)
            tryCompleteJoin(group, now: now)
        case .preparingRebalance:
            tryCompleteJoin(group, now: now)
        }
    }

    // MARK: Offsets

    /// Durable before it returns (fsynced in the offsets log).
    public func offsetCommit(_ r: OffsetCommitRequest, version: Int16) async -> OffsetCommitResponse {
        let now = clock()
        func all(_ error: KafkaErrorCode) -> OffsetCommitResponse {
            OffsetCommitResponse(
                topics: r.topics.map { t in
                    .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error) })
                })
        }
        let group: ClassicGroup
        if let existing = groups[r.groupId] {
            group = existing
        } else {
            // No group: only a standalone commit (generation −1) may create one.
            guard r.generationId < 0 else { return all(.illegalGeneration) }
            group = ClassicGroup(groupId: r.groupId, nowMs: now)
            groups[r.groupId] = group
        }
        if group.state == .dead { return all(.coordinatorNotAvailable) }
        if group.isStaticMemberFenced(memberId: r.memberId, groupInstanceId: version >= 7 ? r.groupInstanceId : nil) {
            return all(.fencedInstanceId)
        }
        if !(r.generationId < 0 && group.state == .empty) {
            guard let member = group.member(r.memberId) else { return all(.unknownMemberId) }
            guard r.generationId == group.generationId else { return all(.illegalGeneration) }
            // Commits during PreparingRebalance are accepted: eager consumers commit while revoking.
            guard group.state != .completingRebalance else { return all(.rebalanceInProgress) }
            member.lastHeardFromMs = now
        }

        var response = OffsetCommitResponse()
        var records: [(OffsetsLogKey, ByteBuffer?)] = []
        var accepted: [(TopicPartition, CommittedOffset)] = []
        for topic in r.topics {
            var out = OffsetCommitResponse.Topic(name: topic.name)
            for p in topic.partitions {
                let metadata = p.committedMetadata ?? ""
                if metadata.utf8.count > config.maxOffsetMetadataBytes {
                    out.partitions.append(.init(partitionIndex: p.partitionIndex, errorCode: .offsetMetadataTooLarge))
                    continue
                }
                let committed = CommittedOffset(
                    offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: metadata, commitTimestampMs: now)
                records.append((.offset(group: r.groupId, topic: topic.name, partition: p.partitionIndex), committed.encoded()))
                accepted.append((TopicPartition(topic: topic.name, partition: p.partitionIndex), committed))
                out.partitions.append(.init(partitionIndex: p.partitionIndex, errorCode: .none))
            }
            response.topics.append(out)
        }
        guard !records.isEmpty else { return response }

        func failAccepted(_ error: KafkaErrorCode) -> OffsetCommitResponse {
            var failed = response
            for t in failed.topics.indices {
                for p in failed.topics[t].partitions.indices where failed.topics[t].partitions[p].errorCode == .none {
                    failed.topics[t].partitions[p].errorCode = error
                }
            }
            return failed
        }
        let target: PendingWrite
        do throws(StorageError) {
            target = try appendRecords(records)
        } catch {
            logger.error("cannot append offset commit", metadata: ["group": "\(r.groupId)", "error": "\(error)"])
            return failAccepted(error.kind == .invalidBatch ? .invalidCommitOffsetSize : .coordinatorNotAvailable)
        }
        // Applied in log order, here on the actor, so memory always agrees with what replay will rebuild.
        for (tp, committed) in accepted { group.offsets[tp] = committed }
        guard await waitUntilDurable(target) else { return failAccepted(.coordinatorNotAvailable) }
        return response
    }

    public func offsetFetch(_ r: OffsetFetchRequest, version: Int16) -> OffsetFetchResponse {
        let offsets = groups[r.groupId]?.offsets ?? [:]
        func partition(_ index: Int32, _ committed: CommittedOffset?) -> OffsetFetchResponse.Topic.Partition {
            guard let committed else { return .init(partitionIndex: index, committedOffset: -1, committedLeaderEpoch: -1, metadata: "") }
            return .init(
                partitionIndex: index, committedOffset: committed.offset, committedLeaderEpoch: committed.leaderEpoch,
                metadata: committed.metadata)
        }
        guard let requested = r.topics else {
            // Every partition with a committed offset.
            var byTopic: [String: [(Int32, CommittedOffset)]] = [:]
            for (tp, committed) in offsets { byTopic[tp.topic, default: []].append((tp.partition, committed)) }
            return OffsetFetchResponse(
                topics: byTopic.keys.sorted().map { name in
                    .init(name: name, partitions: byTopic[name]!.sorted { $0.0 < $1.0 }.map { partition($0.0, $0.1) })
                })
        }
        return OffsetFetchResponse(
            topics: requested.map { t in
                .init(
                    name: t.name,
                    partitions: t.partitionIndexes.map { partition($0, offsets[TopicPartition(topic: t.name, partition: $0)]) })
            })
    }

    /// Committed offsets for the consumer-lag metric: (group, topic, partition, offset).
    public func committedOffsets() -> [(group: String, topic: String, partition: Int32, offset: Int64)] {
        var out: [(group: String, topic: String, partition: Int32, offset: Int64)] = []
        for groupId in groups.keys.sorted() {
            for (tp, committed) in groups[groupId]!.offsets.sorted(by: { $0.key < $1.key }) {
                out.append((groupId, tp.topic, tp.partition, committed.offset))
            }
        }
        return out
    }

    /// Drops committed offsets of a deleted topic (tombstones in the offsets log).
    public func topicDeleted(_ name: String) async {
        var records: [(OffsetsLogKey, ByteBuffer?)] = []
        for group in groups.values {
            for tp in group.offsets.keys where tp.topic == name {
                group.offsets.removeValue(forKey: tp)
                records.append((.offset(group: group.groupId, topic: tp.topic, partition: tp.partition), nil))
            }
        }
        guard !records.isEmpty else { return }
        do throws(StorageError) {
            let target = try appendRecords(records)
            _ = await waitUntilDurable(target)
        } catch {
            logger.error("cannot write offset tombstones", metadata: ["topic": "\(name)", "error": "\(error)"])
        }
    }

    // MARK: Admin

    public func describeGroups(_ r: DescribeGroupsRequest, version: Int16) -> DescribeGroupsResponse {
        DescribeGroupsResponse(
            groups: r.groups.map { groupId in
                guard let group = groups[groupId] else { return .init(errorCode: .none, groupId: groupId, groupState: GroupState.dead.rawValue) }
                // As Kafka: metadata and assignments only once the group is Stable.
                let stable = group.state == .stable
                return .init(
                    errorCode: .none, groupId: groupId, groupState: group.state.rawValue, protocolType: group.protocolType ?? "",
                    protocolData: stable ? group.protocolName ?? "" : "",
                    members: group.members.map { m in
                        .init(
                            memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                            memberMetadata: stable ? m.metadata(for: group.protocolName) : ByteBuffer(),
                            memberAssignment: stable ? m.assignment : ByteBuffer())
                    })
            })
    }

    public func listGroups(_ r: ListGroupsRequest, version: Int16) -> ListGroupsResponse {
        ListGroupsResponse(
            groups: groups.values.filter { $0.state != .dead }.sorted { $0.groupId < $1.groupId }.map {
                .init(groupId: $0.groupId, protocolType: $0.protocolType ?? "")
            })
    }

    /// Deletes Empty groups with their offsets (tombstones, durable before answering).
    public func deleteGroups(_ r: DeleteGroupsRequest, version: Int16) async -> DeleteGroupsResponse {
        var results: [DeleteGroupsResponse.Result] = []
        var records: [(OffsetsLogKey, ByteBuffer?)] = []
        var deleted: [Int] = []
        for groupId in r.groupsNames {
            guard let group = groups[groupId], group.state != .dead else {
                results.append(.init(groupId: groupId, errorCode: .groupIdNotFound))
                continue
            }
            guard group.state == .empty else {
                results.append(.init(groupId: groupId, errorCode: .nonEmptyGroup))
                continue
            }
            // Empty: no members, hence nothing parked; outstanding MEMBER_ID_REQUIRED ids just lapse.
            group.transition(to: .dead, nowMs: clock())
            group.pendingMembers.removeAll()
            groups.removeValue(forKey: groupId)
            for tp in group.offsets.keys.sorted() {
                records.append((.offset(group: groupId, topic: tp.topic, partition: tp.partition), nil))
            }
            records.append((.groupMetadata(group: groupId), nil))
            group.offsets.removeAll()
            deleted.append(results.count)
            results.append(.init(groupId: groupId, errorCode: .none))
        }
        guard !records.isEmpty else { return DeleteGroupsResponse(results: results) }
        var failure: KafkaErrorCode? = nil
        do throws(StorageError) {
            let target = try appendRecords(records)
            if !(await waitUntilDurable(target)) { failure = .coordinatorNotAvailable }
        } catch {
            logger.error("cannot write group tombstones", metadata: ["error": "\(error)"])
            failure = .coordinatorNotAvailable
        }
        if let failure { for i in deleted { results[i].errorCode = failure } }
        return DeleteGroupsResponse(results: results)
    }

    // MARK: Offsets log

    private func groupMetadataValue(_ group: ClassicGroup) -> GroupMetadataValue {
        GroupMetadataValue(
            protocolType: group.protocolType ?? "", generationId: group.generationId, protocolName: group.protocolName,
            leaderId: group.leaderId, currentStateTimestampMs: group.stateTimestampMs,
            members: group.members.map { m in
                .init(
                    memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
                    rebalanceTimeoutMs: Int32(clamping: m.rebalanceTimeoutMs), sessionTimeoutMs: Int32(clamping: m.sessionTimeoutMs),
                    subscription: m.metadata(for: group.protocolName), assignment: m.assignment)
            })
    }

    /// Records the group's current metadata; durable with the next fsync (replay then restores it).
    private func storeGroupMetadata(_ group: ClassicGroup) {
        do throws(StorageError) {
            _ = try appendRecords([(.groupMetadata(group: group.groupId), groupMetadataValue(group).encoded())])
        } catch {
            logger.error("cannot store group metadata", metadata: ["group": "\(group.groupId)", "error": "\(error)"])
        }
    }

    /// Appends one batch of offsets-log records (nil value = tombstone) and returns the offset that must
    /// become durable. Appends happen on the actor, so the log order is the order of state changes.
    private func appendRecords(_ records: [(OffsetsLogKey, ByteBuffer?)]) throws(StorageError) -> PendingWrite {
        var builder = RecordBatchBuilder()
        let now = clock()
        for (key, value) in records { builder.append(key: key.encoded(), value: value, timestamp: now) }
        let batch: RecordBatch
        do throws(RecordBatchError) {
            batch = try builder.build()
        } catch {
            throw StorageError(.invalidBatch, "\(error)", batchError: error)
        }
        if let writer { return .replicated(writer.append(batch)) }  // appended in call order by the node
        return .local(try offsetsLog.append(batch).lastOffset + 1)
    }

    /// An offsets-log append waiting to be acknowledged.
    enum PendingWrite: Sendable {
        /// Durable once the local log is fsynced below this offset.
        case local(Int64)
        /// Durable (on both nodes) when this completes.
        case replicated(EventLoopFuture<Void>)
    }

    /// Waits, off the actor's executor, until the write is acknowledged. False on failure.
    private nonisolated func waitUntilDurable(_ write: PendingWrite) async -> Bool {
        let log = offsetsLog
        do {
            switch write {
            case .local(let target): try await durabilityPool.runIfActive { try log.waitUntilDurable(target) }
            case .replicated(let future): try await future.get()
            }
            return true
        } catch {
            logger.error("offsets log fsync failed", metadata: ["error": "\(error)"])
            return false
        }
    }
}

/// Rebuilds committed offsets and group metadata by reading the offsets log from start to end; the
/// latest record per key wins and a tombstone (null value) deletes.
enum OffsetsLogReplay {
    struct State {
        var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
        var groups: [String: GroupMetadataValue] = [:]
    }

    static func replay(_ log: PartitionLog, logger: Logger) throws(StorageError) -> State {
        var state = State()
        var offset = log.logStartOffset
        let end = log.logEndOffset
        var skipped = 0
        while offset < end {
            let bytes = try log.read(from: offset, maxBytes: 4 << 20)
            var scanner = RecordBatchScanner(bytes)
            var progressed = false
            while let (index, header) = scanner.next() {
                guard header.lastOffset >= offset else { continue }
                offset = header.nextOffset
                progressed = true
                guard !header.attributes.isControl, let slice = bytes.getSlice(at: index, length: header.totalSize) else { continue }
                let batch = RecordBatch(unchecked: slice, header: header)
                do throws(RecordBatchError) {
                    var records = try batch.records()
                    while let record = try records.next() {
                        if !apply(record, to: &state) { skipped += 1 }
                    }
                } catch {
                    logger.error("offsets log: unreadable batch skipped", metadata: ["offset": "\(header.baseOffset)", "error": "\(error)"])
                }
            }
            guard progressed else {
                logger.error("offsets log: replay stopped early", metadata: ["offset": "\(offset)", "end": "\(end)"])
                break
            }
        }
        if skipped > 0 { logger.warning("offsets log: records not understood were skipped", metadata: ["count": "\(skipped)"]) }
        return state
    }

    /// Applies one record; false when its key or value cannot be decoded.
    private static func apply(_ record: Record, to state: inout State) -> Bool {
        guard let keyBytes = record.key, let key = OffsetsLogKey(decoding: keyBytes) else { return false }
        switch key {
        case .offset(let group, let topic, let partition):
            let tp = TopicPartition(topic: topic, partition: partition)
            guard let valueBytes = record.value else {
                state.offsets[group]?.removeValue(forKey: tp)
                return true
            }
            guard let value = CommittedOffset(decoding: valueBytes) else { return false }
            state.offsets[group, default: [:]][tp] = value
        case .groupMetadata(let group):
            guard let valueBytes = record.value else {
                state.groups.removeValue(forKey: group)
                return true
            }
            guard let value = GroupMetadataValue(decoding: valueBytes) else { return false }
            state.groups[group] = value
        }
        return true
    }
}
