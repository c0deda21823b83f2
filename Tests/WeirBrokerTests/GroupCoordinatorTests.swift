import Foundation
import NIOCore
import Testing
import WeirProtocol
import WeirStorage
import WeirTestSupport

@testable import WeirBroker

@Suite struct GroupCoordinatorTests {
    @Test func twoMembersJoinOneGenerationAndSyncDistributesTheLeadersAssignment() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 100)
        let coordinator = try harness.coordinator()
        let a = Pending { await coordinator.joinGroup(joinRequest(protocols: [("range", "sub-a")]), version: 3, client: consumerClient) }
        try await eventually("a parked") { await coordinator.inspect("g")?.parkedJoins == 1 }
        let b = Pending { await coordinator.joinGroup(joinRequest(protocols: [("range", "sub-b")]), version: 3, client: consumerClient) }
        try await eventually("b parked") { await coordinator.inspect("g")?.parkedJoins == 2 }

        // The initial delay holds the join back, and is extended once because b arrived during it.
        harness.clock.advance(100)
        await coordinator.tick()
        #expect(!a.isDone && !b.isDone)
        #expect(await coordinator.inspect("g")?.state == "PreparingRebalance")
        harness.clock.advance(100)
        await coordinator.tick()

        let ja = try await a.value(), jb = try await b.value()
        #expect(ja.errorCode == .none && jb.errorCode == .none)
        #expect(ja.generationId == 1 && jb.generationId == 1)
        #expect(ja.leader == ja.memberId && jb.leader == ja.memberId)
        #expect(ja.protocolName == "range")
        #expect(ja.memberId.hasPrefix("consumer-") && ja.memberId != jb.memberId)
        #expect(Set(ja.members.map { $0.metadata.text }) == ["sub-a", "sub-b"])
        #expect(jb.members.isEmpty)

        // The follower waits for the leader's assignment.
        let followerSync = Pending { await coordinator.syncGroup(syncRequest(generation: 1, member: jb.memberId), version: 3) }
        try await eventually("follower sync parked") { await coordinator.inspect("g")?.parkedSyncs == 1 }
        #expect(!followerSync.isDone)
        let leaderSync = await coordinator.syncGroup(
            syncRequest(generation: 1, member: ja.memberId, assignments: [ja.memberId: "p0", jb.memberId: "p1"]), version: 3)
        #expect(leaderSync.errorCode == .none && leaderSync.assignment.text == "p0")
        let fs = try await followerSync.value()
        #expect(fs.errorCode == .none && fs.assignment.text == "p1")
        #expect(await coordinator.inspect("g")?.state == "Stable")
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: jb.memberId), version: 3).errorCode == .none)
        // A late sync in Stable gets the stored assignment.
        #expect(await coordinator.syncGroup(syncRequest(generation: 1, member: jb.memberId), version: 3).assignment.text == "p1")

        // A follower re-joining with unchanged metadata gets the current generation back without a rebalance.
        let again = await coordinator.joinGroup(joinRequest(member: jb.memberId, protocols: [("range", "sub-b")]), version: 3, client: consumerClient)
        #expect(again.errorCode == .none && again.generationId == 1 && again.members.isEmpty)
        #expect(await coordinator.inspect("g")?.state == "Stable")
        // The leader re-joining starts one (it wants to reassign, e.g. after a metadata change).
        let leaderAgain = Pending { await coordinator.joinGroup(joinRequest(member: ja.memberId, protocols: [("range", "sub-a")]), version: 3, client: consumerClient) }
        try await eventually("rebalance") { await coordinator.inspect("g")?.state == "PreparingRebalance" }
        _ = await coordinator.joinGroup(joinRequest(member: jb.memberId, protocols: [("range", "sub-b")]), version: 3, client: consumerClient)
        #expect(try await leaderAgain.value().generationId == 2)
    }

    @Test func memberIdRequiredRoundTrip() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        let first = await coordinator.joinGroup(joinRequest(), version: 4, client: GroupClient(clientId: "rdkafka", clientHost: "/10.0.0.1"))
        #expect(first.errorCode == .memberIdRequired)
        #expect(first.memberId.hasPrefix("rdkafka-") && first.memberId.count > "rdkafka-".count + 30)
        #expect(await coordinator.inspect("g")?.members.isEmpty == true)  // not a member until it re-joins

        // An id the coordinator never handed out is refused.
        #expect(await coordinator.joinGroup(joinRequest(member: "made-up"), version: 4, client: consumerClient).errorCode == .unknownMemberId)

        let second = await coordinator.joinGroup(joinRequest(member: first.memberId), version: 4, client: consumerClient)
        #expect(second.errorCode == .none && second.memberId == first.memberId && second.generationId == 1)
        #expect(second.leader == first.memberId && second.members.map(\.memberId) == [first.memberId])

        // v0–3 get an id straight away and count at once.
        let old = await coordinator.joinGroup(joinRequest("h"), version: 2, client: consumerClient)
        #expect(old.errorCode == .none && old.generationId == 1 && !old.memberId.isEmpty)
    }

    @Test func pendingMemberIdHoldsTheJoinUntilItIsUsedOrLapses() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        let a = await coordinator.joinGroup(joinRequest(session: 10_000), version: 5, client: consumerClient)
        let b = await coordinator.joinGroup(joinRequest(session: 10_000), version: 5, client: consumerClient)
        #expect(a.errorCode == .memberIdRequired && b.errorCode == .memberIdRequired)
        let ja = Pending { await coordinator.joinGroup(joinRequest(member: a.memberId, session: 10_000), version: 5, client: consumerClient) }
        try await eventually("a parked") { await coordinator.inspect("g")?.parkedJoins == 1 }
        // b's id is outstanding: the join waits for it until it lapses after a session timeout.
        harness.clock.advance(9_999)
        await coordinator.tick()
        #expect(!ja.isDone)
        harness.clock.advance(1)
        await coordinator.tick()
        let response = try await ja.value()
        #expect(response.errorCode == .none && response.members.map(\.memberId) == [a.memberId])
        // The lapsed id is unknown now.
        #expect(await coordinator.joinGroup(joinRequest(member: b.memberId), version: 5, client: consumerClient).errorCode == .unknownMemberId)
    }

    @Test func aThirdMemberTriggersARebalanceOfTheOthers() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 10)
        let coordinator = try harness.coordinator()
        let first = try await joinStableGroup(coordinator, harness, count: 2)
        let (a, b) = (first[0].memberId, first[1].memberId)

        let c = Pending { await coordinator.joinGroup(joinRequest(protocols: [("range", "sub-c")]), version: 3, client: consumerClient) }
        try await eventually("c parked") { await coordinator.inspect("g")?.state == "PreparingRebalance" }
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: a), version: 3).errorCode == .rebalanceInProgress)
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: b), version: 3).errorCode == .rebalanceInProgress)
        #expect(await coordinator.syncGroup(syncRequest(generation: 1, member: a), version: 3).errorCode == .rebalanceInProgress)
        // Eager consumers commit while revoking: accepted during PreparingRebalance.
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 5)], generation: 1, member: a), version: 2)) == [.none])

        let ra = Pending { await coordinator.joinGroup(joinRequest(member: a, protocols: [("range", "sub-0")]), version: 3, client: consumerClient) }
        try await eventually("a re-joined") { await coordinator.inspect("g")?.parkedJoins == 2 }
        #expect(!c.isDone && !ra.isDone)
        let rb = await coordinator.joinGroup(joinRequest(member: b, protocols: [("range", "sub-1")]), version: 3, client: consumerClient)
        let jc = try await c.value(), ja = try await ra.value()
        for r in [ja, rb, jc] {
            #expect(r.errorCode == .none && r.generationId == 2 && r.leader == a)
        }
        #expect(Set(ja.members.map(\.memberId)) == [a, b, jc.memberId])
        #expect(rb.members.isEmpty && jc.members.isEmpty)
        // The old generation is over.
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: b), version: 3).errorCode == .illegalGeneration)
        #expect(await coordinator.syncGroup(syncRequest(generation: 1, member: b), version: 3).errorCode == .illegalGeneration)
        // During CompletingRebalance commits are refused with REBALANCE_IN_PROGRESS; heartbeats are fine.
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 6)], generation: 2, member: b), version: 2)) == [.rebalanceInProgress])
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 2, memberId: b), version: 3).errorCode == .none)
    }

    @Test func leavingAndSessionExpiryRebalanceTheGroup() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 10)
        let coordinator = try harness.coordinator()
        let members = try await joinStableGroup(coordinator, harness, count: 3).map(\.memberId)

        #expect(await coordinator.leaveGroup(LeaveGroupRequest(groupId: "g", memberId: members[0]), version: 1).errorCode == .none)
        #expect(await coordinator.inspect("g")?.state == "PreparingRebalance")
        #expect(await coordinator.leaveGroup(LeaveGroupRequest(groupId: "g", memberId: members[0]), version: 1).errorCode == .unknownMemberId)
        // The leader left: the earliest remaining member leads the next generation.
        let r1 = Pending { await coordinator.joinGroup(joinRequest(member: members[1], protocols: [("range", "sub-1")]), version: 3, client: consumerClient) }
        let r2 = await coordinator.joinGroup(joinRequest(member: members[2], protocols: [("range", "sub-2")]), version: 3, client: consumerClient)
        let j1 = try await r1.value()
        #expect(j1.generationId == 2 && r2.generationId == 2 && j1.leader == members[1])
        _ = await coordinator.syncGroup(syncRequest(generation: 2, member: members[1], assignments: [:]), version: 3)
        #expect(await coordinator.inspect("g")?.state == "Stable")

        // members[2] keeps heartbeating; members[1] falls silent and its session (30 s) runs out.
        for _ in 0..<4 {
            harness.clock.advance(8_000)
            #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 2, memberId: members[2]), version: 3).errorCode == .none)
            await coordinator.tick()
        }
        #expect(await coordinator.inspect("g")?.members == [members[2]])
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 2, memberId: members[2]), version: 3).errorCode == .rebalanceInProgress)
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 2, memberId: members[1]), version: 3).errorCode == .unknownMemberId)
        let alone = await coordinator.joinGroup(joinRequest(member: members[2]), version: 3, client: consumerClient)
        #expect(alone.generationId == 3 && alone.leader == members[2])

        // The last member leaving empties the group (a new generation with no members).
        _ = await coordinator.syncGroup(syncRequest(generation: 3, member: members[2]), version: 3)
        #expect(await coordinator.leaveGroup(LeaveGroupRequest(groupId: "g", memberId: members[2]), version: 1).errorCode == .none)
        let state = await coordinator.inspect("g")
        #expect(state?.state == "Empty" && state?.generation == 4)
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 4, memberId: members[2]), version: 3).errorCode == .unknownMemberId)
    }

    @Test func rebalanceTimeoutRemovesAMemberThatNeverRejoined() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 10)
        let coordinator = try harness.coordinator()
        let members = try await joinStableGroup(coordinator, harness, count: 2).map(\.memberId)
        // a re-joins (rebalance timeout 60 s); b stays silent but within its 100 s session.
        let ra = Pending {
            await coordinator.joinGroup(joinRequest(member: members[0], session: 100_000, rebalance: 60_000), version: 3, client: consumerClient)
        }
        try await eventually("a parked") { await coordinator.inspect("g")?.parkedJoins == 1 }
        // b keeps its 30 s session alive with heartbeats (each told to re-join) but never re-joins.
        for _ in 0..<2 {
            harness.clock.advance(25_000)
            #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: members[1]), version: 3).errorCode == .rebalanceInProgress)
            await coordinator.tick()
        }
        harness.clock.advance(9_999)
        await coordinator.tick()
        #expect(!ra.isDone)
        harness.clock.advance(1)
        await coordinator.tick()
        let ja = try await ra.value()
        #expect(ja.errorCode == .none && ja.generationId == 2 && ja.members.map(\.memberId) == [members[0]])
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: members[1]), version: 3).errorCode == .unknownMemberId)
    }

    @Test func aLeaderThatNeverSyncsIsRemovedAfterTheRebalanceTimeout() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 10)
        let coordinator = try harness.coordinator()
        let a = Pending { await coordinator.joinGroup(joinRequest(rebalance: 20_000), version: 3, client: consumerClient) }
        try await eventually("a parked") { await coordinator.inspect("g")?.parkedJoins == 1 }
        let b = Pending { await coordinator.joinGroup(joinRequest(rebalance: 20_000), version: 3, client: consumerClient) }
        try await eventually("b parked") { await coordinator.inspect("g")?.parkedJoins == 2 }
        for _ in 0..<2 {
            harness.clock.advance(10)
            await coordinator.tick()
        }
        let ja = try await a.value(), jb = try await b.value()
        #expect(ja.leader == ja.memberId && jb.generationId == 1)
        let followerSync = Pending { await coordinator.syncGroup(syncRequest(generation: 1, member: jb.memberId), version: 3) }
        try await eventually("follower parked") { await coordinator.inspect("g")?.parkedSyncs == 1 }
        harness.clock.advance(19_999)
        await coordinator.tick()
        #expect(!followerSync.isDone)
        harness.clock.advance(1)
        await coordinator.tick()
        #expect(try await followerSync.value().errorCode == .rebalanceInProgress)
        let state = await coordinator.inspect("g")
        #expect(state?.state == "PreparingRebalance" && state?.members == [jb.memberId])
    }

    @Test func illegalGenerationAndUnknownMemberErrors() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        let m = try await joinStableGroup(coordinator, harness, count: 1)[0].memberId
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 7, memberId: m), version: 3).errorCode == .illegalGeneration)
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: 1, memberId: "nobody"), version: 3).errorCode == .unknownMemberId)
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "nogroup", generationId: 1, memberId: m), version: 3).errorCode == .unknownMemberId)
        #expect(await coordinator.syncGroup(syncRequest(generation: 0, member: m), version: 3).errorCode == .illegalGeneration)
        #expect(await coordinator.syncGroup(syncRequest(generation: 1, member: "nobody"), version: 3).errorCode == .unknownMemberId)
        #expect(await coordinator.syncGroup(syncRequest("nogroup", generation: 1, member: m), version: 3).errorCode == .unknownMemberId)
        #expect(await coordinator.joinGroup(joinRequest("nogroup", member: "x"), version: 3, client: consumerClient).errorCode == .unknownMemberId)
        #expect(await coordinator.leaveGroup(LeaveGroupRequest(groupId: "g", memberId: "nobody"), version: 1).errorCode == .unknownMemberId)
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 1)], generation: 0, member: m), version: 2)) == [.illegalGeneration])
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 1)], generation: 1, member: "nobody"), version: 2)) == [.unknownMemberId])
        // A standalone commit while the group has members is refused.
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 1)]), version: 2)) == [.unknownMemberId])
        // A generation for a group that does not exist.
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 1)], group: "nogroup", generation: 3, member: "x"), version: 2)) == [.illegalGeneration])

        #expect(await coordinator.joinGroup(joinRequest(session: 5_999), version: 3, client: consumerClient).errorCode == .invalidSessionTimeout)
        #expect(await coordinator.joinGroup(joinRequest(""), version: 3, client: consumerClient).errorCode == .invalidGroupId)
        // Another protocol type, or no protocol in common, is inconsistent.
        #expect(await coordinator.joinGroup(joinRequest(protocolType: "connect"), version: 3, client: consumerClient).errorCode == .inconsistentGroupProtocol)
        #expect(await coordinator.joinGroup(joinRequest(protocols: [("sticky", "x")]), version: 3, client: consumerClient).errorCode == .inconsistentGroupProtocol)
        #expect(await coordinator.inspect("g")?.state == "Stable")  // refused joins changed nothing
    }

    @Test func aFullGroupRefusesNewMembers() async throws {
        var harness = GroupHarness()
        harness.config.maxGroupSize = 2
        let coordinator = try harness.coordinator()
        let a = await coordinator.joinGroup(joinRequest(), version: 4, client: consumerClient)
        let b = await coordinator.joinGroup(joinRequest(), version: 4, client: consumerClient)
        #expect(a.errorCode == .memberIdRequired && b.errorCode == .memberIdRequired)
        // Two outstanding ids already fill the group.
        #expect(await coordinator.joinGroup(joinRequest(), version: 4, client: consumerClient).errorCode == .groupMaxSizeReached)
        #expect(await coordinator.joinGroup(joinRequest(), version: 3, client: consumerClient).errorCode == .groupMaxSizeReached)
        _ = await coordinator.leaveGroup(LeaveGroupRequest(groupId: "g", memberId: b.memberId), version: 1)
        #expect(await coordinator.joinGroup(joinRequest(member: a.memberId), version: 4, client: consumerClient).errorCode == .none)
        #expect(await coordinator.joinGroup(joinRequest(), version: 4, client: consumerClient).errorCode == .memberIdRequired)
    }

    @Test func protocolIsChosenByVoteAmongThoseAllMembersSupport() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 10)
        let coordinator = try harness.coordinator()
        let offers: [[(String, String)]] = [
            [("range", "a"), ("roundrobin", "a")], [("roundrobin", "b"), ("range", "b")], [("sticky", "c"), ("roundrobin", "c"), ("range", "c")],
        ]
        var joins: [Pending<JoinGroupResponse>] = []
        for offer in offers {
            joins.append(Pending { await coordinator.joinGroup(joinRequest(protocols: offer), version: 3, client: consumerClient) })
            let expected = joins.count
            try await eventually("parked") { await coordinator.inspect("g")?.parkedJoins == expected }
        }
        for _ in 0..<3 {
            harness.clock.advance(10)
            await coordinator.tick()
        }
        let responses = try await joins.asyncMap { try await $0.value() }
        // Votes: range 1, roundrobin 2 ("sticky" is not supported by all).
        #expect(responses.allSatisfy { $0.protocolName == "roundrobin" })
        #expect(responses[0].members.map { $0.metadata.text } == ["a", "b", "c"])
    }

    @Test func commitThenFetch() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        // Standalone commits (generation −1, no member) are allowed on a group nobody joined.
        let commit = await coordinator.offsetCommit(commitRequest([("orders", 0, 42), ("orders", 1, 7), ("audit", 0, 1)], metadata: "hello"), version: 2)
        #expect(commitErrors(commit) == [.none, .none, .none])

        let some = await coordinator.offsetFetch(OffsetFetchRequest(groupId: "g", topics: [.init(name: "orders", partitionIndexes: [0, 1, 2])]), version: 5)
        #expect(fetched(some) == ["orders/0": 42, "orders/1": 7, "orders/2": -1])
        let p0 = some.topics[0].partitions[0]
        #expect(p0.metadata == "hello" && p0.committedLeaderEpoch == 3 && p0.errorCode == .none)
        #expect(some.topics[0].partitions[2].errorCode == .none)

        let all = await coordinator.offsetFetch(OffsetFetchRequest(groupId: "g", topics: nil), version: 5)
        #expect(fetched(all) == ["orders/0": 42, "orders/1": 7, "audit/0": 1])
        #expect(all.topics.map(\.name) == ["audit", "orders"])
        #expect(fetched(await coordinator.offsetFetch(OffsetFetchRequest(groupId: "other", topics: [.init(name: "orders", partitionIndexes: [0])]), version: 5)) == ["orders/0": -1])

        // A later commit replaces; metadata over the limit is refused per partition.
        let tooLong = String(repeating: "x", count: 4097)
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("orders", 0, 50)]), version: 2)) == [.none])
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("orders", 1, 99)], metadata: tooLong), version: 2)) == [.offsetMetadataTooLarge])
        #expect(fetched(await coordinator.offsetFetch(OffsetFetchRequest(groupId: "g", topics: nil), version: 5)) == ["orders/0": 50, "orders/1": 7, "audit/0": 1])

        let lag = await coordinator.committedOffsets()
        #expect(lag.map { "\($0.group) \($0.topic) \($0.partition) \($0.offset)" } == ["g audit 0 1", "g orders 0 50", "g orders 1 7"])

        // A member of the current generation commits too.
        let m = try await joinStableGroup(coordinator, harness, group: "members", count: 1)[0]
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("orders", 0, 3)], group: "members", generation: m.generationId, member: m.memberId), version: 2)) == [.none])
        #expect(fetched(await coordinator.offsetFetch(OffsetFetchRequest(groupId: "members", topics: nil), version: 5)) == ["orders/0": 3])
    }

    @Test func commitsAndGroupsSurviveReopeningAndACrash() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 10)
        let log = try harness.openLog()
        let coordinator = try harness.coordinator(log: log)
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 10), ("t", 1, 20)], group: "solo"), version: 2)) == [.none, .none])
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, 11)], group: "solo"), version: 2)) == [.none])
        let m = try await joinStableGroup(coordinator, harness, group: "live", count: 2)
        #expect(commitErrors(await coordinator.offsetCommit(commitRequest([("u", 3, 300)], group: "live", generation: 1, member: m[1].memberId), version: 2)) == [.none])

        // Everything acknowledged was fsynced: a crash that drops unsynced bytes loses none of it.
        harness.disk.crash()
        let reopened = try harness.coordinator()
        #expect(fetched(await reopened.offsetFetch(OffsetFetchRequest(groupId: "solo", topics: nil), version: 5)) == ["t/0": 11, "t/1": 20])
        #expect(fetched(await reopened.offsetFetch(OffsetFetchRequest(groupId: "live", topics: nil), version: 5)) == ["u/3": 300])
        // The Stable group came back with its generation, members and assignments: no rebalance needed.
        #expect(await reopened.inspect("live")?.state == "Stable")
        #expect(await reopened.heartbeat(HeartbeatRequest(groupId: "live", generationId: 1, memberId: m[1].memberId), version: 3).errorCode == .none)
        let sync = await reopened.syncGroup(syncRequest("live", generation: 1, member: m[1].memberId), version: 3)
        #expect(sync.errorCode == .none && sync.assignment.text == "assignment-of-\(m[1].memberId)")
        let described = await reopened.describeGroups(DescribeGroupsRequest(groups: ["live", "solo"]), version: 4).groups
        #expect(described.map(\.groupState) == ["Stable", "Empty"])
        #expect(described[0].members.count == 2 && described[0].protocolType == "consumer" && described[0].protocolData == "range")
        #expect(await reopened.listGroups(ListGroupsRequest(), version: 2).groups.map(\.groupId) == ["live", "solo"])
    }

    @Test func replayAfterCompactionRebuildsTheSameState() async throws {
        var harness = GroupHarness()
        harness.segmentBytes = 700  // many sealed segments for the cleaner
        let log = try harness.openLog()
        let coordinator = try harness.coordinator(log: log)
        let live = try await joinStableGroup(coordinator, harness, group: "live", count: 1)[0]
        for round in 0..<40 {
            let offsets = (0..<4).map { ("t", Int32($0), Int64(round * 10 + $0)) }
            #expect(commitErrors(await coordinator.offsetCommit(commitRequest(offsets), version: 2)).allSatisfy { $0 == .none })
            if round == 20 { _ = await coordinator.offsetCommit(commitRequest([("t", 0, 1)], group: "doomed"), version: 2) }
        }
        #expect(await coordinator.deleteGroups(DeleteGroupsRequest(groupsNames: ["doomed"]), version: 1).results[0].errorCode == .none)
        for round in 40..<45 {
            _ = await coordinator.offsetCommit(commitRequest([("t", 0, Int64(round * 10))]), version: 2)
        }
        let before = await coordinator.committedOffsets().map { "\($0.group) \($0.topic) \($0.partition) \($0.offset)" }
        #expect(log.segmentCount > 5)

        let report = try log.compact(nowMs: harness.clock.now + 86_400_000, deleteRetentionMs: 0)
        #expect(report.recordsRemoved > 100)
        try log.close()
        let reopened = try harness.coordinator()
        #expect(await reopened.committedOffsets().map { "\($0.group) \($0.topic) \($0.partition) \($0.offset)" } == before)
        #expect(before == ["g t 0 440", "g t 1 391", "g t 2 392", "g t 3 393"])
        #expect(await reopened.inspect("live")?.members == [live.memberId])
        #expect(await reopened.inspect("doomed") == nil)
    }

    @Test func offsetsOfEmptyAndStandaloneGroupsExpireAfterTheRetention() async throws {
        var harness = GroupHarness()
        harness.config.offsetsRetentionMs = 60_000
        harness.config.offsetsRetentionCheckIntervalMs = 1_000
        let coordinator = try harness.coordinator()
        func groupsWithOffsets(_ c: GroupCoordinator) async -> [String] { Array(Set(await c.committedOffsets().map(\.group))).sorted() }

        _ = await coordinator.offsetCommit(commitRequest([("t", 0, 1)], group: "standalone"), version: 2)
        let stable = try await joinStableGroup(coordinator, harness, group: "stable", count: 1)[0]
        _ = await coordinator.offsetCommit(commitRequest([("t", 0, 2)], group: "stable", generation: 1, member: stable.memberId), version: 2)
        // A group whose members all left without committing is dropped at the next check.
        let quitter = try await joinStableGroup(coordinator, harness, group: "quit", count: 1)[0]
        _ = await coordinator.leaveGroup(LeaveGroupRequest(groupId: "quit", memberId: quitter.memberId), version: 1)
        #expect(await coordinator.inspect("quit")?.state == "Empty")
        let leaver = try await joinStableGroup(coordinator, harness, group: "left", count: 1)[0]
        _ = await coordinator.offsetCommit(commitRequest([("t", 0, 3)], group: "left", generation: 1, member: leaver.memberId), version: 2)

        harness.clock.advance(30_000)
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "stable", generationId: 1, memberId: stable.memberId), version: 3).errorCode == .none)
        _ = await coordinator.leaveGroup(LeaveGroupRequest(groupId: "left", memberId: leaver.memberId), version: 1)  // Empty from now
        // A newer standalone commit on another partition keeps its own clock.
        _ = await coordinator.offsetCommit(commitRequest([("t", 1, 4)], group: "standalone"), version: 2)
        await coordinator.tick()
        #expect(await groupsWithOffsets(coordinator) == ["left", "stable", "standalone"])
        #expect(await coordinator.inspect("quit") == nil)

        harness.clock.advance(30_000)  // standalone t/0 is 60 s old; "left" has been Empty for 30 s
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "stable", generationId: 1, memberId: stable.memberId), version: 3).errorCode == .none)
        await coordinator.tick()
        #expect(fetched(await coordinator.offsetFetch(OffsetFetchRequest(groupId: "standalone", topics: nil), version: 5)) == ["t/1": 4])
        #expect(await groupsWithOffsets(coordinator) == ["left", "stable", "standalone"])

        harness.clock.advance(30_000)
        #expect(await coordinator.heartbeat(HeartbeatRequest(groupId: "stable", generationId: 1, memberId: stable.memberId), version: 3).errorCode == .none)
        await coordinator.tick()
        // A group with members keeps its offsets however old they are.
        #expect(await groupsWithOffsets(coordinator) == ["stable"])
        #expect(await coordinator.listGroups(ListGroupsRequest(), version: 2).groups.map(\.groupId) == ["stable"])
        // The expiry is in the log too.
        let reopened = try harness.coordinator()
        #expect(await groupsWithOffsets(reopened) == ["stable"])
        #expect(await reopened.inspect("quit") == nil)
        #expect(await reopened.inspect("left") == nil)
    }

    @Test func deleteGroupRemovesOnlyEmptyGroupsAndTheirOffsets() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        _ = await coordinator.offsetCommit(commitRequest([("t", 0, 5)], group: "idle"), version: 2)
        let m = try await joinStableGroup(coordinator, harness, group: "busy", count: 1)[0]
        _ = await coordinator.offsetCommit(commitRequest([("t", 0, 9)], group: "busy", generation: 1, member: m.memberId), version: 2)

        let first = await coordinator.deleteGroups(DeleteGroupsRequest(groupsNames: ["idle", "busy", "ghost"]), version: 1)
        #expect(first.results.map(\.errorCode) == [.none, .nonEmptyGroup, .groupIdNotFound])
        #expect(fetched(await coordinator.offsetFetch(OffsetFetchRequest(groupId: "idle", topics: nil), version: 5)).isEmpty)
        #expect(await coordinator.describeGroups(DescribeGroupsRequest(groups: ["idle"]), version: 4).groups[0].groupState == "Dead")

        _ = await coordinator.leaveGroup(LeaveGroupRequest(groupId: "busy", memberId: m.memberId), version: 1)
        #expect(await coordinator.deleteGroups(DeleteGroupsRequest(groupsNames: ["busy"]), version: 1).results.map(\.errorCode) == [.none])
        #expect(await coordinator.listGroups(ListGroupsRequest(), version: 2).groups.isEmpty)

        // The tombstones are durable: nothing comes back after a crash and reopen.
        harness.disk.crash()
        let reopened = try harness.coordinator()
        #expect(await reopened.committedOffsets().isEmpty)
        #expect(await reopened.listGroups(ListGroupsRequest(), version: 2).groups.isEmpty)
    }

    @Test func deletedTopicsLoseTheirOffsets() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        _ = await coordinator.offsetCommit(commitRequest([("gone", 0, 1), ("kept", 0, 2)], group: "a"), version: 2)
        _ = await coordinator.offsetCommit(commitRequest([("gone", 4, 3)], group: "b"), version: 2)
        await coordinator.topicDeleted("gone")
        #expect(await coordinator.committedOffsets().map { "\($0.group) \($0.topic)" } == ["a kept"])
        let reopened = try harness.coordinator()
        #expect(await reopened.committedOffsets().map { "\($0.group) \($0.topic)" } == ["a kept"])
    }

    @Test func aCommitThatCannotBeMadeDurableIsNotAcknowledged() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        harness.disk.failSyncs(errno: 5)
        let response = await coordinator.offsetCommit(commitRequest([("t", 0, 1)]), version: 2)
        #expect(commitErrors(response) == [.coordinatorNotAvailable])
    }

    @Test func describeAndListReportStatesMembersAndClients() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        let join = await coordinator.joinGroup(
            joinRequest(protocols: [("range", "subscription")]), version: 3, client: GroupClient(clientId: "app-1", clientHost: "/10.1.2.3"))
        var group = await coordinator.describeGroups(DescribeGroupsRequest(groups: ["g"]), version: 4).groups[0]
        #expect(group.groupState == "CompletingRebalance" && group.protocolData == "" && group.members[0].memberMetadata.readableBytes == 0)
        _ = await coordinator.syncGroup(syncRequest(generation: 1, member: join.memberId, assignments: [join.memberId: "everything"]), version: 3)
        group = await coordinator.describeGroups(DescribeGroupsRequest(groups: ["g"]), version: 4).groups[0]
        #expect(group.groupState == "Stable" && group.protocolType == "consumer" && group.protocolData == "range")
        let member = try #require(group.members.first)
        #expect(member.memberId == join.memberId && member.clientId == "app-1" && member.clientHost == "/10.1.2.3")
        #expect(member.memberMetadata.text == "subscription" && member.memberAssignment.text == "everything")
        #expect(await coordinator.listGroups(ListGroupsRequest(), version: 2).groups == [.init(groupId: "g", protocolType: "consumer")])
    }

    @Test func staticMemberRestartReplacesTheOldMemberWithoutRebalancing() async throws {
        let harness = GroupHarness()
        let coordinator = try harness.coordinator()
        let first = await coordinator.joinGroup(joinRequest(instance: "pod-1"), version: 5, client: consumerClient)
        #expect(first.errorCode == .none && first.generationId == 1)  // static members skip MEMBER_ID_REQUIRED
        _ = await coordinator.syncGroup(syncRequest(generation: 1, member: first.memberId, assignments: [first.memberId: "a"]), version: 3)

        let restarted = await coordinator.joinGroup(joinRequest(instance: "pod-1"), version: 5, client: consumerClient)
        #expect(restarted.errorCode == .none && restarted.generationId == 1 && restarted.memberId != first.memberId)
        #expect(await coordinator.inspect("g")?.state == "Stable")
        let sync = await coordinator.syncGroup(syncRequest(generation: 1, member: restarted.memberId), version: 3)
        #expect(sync.assignment.text == "a")
        // The old incarnation is fenced.
        var fencedBeat = HeartbeatRequest(groupId: "g", generationId: 1, memberId: first.memberId)
        fencedBeat.groupInstanceId = "pod-1"
        #expect(await coordinator.heartbeat(fencedBeat, version: 3).errorCode == .fencedInstanceId)
    }

    @Test func noParkedRequestIsEverLeaked() async throws {
        let harness = GroupHarness(initialRebalanceDelayMs: 50)
        let coordinator = try harness.coordinator()
        // Twelve members join at once; the join phase ends on the clock.
        let joins = (0..<12).map { i in
            Pending { await coordinator.joinGroup(joinRequest(protocols: [("range", "s\(i)")], session: 10_000, rebalance: 10_000), version: 3, client: consumerClient) }
        }
        try await eventually("all parked") { await coordinator.inspect("g")?.parkedJoins == 12 }
        for _ in 0..<300 where await coordinator.inspect("g")?.state == "PreparingRebalance" {
            harness.clock.advance(50)
            await coordinator.tick()
        }
        let responses = try await joins.asyncMap { try await $0.value(within: 1_000) }
        #expect(responses.allSatisfy { $0.errorCode == .none && $0.generationId == 1 })
        let leader = responses[0].leader

        // Followers park their syncs; the leader then leaves instead of syncing: every sync is answered.
        let followers = responses.filter { $0.memberId != leader }
        let syncs = followers.map { r in Pending { await coordinator.syncGroup(syncRequest(generation: 1, member: r.memberId), version: 3) } }
        try await eventually("syncs parked") { await coordinator.inspect("g")?.parkedSyncs == followers.count }
        _ = await coordinator.leaveGroup(LeaveGroupRequest(groupId: "g", memberId: leader), version: 1)
        for s in syncs { #expect(try await s.value(within: 1_000).errorCode == .rebalanceInProgress) }

        // Half re-join; the others time out of the rebalance; a duplicate join supersedes its first copy.
        let rejoins = followers.prefix(5).map { r in
            Pending { await coordinator.joinGroup(joinRequest(member: r.memberId, session: 10_000, rebalance: 10_000), version: 3, client: consumerClient) }
        }
        try await eventually("rejoins parked") { await coordinator.inspect("g")?.parkedJoins == 5 }
        let duplicate = Pending {
            await coordinator.joinGroup(joinRequest(member: followers[0].memberId, session: 10_000, rebalance: 10_000), version: 3, client: consumerClient)
        }
        try await eventually("superseded") { rejoins[0].isDone }
        #expect(try await rejoins[0].value().errorCode == .rebalanceInProgress)
        for _ in 0..<300 where await coordinator.inspect("g")?.state == "PreparingRebalance" {
            harness.clock.advance(100)
            await coordinator.tick()
        }
        for r in rejoins.dropFirst() { #expect(try await r.value(within: 1_000).generationId == 2) }
        #expect(try await duplicate.value(within: 1_000).generationId == 2)
        #expect(await coordinator.inspect("g")?.members.count == 5)

        // Shutdown answers whatever is still parked.
        let newcomer = Pending { await coordinator.joinGroup(joinRequest(session: 10_000), version: 3, client: consumerClient) }
        try await eventually("newcomer parked") { await coordinator.inspect("g")?.parkedJoins == 1 }
        await coordinator.shutdown()
        #expect(try await newcomer.value(within: 1_000).errorCode == .notCoordinator)
        #expect(await coordinator.joinGroup(joinRequest(session: 10_000), version: 3, client: consumerClient).errorCode == .notCoordinator)
        let final = await coordinator.inspect("g")
        #expect(final?.parkedJoins == 0 && final?.parkedSyncs == 0)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
