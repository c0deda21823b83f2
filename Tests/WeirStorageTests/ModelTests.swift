import Foundation
import NIOCore
import Testing
import WeirRecords
import WeirStorage
import WeirTestSupport

/// Model-based test: random append / read / roll / retention / truncate / crash-reopen sequences
/// against a trivially correct in-memory reference log (Redpanda's mem_log idea).
@Suite struct ModelTests {
    struct ReferenceBatch {
        var baseOffset: Int64
        var count: Int
        var seed: Int
        var timestamp: Int64
    }

    @Test(arguments: Array(UInt64(1)...UInt64(12)))
    func randomOperationsMatchTheReference(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let disk = SimulatedDisk()
        let clock = ManualClock()
        var config = LogConfig()
        config.segmentBytes = Int.random(in: 300...3_000, using: &rng)
        config.indexIntervalBytes = Int.random(in: 1...500, using: &rng)
        config.retentionMs = 50_000
        config.retentionBytes = -1
        var log = try PartitionLog(directory: "/m", config: config, disk: disk, clock: { clock.now })
        var reference: [ReferenceBatch] = []
        var durableCount = 0  // reference batches known durable
        var logStart: Int64 = 0

        for step in 0..<300 {
            let context = "seed \(seed) step \(step)"
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<45:  // append, sometimes durably
                let count = Int.random(in: 1...4, using: &rng)
                let batchSeed = Int.random(in: 0...1_000_000, using: &rng)
                let durable = Bool.random(using: &rng)
                let batch = makeTestBatch(records: count, valueSize: Int.random(in: 0...120, using: &rng), seed: batchSeed, timestamp: clock.now)
                let next = reference.last.map { $0.baseOffset + Int64($0.count) } ?? logStart
                let info = durable ? try log.appendDurably(batch) : try log.append(batch)
                #expect(info.baseOffset == next, "\(context)")
                reference.append(ReferenceBatch(baseOffset: next, count: count, seed: batchSeed, timestamp: clock.now))
                if durable { durableCount = reference.count }
            case 45..<70:  // read from a random retained offset
                guard let last = reference.last else { continue }
                let end = last.baseOffset + Int64(last.count)
                let offset = Int64.random(in: logStart...end, using: &rng)
                let bytes = try log.read(from: offset, maxBytes: Int.random(in: 1...2_000, using: &rng))
                let got = batchOffsets(bytes)
                if offset == end {
                    #expect(got.isEmpty, "\(context)")
                } else {
                    let containing = reference.last { $0.baseOffset <= offset }!
                    #expect(got.first == containing.baseOffset, "\(context)")
                    let expected = reference.filter { $0.baseOffset >= containing.baseOffset }.prefix(got.count).map(\.baseOffset)
                    #expect(got == Array(expected), "\(context)")
                }
            case 70..<78:  // time passes, retention runs
                clock.advance(Int64.random(in: 0...30_000, using: &rng))
                try log.flush()
                durableCount = reference.count
                try log.applyRetention()
                logStart = log.logStartOffset
                reference.removeAll { $0.baseOffset + Int64($0.count) <= logStart }
                durableCount = reference.count
                #expect(reference.first.map { $0.baseOffset == logStart } ?? true, "\(context)")
            case 78..<85:  // truncate a suffix at a batch boundary (as a replica discarding divergence)
                guard reference.count > 1 else { continue }
                let keep = Int.random(in: max(1, durableCount > 0 ? 1 : 1)..<reference.count, using: &rng)
                try log.truncate(to: reference[keep].baseOffset)
                reference.removeSubrange(keep...)
                durableCount = min(durableCount, reference.count)
            case 85..<92:  // clean restart
                try log.close()
                log = try PartitionLog(directory: "/m", config: config, disk: disk, clock: { clock.now })
                durableCount = reference.count
            default:  // power loss: the non-durable suffix may vanish, whole batches only
                disk.crash(keepTornBytes: Int.random(in: 0...100, using: &rng))
                log = try PartitionLog(directory: "/m", config: config, disk: disk, clock: { clock.now })
                let end = log.logEndOffset
                let survivors = reference.filter { $0.baseOffset + Int64($0.count) <= end }
                #expect(survivors.count >= durableCount, "\(context): acknowledged data lost")
                #expect(survivors.last.map { $0.baseOffset + Int64($0.count) } ?? logStart == end, "\(context): partial batch")
                reference = survivors
                durableCount = reference.count
            }
            #expect(log.logStartOffset == logStart, "\(context)")
            let expectedEnd = reference.last.map { $0.baseOffset + Int64($0.count) } ?? log.logEndOffset
            #expect(log.logEndOffset == expectedEnd, "\(context)")
        }
        // Final full comparison, content included.
        let stored = try readAll(log)
        #expect(stored.map { $0.0 } == reference.map(\.baseOffset), "seed \(seed)")
        #expect(stored.map { Int($0.1) } == reference.map(\.count), "seed \(seed)")
    }
}
