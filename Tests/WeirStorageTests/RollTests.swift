import Foundation
import NIOCore
import Testing
import WeirRecords
import WeirStorage
import WeirTestSupport

/// A segment roll fdatasyncs only the old segment's data under the log's lock (so no later segment can
/// survive a crash that loses its tail: no gaps); the next durability wait seals it (indexes, directory,
/// recovery checkpoint) off the lock, and recovery stays as strict.
@Suite struct RollTests {
    func config(segmentBytes: Int = 1000) -> LogConfig {
        var c = LogConfig()
        c.segmentBytes = segmentBytes
        return c
    }

    @Test func aRollSyncsOnlyTheOldSegmentAndACrashKeepsAPrefix() async throws {
        try await onDedicatedThread {
            let disk = SimulatedDisk()
            let log = try PartitionLog(directory: "/r1", config: config(), disk: disk)
            let syncs = disk.syncCount
            for i in 0..<12 { try log.append(makeTestBatch(records: 2, valueSize: 100, seed: i)) }
            #expect(log.segmentCount > 3)
            // One fdatasync per roll (the old segment's data); no index, directory or checkpoint sync.
            #expect(disk.syncCount == syncs + log.segmentCount - 1)
            #expect(log.durableOffset == 0)
            // Nothing was acknowledged durable; whatever survives the crash is a prefix, without a gap.
            disk.crash()
            let reopened = try PartitionLog(directory: "/r1", config: config(), disk: disk)
            let survived = try readAll(reopened)
            #expect(survived.map(\.0) == (0..<survived.count).map { Int64($0 * 2) })
            #expect(reopened.logEndOffset == Int64(survived.count * 2))
            try reopened.append(makeTestBatch(records: 1, valueSize: 10))
            #expect(reopened.logEndOffset == Int64(survived.count * 2 + 1))
        }
    }

    @Test func durabilityWaitSealsRolledSegments() async throws {
        try await onDedicatedThread {
            let disk = SimulatedDisk()
            let log = try PartitionLog(directory: "/r2", config: config(), disk: disk)
            for i in 0..<12 { try log.append(makeTestBatch(records: 2, valueSize: 100, seed: i)) }
            let segments = log.segmentCount
            try log.flush()
            #expect(log.durableOffset == log.logEndOffset)
            let end = log.logEndOffset
            // Torn bytes after the crash must not matter: everything acknowledged was synced, with its directory.
            disk.crash(keepTornBytes: 7)
            let reopened = try PartitionLog(directory: "/r2", config: config(), disk: disk)
            #expect(reopened.logEndOffset == end)
            #expect(reopened.segmentCount == segments)
            // The recovery checkpoint was written after the seal: only the active segment is scanned.
            #expect(reopened.recoveryReport.segmentsScanned == 1)
            #expect(try readAll(reopened).count == 12)
        }
    }

    @Test func retentionKeepsUnsealedSegments() async throws {
        try await onDedicatedThread {
            let disk = SimulatedDisk()
            var c = config()
            c.retentionBytes = 0
            let log = try PartitionLog(directory: "/r3", config: c, disk: disk)
            try log.append(makeTestBatch(records: 2, valueSize: 100))
            try log.flush()  // durable up to the end of the first segment
            for i in 0..<10 { try log.append(makeTestBatch(records: 2, valueSize: 100, seed: i + 1)) }  // rolls, unsealed
            #expect(try log.applyRetention() == 0)  // nothing sealed below the durable offset to delete
            try log.flush()
            #expect(try log.applyRetention() > 0)
            #expect(log.logStartOffset > 0)
        }
    }

    @Test func rollsDoNotWaitForASlowDisk() async throws {
        try await onDedicatedThread {
            let disk = SimulatedDisk()
            disk.setSyncDelay(microseconds: 200_000)  // every fdatasync takes 0.2 s
            let log = try PartitionLog(directory: "/r4", config: config(), disk: disk)
            let started = Date()
            for i in 0..<12 { try log.append(makeTestBatch(records: 2, valueSize: 100, seed: i)) }  // 3+ rolls
            #expect(log.segmentCount > 3)
            #expect(Date().timeIntervalSince(started) < 1.0)  // before: four 0.2 s syncs per roll, 3+ rolls
            // Appends go on while a durability wait seals those segments off the lock.
            let sealed = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                try? log.flush()
                sealed.signal()
            }
            usleep(50_000)
            let appendStarted = Date()
            try log.append(makeTestBatch(records: 1, valueSize: 10, seed: 99))
            #expect(Date().timeIntervalSince(appendStarted) < 0.5)
            #expect(sealed.wait(timeout: .now() + 30) == .success)
            disk.setSyncDelay(microseconds: 0)
            try log.flush()
            #expect(log.durableOffset == log.logEndOffset)
        }
    }

    @Test func truncationAfterUnsealedRolls() async throws {
        try await onDedicatedThread {
            let disk = SimulatedDisk()
            let log = try PartitionLog(directory: "/r5", config: config(), disk: disk)
            for i in 0..<12 { try log.append(makeTestBatch(records: 2, valueSize: 100, seed: i)) }
            try log.truncate(to: 5)
            #expect(log.logEndOffset <= 5)
            for i in 0..<6 { try log.append(makeTestBatch(records: 2, valueSize: 100, seed: 50 + i)) }
            try log.flush()
            let end = log.logEndOffset
            disk.crash()
            let reopened = try PartitionLog(directory: "/r5", config: config(), disk: disk)
            #expect(reopened.logEndOffset == end)
        }
    }
}
