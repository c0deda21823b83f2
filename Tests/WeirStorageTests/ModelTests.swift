import Foundation
import NIOCore
import Testing
import WeirRecords
import WeirStorage
import WeirTestSupport

/// Model-based test: random append / read / roll / retention / compaction / truncate / restart /
/// power-loss sequences against a trivially correct in-memory reference log (Redpanda's mem_log idea).
@Suite struct ModelTests {
    struct ReferenceBatch {
        var baseOffset: Int64
        /// lastOffsetDelta + 1: compaction never changes it.
        var span: Int
        /// Key of each record by offsetDelta; nil entries were removed by compaction.
        var keys: [String?]
        var surviving: Int { keys.filter { $0 != nil }.count }
        var nextOffset: Int64 { baseOffset + Int64(span) }
    }

    /// Every surviving (offset, key) of the log, read back through `read`.
    static func storedRecords(_ log: PartitionLog) throws -> [(Int64, String)] {
        var out: [(Int64, String)] = []
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let bytes = try log.read(from: offset, maxBytes: 1 << 20)
            var scanner = RecordBatchScanner(bytes)
            var next = offset
            while let (index, header) = scanner.next() {
                var it = try RecordBatch(unchecked: bytes.getSlice(at: index, length: header.totalSize)!, header: header).records()
                while let r = try it.next() {
                    out.append((header.baseOffset + Int64(r.offsetDelta), r.key.map { String(buffer: $0) } ?? "?"))
                }
                next = header.nextOffset
            }
            guard next > offset else { break }
            offset = next
        }
        return out
    }

    @Test(arguments: Array(UInt64(1)...UInt64(40)))
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
        var logEnd: Int64 = 0

        for step in 0..<300 {
            let context = "seed \(seed) step \(step)"
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<42:  // append, sometimes durably
                let count = Int.random(in: 1...4, using: &rng)
                let keys = (0..<count).map { _ in "k\(Int.random(in: 0..<8, using: &rng))" }
                let durable = Bool.random(using: &rng)
                let batch = makeTestBatch(records: count, valueSize: Int.random(in: 0...120, using: &rng), seed: step, timestamp: clock.now, keys: keys)
                let info = durable ? try log.appendDurably(batch) : try log.append(batch)
                #expect(info.baseOffset == logEnd, "\(context)")
                reference.append(ReferenceBatch(baseOffset: logEnd, span: count, keys: keys))
                logEnd += Int64(count)
                if durable { durableCount = reference.count }
            case 42..<65:  // read from a random retained offset: batches from the first one ending at or after it
                let offset = Int64.random(in: logStart...logEnd, using: &rng)
                let got = batchOffsets(try log.read(from: offset, maxBytes: Int.random(in: 1...2_000, using: &rng)))
                let expected = reference.filter { $0.nextOffset > offset && $0.surviving > 0 }.map(\.baseOffset)
                #expect(got == Array(expected.prefix(got.count)), "\(context)")
                #expect(got.isEmpty == expected.isEmpty, "\(context)")
            case 65..<72:  // time passes, retention runs
                clock.advance(Int64.random(in: 0...30_000, using: &rng))
                try log.flush()
                try log.applyRetention()
                logStart = log.logStartOffset
                reference.removeAll { $0.nextOffset <= logStart }
                durableCount = reference.count
            case 72..<79:  // compaction: in the sealed range only the latest record per key survives
                let activeBase = log.activeSegmentBaseOffset
                try log.compact(nowMs: clock.now)
                var latest: [String: Int64] = [:]
                for b in reference where b.baseOffset < activeBase {
                    for (d, k) in b.keys.enumerated() { if let k { latest[k] = b.baseOffset + Int64(d) } }
                }
                for i in reference.indices where reference[i].baseOffset < activeBase {
                    for d in reference[i].keys.indices {
                        if let k = reference[i].keys[d], latest[k]! > reference[i].baseOffset + Int64(d) { reference[i].keys[d] = nil }
                    }
                }
            case 79..<85:  // truncate a suffix at a batch boundary (as a replica discarding divergence)
                guard reference.count > 1, reference.last!.baseOffset >= log.activeSegmentBaseOffset else { continue }
                let keep = Int.random(in: 1..<reference.count, using: &rng)
                guard reference[keep].baseOffset >= log.activeSegmentBaseOffset || reference[keep].surviving == reference[keep].span else { continue }
                try log.truncate(to: reference[keep].baseOffset)
                logEnd = reference[keep].baseOffset
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
                let survivors = reference.filter { $0.nextOffset <= end }
                #expect(survivors.count >= durableCount, "\(context): acknowledged data lost")
                #expect((survivors.last?.nextOffset ?? logStart) == end || survivors.isEmpty, "\(context): partial batch")
                reference = survivors
                logEnd = end
                durableCount = reference.count
            }
            #expect(log.logStartOffset == logStart, "\(context)")
            #expect(log.logEndOffset == logEnd, "\(context)")
        }
        // Final full comparison at record level: offsets and keys.
        let stored = try Self.storedRecords(log)
        let expected = reference.flatMap { b in b.keys.enumerated().compactMap { d, k in k.map { (b.baseOffset + Int64(d), $0) } } }
        #expect(stored.map(\.0) == expected.map(\.0), "seed \(seed)")
        #expect(stored.map(\.1) == expected.map(\.1), "seed \(seed)")
    }
}
