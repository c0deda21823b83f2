import NIOCore
import WeirProtocol

/// The classic protocol's group states, named as DescribeGroups reports them.
enum GroupState: String, Sendable {
    case empty = "Empty"
    case preparingRebalance = "PreparingRebalance"
    case completingRebalance = "CompletingRebalance"
    case stable = "Stable"
    case dead = "Dead"
}

/// A committed offset's (topic, partition).
struct TopicPartition: Hashable, Sendable, Comparable {
    var topic: String
    var partition: Int32

    static func < (a: TopicPartition, b: TopicPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// One member of a classic group. Confined to the `GroupCoordinator` actor.
final class GroupMember {
    let memberId: String
    let groupInstanceId: String?
    var clientId: String
    var clientHost: String
    var sessionTimeoutMs: Int64
    var rebalanceTimeoutMs: Int64
    var protocolType: String
    /// The protocols the member supports, most preferred first, each with its metadata (the subscription).
    var protocols: [JoinGroupRequest.JoinGroupProtocol]
    var assignment = ByteBuffer()
    /// Last time the member was heard from (join, sync, heartbeat, commit): its session runs from here.
    var lastHeardFromMs: Int64
    /// Joined in the rebalance under way and never completed one: a parked join of a new member expires.
    var isNew = true
    /// Sent SyncGroup in the current CompletingRebalance phase.
    var hasSynced = false
    /// The member's parked JoinGroup; resumed exactly once, then cleared.
    var awaitingJoin: CheckedContinuation<JoinGroupResponse, Never>?
    /// The member's parked SyncGroup; resumed exactly once, then cleared.
    var awaitingSync: CheckedContinuation<SyncGroupResponse, Never>?

    init(
        memberId: String, groupInstanceId: String?, clientId: String, clientHost: String, sessionTimeoutMs: Int64,
        rebalanceTimeoutMs: Int64, protocolType: String, protocols: [JoinGroupRequest.JoinGroupProtocol], nowMs: Int64
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.lastHeardFromMs = nowMs
    }

    var protocolNames: [String] { protocols.map(\.name) }

    func metadata(for protocolName: String?) -> ByteBuffer {
        protocols.first { $0.name == protocolName }?.metadata ?? ByteBuffer()
    }

    /// Same protocols, in the same order, with the same metadata: a re-join that changes nothing.
    func matches(_ other: [JoinGroupRequest.JoinGroupProtocol]) -> Bool { protocols == other }

    /// Answers the parked JoinGroup, if any.
    func resumeJoin(_ response: JoinGroupResponse) {
        guard let waiter = awaitingJoin else { return }
        awaitingJoin = nil
        waiter.resume(returning: response)
    }

    /// Answers the parked SyncGroup, if any. Returns whether one was parked.
    @discardableResult
    func resumeSync(_ response: SyncGroupResponse) -> Bool {
        guard let waiter = awaitingSync else { return false }
        awaitingSync = nil
        waiter.resume(returning: response)
        return true
    }
}

/// A classic consumer group: membership, the rebalance under way, and committed offsets.
/// Confined to the `GroupCoordinator` actor; it holds state only, the coordinator drives transitions.
final class ClassicGroup {
    let groupId: String
    private(set) var state: GroupState = .empty
    private(set) var stateTimestampMs: Int64
    var generationId: Int32 = 0
    var protocolType: String?
    var protocolName: String?
    var leaderId: String?
    /// In join order: when the leader leaves, the earliest remaining member leads.
    private(set) var members: [GroupMember] = []
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the time they lapse if not used to join.
    var pendingMembers: [String: Int64] = [:]
    /// group.instance.id → member id of the static member holding it.
    var staticMembers: [String: String] = [:]
    var offsets: [TopicPartition: CommittedOffset] = [:]

    /// PreparingRebalance: when the join phase ends even if members are missing.
    var joinDeadlineMs: Int64?
    /// Non-nil while the first rebalance of an empty group is held back by group.initial.rebalance.delay:
    /// how much of the rebalance timeout is left to extend the delay with.
    var initialDelayRemainingMs: Int64?
    /// A member joined during the initial delay: extend it once more.
    var newMemberAdded = false
    /// CompletingRebalance: members that have not sent SyncGroup by then are removed.
    var syncDeadlineMs: Int64?

    init(groupId: String, nowMs: Int64) {
        self.groupId = groupId
        self.stateTimestampMs = nowMs
    }

    func transition(to newState: GroupState, nowMs: Int64) {
        state = newState
        stateTimestampMs = nowMs
    }

    func member(_ memberId: String) -> GroupMember? { members.first { $0.memberId == memberId } }

    func isLeader(_ memberId: String) -> Bool { leaderId == memberId }

    func add(_ member: GroupMember) {
        if members.isEmpty { protocolType = member.protocolType }
        members.append(member)
        if leaderId == nil { leaderId = member.memberId }
        if let instance = member.groupInstanceId { staticMembers[instance] = member.memberId }
    }

    func remove(_ memberId: String) {
        guard let index = members.firstIndex(where: { $0.memberId == memberId }) else { return }
        let member = members.remove(at: index)
        if let instance = member.groupInstanceId, staticMembers[instance] == memberId {
            staticMembers.removeValue(forKey: instance)
        }
        if leaderId == memberId { leaderId = members.first?.memberId }
    }

    /// A static member restarted: `replacement` takes `old`'s place (position, leadership, instance id).
    func replace(_ old: GroupMember, with replacement: GroupMember) {
        guard let index = members.firstIndex(where: { $0 === old }) else { return }
        members[index] = replacement
        if leaderId == old.memberId { leaderId = replacement.memberId }
        if let instance = replacement.groupInstanceId { staticMembers[instance] = replacement.memberId }
    }

    /// The member id holding `groupInstanceId` is another one: the caller is a fenced zombie.
    func isStaticMemberFenced(memberId: String, groupInstanceId: String?) -> Bool {
        guard let instance = groupInstanceId, let holder = staticMembers[instance] else { return false }
        return holder != memberId
    }

    /// Every known member has a parked JoinGroup and no MEMBER_ID_REQUIRED id is still outstanding.
    var hasAllMembersJoined: Bool {
        pendingMembers.isEmpty && members.allSatisfy { $0.awaitingJoin != nil }
    }

    var maxRebalanceTimeoutMs: Int64 { members.map(\.rebalanceTimeoutMs).max() ?? 0 }

    /// Protocols every member (other than `excluding`) supports.
    func candidateProtocols(excluding memberId: String? = nil) -> Set<String>? {
        var candidates: Set<String>?
        for m in members where m.memberId != memberId {
            let names = Set(m.protocolNames)
            candidates = candidates.map { $0.intersection(names) } ?? names
        }
        return candidates
    }

    /// Whether a member offering `protocolType` and `protocols` may join: the group's type, and at least
    /// one protocol every other member supports. An empty group accepts any non-empty offer.
    func supportsProtocols(memberId: String, protocolType: String, protocols: [String]) -> Bool {
        guard !protocolType.isEmpty, !protocols.isEmpty else { return false }
        guard let candidates = candidateProtocols(excluding: memberId) else { return true }
        return self.protocolType == protocolType && !candidates.isDisjoint(with: protocols)
    }

    /// Kafka's vote: each member votes for its most preferred protocol that all members support; the
    /// most votes wins, ties going to the protocol the leader prefers.
    func selectProtocol() -> String? {
        guard let candidates = candidateProtocols(), !candidates.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        for m in members {
            if let choice = m.protocolNames.first(where: candidates.contains) { votes[choice, default: 0] += 1 }
        }
        let leaderOrder = (leaderId.flatMap(member)?.protocolNames ?? []) + candidates.sorted()
        let best = votes.values.max() ?? 0
        return leaderOrder.first { votes[$0] == best }
    }
}
