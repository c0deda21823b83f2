import Foundation
import Logging
import NIOCore
import Testing
import WeirProtocol
import WeirStorage
import WeirTestSupport

@testable import WeirBroker

/// A clock that moves only when a test advances it.
final class GroupTestClock: @unchecked Sendable {  // safe: `value` is guarded by `lock`
    private let lock = NSLock()
    private var value: Int64 = 1_700_000_000_000
    var now: Int64 { lock.withLock { value } }
    func advance(_ ms: Int64) { lock.withLock { value += ms } }
}

/// A coordinator over an in-memory (SimulatedDisk) offsets log, reopenable on the same disk.
struct GroupHarness {
    let clock = GroupTestClock()
    let disk = SimulatedDisk()
    let directory = "/data/__consumer_offsets-0"
    var config: GroupCoordinatorConfig
    var segmentBytes = 1 << 30

    init(initialRebalanceDelayMs: Int64 = 0) {
        config = GroupCoordinatorConfig(initialRebalanceDelayMs: initialRebalanceDelayMs)
    }

    func openLog() throws -> PartitionLog {
        var logConfig = LogConfig()
        logConfig.compacted = true
        logConfig.segmentBytes = segmentBytes
        return try PartitionLog(directory: directory, config: logConfig, disk: disk)
    }

    func coordinator(log: PartitionLog? = nil) throws -> GroupCoordinator {
        let clock = self.clock
        return try GroupCoordinator(
            offsetsLog: log ?? openLog(), clock: { clock.now }, logger: Logger(label: "test.groups"), config: config)
    }
}

/// The result of a request running in its own task; awaited with a time bound so a request that is
/// never answered fails the test instead of hanging it.
final class Pending<T: Sendable>: @unchecked Sendable {  // safe: `result` is guarded by `lock`
    private let lock = NSLock()
    private var result: T?

    init(_ body: @escaping @Sendable () async -> T) {
        Task {
            let value = await body()
            self.lock.withLock { self.result = value }
        }
    }

    var isDone: Bool { lock.withLock { result != nil } }

    func value(within milliseconds: Int = 5_000, sourceLocation: SourceLocation = #_sourceLocation) async throws -> T {
        for _ in 0..<(milliseconds / 2) {
            if let result = lock.withLock({ result }) { return result }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("request not answered within \(milliseconds) ms", sourceLocation: sourceLocation)
        throw CancellationError()
    }
}

/// Polls `condition` for up to `milliseconds`; fails the test when it never holds.
func eventually(
    _ what: String, within milliseconds: Int = 5_000, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async -> Bool
) async throws {
    for _ in 0..<(milliseconds / 2) {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(2))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

let consumerClient = GroupClient(clientId: "consumer", clientHost: "/127.0.0.1")

func joinRequest(
    _ group: String = "g", member: String = "", protocols: [(String, String)] = [("range", "sub")],
    session: Int32 = 30_000, rebalance: Int32 = 60_000, instance: String? = nil, protocolType: String = "consumer"
) -> JoinGroupRequest {
    JoinGroupRequest(
        groupId: group, sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance, memberId: member, groupInstanceId: instance,
        protocolType: protocolType,
        protocols: protocols.map { JoinGroupRequest.JoinGroupProtocol(name: $0.0, metadata: ByteBuffer(string: $0.1)) })
}

func syncRequest(_ group: String = "g", generation: Int32, member: String, assignments: [String: String] = [:]) -> SyncGroupRequest {
    SyncGroupRequest(
        groupId: group, generationId: generation, memberId: member,
        assignments: assignments.sorted { $0.key < $1.key }.map { .init(memberId: $0.key, assignment: ByteBuffer(string: $0.value)) })
}

func commitRequest(_ offsets: [(String, Int32, Int64)], group: String = "g", generation: Int32 = -1, member: String = "", metadata: String? = "m")
    -> OffsetCommitRequest
{
    var topics: [OffsetCommitRequest.Topic] = []
    for (topic, partition, offset) in offsets {
        let p = OffsetCommitRequest.Topic.Partition(partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: 3, committedMetadata: metadata)
        if let i = topics.firstIndex(where: { $0.name == topic }) { topics[i].partitions.append(p) } else { topics.append(.init(name: topic, partitions: [p])) }
    }
    return OffsetCommitRequest(groupId: group, generationId: generation, memberId: member, topics: topics)
}

/// Committed offsets as `topic/partition → offset` from an OffsetFetch response.
func fetched(_ response: OffsetFetchResponse) -> [String: Int64] {
    var out: [String: Int64] = [:]
    for t in response.topics { for p in t.partitions { out["\(t.name)/\(p.partitionIndex)"] = p.committedOffset } }
    return out
}

/// Commit error codes, flattened in request order.
func commitErrors(_ response: OffsetCommitResponse) -> [KafkaErrorCode] {
    response.topics.flatMap { $0.partitions.map(\.errorCode) }
}

extension ByteBuffer {
    var text: String { String(buffer: self) }
}

/// Joins `count` v3 members concurrently (no MEMBER_ID_REQUIRED) and completes the join phase.
func joinStableGroup(
    _ coordinator: GroupCoordinator, _ harness: GroupHarness, group: String = "g", count: Int
) async throws -> [JoinGroupResponse] {
    // Without an initial delay the first member would get a generation of its own.
    try #require(count == 1 || harness.config.initialRebalanceDelayMs > 0)
    var joins: [Pending<JoinGroupResponse>] = []
    for i in 0..<count {
        let request = joinRequest(group, protocols: [("range", "sub-\(i)")])
        joins.append(Pending { await coordinator.joinGroup(request, version: 3, client: consumerClient) })
        // Join order decides the leader: let each one park before the next.
        try await eventually("join \(i) parked") { await coordinator.inspect(group)?.members.count == i + 1 }
    }
    harness.clock.advance(harness.config.initialRebalanceDelayMs)
    await coordinator.tick()
    harness.clock.advance(harness.config.initialRebalanceDelayMs)
    await coordinator.tick()
    var responses: [JoinGroupResponse] = []
    for join in joins { responses.append(try await join.value()) }
    let leader = responses[0].memberId
    var syncs: [Pending<SyncGroupResponse>] = []
    for r in responses where r.memberId != leader {
        let request = syncRequest(group, generation: r.generationId, member: r.memberId)
        syncs.append(Pending { await coordinator.syncGroup(request, version: 3) })
    }
    var assignments: [String: String] = [:]
    for r in responses { assignments[r.memberId] = "assignment-of-\(r.memberId)" }
    let leaderSync = await coordinator.syncGroup(syncRequest(group, generation: responses[0].generationId, member: leader, assignments: assignments), version: 3)
    #expect(leaderSync.errorCode == .none)
    for s in syncs { #expect(try await s.value().errorCode == .none) }
    return responses
}
