import Foundation
import NIOCore
import Testing
import WeirProtocol
import WeirTestSupport

@testable import WeirBroker

/// Random interleavings of every group request with clock jumps: invariants hold after each step, and
/// once clients fall silent every parked JoinGroup/SyncGroup is answered and the group empties.
@Suite struct GroupCoordinatorRandomTests {
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func randomRequestsNeverStrandARequestOrBreakTheGroup(seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let harness = GroupHarness(initialRebalanceDelayMs: 500)
        let coordinator = try harness.coordinator()
        var known: [String: Int32] = [:]  // member id → last generation it was told
        var joins: [Pending<JoinGroupResponse>] = []
        var syncs: [Pending<SyncGroupResponse>] = []
        var lastGeneration: Int32 = 0
        var answeredJoins = 0, answeredSyncs = 0

        func randomKnown() -> (String, Int32)? {
            guard !known.isEmpty else { return nil }
            let keys = known.keys.sorted()
            let id = keys[Int(rng.next() % UInt64(keys.count))]
            return (id, known[id]!)
        }

        for step in 0..<1_500 {
            let session = Int32(6_000 + rng.next() % 3 * 6_000)
            let rebalance = Int32(10_000 + rng.next() % 3 * 10_000)
            switch rng.next() % 9 {
            case 0:
                let version: Int16 = rng.next() % 2 == 0 ? 3 : 5
                let request = joinRequest(protocols: [("range", "s")], session: session, rebalance: rebalance)
                joins.append(Pending { await coordinator.joinGroup(request, version: version, client: consumerClient) })
            case 1, 2:
                guard let (id, _) = randomKnown() else { break }
                let request = joinRequest(member: id, protocols: [("range", rng.next() % 4 == 0 ? "changed" : "s")], session: session, rebalance: rebalance)
                joins.append(Pending { await coordinator.joinGroup(request, version: 5, client: consumerClient) })
            case 3:
                guard let (id, generation) = randomKnown() else { break }
                let assignments = Dictionary(uniqueKeysWithValues: known.keys.map { ($0, "a-\($0.suffix(4))") })
                let request = syncRequest(generation: generation, member: id, assignments: assignments)
                syncs.append(Pending { await coordinator.syncGroup(request, version: 3) })
            case 4, 5:
                guard let (id, generation) = randomKnown() else { break }
                let error = await coordinator.heartbeat(HeartbeatRequest(groupId: "g", generationId: generation, memberId: id), version: 3).errorCode
                #expect([.none, .rebalanceInProgress, .illegalGeneration, .unknownMemberId].contains(error))
                if error == .unknownMemberId { known.removeValue(forKey: id) }
            case 6:
                guard let (id, _) = randomKnown() else { break }
                _ = await coordinator.leaveGroup(LeaveGroupRequest(groupId: "g", memberId: id), version: 1)
                known.removeValue(forKey: id)
            case 7:
                guard let (id, generation) = randomKnown() else { break }
                let errors = commitErrors(await coordinator.offsetCommit(commitRequest([("t", 0, Int64(step))], generation: generation, member: id), version: 2))
                #expect(errors.allSatisfy { [.none, .rebalanceInProgress, .illegalGeneration, .unknownMemberId].contains($0) })
            default:
                harness.clock.advance(Int64(rng.next() % 4_000))
                await coordinator.tick()
            }
            for _ in 0..<3 { await Task.yield() }

            // Learn from answered requests, as clients would.
            var stillParked: [Pending<JoinGroupResponse>] = []
            for join in joins {
                guard join.isDone else { stillParked.append(join); continue }
                let r = try await join.value()
                answeredJoins += 1
                if r.errorCode == .none || r.errorCode == .memberIdRequired { known[r.memberId] = r.generationId }
            }
            joins = stillParked
            answeredSyncs += syncs.count { $0.isDone }
            syncs.removeAll { $0.isDone }

            let state = try #require(await coordinator.inspect("g") ?? (state: "Empty", generation: lastGeneration, members: [], parkedJoins: 0, parkedSyncs: 0, leader: nil))
            #expect(state.generation >= lastGeneration, "generation went back at step \(step)")
            lastGeneration = state.generation
            if state.state == "Stable" || state.state == "CompletingRebalance" {
                #expect(state.leader.map(state.members.contains) == true, "leader not a member at step \(step)")
                #expect(state.parkedJoins == 0)
            }
            if state.state == "Empty" { #expect(state.members.isEmpty && state.parkedJoins == 0 && state.parkedSyncs == 0) }
            if state.state != "CompletingRebalance" { #expect(state.parkedSyncs == 0, "a sync parked outside CompletingRebalance at step \(step)") }
        }

        // Everyone falls silent: timeouts answer every parked request and empty the group. Two rounds: a
        // leader's SyncGroup may still be waiting for its fsync (real time) in the first, and completing it
        // restarts the members' sessions.
        for round in 0..<2 {
            for _ in 0..<40 {
                harness.clock.advance(10_000)
                await coordinator.tick()
                try await Task.sleep(for: .milliseconds(1))
            }
            if round == 0 {
                for join in joins { _ = try await join.value(within: 2_000) }
                for sync in syncs { _ = try await sync.value(within: 2_000) }
            }
        }
        let end = await coordinator.inspect("g")
        #expect(end == nil || (end?.state == "Empty" && end?.members.isEmpty == true))
        #expect(answeredJoins > 50 && answeredSyncs > 20, "the random walk should exercise joins and syncs (\(answeredJoins), \(answeredSyncs))")
    }
}
